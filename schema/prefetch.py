"""A link field's nested selection read as a tree of hops (:class:`~govgraph.graph.expand.Hop`),
so that the store answers every level below it at once.

When the first link field of a request is resolved (say a community's ``parts``), its selection
is walked: ``edges { node { ... on Compound { coveredBy(first: 10) { edges { node { ... on
PartyBranch { postHolders { ... } } } } } } } }`` becomes ``parts → coveredBy (on Compound) →
postHolders (on PartyBranch)``, with each field's page size, cursor, day, ``where`` and
``orderBy`` (read as its resolver will read them: graphql-core's coercion, then Strawberry's
conversion, ``internals.resolver_arguments``, then :func:`page_args`, so the keys are equal). One
:meth:`~govgraph.graph.port.GraphStore.expand` call for all the sibling nodes fetches the tree;
the link fields below find their pages already there (see ``schema/types.py``).

The walk is only a prediction: a field it cannot read (an argument it cannot evaluate, an
invalid page size) is left out, and that field fetches its own pages when it resolves, so a
wrong guess costs a round trip, never a wrong answer.

:func:`wanted_of` says which properties a request can read at all: those of every field its
document names anywhere (a superset: directives and type conditions are not looked at), so
every page of a request carries the same properties, enough for any field that reads it.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionNode,
    Undefined,
    Visitor,
    value_from_ast_untyped,
    visit,
)
from graphql.execution import VariableValues, get_argument_values
from strawberry.types import Info

from ..graph.errors import GovGraphError
from ..graph.expand import EdgeSort, Hop, LinkMatch, PageKey, Wanted, after_values, check_page
from ..graph.ontology import LINK_KINDS, NODE_KINDS, link_props, node_props
from ..graph.query import Direction, link_fields
from .documents import PerDocument
from .filters import to_edge_sort, to_match
from .internals import core_info, definition_of, resolver_arguments

#: GraphQL link field name → (link kind, direction) and the node kinds that have the field
LINK_FIELDS: dict[str, tuple[str, Direction, frozenset[str]]] = {}
for _lk in LINK_KINDS.values():
    for _direction, _name, _ends in (
        (Direction.OUT, _lk.out_field, {s for s, _ in _lk.endpoints}),
        (Direction.IN, _lk.in_field, {t for _, t in _lk.endpoints}),
    ):
        assert _name not in LINK_FIELDS, f"link field {_name} names two links"
        LINK_FIELDS[_name] = (_lk.name, _direction, frozenset(_ends))

DEFAULT_FIRST = 20  # the link fields' default page size (schema/types.py)


class Walk:
    """What the walk needs from the request: variables, fragments and the largest page."""

    def __init__(
        self,
        variables: Mapping[str, Any] | None,
        fragments: Mapping[str, FragmentDefinitionNode],
        max_page: int,
        schema: GraphQLSchema | None = None,
    ) -> None:
        self.variables = dict(variables or {})
        self.fragments = fragments
        self.max_page = max_page
        #: to read a link field's where and orderBy as its resolver will (none: not predicted)
        self.schema = schema

    def hop(
        self, key: PageKey, selections: Sequence[SelectionNode], on: frozenset[str] | None = None
    ) -> Hop:
        """The hop that fetches ``key`` from the nodes of kinds ``on``, and everything the
        connection's ``selections`` follow below it."""
        below: dict[Hop, None] = {}
        for edges in self.fields(selections, "edges"):
            for node in self.fields(selections_of(edges), "node"):
                below.update(dict.fromkeys(self.node_hops(selections_of(node), key.as_of)))
        return Hop(key, on, tuple(below))

    def node_hops(self, selections: Sequence[SelectionNode], day: dt.date | None) -> list[Hop]:
        """The hops of the link fields of a selection on a node (their default day ``day``)."""
        hops = (self._link_hop(f, kinds, day) for f, kinds in self._node_fields(selections, None))
        return list(dict.fromkeys(h for h in hops if h is not None))

    # -- the walk -------------------------------------------------------------------------------
    def _link_hop(
        self, field: FieldNode, kinds: frozenset[str] | None, day: dt.date | None
    ) -> Hop | None:
        found = LINK_FIELDS.get(field.name.value)
        if found is None:
            return None
        link, direction, ends = found
        on = ends if kinds is None else kinds & ends
        if not on:
            return None
        args = {
            a.name.value: value_from_ast_untyped(a.value, self.variables)
            for a in field.arguments or ()
        }
        # a variable the request leaves out leaves its argument out (its default applies)
        args = {name: value for name, value in args.items() if value is not Undefined}
        first, after, as_of = args.get("first", DEFAULT_FIRST), args.get("after"), args.get("asOf")
        if not isinstance(first, int) or isinstance(first, bool) or not 0 < first <= self.max_page:
            return None  # the field itself will refuse it when it resolves
        if after is not None and not isinstance(after, str):
            return None
        if isinstance(as_of, str):
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                return None
        elif isinstance(as_of, dt.date):  # a variable, already coerced
            day = as_of
        elif as_of is not None:
            return None
        match: LinkMatch | None = None
        order: tuple[EdgeSort, ...] = ()
        if any(a.name.value in ("where", "orderBy") for a in field.arguments or ()):
            taken = self._page_args(field, on)
            if taken is None:
                return None
            on, (match, order) = taken
        key = PageKey(link, direction, day, first, after, match, order)
        if key.order and key.after is not None:
            try:
                after_values(key)
            except GovGraphError:
                return None  # the field refuses the cursor when it resolves
        return self.hop(key, selections_of(field), None if on == ends else on)

    def _page_args(
        self, field: FieldNode, on: frozenset[str]
    ) -> tuple[frozenset[str], tuple[LinkMatch | None, tuple[EdgeSort, ...]]] | None:
        """A link field's ``where`` and ``orderBy`` as the resolver will make them, and the
        kinds of ``on`` for which they are that (the field node lies on one type: a kind whose
        type refuses them is not where it resolves); None if no kind takes them."""
        if self.schema is None:
            return None
        name = field.name.value
        found: dict[str, tuple[LinkMatch | None, tuple[EdgeSort, ...]]] = {}
        for kind in sorted(on):
            node_type = self.schema.get_type(kind)
            definition = getattr(node_type, "fields", {}).get(name)
            if definition is None:
                continue
            try:
                values = get_argument_values(definition, field, VariableValues({}, self.variables))
                args = resolver_arguments(self.schema, definition, values)
                found[kind] = page_args(kind, name, args.get("where"), args.get("order_by"))
            except (GovGraphError, GraphQLError):
                continue
        if not found:
            return None
        first = next(iter(found.values()))
        return frozenset(k for k, v in found.items() if v == first), first

    def fields(self, selections: Sequence[SelectionNode], name: str) -> Iterator[FieldNode]:
        """The fields called ``name`` in a selection on a concrete type (fragments flattened)."""
        for field, _ in self._node_fields(selections, None):
            if field.name.value == name:
                yield field

    def _node_fields(
        self, selections: Sequence[SelectionNode], kinds: frozenset[str] | None
    ) -> Iterator[tuple[FieldNode, frozenset[str] | None]]:
        """Every field of a selection with the node kinds it applies to (``None``: any)."""
        for sel in selections:
            if not self._included(sel):
                continue
            if isinstance(sel, FieldNode):
                yield sel, kinds
            elif isinstance(sel, InlineFragmentNode):
                condition = sel.type_condition.name.value if sel.type_condition else None
                inner = _narrow(kinds, condition)
                if inner != frozenset():
                    yield from self._node_fields(sel.selection_set.selections, inner)
            elif isinstance(sel, FragmentSpreadNode):
                fragment = self.fragments.get(sel.name.value)
                if fragment is not None:
                    inner = _narrow(kinds, fragment.type_condition.name.value)
                    if inner != frozenset():
                        yield from self._node_fields(fragment.selection_set.selections, inner)

    def _included(self, sel: SelectionNode) -> bool:
        for d in sel.directives or ():
            if d.name.value not in ("skip", "include"):
                continue
            value = next(
                (value_from_ast_untyped(a.value, self.variables) for a in d.arguments or ()), None
            )
            if bool(value) == (d.name.value == "skip"):
                return False
        return True


def page_args(
    kind: str, name: str, where: Any, order_by: Any
) -> tuple[LinkMatch | None, tuple[EdgeSort, ...]]:
    """The ``where`` (a ``<Kind><Field>Match``) and ``orderBy`` of the link field ``name`` of
    ``kind`` as a page's, checked as a link filter of ``kind`` would be."""
    through = link_fields(kind)[name]
    match, order = to_match(kind, name, where), to_edge_sort(order_by)
    key = PageKey(through.link_kind, through.direction, None, 1, None, match, order)
    return check_page(kind, key).where, order


def selections_of(field: FieldNode) -> Sequence[SelectionNode]:
    return field.selection_set.selections if field.selection_set else ()


def _narrow(kinds: frozenset[str] | None, condition: str | None) -> frozenset[str] | None:
    """The node kinds a fragment on ``condition`` keeps (an empty set: none)."""
    if condition is None or condition not in NODE_KINDS:
        return kinds  # the Node interface, or a connection or edge type: no narrowing
    return frozenset({condition}) if kinds is None or condition in kinds else frozenset()


def walk_of(info: Info, max_page: int) -> tuple[Walk, list[SelectionNode]]:
    """A walk for the request of ``info`` and the selection of the field being resolved."""
    raw = core_info(info)  # graphql-core's info: Strawberry's does not expose the AST nodes
    selections = [s for f in raw.field_nodes for s in selections_of(f)]
    return Walk(info.variable_values, raw.fragments, max_page, raw.schema), selections


#: per operation (alive as long as its parsed document is): a root field's hops by its field
#: nodes, the largest page, the day and the variables' values
_ROOT_HOPS: PerDocument[dict[tuple[Any, ...], tuple[Hop, ...]]] = PerDocument()


def _kept(
    info: Info,
    max_page: int,
    day: Any,
    walk_it: Callable[[Walk, Sequence[SelectionNode]], tuple[Hop, ...]],
) -> tuple[Hop, ...]:
    """``walk_it(walk, selections)`` for the field of ``info``, kept per query text, field,
    largest page, day and variables (a request of the same shape does not walk its query
    again)."""
    walk, selections = walk_of(info, max_page)
    raw = core_info(info)
    try:
        values = tuple(sorted(walk.variables.items()))
        key: tuple[Any, ...] | None = (*(id(f) for f in raw.field_nodes), max_page, day, values)
        hash(key)
    except TypeError:  # a list or an object among the variables: not kept
        key = None
    kept = _ROOT_HOPS.obtain(info.operation, dict)
    if key is not None and key in kept:
        return kept[key]
    hops: tuple[Hop, ...] = walk_it(walk, selections)
    if key is not None and len(kept) < ROOT_HOPS_KEPT:
        kept[key] = hops
    return hops


def root_hops(info: Info, max_page: int) -> tuple[Hop, ...]:
    """The hops of the link fields selected on the nodes a root field looks up by id."""
    return _kept(info, max_page, "root", lambda w, s: tuple(w.node_hops(s, None)))


def list_hops(info: Info, max_page: int, day: dt.date | None) -> tuple[Hop, ...]:
    """The hops of the link fields selected on a list's nodes (``edges { node { ... } }``),
    valid on ``day`` unless a field says otherwise."""

    def walk_it(walk: Walk, selections: Sequence[SelectionNode]) -> tuple[Hop, ...]:
        below: dict[Hop, None] = {}
        for edges in walk.fields(selections, "edges"):
            for node in walk.fields(selections_of(edges), "node"):
                below.update(dict.fromkeys(walk.node_hops(selections_of(node), day)))
        return tuple(below)

    return _kept(info, max_page, day, walk_it)


#: variants of one query text whose hops are kept (they differ by their variables)
ROOT_HOPS_KEPT = 64


def selects(info: Info, name: str) -> bool:
    """Whether the field being resolved selects a field ``name`` directly (fragments included,
    ``@skip``/``@include`` obeyed)."""
    walk, selections = walk_of(info, 0)
    return any(True for _ in walk.fields(selections, name))


# -- the properties a request reads ---------------------------------------------------------------
_NODE_PROPS = frozenset(p.name for spec in NODE_KINDS.values() for p in node_props(spec))
_LINK_PROPS = frozenset(p.name for lk in LINK_KINDS.values() for p in link_props(lk))

#: per schema: GraphQL field name → the node and the link properties fields of that name read
_FIELD_PROPS: weakref.WeakKeyDictionary[
    GraphQLSchema, dict[str, tuple[frozenset[str], frozenset[str]]]
] = weakref.WeakKeyDictionary()
#: per operation (alive as long as its parsed document is): what it can read
_WANTED: PerDocument[Wanted] = PerDocument()


def _field_props(schema: GraphQLSchema) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    found = _FIELD_PROPS.get(schema)
    if found is None:
        nodes: dict[str, set[str]] = {}
        links: dict[str, set[str]] = {}
        for t in schema.type_map.values():
            if not isinstance(t, GraphQLObjectType):
                continue
            for name, f in t.fields.items():
                python = getattr(definition_of(f), "python_name", None)
                if python in _NODE_PROPS:
                    nodes.setdefault(name, set()).add(python)
                if python in _LINK_PROPS:
                    links.setdefault(name, set()).add(python)
        found = _FIELD_PROPS[schema] = {
            name: (frozenset(nodes.get(name, ())), frozenset(links.get(name, ())))
            for name in nodes.keys() | links.keys()
        }
    return found


class _FieldNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.names.add(node.name.value)


def wanted_of(schema: GraphQLSchema, operation: Any, fragments: Mapping[str, Any]) -> Wanted:
    """The node and link properties that some field of ``operation`` (or of a fragment it may
    spread) reads, by name; kept per operation."""

    def make() -> Wanted:
        names = _FieldNames()
        visit(operation, names)
        for fragment in fragments.values():  # graphql-core's FragmentDetails, or the definition
            visit(getattr(fragment, "definition", fragment), names)
        props = _field_props(schema)
        node = frozenset(p for n in names.names for p in props.get(n, ((), ()))[0])
        link = frozenset(p for n in names.names for p in props.get(n, ((), ()))[1])
        return Wanted(node, link)

    return _WANTED.obtain(operation, make)


def wanted_in(info: Info) -> Wanted:
    """:func:`wanted_of` the request of ``info``."""
    raw = core_info(info)
    return wanted_of(raw.schema, info.operation, raw.fragments)
