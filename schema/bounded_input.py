"""The caps of :mod:`.limits` on the lists of a request's input, counted in one place.

A filter's size shows twice: in the variables as sent (raw JSON), and in the Strawberry inputs the
resolvers get. Coercing 8,000 OR branches into inputs costs seconds of CPU, so
:class:`BoundedVariables` counts the raw variables right after validation, before graphql-core
coerces them; :func:`~.filters.to_filter` and :func:`~.filters.to_sort` count the coerced input
again, which also covers literals in the document (bounded by the token limit, so cheap to
coerce). Both count with :class:`FilterBudget`, so both refuse alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLError,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    TypeNode,
)
from strawberry.extensions import SchemaExtension

from ..graph.errors import GovGraphError
from ..graph.ontology import NODE_KINDS
from .limits import (
    FILTER_TOO_DEEP,
    FILTER_TOO_LARGE,
    MAX_BRANCHES,
    MAX_CONDITIONS,
    MAX_FILTER_DEPTH,
    MAX_IN,
    MAX_SORT_KEYS,
    TOO_MANY_SORT_KEYS,
    TOO_MANY_VALUES,
    too_many,
)

_WHERE_TYPES = frozenset(f"{kind}Where" for kind in NODE_KINDS)
_ORDER_TYPES = frozenset(f"{kind}Order" for kind in NODE_KINDS)
#: the keys of a ``<Kind>Where`` that are not property conditions
_LOGIC_KEYS = frozenset({"has", "AND", "OR", "NOT"})


class FilterBudget:
    """The conditions of one ``where`` counted against the caps, level by level."""

    def __init__(self, kind: str = "") -> None:
        self.kind = kind
        self.conditions = 0

    def level(self, depth: int, has: int, and_: int, or_: int) -> None:
        """One ``where`` object at nesting ``depth`` (1 at the top) with these list lengths."""
        too_many(
            FILTER_TOO_DEEP,
            depth,
            MAX_FILTER_DEPTH,
            subject="where",
            field="AND/OR/NOT levels",
            zh="AND/OR/NOT 嵌套层级",
        )
        # the lengths first: a list of 8,000 branches is refused without reading one of them
        for field, count in (("has", has), ("AND", and_), ("OR", or_)):
            too_many(
                FILTER_TOO_LARGE,
                count,
                MAX_BRANCHES,
                subject="where",
                field=field,
                zh=f"{field} 条件",
            )
        self.add(has + and_ + or_)

    def add(self, conditions: int) -> None:
        self.conditions += conditions
        too_many(
            FILTER_TOO_LARGE,
            self.conditions,
            MAX_CONDITIONS,
            subject="where",
            field="conditions",
            zh="筛选条件",
        )

    def values(self, prop: str, count: int) -> None:
        """An ``in`` list of ``count`` values on property ``prop``."""
        subject = f"filter on {self.kind}.{prop}" if self.kind else f"filter on {prop}"
        too_many(TOO_MANY_VALUES, count, MAX_IN, subject=subject, field="in", zh="in 列表的值")


def sort_keys(count: int) -> None:
    """An ``orderBy`` of ``count`` keys."""
    too_many(TOO_MANY_SORT_KEYS, count, MAX_SORT_KEYS, subject="orderBy", field="keys", zh="排序键")


def _items(value: Any) -> list[Any]:
    """A raw list input (a single value stands for a list of one, as GraphQL coerces it)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def count_raw_where(value: Any, budget: FilterBudget, depth: int = 1) -> None:
    """Count a ``<Kind>Where`` as sent in the variables (JSON); what does not fit its type is
    left for graphql-core's coercion to report."""
    if not isinstance(value, dict):
        return
    has, and_, or_ = (_items(value.get(k)) for k in ("has", "AND", "OR"))
    budget.level(depth, len(has), len(and_), len(or_))
    for prop, cond in value.items():
        if prop in _LOGIC_KEYS or not isinstance(cond, dict):
            continue
        budget.add(sum(v is not None for v in cond.values()))
        if isinstance(cond.get("in"), list):
            budget.values(prop, len(cond["in"]))
    for branch in (*and_, *or_, value.get("NOT")):
        count_raw_where(branch, budget, depth + 1)


def _count_raw(value: Any, type_node: TypeNode) -> None:
    """Count the capped lists in a variable's raw value of the declared type."""
    if isinstance(type_node, NonNullTypeNode):
        _count_raw(value, type_node.type)
        return
    if isinstance(type_node, ListTypeNode):
        inner = type_node.type
        while isinstance(inner, NonNullTypeNode | ListTypeNode):
            inner = inner.type
        assert isinstance(inner, NamedTypeNode)
        items = _items(value)
        if inner.name.value in _ORDER_TYPES:
            sort_keys(len(items))
        elif inner.name.value in _WHERE_TYPES:  # a variable holding an AND or OR list
            too_many(
                FILTER_TOO_LARGE, len(items), MAX_BRANCHES, subject="where", field="list", zh="条件"
            )
            for item in items:
                count_raw_where(item, FilterBudget(), 2)
        return
    assert isinstance(type_node, NamedTypeNode)
    if type_node.name.value in _WHERE_TYPES:
        count_raw_where(value, FilterBudget(type_node.name.value.removesuffix("Where")))


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


class BoundedVariables(SchemaExtension):
    """After validation, refuse variables whose filters or sort keys are over the caps of
    :mod:`.limits`, before graphql-core coerces them (see the module doc)."""

    def on_validate(self) -> Iterator[None]:
        # before the yield, as Strawberry reads the errors before the hooks' ends run; after
        # DocumentValidationCache in the extensions, which sets the validation errors
        context = self.execution_context
        if not context.pre_execution_errors and context.variables:  # else their errors say more
            operation = _operation(context.graphql_document, context.operation_name)
            try:
                for definition in (operation.variable_definitions or ()) if operation else ():
                    name = definition.variable.name.value
                    if name in context.variables:
                        _count_raw(context.variables[name], definition.type)
            except GovGraphError as exc:
                error = GraphQLError(str(exc), extensions={"code": exc.code}, original_error=exc)
                context.pre_execution_errors = [error]
        yield
