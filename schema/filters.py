"""GraphQL filter and sort inputs, generated per node kind, and their translation to the
storage port's filter tree (:mod:`govgraph.graph.query`).

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import datetime as dt
import enum
from typing import Any, Optional

import strawberry
from strawberry import UNSET

from ..graph.errors import Problem, ValidationError
from ..graph.expand import EdgeSort, LinkMatch, other_kinds
from ..graph.ontology import LINK_KINDS, NODE_KINDS, LinkKind, NodeKind, PropType, node_props
from ..graph.ontology import link_props as all_link_props
from ..graph.query import (
    And,
    Cmp,
    Direction,
    Filter,
    HasLink,
    LinkCount,
    LinkField,
    Not,
    OfKind,
    Op,
    Or,
    Quantifier,
    Related,
    SortKey,
    link_fields,
)
from .bounded_input import FilterBudget, sort_keys
from .enums import (
    LinkDirection,
    LinkKindEnum,
    NodeKindEnum,
    link_order_name,
    make_enum,
    match_input_name,
    pascal,
)


@strawberry.input(description="Conditions on a text value; all given conditions must hold.")
class StringFilter:
    eq: str | None = UNSET
    ne: str | None = UNSET
    in_: list[str] | None = strawberry.field(default=UNSET, name="in")
    contains: str | None = UNSET
    starts_with: str | None = UNSET
    is_null: bool | None = UNSET


def _range_filter(name: str, value: type, description: str) -> type:
    """Conditions on an ordered value: the same fields for whole numbers, numbers and dates."""
    ann: dict[str, Any] = {op: Optional[value] for op in ("eq", "ne")}
    ann["in_"] = Optional[list[value]]  # type: ignore[valid-type]  # built at runtime
    ann.update({op: Optional[value] for op in ("lt", "lte", "gt", "gte")})
    ann["is_null"] = Optional[bool]
    ns: dict[str, Any] = {"__annotations__": ann, **dict.fromkeys(ann, UNSET)}
    ns["in_"] = strawberry.field(default=UNSET, name="in")
    return strawberry.input(type(name, (), ns), description=description)


IntFilter = _range_filter("IntFilter", int, "Conditions on a whole number.")
FloatFilter = _range_filter("FloatFilter", float, "Conditions on a number.")
DateFilter = _range_filter("DateFilter", dt.date, "Conditions on a date.")


@strawberry.input(description="Conditions on a true/false value.")
class BooleanFilter:
    eq: bool | None = UNSET
    is_null: bool | None = UNSET


@strawberry.input(
    description="The node has (exists: true) or lacks (exists: false) a link of this kind, "
    "optionally to a neighbour of a given kind; e.g. compounds with no Party branch: "
    "{kind: COVERS, direction: IN, exists: false, neighbourKind: PartyBranch}."
)
class LinkCondition:
    kind: LinkKindEnum  # generated
    direction: LinkDirection = LinkDirection.OUT
    exists: bool = True
    neighbour_kind: NodeKindEnum | None = None  # generated


@strawberry.input(
    name="LinkCount",
    description="How many links of this kind a node has (those valid on the list's asOf), "
    "optionally only those to a neighbour of a given kind; e.g. compounds by their buildings: "
    "{kind: PART_OF, direction: IN, neighbourKind: Building}.",
)
class LinkCountInput:
    kind: LinkKindEnum  # generated
    direction: LinkDirection = LinkDirection.OUT
    neighbour_kind: NodeKindEnum | None = None  # generated


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"


FILTER_INPUTS: dict[PropType, type] = {
    PropType.STR: StringFilter,
    PropType.INT: IntFilter,
    PropType.FLOAT: FloatFilter,
    PropType.DATE: DateFilter,
    PropType.BOOL: BooleanFilter,
}
_OPS = {
    "eq": Op.EQ,
    "ne": Op.NE,
    "in_": Op.IN,
    "contains": Op.CONTAINS,
    "starts_with": Op.STARTS_WITH,
    "lt": Op.LT,
    "lte": Op.LTE,
    "gt": Op.GT,
    "gte": Op.GTE,
    "is_null": Op.IS_NULL,
}

WHERE_INPUTS: dict[str, type] = {}
ORDER_INPUTS: dict[str, type] = {}
#: per link kind: the conditions on a link's own properties (``HoldsPostEdgeWhere``)
EDGE_WHERE_INPUTS: dict[str, type] = {}
#: per (node kind, link field): one link and its neighbour (``CompoundRepresentedByMatch``), what
#: a quantifier tests and what the link field's own ``where`` takes
MATCH_INPUTS: dict[tuple[str, str], type] = {}
#: per link field name: a sort key of its pages (``PostHoldersOrder``)
LINK_ORDER_INPUTS: dict[str, type] = {}
#: per link kind: the properties a page of its links may be sorted by
EDGE_SORT_FIELDS: dict[str, Any] = {}
#: the Python attribute of a link filter in a ``<Kind>Where`` (its GraphQL name is the field's)
_LINK_ATTR = "link_{}"
_QUANTIFIERS = {
    Quantifier.SOME: "at least one link matches",
    Quantifier.ALL: "every link matches (true when there is none: add some: {} to need one)",
    Quantifier.NONE: "no link matches",
    Quantifier.SINGLE: "exactly one link matches",
}


def _edge_where_input(lk: LinkKind) -> type:
    """Conditions on the properties of a link of one kind, with AND/OR/NOT."""
    name = f"{pascal(lk.name)}EdgeWhere"
    ann: dict[str, Any] = {}
    ns: dict[str, Any] = {"__annotations__": ann}
    for p in all_link_props(lk):
        ann[p.name] = Optional[FILTER_INPUTS[p.type]]
        ns[p.name] = UNSET
    for attr, gql, typ in (
        ("and_", "AND", Optional[list[name]]),  # type: ignore[valid-type]  # generated
        ("or_", "OR", Optional[list[name]]),  # type: ignore[valid-type]
        ("not_", "NOT", Optional[name]),
    ):
        ann[attr] = typ
        ns[attr] = strawberry.field(default=UNSET, name=gql)
    return strawberry.input(
        type(name, (), ns),
        description=f"Conditions on a {lk.name} link's own properties; all given ones must hold.",
    )


def _link_filter_inputs(kind: str, through: LinkField) -> type:
    """``<Kind><Field>Filter``: quantifiers over one link field's links, each a
    ``<Kind><Field>Match`` of the link (``edge``) and the node at its other end (``node``: the
    neighbour kind's ``where``, or one per kind when the link reaches several)."""
    base = f"{kind}{through.name[0].upper()}{through.name[1:]}"
    lk = LINK_KINDS[through.link_kind]
    edge_where = EDGE_WHERE_INPUTS[lk.name]
    if len(through.kinds) == 1:
        node_type: Any = Optional[f"{through.kinds[0]}Where"]
        node_desc = f"the {through.kinds[0]} at the other end"
    else:
        by_kind: dict[str, Any] = {"__annotations__": {}}
        for other in through.kinds:
            by_kind["__annotations__"][other] = Optional[f"{other}Where"]
            by_kind[other] = strawberry.field(default=UNSET, name=other)
        node_cls = strawberry.input(
            type(f"{base}Node", (), by_kind),
            description=f"The node at the other end of a {lk.name} link: of one of the kinds "
            "given, matching that kind's conditions ({} for any node of the kind).",
        )
        globals()[f"{base}Node"] = node_cls
        node_type = Optional[node_cls]
        node_desc = "the node at the other end: one of the kinds given, matching its conditions"
    match_ns: dict[str, Any] = {
        "__annotations__": {"edge": Optional[edge_where], "node": node_type},
        "edge": strawberry.field(default=UNSET, description=f"the {lk.name} link's properties"),
        "node": strawberry.field(default=UNSET, description=node_desc),
    }
    match = strawberry.input(
        type(match_input_name(kind, through.name), (), match_ns),
        description=f"One {lk.name} link of {kind}.{through.name}, valid on the list's asOf (or "
        "on the field's, as its where): its properties and the node at its other end; {} is any "
        "link.",
    )
    globals()[f"{base}Match"] = match
    MATCH_INPUTS[(kind, through.name)] = match
    quant_ns: dict[str, Any] = {"__annotations__": {}}
    for q, desc in _QUANTIFIERS.items():
        quant_ns["__annotations__"][q.value] = Optional[match]
        quant_ns[q.value] = strawberry.field(default=UNSET, description=desc)
    return strawberry.input(
        type(f"{base}Filter", (), quant_ns),
        description=f"Conditions on the {lk.name} links of {kind}.{through.name} (those valid on "
        "the list's asOf); all given quantifiers must hold.",
    )


def _where_input(spec: NodeKind) -> type:
    name = f"{spec.name}Where"
    ann: dict[str, Any] = {"id": Optional[StringFilter]}
    ns: dict[str, Any] = {"__annotations__": ann, "id": UNSET}
    for p in node_props(spec):
        ann[p.name] = Optional[FILTER_INPUTS[p.type]]
        ns[p.name] = UNSET
    for field_name, through in link_fields(spec.name).items():
        attr = _LINK_ATTR.format(field_name)
        ann[attr] = Optional[_link_filter_inputs(spec.name, through)]
        ns[attr] = strawberry.field(
            default=UNSET,
            name=field_name,
            description=f"{through.link_kind} links, as the field {field_name}: some, all, none "
            "or single of them match",
        )
    ann["has"] = Optional[list[LinkCondition]]
    ns["has"] = strawberry.field(default=UNSET, description="link conditions, all must hold")
    ann["and_"] = Optional[list[name]]  # type: ignore[valid-type]  # generated
    ns["and_"] = strawberry.field(default=UNSET, name="AND")
    ann["or_"] = Optional[list[name]]  # type: ignore[valid-type]  # generated
    ns["or_"] = strawberry.field(default=UNSET, name="OR")
    ann["not_"] = Optional[name]
    ns["not_"] = strawberry.field(default=UNSET, name="NOT")
    cls = type(name, (), ns)
    return strawberry.input(cls, description=f"Filters on {spec.name}; all given ones must hold.")


def _order_input(spec: NodeKind) -> type:
    fields = ["id", *(p.name for p in node_props(spec))]
    field_enum = make_enum(f"{spec.name}SortField", {f.upper(): f for f in fields})
    ns: dict[str, Any] = {
        "__annotations__": {
            "field": Optional[field_enum],
            "link_count": Optional[LinkCountInput],
            "direction": SortDirection,
        },
        "field": strawberry.field(default=None, description="a property, or ID"),
        "link_count": strawberry.field(default=None, description="a count of links"),
        "direction": SortDirection.ASC,
    }
    return strawberry.input(
        type(f"{spec.name}Order", (), ns),
        description="One sort key: a property (field) or a count of links (linkCount), not "
        "both. Missing values sort last; id breaks ties.",
    )


def to_filter(kind: str, where: Any) -> Filter | None:
    """A ``<Kind>Where`` input as the port's filter tree (None when empty); a tree over one of
    the caps of :mod:`.limits` is refused before anything of it is built."""
    return _FilterBuilder(kind).build(where, 1)


def _given(value: Any) -> bool:
    return value is not None and value is not UNSET


class _FilterBuilder:
    """One ``where`` translated, counted against the caps as it goes (schema/bounded_input.py);
    the ``where``s of its link filters, at any depth, count against the same budget."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.budget = FilterBudget(kind)

    def build(
        self, where: Any, depth: int, kind: str | None = None, links: int = 0
    ) -> Filter | None:
        if not _given(where):
            return None
        kind = self.kind if kind is None else kind
        has, and_, or_ = where.has or [], where.and_ or [], where.or_ or []
        self.budget.level(depth, len(has), len(and_), len(or_))
        fields = ["id", *(p.name for p in node_props(NODE_KINDS[kind]))]
        parts = self._comparisons(where, fields, kind)
        for field_name, through in link_fields(kind).items():
            cond = getattr(where, _LINK_ATTR.format(field_name), UNSET)
            if _given(cond):
                parts.extend(self._related(cond, through, depth, links + 1))
        for cond in has:
            parts.append(
                HasLink(
                    cond.kind.value,
                    Direction(cond.direction.value),
                    cond.exists,
                    cond.neighbour_kind.value if cond.neighbour_kind else None,
                )
            )
        parts.extend(
            f for f in (self.build(w, depth + 1, kind, links) for w in and_) if f is not None
        )
        if or_:
            alternatives = [self.build(w, depth + 1, kind, links) for w in or_]
            parts.append(Or(tuple(a if a is not None else And(()) for a in alternatives)))
        inner = self.build(where.not_, depth + 1, kind, links)
        if inner is not None:
            parts.append(Not(inner))
        return _conjunction(parts)

    def _comparisons(self, where: Any, fields: list[str], kind: str) -> list[Filter]:
        """The property conditions of a node's or a link's ``where``."""
        parts: list[Filter] = []
        for fname in fields:
            cond = getattr(where, fname, UNSET)
            if not _given(cond):
                continue
            for attr, op in _OPS.items():
                value = getattr(cond, attr, UNSET)
                if not _given(value):
                    continue
                self.budget.add(1)
                if op is Op.IN:
                    self.budget.values(fname, len(value), kind)
                parts.append(Cmp(fname, op, tuple(value) if op is Op.IN else value))
        return parts

    def _related(self, cond: Any, through: LinkField, depth: int, links: int) -> list[Filter]:
        """One ``<Kind><Field>Filter``: a :class:`Related` per quantifier given."""
        self.budget.link_level(links)
        out: list[Filter] = []
        for quantifier in Quantifier:
            match = getattr(cond, quantifier.value, UNSET)
            if not _given(match):
                continue
            self.budget.add(1)
            link, node = self.match(match, through, depth, links)
            out.append(Related(through.link_kind, through.direction, quantifier, link, node))
        return out

    def match(
        self, match: Any, through: LinkField, depth: int, links: int
    ) -> tuple[Filter | None, tuple[OfKind, ...] | None]:
        """One ``<Kind><Field>Match``: the filter on the link's properties and the neighbour's
        alternatives (None: any neighbour)."""
        link = self._edge(match.edge, through.link_kind, depth + 1)
        node: tuple[OfKind, ...] | None = None
        if _given(match.node):
            if len(through.kinds) == 1:
                (other,) = through.kinds
                node = (OfKind(other, self.build(match.node, depth + 1, other, links)),)
            else:
                given = [k for k in through.kinds if _given(getattr(match.node, k, UNSET))]
                node = (
                    tuple(
                        OfKind(k, self.build(getattr(match.node, k), depth + 1, k, links))
                        for k in given
                    )
                    or None
                )  # {} names no kind: any neighbour
        return link, node

    def _edge(self, where: Any, link_kind: str, depth: int) -> Filter | None:
        """A ``<Link>EdgeWhere``: conditions on the link's own properties."""
        if not _given(where):
            return None
        and_, or_ = where.and_ or [], where.or_ or []
        self.budget.level(depth, 0, len(and_), len(or_))
        fields = [p.name for p in all_link_props(LINK_KINDS[link_kind])]
        parts = self._comparisons(where, fields, "")
        parts.extend(
            f for f in (self._edge(w, link_kind, depth + 1) for w in and_) if f is not None
        )
        if or_:
            alternatives = [self._edge(w, link_kind, depth + 1) for w in or_]
            parts.append(Or(tuple(a if a is not None else And(()) for a in alternatives)))
        inner = self._edge(where.not_, link_kind, depth + 1)
        if inner is not None:
            parts.append(Not(inner))
        return _conjunction(parts)


def _conjunction(parts: list[Filter]) -> Filter | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def to_match(kind: str, field: str, where: Any) -> LinkMatch | None:
    """The ``where`` of the link field ``field`` of ``kind`` (a ``<Kind><Field>Match``) as a
    page's :class:`~govgraph.graph.expand.LinkMatch`, counted against the caps as a ``where``
    whose link filters start one level down (the field itself is the first)."""
    if not _given(where):
        return None
    link, node = _FilterBuilder(kind).match(where, link_fields(kind)[field], 1, 1)
    return LinkMatch(link, node)


def to_edge_sort(order_by: list[Any] | None) -> tuple[EdgeSort, ...]:
    """``<Field>Order`` inputs as a page's sort keys (each names the node's or the link's
    property)."""
    sort_keys(len(order_by or ()))
    keys: list[EdgeSort] = []
    for o in order_by or []:
        descending = o.direction is SortDirection.DESC
        node, edge = getattr(o, "node", None), getattr(o, "edge", None)
        if (node is None) == (edge is None):
            given = "both" if node is not None else "neither"
            raise ValidationError(
                Problem("orderBy", "node", given, "exactly one of node and edge per key")
            )
        chosen: Any = node if node is not None else edge
        keys.append(EdgeSort(chosen.value, node is None, descending))
    return tuple(keys)


def _link_order_input(through: LinkField, others: tuple[str, ...]) -> type:
    """``<Field>Order``: a property of the node at the other end (of any kind the field reaches
    from any kind that has it) or of the link."""
    lk = LINK_KINDS[through.link_kind]
    props = dict.fromkeys(["id", *(p.name for k in others for p in node_props(NODE_KINDS[k]))])
    base = link_order_name(through.name).removesuffix("Order")
    node_enum = make_enum(f"{base}SortField", {f.upper(): f for f in props})
    edge_enum = EDGE_SORT_FIELDS.get(lk.name)
    if edge_enum is None:
        names = [p.name for p in all_link_props(lk)]
        edge_enum = EDGE_SORT_FIELDS[lk.name] = make_enum(
            f"{pascal(lk.name)}EdgeSortField", {f.upper(): f for f in names}
        )
    ns: dict[str, Any] = {
        "__annotations__": {
            "node": Optional[node_enum],
            "edge": Optional[edge_enum],
            "direction": SortDirection,
        },
        "node": strawberry.field(
            default=None,
            description="a property of the node at the other end, or ID (a node of a kind "
            "without it sorts as missing)",
        ),
        "edge": strawberry.field(default=None, description=f"a property of the {lk.name} link"),
        "direction": SortDirection.ASC,
    }
    return strawberry.input(
        type(link_order_name(through.name), (), ns),
        description=f"One sort key of a {through.name} page: a property of the node (node) or "
        "of the link (edge), not both. Missing values sort last; the link id breaks ties.",
    )


def to_sort(order_by: list[Any] | None) -> list[SortKey]:
    """``<Kind>Order`` inputs as the port's sort keys (each names a field or a link count)."""
    sort_keys(len(order_by or ()))
    keys: list[SortKey] = []
    for o in order_by or []:
        descending = o.direction is SortDirection.DESC
        if (o.field is None) == (o.link_count is None):
            given = "both" if o.field is not None else "neither"
            raise ValidationError(
                Problem("orderBy", "field", given, "exactly one of field and linkCount per key")
            )
        if o.field is not None:
            keys.append(SortKey(o.field.value, descending))
            continue
        c = o.link_count
        count = LinkCount(
            c.kind.value,
            Direction(c.direction.value),
            c.neighbour_kind.value if c.neighbour_kind else None,
        )
        keys.append(SortKey(count, descending))
    return keys


for _lk in LINK_KINDS.values():
    EDGE_WHERE_INPUTS[_lk.name] = _edge_where_input(_lk)
    globals()[f"{pascal(_lk.name)}EdgeWhere"] = EDGE_WHERE_INPUTS[_lk.name]
for _spec in NODE_KINDS.values():
    WHERE_INPUTS[_spec.name] = _where_input(_spec)
    # the inputs refer to themselves by name (AND/OR/NOT): make the name resolvable here
    globals()[f"{_spec.name}Where"] = WHERE_INPUTS[_spec.name]
    ORDER_INPUTS[_spec.name] = _order_input(_spec)
for _spec in NODE_KINDS.values():
    for _name, _through in link_fields(_spec.name).items():
        if _name not in LINK_ORDER_INPUTS:
            LINK_ORDER_INPUTS[_name] = _link_order_input(
                _through, other_kinds(_through.link_kind, _through.direction)
            )
