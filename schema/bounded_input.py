"""The caps of :mod:`.limits` on the lists of a request's input, counted in one place.

A filter's size shows twice: in the request as sent (the variables' raw JSON, the document's
literals), and in the Strawberry inputs the resolvers get. Coercing 8,000 OR branches into inputs
costs seconds of CPU, so :class:`BoundedVariables` counts the request right after validation, before
graphql-core coerces anything: every ``where`` and ``orderBy`` argument of every field, with the
variables in place, against the caps per input and against the budgets of the whole request
(aliases and fragments counted as often as they run). :func:`~.filters.to_filter` and
:func:`~.filters.to_sort` count the coerced input again. Both count with :class:`FilterBudget`,
so both refuse alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    ValueNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from ..graph.errors import GovGraphError
from ..graph.ontology import NODE_KINDS
from ..graph.query import LinkField, Quantifier, link_fields
from .documents import PerDocument, variables_key
from .enums import link_order_name, match_input_name
from .internals import graphql_schema
from .limits import (
    FILTER_TOO_DEEP,
    FILTER_TOO_LARGE,
    MAX_BRANCHES,
    MAX_CONDITIONS,
    MAX_FILTER_DEPTH,
    MAX_IN,
    MAX_LINK_DEPTH,
    MAX_REQUEST_CONDITIONS,
    MAX_REQUEST_SORT_KEYS,
    MAX_REQUEST_VALUES,
    MAX_SORT_KEYS,
    REQUEST_TOO_LARGE,
    TOO_MANY_SORT_KEYS,
    TOO_MANY_VALUES,
    too_many,
)

_WHERE_TYPES = frozenset(f"{kind}Where" for kind in NODE_KINDS)
#: a link field's ``where`` (``<Kind><Field>Match``) by its type's name, and its ``orderBy``
_MATCH_TYPES: dict[str, tuple[str, LinkField]] = {
    match_input_name(kind, name): (kind, through)
    for kind in NODE_KINDS
    for name, through in link_fields(kind).items()
}
_ORDER_TYPES = frozenset(f"{kind}Order" for kind in NODE_KINDS) | frozenset(
    link_order_name(name) for kind in NODE_KINDS for name in link_fields(kind)
)
#: the keys of a ``<Kind>Where`` that are not property conditions
_LOGIC_KEYS = frozenset({"has", "AND", "OR", "NOT"})


class FilterBudget:
    """The conditions of one ``where`` counted against the caps, level by level."""

    def __init__(self, kind: str = "") -> None:
        self.kind = kind
        self.conditions = 0
        #: values over its ``in`` lists
        self.values_in = 0

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

    def link_level(self, links: int) -> None:
        """A link filter nested ``links`` deep (1: a link of the listed node)."""
        too_many(
            FILTER_TOO_DEEP,
            links,
            MAX_LINK_DEPTH,
            subject="where",
            field="link filter levels",
            zh="关系筛选嵌套层级",
        )

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

    def values(self, prop: str, count: int, kind: str | None = None) -> None:
        """An ``in`` list of ``count`` values on property ``prop`` (of ``kind``, a nested
        filter's, or of the budget's kind)."""
        kind = self.kind if kind is None else kind
        subject = f"filter on {kind}.{prop}" if kind else f"filter on {prop}"
        too_many(TOO_MANY_VALUES, count, MAX_IN, subject=subject, field="in", zh="in 列表的值")
        self.values_in += count


def sort_keys(count: int) -> None:
    """An ``orderBy`` of ``count`` keys."""
    too_many(TOO_MANY_SORT_KEYS, count, MAX_SORT_KEYS, subject="orderBy", field="keys", zh="排序键")


def _items(value: Any) -> list[Any]:
    """A raw list input (a single value stands for a list of one, as GraphQL coerces it)."""
    if value is None or value is Undefined:
        return []
    return value if isinstance(value, list) else [value]


def count_raw_where(
    value: Any, budget: FilterBudget, depth: int = 1, kind: str | None = None, links: int = 0
) -> None:
    """Count a ``<Kind>Where`` as sent (the variables' JSON, with the document's literals); what
    does not fit its type is left for graphql-core's coercion to report, and a variable not sent
    (:data:`~graphql.Undefined`) counts nothing. ``kind`` is the node kind (the budget's unless
    given; ``""`` for a link's ``edge`` conditions), ``links`` how many link filters enclose it."""
    if not isinstance(value, dict):
        return
    kind = budget.kind if kind is None else kind
    fields = link_fields(kind) if kind in NODE_KINDS else {}
    has, and_, or_ = (_items(value.get(k)) for k in ("has", "AND", "OR"))
    budget.level(depth, len(has), len(and_), len(or_))
    for prop, cond in value.items():
        if prop in _LOGIC_KEYS or not isinstance(cond, dict):
            continue
        through = fields.get(prop)
        if through is not None:
            _count_raw_link(cond, through, budget, depth, links + 1)
            continue
        budget.add(sum(v is not None and v is not Undefined for v in cond.values()))
        if isinstance(cond.get("in"), list):
            budget.values(prop, len(cond["in"]), kind)
    for branch in (*and_, *or_, value.get("NOT")):
        count_raw_where(branch, budget, depth + 1, kind, links)


def _count_raw_link(
    value: dict[str, Any], through: LinkField, budget: FilterBudget, depth: int, links: int
) -> None:
    """A link filter as sent: each quantifier is a condition, and its ``edge`` and ``node`` are
    ``where``s one level deeper (``node`` by kind when the link reaches several)."""
    budget.link_level(links)
    for quantifier in Quantifier:
        match = value.get(quantifier.value)
        if not isinstance(match, dict):
            continue
        budget.add(1)
        count_raw_match(match, through, budget, depth, links)


def count_raw_match(
    match: Any, through: LinkField, budget: FilterBudget, depth: int = 1, links: int = 1
) -> None:
    """A ``<Kind><Field>Match`` as sent (a quantifier's, or a link field's ``where``): its
    ``edge`` and ``node`` are ``where``s one level deeper (``node`` by kind when the link
    reaches several)."""
    if not isinstance(match, dict):
        return
    count_raw_where(match.get("edge"), budget, depth + 1, "", links)
    node = match.get("node")
    if len(through.kinds) == 1:
        count_raw_where(node, budget, depth + 1, through.kinds[0], links)
    elif isinstance(node, dict):
        for kind in through.kinds:
            count_raw_where(node.get(kind), budget, depth + 1, kind, links)


@dataclass
class RequestBudget:
    """What every field's input of one request asks for, against the budgets of the whole
    request (:data:`~.limits.MAX_REQUEST_CONDITIONS` and the rest)."""

    conditions: int = 0
    values_in: int = 0
    sort_keys: int = 0

    def add(self, use: Use, value: Any) -> None:
        """One argument's raw ``value``, run ``use.times`` times, its own caps checked."""
        if use.type_name in _ORDER_TYPES:
            keys = len(_items(value))
            sort_keys(keys)
            self.sort_keys += keys * use.times
            return
        link_field = _MATCH_TYPES.get(use.type_name)
        if link_field is not None:
            budget = FilterBudget(link_field[0])
            count_raw_match(value, link_field[1], budget)
        else:
            budget = FilterBudget(use.type_name.removesuffix("Where"))
            count_raw_where(value, budget)
        self.conditions += budget.conditions * use.times
        self.values_in += budget.values_in * use.times

    def check(self) -> None:
        """Refuse the request when its totals are over a budget (each input is within its caps:
        :meth:`add` refused it otherwise, so the totals are cheap to count to the end)."""
        _over(self.conditions, MAX_REQUEST_CONDITIONS, "conditions", "where", "筛选条件")
        _over(self.values_in, MAX_REQUEST_VALUES, "in values", "in list", "in 列表的值")
        _over(self.sort_keys, MAX_REQUEST_SORT_KEYS, "sort keys", "orderBy", "排序键")


def _over(count: int, cap: int, what: str, where: str, zh: str) -> None:
    too_many(
        REQUEST_TOO_LARGE,
        count,
        cap,
        subject="request",
        field=what,
        zh=f"整个请求（各字段、别名合计）的{zh}",
        hint=f" over every {where} of one request (aliases and fragments counted as often as "
        "they run): split it into smaller requests",
    )


@dataclass(frozen=True, slots=True)
class Use:
    """A ``where`` or ``orderBy`` argument of the document (``value``, of input type
    ``type_name``) and how many times the operation runs it."""

    value: ValueNode
    type_name: str
    times: int


class _Uses:
    """The :class:`Use` list of an operation, from one walk of its selections with every
    fragment's uses collected once (a spread multiplies them, it does not walk them again)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.of_fragment: dict[str, dict[int, Use]] = {}

    def selections(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> dict[int, Use]:
        found: dict[int, Use] = {}
        for sel in node.selections if node is not None else ():
            if isinstance(sel, FieldNode):
                part = self.field(sel, parent)
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                target = self.schema.get_type(cond.name.value) if cond is not None else parent
                part = self.selections(sel.selection_set, target)
            elif isinstance(sel, FragmentSpreadNode):
                part = self.fragment(sel.name.value)
            else:  # pragma: no cover  # no other kind of selection
                continue
            _merge(found, part)
        return found

    def fragment(self, name: str) -> dict[int, Use]:
        known = self.of_fragment.get(name)
        if known is None:
            self.of_fragment[name] = {}  # a cycle back to it adds nothing (validation refuses)
            frag = self.fragments.get(name)
            target = self.schema.get_type(frag.type_condition.name.value) if frag else None
            known = self.selections(frag.selection_set, target) if frag else {}
            self.of_fragment[name] = known
        return known

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> dict[int, Use]:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return {}
        definition = parent.fields.get(node.name.value)
        if definition is None:  # __typename and the like
            return {}
        found: dict[int, Use] = {}
        for arg in node.arguments or ():
            declared = definition.args.get(arg.name.value)
            if declared is None:
                continue
            name = get_named_type(declared.type).name
            if name in _WHERE_TYPES or name in _ORDER_TYPES or name in _MATCH_TYPES:
                found[id(arg.value)] = Use(arg.value, name, 1)
        _merge(found, self.selections(node.selection_set, get_named_type(definition.type)))
        return found


def _merge(into: dict[int, Use], uses: dict[int, Use]) -> None:
    for key, use in uses.items():
        had = into.get(key)
        into[key] = use if had is None else Use(use.value, use.type_name, had.times + use.times)


def uses_of(schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode) -> list[Use]:
    """Every ``where`` and ``orderBy`` argument ``operation`` runs, with how often."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    return list(_Uses(schema, fragments).selections(operation.selection_set, root).values())


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def _variables(operation: OperationDefinitionNode, sent: dict[str, Any] | None) -> dict[str, Any]:
    """The variables as sent, and the operation's defaults for those not sent."""
    values = dict(sent or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


#: per operation: the schema its uses were read against, and the uses
#: per operation: its schema, the inputs it counts, and the variables found within budget
_USES: PerDocument[tuple[GraphQLSchema, list[Use], set[tuple[Any, ...]]]] = PerDocument()

#: variants of one query text's variables kept as within budget
WITHIN_KEPT = 64


class BoundedVariables(SchemaExtension):
    """After validation, refuse a request whose filters or sort keys are over the caps of
    :mod:`.limits`, per input or over the whole request, before graphql-core coerces them and
    before any resolver runs (see the module doc)."""

    def on_validate(self) -> Iterator[None]:
        # before the yield, as Strawberry reads the errors before the hooks' ends run; after
        # DocumentValidationCache in the extensions, which sets the validation errors
        context = self.execution_context
        if not context.pre_execution_errors:  # else their errors say more
            schema = graphql_schema(context.schema)
            error = variables_refusal(
                schema, context.graphql_document, context.operation_name, context.variables
            )
            if error is not None:
                context.pre_execution_errors = [error]
        yield


def variables_refusal(
    schema: GraphQLSchema, document: Any, operation_name: str | None, sent: dict[str, Any] | None
) -> GraphQLError | None:
    """The error refusing a valid document's operation with these variables, if over a cap."""
    operation = _operation(document, operation_name)
    if operation is None:
        return None
    kept = _USES.get(operation)
    if kept is None or kept[0] is not schema:
        kept = _USES.put(operation, (schema, uses_of(schema, document, operation), set()))
    # variables counted within the budgets once are not counted again for this query text (~4%
    # of a three_hop request's CPU); lists and objects among them: every time
    key = variables_key(sent)
    if key is not None and key in kept[2]:
        return None
    try:
        _count(kept[1], operation, sent)
    except GovGraphError as exc:
        return GraphQLError(str(exc), extensions={"code": exc.code}, original_error=exc)
    if key is not None and len(kept[2]) < WITHIN_KEPT:
        kept[2].add(key)
    return None


def _count(uses: list[Use], operation: OperationDefinitionNode, sent: Any) -> None:
    if not uses:
        return
    variables = _variables(operation, sent)
    budget = RequestBudget()
    for use in uses:
        budget.add(use, value_from_ast_untyped(use.value, variables))
    budget.check()
