"""Small, valid test graphs and helpers that turn store answers into plain, comparable data.

Only the places named in the source article (怀仁市, 气象街社区, 云北苑小区) are real; every
other name is synthetic and looks it (示例…, 测试…, Test …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx

from govgraph.graph.model import Link, Node, Value, link, node
from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS, link_props, node_props
from govgraph.graph.port import GraphStore
from govgraph.graph.query import Counts, SortKey

#: the ``run`` fixture: runs a coroutine on the session's event loop
Run = Callable[[Awaitable[Any]], Any]

D = dt.date

# --- ids of the city graph -----------------------------------------------------------------------
CITY = "city-huairen"
TOWN = "town-demo"
COMM = "comm-qixiangjie"
COMM2 = "comm-demo"
YBY = "cmp-yunbeiyuan"
CMP2 = "cmp-demo-garden"
CMP3 = "cmp-test-garden"
CMP4 = "cmp-demo-village"
BLD1 = "bld-yby-1"
BLD2 = "bld-yby-2"
P1 = "person-t1"
P2 = "person-t2"
P3 = "person-t3"
PB1 = "branch-yby"
PB2 = "branch-joint"
PB3 = "branch-third"
OC1 = "oc-yby"
PC1 = "pc-sunshine"

COMPOUNDS = (YBY, CMP2, CMP3, CMP4)
BRANCHES = (PB1, PB2, PB3)
PERSONS = (P1, P2, P3)


def city_nodes() -> list[Node]:
    """The nodes of a small city: one city, one township, two communities, four compounds..."""
    return [
        node("City", CITY, name="怀仁市"),
        node("Township", TOWN, name="示例街道"),
        node("Community", COMM, name="气象街社区"),
        node("Community", COMM2, name="示例社区"),
        node(
            "Compound",
            YBY,
            name="云北苑小区",
            is_old=True,
            built_year=1998,
            households=420,
            investment_yuan=1_850_000.0,
            delivered_area_ratio=1.0,
            source="China City News",
        ),
        node("Compound", CMP2, name="示例花园", is_old=False, built_year=2005, households=300),
        # built_year deliberately absent: the null case for filters and sorting
        node("Compound", CMP3, name="Test Garden", is_old=False, households=120),
        node("Compound", CMP4, name="示例新村", is_old=True, built_year=1998, households=80),
        node("Building", BLD1, name="1号楼"),
        node("Building", BLD2, name="2号楼"),
        node("Person", P1, name="测试甲", gender="female", birth_year=1970),
        node("Person", P2, name="测试乙", gender="male", birth_year=1965),
        node("Person", P3, name="Test Person 1", employer="Test Employer"),
        node(
            "PartyBranch",
            PB1,
            name="云北苑小区党支部",
            form="standalone",
            elected_on=D(2021, 3, 1),
            term_years=5,
        ),
        node("PartyBranch", PB2, name="示例联合党支部", form="joint", elected_on=D(2022, 6, 15)),
        # elected_on deliberately absent
        node("PartyBranch", PB3, name="示例第三党支部", form="combined"),
        node("OwnersCommittee", OC1, name="云北苑小区业主委员会", elected_on=D(2021, 5, 20)),
        node("PropertyCompany", PC1, name="Sunshine Property Services", credit_code="TEST0001"),
    ]


def city_links() -> list[Link]:
    """Links of the city graph, with since/until on the temporal ones.

    * COVERS: PB1 covers 云北苑 (open-ended), PB2 covers CMP2 (open) and CMP3 until 2023-12-31;
      CMP4 is never covered by a branch.
    * HOLDS_POST: P1 is secretary of PB1 and chair of OC1 (a cross-appointment); P2 was a
      committee member of PB1 until 2022-12-31 and deputy secretary from 2023 (second key).
    """
    return [
        link("PART_OF", TOWN, CITY),
        link("PART_OF", COMM, TOWN),
        link("PART_OF", COMM2, TOWN),
        link("PART_OF", YBY, COMM),
        link("PART_OF", CMP2, COMM),
        link("PART_OF", CMP3, COMM2),
        link("PART_OF", CMP4, COMM2),
        link("PART_OF", BLD1, YBY),
        link("PART_OF", BLD2, YBY),
        link("COVERS", PB1, YBY, since=D(2021, 3, 1)),
        link("COVERS", PB2, CMP2, since=D(2022, 6, 15)),
        link("COVERS", PB2, CMP3, since=D(2022, 6, 15), until=D(2023, 12, 31)),
        link("HOLDS_POST", P1, PB1, role="secretary", since=D(2021, 3, 1)),
        link("HOLDS_POST", P1, OC1, role="chair", since=D(2021, 5, 20), source="test ledger"),
        link(
            "HOLDS_POST",
            P2,
            PB1,
            role="committee_member",
            since=D(2021, 3, 1),
            until=D(2022, 12, 31),
        ),
        link("HOLDS_POST", P2, PB1, key="2023", role="deputy_secretary", since=D(2023, 1, 1)),
        link("HOLDS_POST", P3, OC1, role="member", since=D(2021, 5, 20)),
        link("EMPLOYED_BY", P3, PC1, role="manager"),
        link("REPRESENTS", OC1, YBY, since=D(2021, 5, 20)),
        link("MANAGES", PC1, YBY, mode="existing_company", since=D(2020, 1, 1)),
    ]


def city_graph() -> tuple[list[Node], list[Link]]:
    """A small valid city graph as (nodes, links)."""
    return city_nodes(), city_links()


def paging_compounds(n: int = 23) -> list[Node]:
    """``n`` compounds with repeated and missing ``built_year`` values (ties and nulls)."""
    years = (1990, 1998, None, 2005, 1998, 2010, None)
    out: list[Node] = []
    for i in range(n):
        year = years[i % len(years)]
        props: dict[str, Any] = {"name": f"示例小区{i:02d}", "households": 100 + (i % 4) * 50}
        if year is not None:
            props["built_year"] = year
        # ids deliberately not in index order, so id order differs from insertion order
        out.append(node("Compound", f"cmp-{(i * 7) % n:02d}-{i}", **props))
    return out


def expected_order(nodes: Sequence[Node], order_by: Sequence[SortKey]) -> list[str]:
    """The order the port promises: the sort keys, then ``id`` (ascending unless ``id`` is given
    as a key) as the final tiebreaker. Nodes lacking a sort property come after all nodes that
    have it, in both directions (see the report: the port does not say where nulls go)."""
    id_desc = next((k.descending for k in order_by if k.field == "id"), False)
    keys = [k for k in order_by if k.field != "id"] + [SortKey("id", id_desc)]
    rows = list(nodes)
    for key in reversed(keys):  # stable multi-pass sort, last key first

        def value(n: Node, field: str = key.field) -> Any:
            return n.id if field == "id" else n.props.get(field)

        present = sorted(
            (n for n in rows if value(n) is not None), key=value, reverse=key.descending
        )
        rows = present + [n for n in rows if value(n) is None]
    return [n.id for n in rows]


def many_nodes(n: int) -> list[Node]:
    """``n`` valid buildings (bulk filler for all-or-nothing tests)."""
    return [node("Building", f"bulk-{i:03d}", name=f"示例楼{i}") for i in range(n)]


# --- plain data ----------------------------------------------------------------------------------
NodeRow = tuple[str, str, tuple[tuple[str, Value], ...]]
LinkRow = tuple[str, str, str, str, str, tuple[tuple[str, Value], ...]]


def props_row(props: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(props.items()))


def node_row(n: Node) -> NodeRow:
    return (n.id, n.kind, props_row(n.props))


def link_row(lk: Link) -> LinkRow:
    return (lk.id, lk.kind, lk.source, lk.target, lk.key, props_row(lk.props))


def node_rows(nodes: Iterable[Node]) -> set[NodeRow]:
    return {node_row(n) for n in nodes}


def link_rows(links: Iterable[Link]) -> set[LinkRow]:
    return {link_row(lk) for lk in links}


def plain_counts(c: Counts) -> tuple[dict[str, int], dict[str, int]]:
    """Counts without zero entries (whether a store lists empty kinds is not part of the port)."""
    return ({k: v for k, v in c.nodes.items() if v}, {k: v for k, v in c.links.items() if v})


def expected_counts(
    nodes: Iterable[Node], links: Iterable[Link], as_of: dt.date | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    by_node: dict[str, int] = {}
    for n in nodes:
        by_node[n.kind] = by_node.get(n.kind, 0) + 1
    by_link: dict[str, int] = {}
    for lk in links:
        if lk.valid_on(as_of):
            by_link[lk.kind] = by_link.get(lk.kind, 0) + 1
    return by_node, by_link


def plain_projection(
    g: nx.MultiDiGraph,
) -> tuple[set[NodeRow], set[tuple[str, str, str, str, tuple[tuple[str, Any], ...]]]]:
    """A projection as (node rows, edge rows), keeping ``kind`` and the declared properties.

    Attributes that are not declared properties (if a store adds any) are ignored, so this
    compares what the port promises: nodes carry ``kind`` and their properties, edges are keyed
    by link id and carry ``kind`` and their properties.
    """
    nodes: set[NodeRow] = set()
    for nid, attrs in g.nodes(data=True):
        kind = attrs.get("kind")
        declared = {p.name for p in node_props(NODE_KINDS[kind])} if kind in NODE_KINDS else set()
        nodes.add((nid, kind, props_row({k: v for k, v in attrs.items() if k in declared})))
    edges: set[tuple[str, str, str, str, tuple[tuple[str, Any], ...]]] = set()
    for src, dst, key, attrs in g.edges(keys=True, data=True):
        kind = attrs.get("kind")
        declared = {p.name for p in link_props(LINK_KINDS[kind])} if kind in LINK_KINDS else set()
        edges.add(
            (key, kind, src, dst, props_row({k: v for k, v in attrs.items() if k in declared}))
        )
    return nodes, edges


def expected_projection(
    nodes: Iterable[Node], links: Iterable[Link]
) -> tuple[set[NodeRow], set[tuple[str, str, str, str, tuple[tuple[str, Any], ...]]]]:
    return (
        node_rows(nodes),
        {(lk.id, lk.kind, lk.source, lk.target, props_row(lk.props)) for lk in links},
    )


Snapshot = tuple[set[NodeRow], list[LinkRow], tuple[dict[str, int], dict[str, int]]]


def snapshot(store: GraphStore, run: Run) -> Snapshot:
    """Everything observable about a store's contents, as plain data.

    Nodes are listed for every kind ``counts`` reports, so a node ``counts`` misses would show
    as a difference in the counts themselves.
    """
    counts = plain_counts(run(store.counts()))
    nodes: list[Node] = []
    for kind in sorted(counts[0]):
        page = run(store.list_nodes(kind, first=10_000))
        assert not page.has_next
        nodes.extend(page.items)
    return (node_rows(nodes), [link_row(lk) for lk in run(store.list_links())], counts)


async def plan_operators(store: GraphStore, text: str, params: Mapping[str, Any]) -> list[str]:
    """The operators of the plan Neo4j makes for ``text`` (EXPLAIN: nothing runs), through the
    Neo4j adapter's driver."""
    driver = store._driver  # type: ignore[attr-defined]  # the Neo4j adapter's driver
    async with driver.session() as s:
        summary = await (await s.run("EXPLAIN " + text, dict(params))).consume()
    out: list[str] = []
    todo = [summary.plan]
    while todo:
        op = todo.pop()
        out.append(op["operatorType"].split("@")[0])
        todo.extend(op.get("children", []))
    return out
