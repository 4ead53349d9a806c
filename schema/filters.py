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
from ..graph.ontology import NODE_KINDS, NodeKind, PropType, node_props
from ..graph.query import And, Cmp, Direction, Filter, HasLink, LinkCount, Not, Op, Or, SortKey
from .bounded_input import FilterBudget, sort_keys
from .types import LinkDirection, LinkKindEnum, NodeKindEnum, make_enum


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


def _where_input(spec: NodeKind) -> type:
    name = f"{spec.name}Where"
    ann: dict[str, Any] = {"id": Optional[StringFilter]}
    ns: dict[str, Any] = {"__annotations__": ann, "id": UNSET}
    for p in node_props(spec):
        ann[p.name] = Optional[FILTER_INPUTS[p.type]]
        ns[p.name] = UNSET
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


class _FilterBuilder:
    """One ``where`` translated, counted against the caps as it goes (schema/bounded_input.py)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.fields = ["id", *(p.name for p in node_props(NODE_KINDS[kind]))]
        self.budget = FilterBudget(kind)

    def build(self, where: Any, depth: int) -> Filter | None:
        if where is None or where is UNSET:
            return None
        has, and_, or_ = where.has or [], where.and_ or [], where.or_ or []
        self.budget.level(depth, len(has), len(and_), len(or_))
        parts: list[Filter] = []
        for fname in self.fields:
            cond = getattr(where, fname, UNSET)
            if cond is None or cond is UNSET:
                continue
            for attr, op in _OPS.items():
                value = getattr(cond, attr, UNSET)
                if value is UNSET or value is None:
                    continue
                self.budget.add(1)
                if op is Op.IN:
                    self.budget.values(fname, len(value))
                parts.append(Cmp(fname, op, tuple(value) if op is Op.IN else value))
        for cond in has:
            parts.append(
                HasLink(
                    cond.kind.value,
                    Direction(cond.direction.value),
                    cond.exists,
                    cond.neighbour_kind.value if cond.neighbour_kind else None,
                )
            )
        parts.extend(f for f in (self.build(w, depth + 1) for w in and_) if f is not None)
        if or_:
            alternatives = [self.build(w, depth + 1) for w in or_]
            parts.append(Or(tuple(a if a is not None else And(()) for a in alternatives)))
        inner = self.build(where.not_, depth + 1)
        if inner is not None:
            parts.append(Not(inner))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))


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


for _spec in NODE_KINDS.values():
    WHERE_INPUTS[_spec.name] = _where_input(_spec)
    # the inputs refer to themselves by name (AND/OR/NOT): make the name resolvable here
    globals()[f"{_spec.name}Where"] = WHERE_INPUTS[_spec.name]
    ORDER_INPUTS[_spec.name] = _order_input(_spec)
