"""Filters through links for property-based tests: a Hypothesis strategy that draws filter trees
with :class:`~govgraph.graph.query.Related` at any depth, and a reference that evaluates one over
plain lists of nodes and links, written apart from both stores (it shares no code with them).

The reference states the semantics the stores must share:

* a link counts when it is of the kind, in the direction, and valid on ``as_of`` (both bounds
  inclusive); its neighbour's kind only matters to ``node``;
* a link matches when its properties pass ``link`` and its neighbour is of one of ``node``'s kinds
  and passes that kind's filter; ``some`` is at least one match, ``none`` no match, ``single``
  exactly one matching link, ``all`` no counted link that fails (true without links);
* a missing property fails every comparison but ``ne`` and ``isNull: true``, also under ``NOT``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from hypothesis import strategies as st

from govgraph.graph.model import Link, Node, Value
from govgraph.graph.query import (
    And,
    Cmp,
    Direction,
    Filter,
    HasLink,
    Not,
    OfKind,
    Op,
    Or,
    Quantifier,
    Related,
    link_fields,
)

D = dt.date

#: property conditions that may be drawn, per node kind: (field, op, candidate values)
NODE_CONDITIONS: dict[str, list[tuple[str, Op, list[Any]]]] = {
    "Compound": [
        ("households", Op.LT, [120, 300, 1000]),
        ("households", Op.GTE, [0, 300]),
        ("is_old", Op.EQ, [True, False]),
        ("built_year", Op.IS_NULL, [True, False]),
        ("built_year", Op.EQ, [1998, 2005]),
        ("name", Op.CONTAINS, ["花园", "Garden"]),
    ],
    "PartyBranch": [
        ("form", Op.EQ, ["standalone", "joint"]),
        ("form", Op.NE, ["joint"]),
        ("elected_on", Op.LT, [D(2021, 1, 1), D(2023, 1, 1)]),
    ],
    "Person": [
        ("gender", Op.EQ, ["female", "male"]),
        ("birth_year", Op.LT, [1970, 1990]),
        ("birth_year", Op.IS_NULL, [True]),
    ],
    "Building": [("name", Op.EQ, ["1号楼", "2号楼"])],
    "Community": [("name", Op.STARTS_WITH, ["气象", "示例"])],
    "OwnersCommittee": [("elected_on", Op.GTE, [D(2021, 1, 1)])],
    "PropertyCompany": [("credit_code", Op.IS_NULL, [False])],
}
#: conditions on link properties, per link kind
LINK_CONDITIONS: dict[str, list[tuple[str, Op, list[Any]]]] = {
    "HOLDS_POST": [
        ("role", Op.EQ, ["secretary", "committee_member", "chair", "member"]),
        ("role", Op.IN, [("secretary", "deputy_secretary")]),
        ("role", Op.NE, ["secretary"]),
    ],
    "MEMBER_OF": [("status", Op.EQ, ["full", "probationary"]), ("category", Op.IS_NULL, [True])],
    "EMPLOYED_BY": [("role", Op.IS_NULL, [False])],
}
#: on every temporal link
TEMPORAL_CONDITIONS: list[tuple[str, Op, list[Any]]] = [
    ("since", Op.LT, [D(2021, 1, 1), D(2023, 1, 1)]),
    ("since", Op.IS_NULL, [True]),
    ("until", Op.IS_NULL, [False]),
    ("source", Op.EQ, ["测试台账", "test ledger"]),
]


@st.composite
def _condition(draw: st.DrawFn, choices: list[tuple[str, Op, list[Any]]]) -> Filter:
    field, op, values = draw(st.sampled_from(choices))
    return Cmp(field, op, draw(st.sampled_from(values)))


def _combined(inner: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return st.one_of(
        inner,
        inner.map(Not),
        st.lists(inner, min_size=1, max_size=2).map(lambda fs: And(tuple(fs))),
        st.lists(inner, min_size=1, max_size=2).map(lambda fs: Or(tuple(fs))),
    )


def link_conditions(kind: str) -> st.SearchStrategy[Filter] | None:
    from govgraph.graph.ontology import LINK_KINDS

    choices = list(LINK_CONDITIONS.get(kind, []))
    if LINK_KINDS[kind].temporal:
        choices += TEMPORAL_CONDITIONS
    return _combined(_condition(choices)) if choices else None


def filters(kind: str, kinds: Iterable[str], depth: int = 2) -> st.SearchStrategy[Filter]:
    """Filters on ``kind``: property conditions, ``has`` and link filters ``depth`` deep whose
    neighbours are among ``kinds`` (those the graph holds), under AND/OR/NOT."""
    kinds = frozenset(kinds)
    leaves: list[st.SearchStrategy[Filter]] = []
    if NODE_CONDITIONS.get(kind):
        leaves.append(_condition(NODE_CONDITIONS[kind]))
    fields = [f for f in link_fields(kind).values() if set(f.kinds) & kinds]
    if fields:
        leaves.append(
            st.sampled_from(fields).map(lambda f: HasLink(f.link_kind, f.direction, exists=False))
        )
    if depth > 0 and fields:
        leaves.append(_related(kind, kinds, depth))
    if not leaves:
        return st.just(And(()))
    return _combined(st.one_of(leaves))


@st.composite
def link_and_neighbours(
    draw: st.DrawFn, kind: str, kinds: frozenset[str], depth: int
) -> tuple[Any, Filter | None, tuple[OfKind, ...] | None]:
    """One of ``kind``'s link fields reaching ``kinds``, maybe a condition on the link, maybe
    conditions on the neighbours of some of its kinds (filters ``depth - 1`` deep)."""
    fields = [f for f in link_fields(kind).values() if set(f.kinds) & kinds]
    through = draw(st.sampled_from(fields))
    link = None
    conditions = link_conditions(through.link_kind)
    if conditions is not None and draw(st.booleans()):
        link = draw(conditions)
    node = None
    if draw(st.booleans()):
        present = [k for k in through.kinds if k in kinds]
        chosen = draw(st.lists(st.sampled_from(present), min_size=1, max_size=2, unique=True))
        node = tuple(
            OfKind(k, draw(st.none() | filters(k, kinds, depth - 1))) for k in sorted(chosen)
        )
    return through, link, node


@st.composite
def _related(draw: st.DrawFn, kind: str, kinds: frozenset[str], depth: int) -> Filter:
    through, link, node = draw(link_and_neighbours(kind, kinds, depth))
    return Related(
        through.link_kind, through.direction, draw(st.sampled_from(Quantifier)), link, node
    )


# --- the reference --------------------------------------------------------------------------------
def compare(value: Value | None, f: Cmp) -> bool:
    if f.op is Op.IS_NULL:
        return (value is None) is bool(f.value)
    if f.op is Op.NE:
        return value is None or value != f.value
    if value is None:
        return False
    target: Any = f.value
    if f.op is Op.EQ:
        return bool(value == target)
    if f.op is Op.IN:
        return value in target
    if f.op is Op.CONTAINS:
        return str(target) in str(value)
    if f.op is Op.STARTS_WITH:
        return str(value).startswith(str(target))
    v: Any = value
    return {Op.LT: v < target, Op.LTE: v <= target, Op.GT: v > target, Op.GTE: v >= target}[f.op]


class Reference:
    """The nodes of a graph that match a filter, from plain lists."""

    def __init__(self, nodes: Iterable[Node], links: Iterable[Link]) -> None:
        self.nodes: Mapping[str, Node] = {n.id: n for n in nodes}
        self.links = list(links)

    def matching(self, kind: str, f: Filter | None, as_of: dt.date | None = None) -> set[str]:
        return {
            n.id
            for n in self.nodes.values()
            if n.kind == kind and (f is None or self.holds(n, f, as_of))
        }

    def _ends(self, nid: str, kind: str, direction: Direction, as_of: dt.date | None) -> list:
        out: list[tuple[Link, str]] = []
        for lk in self.links:
            if lk.kind != kind or not lk.valid_on(as_of):
                continue
            if direction in (Direction.OUT, Direction.BOTH) and lk.source == nid:
                out.append((lk, lk.target))
            if direction in (Direction.IN, Direction.BOTH) and lk.target == nid:
                out.append((lk, lk.source))
        return out

    def holds(self, n: Node, f: Filter, as_of: dt.date | None) -> bool:
        if isinstance(f, And):
            return all(self.holds(n, i, as_of) for i in f.items)
        if isinstance(f, Or):
            return any(self.holds(n, i, as_of) for i in f.items)
        if isinstance(f, Not):
            return not self.holds(n, f.item, as_of)
        if isinstance(f, HasLink):
            found = any(
                f.neighbour_kind is None or self.nodes[other].kind == f.neighbour_kind
                for _, other in self._ends(n.id, f.kind, f.direction, as_of)
            )
            return found == f.exists
        if isinstance(f, Related):
            verdicts = [
                self._link_holds(lk, f.link) and self._neighbour_holds(other, f, as_of)
                for lk, other in self._ends(n.id, f.kind, f.direction, as_of)
            ]
            return {
                Quantifier.SOME: sum(verdicts) >= 1,
                Quantifier.NONE: sum(verdicts) == 0,
                Quantifier.SINGLE: sum(verdicts) == 1,
                Quantifier.ALL: all(verdicts),
            }[f.quantifier]
        assert isinstance(f, Cmp)
        return compare(n.id if f.field == "id" else n.props.get(f.field), f)

    def _link_holds(self, lk: Link, f: Filter | None) -> bool:
        if f is None:
            return True
        if isinstance(f, And):
            return all(self._link_holds(lk, i) for i in f.items)
        if isinstance(f, Or):
            return any(self._link_holds(lk, i) for i in f.items)
        if isinstance(f, Not):
            return not self._link_holds(lk, f.item)
        assert isinstance(f, Cmp)
        return compare(lk.props.get(f.field), f)

    def _neighbour_holds(self, nid: str, f: Related, as_of: dt.date | None) -> bool:
        if f.node is None:
            return True
        other = self.nodes[nid]
        return any(
            alt.kind == other.kind and (alt.where is None or self.holds(other, alt.where, as_of))
            for alt in f.node
        )
