"""A tiny city for the docstring examples: small enough to read, with one case for most rules.

Every name is synthetic (示例...). Built through the storage port (an in-memory
:class:`~govgraph.graph.embedded.EmbeddedStore`), so it has exactly the shape a real projection
has. The examples use the names of :func:`doctest_names` without importing them, as
networkx's assume ``nx``.

>>> g = tiny_city()
>>> g.number_of_nodes(), g.nodes["c1"]["name"]
(40, '示例甲小区')
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from typing import Any

import networkx as nx

from ..embedded import EmbeddedStore
from ..model import Link, Node, link, node
from .columns import columns_of
from .projection import at
from .rules import run_rule, run_rules

#: the day the tiny city describes
AS_OF = dt.date(2021, 5, 31)


def graph_of(nodes: Iterable[Node], links: Iterable[Link]) -> nx.MultiDiGraph:
    """The projection of ``nodes`` and ``links`` written into a fresh in-memory store (it runs
    its own event loop: call it outside one).

    Examples
    --------
    >>> g = graph_of([node("Compound", "c1"), node("Community", "k")], [link("PART_OF", "c1", "k")])
    >>> sorted(g.edges(keys=True))
    [('c1', 'k', 'c1|PART_OF|k')]
    """

    async def build() -> nx.MultiDiGraph:
        store = EmbeddedStore()
        await store.upsert(nodes, links)
        g: nx.MultiDiGraph = await store.projection()
        return g

    return asyncio.run(build())


def tiny_city_records() -> tuple[list[Node], list[Link]]:
    """The records of :func:`tiny_city`.

    Examples
    --------
    >>> nodes, links = tiny_city_records()
    >>> len(nodes), len(links)
    (40, 64)
    """
    d = dt.date
    nodes = [
        node("City", "city", name="示例市"),
        node("Township", "town", name="示例街道"),
        node("Community", "comm", name="示例社区"),
        node("Compound", "c1", name="示例甲小区", is_old=True, delivered_area_ratio=1.0),
        node("Compound", "c2", name="示例乙小区", is_old=True, delivered_area_ratio=1.0),
        node("Building", "b1", name="1号楼"),
        node("Building", "b2", name="2号楼"),
        node("Building", "b3", name="3号楼"),
        *(node("Unit", f"u{i}", name=f"{i}01") for i in range(1, 7)),
        *(node("Person", f"p{i}") for i in range(1, 11)),
        node("PartyCommittee", "pcom", name="示例社区党委", level="community"),
        node(
            "PartyBranch",
            "pb1",
            name="示例甲小区党支部",
            form="standalone",
            elected_on=d(2021, 1, 5),
            term_years=5,
        ),
        node("PartyGroup", "pg1", name="1号楼党小组"),
        node("OwnersCommittee", "oc1", name="示例甲小区业委会", elected_on=d(2021, 1, 10)),
        node("PropertyCompany", "co1", name="示例物业公司"),
        node("Evaluation", "ev2020", year=2020, grade="C"),
        node("Evaluation", "ev2021", year=2021, grade="C"),
        node("ServiceStation", "ss1", name="示例甲小区党群服务站", station_type="station"),
        *(
            node("Meeting", f"jm{m}", meeting_type="compound_joint_meeting", date=d(2021, m, 20))
            for m in (1, 2, 4, 5)
        ),
        node("Meeting", "as1", meeting_type="branch_assembly", date=d(2021, 3, 10)),
        *(
            node(
                "Appeal", a, channel="hotline", appeal_type=t, received=r, topic="停车管理", **more
            )
            for a, t, r, more in (
                ("a1", "complaint", d(2021, 5, 4), {}),
                ("a2", "enquiry", d(2021, 5, 24), {}),
                ("a3", "urgent", d(2021, 5, 6), {"replied": d(2021, 5, 6)}),
            )
        ),
    ]
    since = d(2021, 1, 5)
    links = [
        link("PART_OF", "town", "city"),
        link("PART_OF", "comm", "town"),
        link("PART_OF", "c1", "comm"),
        link("PART_OF", "c2", "comm"),
        link("PART_OF", "b1", "c1"),
        link("PART_OF", "b2", "c1"),
        link("PART_OF", "b3", "c2"),
        link("PART_OF", "u1", "b1"),
        link("PART_OF", "u2", "b1"),
        link("PART_OF", "u3", "b2"),
        *(link("PART_OF", f"u{i}", "b3") for i in (4, 5, 6)),
        *(link("OWNS", f"p{i}", f"u{i}") for i in range(1, 7)),
        *(link("RESIDES_IN", f"p{i}", f"u{i}") for i in range(1, 7)),
        link("RESIDES_IN", "p7", "u3"),
        link("RESIDES_IN", "p10", "u2"),
        # the branch: p1 secretary, p2 on its committee (two: too small, P4)
        link("PART_OF", "pcom", "comm"),
        link("PART_OF", "pb1", "pcom", since=since),
        link("COVERS", "pb1", "c1", since=since),
        link("PART_OF", "pg1", "pb1", since=since),
        link("COVERS", "pg1", "b1", since=since),
        link("MEMBER_OF", "p1", "pb1", status="full", category="in_service", since=since),
        link("MEMBER_OF", "p1", "pg1", status="full", category="in_service", since=since),
        link("MEMBER_OF", "p2", "pb1", status="full", category="retired", since=since),
        link("MEMBER_OF", "p2", "pg1", status="full", category="retired", since=since),
        # three full members live in c2, which no branch covers (P1)
        *(
            link("MEMBER_OF", f"p{i}", "pb1", status="full", category="retired", since=since)
            for i in (4, 5, 6)
        ),
        # an in-service member in building 2, which has no group (P6), not registered (P8)
        link("MEMBER_OF", "p7", "pb1", status="probationary", category="in_service", since=since),
        # a floating member held by the community committee only (P7)
        link("MEMBER_OF", "p8", "pcom", status="full", category="floating", since=since),
        # property staff, a Party member: the company has no Party organization (M2)
        link("MEMBER_OF", "p9", "pb1", status="full", category="in_service", since=since),
        link("EMPLOYED_BY", "p9", "co1", role="项目经理", since=d(2019, 1, 1)),
        # left the branch in February and joined no other (P7, from the history)
        link("MEMBER_OF", "p10", "pb1", status="full", since=since, until=d(2021, 2, 28)),
        link("REGISTERED_AT", "p1", "c1", since=d(2021, 2, 1)),
        link("HOLDS_POST", "p1", "pb1", role="secretary", since=since),
        link("HOLDS_POST", "p2", "pb1", role="committee_member", since=since),
        # the owners' committee: three seats (O2), never filed (O8); p3 works for the company
        # that manages the compound (O5)
        link("REPRESENTS", "oc1", "c1", since=d(2021, 1, 10)),
        link("HOLDS_POST", "p1", "oc1", role="chair", since=d(2021, 1, 10)),
        link("HOLDS_POST", "p2", "oc1", role="vice_chair", since=d(2021, 1, 10)),
        link("HOLDS_POST", "p3", "oc1", role="member", since=d(2021, 1, 10)),
        link("EMPLOYED_BY", "p3", "co1", role="客服专员", since=d(2020, 3, 1)),
        link("MANAGES", "co1", "c1", mode="existing_company", since=d(2020, 1, 1)),
        link("EVALUATES", "ev2020", "co1"),
        link("EVALUATES", "ev2021", "co1"),
        link("SERVES", "ss1", "c1", since=d(2021, 2, 1)),
        # joint meetings in every month but March (G1); one assembly, nothing else (G3)
        *(link("HELD_BY", f"jm{m}", "pb1") for m in (1, 2, 4, 5)),
        link("HELD_BY", "as1", "pb1"),
        # appeals: one overdue, one due soon, one replied; the same topic three times (G2)
        *(link("ABOUT", a, "c1") for a in ("a1", "a2", "a3")),
    ]
    return nodes, links


def tiny_city() -> nx.MultiDiGraph:
    """The tiny city's projection, with its whole history: 示例甲小区 (``c1``) has a branch
    (``pb1``, secretary ``p1``), a Party group, an owners' committee (``oc1``: ``p1`` chair,
    ``p2``, ``p3``), a property company (``co1``) and a station; 示例乙小区 (``c2``) none of
    these, and three full Party members.

    Examples
    --------
    >>> g = tiny_city()
    >>> sorted(v for _, v, k in g.out_edges("pb1", data="kind") if k == "COVERS")
    ['c1']
    """
    nodes, links = tiny_city_records()
    return graph_of(nodes, links)


def doctest_names() -> dict[str, Any]:
    """The names every docstring example of the analytics may use (the tests pass them to
    :func:`doctest.testmod`): the tiny city, its day, and the functions the examples call."""
    return {
        "AS_OF": AS_OF,
        "tiny_city": tiny_city,
        "at": at,
        "columns_of": columns_of,
        "run_rule": run_rule,
        "run_rules": run_rules,
    }
