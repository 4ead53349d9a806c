"""Guards that reject an abusive query before any resolver touches the store.

Depth, token and alias limits come from Strawberry's extensions; the cost estimate is ours: every
field costs 1, and a field with a ``first`` argument multiplies the cost of what it selects by
its page size (a variable counts as the largest page allowed, the worst case); a link field's
``where`` and ``orderBy`` add one per value they hold, for every node the field is asked from (a
variable counts as the cap of its input: 200 conditions, 20 sort keys). A field whose work
does not show in what it returns (an analysis reads the whole projection) declares a fixed cost
on top: ``strawberry.field(..., metadata={COST: n})``.

A fragment spread stands for the fragment's fields where it is spread, so a few hundred tokens of
fragments spreading the next one twice stand for millions of fields. Strawberry's depth and alias
rules walk every spread anew, on the event loop, their work doubling with each such fragment; so
they run only on a document of at most :data:`MAX_EXPANDED_FIELDS` fields once expanded, counted
with each fragment's size computed once, and the cost rule refuses a larger one
(``QUERY_TOO_LARGE``).
"""

from __future__ import annotations

from typing import Any, cast

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from ..graph.errors import Problem, ValidationError
from ..graph.ontology import NODE_KINDS
from ..graph.query import link_fields
from .enums import link_order_name, match_input_name

#: the metadata key under which a Strawberry field declares its fixed cost
COST = "cost"

#: ``extensions.code`` of each limit's refusal
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"

#: fields of a document with every fragment spread expanded where it stands; the token limit
#: bounds a document without fragments to fewer (GraphiQL's introspection query expands to ~200)
MAX_EXPANDED_FIELDS = 5_000

# -- caps on the lists of a request's input, literal or from variables --
# The token limit bounds literals only: a variable can carry thousands of OR branches or sort
# keys in a 2 MiB body, and each multiplies the store's work on every node of a kind. They are
# checked as the input is translated (schema/filters.py, the id lists), before any store call.
#: AND/OR/NOT levels in one ``where`` (a link filter's ``node`` or ``edge`` is a level too)
MAX_FILTER_DEPTH = 10
#: link filters inside one another in one ``where`` (``representedBy: {some: {node:
#: {postHolders: ...}}}`` is two): each level multiplies the store's work by a fan-out
MAX_LINK_DEPTH = 4
#: items of one AND or OR list, and link conditions of one ``has``
MAX_BRANCHES = 50
#: conditions in a whole ``where`` (property conditions, link conditions and branches)
MAX_CONDITIONS = 200
#: values in one ``in`` list: a longer list is a bulk job for an export, not a query
MAX_IN = 500
#: keys of one ``orderBy``
MAX_SORT_KEYS = 20
#: ids of one ``deleteNodes`` or ``unlink`` (``nodes(ids)`` takes at most a page)
MAX_IDS = 1_000

# -- budgets of a whole request: the caps above hold per input, and 15 aliases each at the caps
# would multiply the store's work by 15; these sum every field's input, aliases and fragments
# counted as often as they run (schema/bounded_input.py). Twice one input at its cap: the
# console's heaviest request has 16 conditions and 1 sort key.
#: conditions over every ``where`` of one request
MAX_REQUEST_CONDITIONS = 2 * MAX_CONDITIONS
#: values over every ``in`` list of one request
MAX_REQUEST_VALUES = 2 * MAX_IN
#: keys over every ``orderBy`` of one request
MAX_REQUEST_SORT_KEYS = 2 * MAX_SORT_KEYS

FILTER_TOO_DEEP = "FILTER_TOO_DEEP"
FILTER_TOO_LARGE = "FILTER_TOO_LARGE"
TOO_MANY_VALUES = "TOO_MANY_VALUES"
TOO_MANY_SORT_KEYS = "TOO_MANY_SORT_KEYS"
TOO_MANY_IDS = "TOO_MANY_IDS"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"


class InputTooLargeError(ValidationError):
    """A list of the input over its cap: refused before the store is asked anything. The
    message says what and how much in English, then in Chinese."""

    def __init__(self, code: str, problem: Problem, zh: str) -> None:
        super().__init__(problem)
        self.code = code  # type: ignore[misc]  # one class, a code per cap
        self.args = (f"{problem} ({zh})",)


def too_many(
    code: str, count: int, cap: int, *, subject: str, field: str, zh: str, hint: str = ""
) -> None:
    """Raise :class:`InputTooLargeError` when ``count`` passes ``cap``; ``zh`` names the list
    in Chinese (例如 "排序键"), ``hint`` says what to do instead."""
    if count > cap:
        raise InputTooLargeError(
            code,
            Problem(subject, field, count, f"at most {cap}{hint}"),
            f"{zh}共 {count} 个，上限为 {cap} 个",
        )


class _CodingContext:
    """A validation context that puts ``code`` in ``extensions`` of every error reported
    through it (Strawberry's limit rules report to their context, not through the rule)."""

    def __init__(self, context: ValidationContext, code: str) -> None:
        self._context = context
        self._code = code

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": self._code}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def coded(rule: type[ASTValidationRule], code: str) -> type[ASTValidationRule]:
    """``rule``, with ``code`` as ``extensions.code`` of every error it reports."""

    class Coded(rule):  # type: ignore[misc, valid-type]  # a rule class given at runtime
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(cast(ValidationContext, _CodingContext(context, code)))

    Coded.__name__ = Coded.__qualname__ = rule.__name__
    return Coded


def alias_limit_rules(max_aliases: int) -> list[type[ASTValidationRule]]:
    """Strawberry's alias limit, its refusals coded :data:`TOO_MANY_ALIASES` (on a document
    that is not too large once expanded)."""
    rules = MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules
    return [_when_small(coded(rule, TOO_MANY_ALIASES)) for rule in rules]


def declared_cost(field: GraphQLField) -> int:
    """The fixed cost a field declares (0 when it declares none)."""
    definition = (field.extensions or {}).get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    return int(metadata.get(COST, 0))


def expanded_fields(document: DocumentNode) -> int:
    """The fields of ``document``'s operations with every fragment spread expanded where it
    stands, each fragment's count computed once (a spread of an unknown fragment, or one in a
    cycle, counts nothing: graphql-core's own rules refuse those)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    sizes: dict[str, int] = {}

    def size(selections: SelectionSetNode | None) -> int:
        total = 0
        for sel in selections.selections if selections is not None else ():
            if isinstance(sel, FieldNode):
                total += 1 + size(sel.selection_set)
            elif isinstance(sel, InlineFragmentNode):
                total += size(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name not in sizes:
                    sizes[name] = 0  # while it is counted: a cycle back to it counts nothing
                    frag = fragments.get(name)
                    sizes[name] = size(frag.selection_set) if frag is not None else 0
                total += sizes[name]
        return total

    operations = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return sum(size(op.selection_set) for op in operations)


def _when_small(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """``rule``, run only on a document of at most :data:`MAX_EXPANDED_FIELDS` expanded fields
    (the cost rule refuses the others): Strawberry's limit rules walk every spread anew."""

    class WhenSmall(rule):  # type: ignore[misc, valid-type]  # a rule class given at runtime
        def __init__(self, context: ValidationContext) -> None:
            if expanded_fields(context.document) > MAX_EXPANDED_FIELDS:
                ValidationRule.__init__(self, context)
                return
            super().__init__(context)

    WhenSmall.__name__ = WhenSmall.__qualname__ = rule.__name__
    return WhenSmall


def cost_limit_rule(max_cost: int, max_page: int) -> type[ValidationRule]:
    """A validation rule class that rejects operations estimated above ``max_cost``, and
    documents of over :data:`MAX_EXPANDED_FIELDS` fields once their fragments are expanded."""

    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._fragments: dict[str, int] = {}  # a fragment's cost, computed once
            self.too_large = False

        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            fields = expanded_fields(node)
            if fields > MAX_EXPANDED_FIELDS:
                self.too_large = True
                self.report_error(
                    GraphQLError(
                        f"the query expands to {fields} fields, more than {MAX_EXPANDED_FIELDS}: "
                        "spread fewer fragments, or fragments in fewer places "
                        f"(展开后共 {fields} 个字段，上限为 {MAX_EXPANDED_FIELDS} 个)",
                        node,
                        extensions={"code": QUERY_TOO_LARGE},
                    )
                )

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            if self.too_large:
                return
            schema = self.context.schema
            root = {
                OperationType.QUERY: schema.query_type,
                OperationType.MUTATION: schema.mutation_type,
                OperationType.SUBSCRIPTION: schema.subscription_type,
            }[node.operation]
            if root is None:
                return
            cost = self._cost(node.selection_set, root, set())
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_cost}: ask for smaller "
                        "pages (first) or fewer nested lists",
                        node,
                        extensions={"code": QUERY_TOO_COSTLY},
                    )
                )

        def _cost(self, selections: SelectionSetNode | None, parent: Any, seen: set[str]) -> int:
            if selections is None:
                return 0
            total = 0
            for sel in selections.selections:
                if isinstance(sel, FieldNode):
                    total += self._field_cost(sel, parent, seen)
                elif isinstance(sel, InlineFragmentNode):
                    target = parent
                    if sel.type_condition is not None:
                        target = self.context.schema.get_type(sel.type_condition.name.value)
                    total += self._cost(sel.selection_set, target, seen)
                elif isinstance(sel, FragmentSpreadNode):
                    total += self._fragment_cost(sel.name.value, seen)
            return total

        def _fragment_cost(self, name: str, seen: set[str]) -> int:
            """A fragment's cost, the same wherever it is spread: computed once."""
            known = self._fragments.get(name)
            if known is not None:
                return known
            frag = self.context.get_fragment(name)
            if frag is None or name in seen:
                return 0  # unknown or cyclic fragments are reported by other rules
            target = self.context.schema.get_type(frag.type_condition.name.value)
            cost = self._cost(frag.selection_set, target, seen | {name})
            self._fragments[name] = cost
            return cost

        def _field_cost(self, sel: FieldNode, parent: Any, seen: set[str]) -> int:
            if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                return 1
            field = parent.fields.get(sel.name.value)
            if field is None:
                return 1
            multiplier = 1
            if "first" in field.args:
                multiplier = int(field.args["first"].default_value or 1)
                for arg in sel.arguments or ():
                    if arg.name.value != "first":
                        continue
                    if isinstance(arg.value, IntValueNode):
                        multiplier = int(arg.value.value)
                    elif isinstance(arg.value, VariableNode):
                        multiplier = max_page
            child = get_named_type(field.type)
            nested = self._cost(sel.selection_set, child, seen)
            return (
                1
                + declared_cost(field)
                + _page_input_cost(sel, field)
                + max(multiplier, 1) * nested
            )

    return CostLimit


#: the types of a link field's ``where`` and ``orderBy``, whose size is work for every node the
#: field is asked from (each condition tested on each of the node's links, link conditions at
#: any depth inside), with what a variable counts as: the largest input its cap allows
_PAGE_INPUTS: dict[str, int] = {
    **{
        match_input_name(kind, name): MAX_CONDITIONS
        for kind in NODE_KINDS
        for name in link_fields(kind)
    },
    **{link_order_name(name): MAX_SORT_KEYS for kind in NODE_KINDS for name in link_fields(kind)},
}


def _page_input_cost(sel: FieldNode, field: GraphQLField) -> int:
    """What a link field's ``where`` and ``orderBy`` add to its cost: one per value they hold
    (a condition, a sort key). A root list's run once; the request's budget counts those."""
    total = 0
    for arg in sel.arguments or ():
        declared = field.args.get(arg.name.value)
        cap = _PAGE_INPUTS.get(get_named_type(declared.type).name) if declared else None
        if cap is not None:
            total += cap if isinstance(arg.value, VariableNode) else _input_size(arg.value)
    return total


def _input_size(value: ValueNode) -> int:
    """The values of an input literal: each scalar (a variable too) is one."""
    if isinstance(value, ObjectValueNode):
        return sum(_input_size(f.value) for f in value.fields)
    if isinstance(value, ListValueNode):
        return sum(_input_size(v) for v in value.values)
    return 0 if isinstance(value, NullValueNode) else 1


def depth_limiter(max_depth: int) -> QueryDepthLimiter:
    """Strawberry's depth limit, its refusals coded :data:`QUERY_TOO_DEEP`, minus its crash on
    a spread of an unknown fragment (a KeyError whose text, ``'Nope'``, became the error
    message); such a document is left to graphql-core's own rule, which says "Unknown fragment
    'Nope'."."""
    limiter = QueryDepthLimiter(max_depth=max_depth)
    (rule,) = limiter.validation_rules

    class DepthLimit(rule):  # type: ignore[misc, valid-type]  # built by Strawberry at runtime
        def __init__(self, context: ValidationContext) -> None:
            try:
                super().__init__(context)
            except KeyError:
                ValidationRule.__init__(self, context)

    limiter.validation_rules = [_when_small(coded(DepthLimit, QUERY_TOO_DEEP))]
    return limiter
