"""Execution without graphql-core's per-field machinery where a field is plain data.

Most fields of a read are plain: a node's properties, an edge's ``role``, ``edges`` and
``node``, a connection's ``pageInfo``. graphql-core's generic path for each (a resolve-info
object, Strawberry's resolver wrapper, argument handling, the generic completion) costs far
more than reading the attribute, and a nested query has hundreds of such fields.
:class:`FastExecution` completes such a field directly:
the attribute, then the same completion graphql-core does (non-null, lists, the concrete type
of a ``Node`` found from the object's class, leaf coercion), with the same errors at the same
paths. A link field (``parts``, ``coveredBy``...) whose page was fetched with the level above
(``schema/prefetch.py``) is answered from that page without Strawberry's argument handling.

Anything else, or anything unexpected (an object of another class, a directive on the field,
middleware, a page not fetched yet), goes the normal way, before any work is done on it, so
answers and errors never depend on which way a field took: ``tests/schema/test_execution.py``
runs queries both ways and compares.

**Compiled subtrees.** Below an object whose whole selection is plain and link fields (a
``node(id)`` answer and everything nested under it, say), even that per-field dispatch is more
than needed: the selection is the same on every request of a query text (the parse cache keeps
its document), so it is compiled once, per object type, into a :class:`_Tree` of steps (read an
attribute, coerce a leaf, complete a list, look a prefetched page up, walk the tree of the
object found), and the object is answered by walking that tree into the result dict. A link
field whose selection reads only edges, ``totalCount`` and ``pageInfo`` is walked straight
from its prefetched page (:data:`~.types.EDGE_READERS`), without connection and edge objects.
The walk reads and builds only: whatever it does not expect (a null in a non-null field, a
value a scalar refuses, an unknown class, a page not prefetched) abandons it and the object is
completed field by field as above, which gives the errors, so the answer is the same either
way. Documents with directives or fragment variables are not compiled (what a selection holds
would then depend on the variables).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    BREAK,
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    FragmentDefinitionNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
    Visitor,
    is_leaf_type,
    visit,
)

from ..graph.expand import LinkPage, PageKey
from ..graph.model import Neighbour
from ..graph.ontology import LINK_KINDS, LinkKind
from .documents import PerDocument, variables_key
from .internals import (
    CoreExecutor,
    FieldDetailsList,
    Path,
    definition_of,
    gather,
    is_default_resolver,
    resolver_arguments,
    strawberry_info,
)
from .prefetch import DEFAULT_FIRST, LINK_FIELDS, page_args
from .query import (
    CONNECTIONS,
    LIST_FIRST,
    LIST_RESOLVERS,
    NODE_RESOLVER,
    list_arguments,
    list_connection,
)
from .types import EDGE_READERS, EdgeReader, PageInfo, link_connection, page_key


class _NormalWayError(Exception):
    """This field takes the normal way (raised before any work is done on it)."""


class _FallbackError(Exception):
    """A compiled walk met what it does not expect: the object is completed field by field."""


@dataclass(frozen=True, slots=True)
class _Plain:
    """A field that returns an attribute of its parent as it is."""

    attr: str
    return_type: GraphQLOutputType
    #: the Python type whose values the field's scalar returns unchanged (str for String and
    #: ID, bool for Boolean), if any; such values and nulls skip even :meth:`execute_field`
    same: type | None = None
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class _LinkField:
    """A link field of a node type (its pages may be in the request's cache)."""

    field: GraphQLField
    link: LinkKind
    direction: Any
    #: the node type's kind and the field's name (to read its where and orderBy)
    kind: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class _ListField:
    """A root list field (``compounds``, ``partyBranches``...): its arguments are converted
    once per query text and variables, not on every request."""

    field: GraphQLField
    kind: str


@dataclass(frozen=True, slots=True)
class _NodeField:
    """The root ``node`` field: its ``id`` is converted once per query text and variables, and
    the node found is completed by its class, not through Strawberry's resolver wrapper and
    graphql-core's abstract-type resolution (~50 us of a lookup)."""

    field: GraphQLField


@dataclass(frozen=True, slots=True)
class _Counted:
    """A root list's ``totalCount``: the count its page came with (asked with the page, one
    round trip), else its resolver's count of its own; compiled walks read the first only."""

    field: GraphQLField


_Spec = _Plain | _LinkField | _ListField | _NodeField | _Counted


@dataclass(frozen=True)
class _Plan:
    #: per object type: its plain, link and list fields by name
    fields: dict[GraphQLObjectType, dict[str, _Spec]]
    #: the Python class of each object type, and the object type of each class
    classes: dict[GraphQLObjectType, type]
    types: dict[type, GraphQLObjectType]
    #: (expected type, class) → the object type to complete as, or False: the normal way
    runtime: dict[tuple[GraphQLOutputType, type], Any] = field(default_factory=dict)


#: graphql-core's scalars that return values of these types unchanged
_BUILT_IN = (GraphQLString, GraphQLID, GraphQLBoolean)
_SAME: dict[str, type] = {"String": str, "ID": str, "Boolean": bool}
_MISSING = object()

_PLANS: WeakKeyDictionary[GraphQLSchema, _Plan] = WeakKeyDictionary()


def _plan(schema: GraphQLSchema) -> _Plan:
    plan = _PLANS.get(schema)
    if plan is not None:
        return plan
    fields: dict[GraphQLObjectType, dict[str, _Spec]] = {}
    classes: dict[GraphQLObjectType, type] = {}
    lists = {id(resolve): kind for kind, resolve in LIST_RESOLVERS.items()}
    connections = set(CONNECTIONS.values())
    for t in schema.type_map.values():
        if not isinstance(t, GraphQLObjectType) or t.name.startswith("__"):
            continue
        definition = definition_of(t)
        if definition is None:
            continue
        classes[t] = definition.origin
        own: dict[str, _Spec] = {}
        for name, f in t.fields.items():
            strawberry_field = definition_of(f)
            resolver = getattr(strawberry_field, "base_resolver", None)
            listed = lists.get(id(getattr(resolver, "wrapped_func", None)))
            if t is schema.query_type and listed is not None:
                own[name] = _ListField(f, listed)
                continue
            if t is schema.query_type and getattr(resolver, "wrapped_func", None) is NODE_RESOLVER:
                own[name] = _NodeField(f)
                continue
            if name == "totalCount" and definition.origin in connections:
                own[name] = _Counted(f)
                continue
            basic = f.resolve is not None and is_default_resolver(f.resolve) and not f.args
            if basic and strawberry_field is not None:
                named = f.type.of_type if isinstance(f.type, GraphQLNonNull) else f.type
                same = _SAME.get(named.name) if named in _BUILT_IN else None
                nullable = not isinstance(f.type, GraphQLNonNull)
                own[name] = _Plain(strawberry_field.python_name, f.type, same, nullable)
            elif name in LINK_FIELDS:
                link, direction, ends = LINK_FIELDS[name]
                if t.name in ends:
                    own[name] = _LinkField(f, LINK_KINDS[link], direction, t.name, name)
        fields[t] = own
    types = {cls: t for t, cls in classes.items()}
    if len(types) != len(classes):  # two types share a class: the class cannot tell them apart
        shared = {cls for cls in classes.values() if list(classes.values()).count(cls) > 1}
        types = {cls: t for cls, t in types.items() if cls not in shared}
    plan = _PLANS[schema] = _Plan(fields, classes, types)
    return plan


#: a compiled step: the value of one field of a parent object, completed
_Complete = Callable[[Any, "FastExecution"], Any]


class _Tree:
    """One object type's compiled selection: (response name, step), in the selection's order."""

    __slots__ = ("steps",)

    def __init__(self, steps: list[tuple[str, _Complete]]) -> None:
        self.steps = steps

    def __call__(self, source: Any, ex: FastExecution) -> dict[str, Any]:
        return {name: step(source, ex) for name, step in self.steps}


class _Compiled:
    """The compiled trees of one operation, kept as long as its parsed document is."""

    __slots__ = ("allowed", "subfields", "trees")

    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed
        #: (object type, the ids of the grouped field nodes) → its tree, or None: not compiled
        self.trees: dict[tuple[Any, ...], _Tree | None] = {}
        #: (object type, the ids of a field's nodes) → the field's selection on that type, as
        #: graphql-core collects it (without directives it depends on the document alone)
        self.subfields: dict[tuple[Any, ...], tuple[Any, Any]] = {}


_COMPILED: PerDocument[_Compiled] = PerDocument()


class _DirectiveFinder(Visitor):
    found = False

    def enter_directive(self, *_: Any) -> Any:
        self.found = True
        return BREAK


def _compiled_of(operation: Any, fragments: Mapping[str, Any]) -> _Compiled:
    def make() -> _Compiled:
        finder = _DirectiveFinder()
        definitions: list[Any] = [operation, *fragments.values()]
        for definition in definitions:
            visit(definition, finder)
        fragment_variables = any(
            isinstance(d, FragmentDefinitionNode) and d.variable_definitions for d in definitions
        )
        return _Compiled(not (finder.found or fragment_variables))

    return _COMPILED.obtain(operation, make)


def _leaf(return_type: Any) -> _Complete:
    same = _SAME.get(return_type.name) if return_type in _BUILT_IN else None
    coerce = return_type.coerce_output_value
    # an int within 32 bits is Int's answer as it is (serialize_int's tests, ~4 calls, skipped)
    small = return_type is GraphQLInt

    def leaf(value: Any, _ex: FastExecution) -> Any:
        if type(value) is same or value is None:
            return value
        if small and type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
            return value
        try:
            out = coerce(value)
        except Exception:
            raise _FallbackError from None
        if out is None or out is Undefined or value is Undefined:
            raise _FallbackError
        return out

    return leaf


def _non_null(inner: _Complete) -> _Complete:
    def non_null(value: Any, ex: FastExecution) -> Any:
        out = None if value is None else inner(value, ex)
        if out is None:
            raise _FallbackError  # the field by field way reports it
        return out

    return non_null


def _as_list(inner: _Complete) -> _Complete:
    def as_list(value: Any, ex: FastExecution) -> Any:
        if value is None:
            return None
        if type(value) is not list:
            raise _FallbackError
        return [inner(item, ex) for item in value]

    return as_list


def _as_object(trees: dict[type, _Tree]) -> _Complete:
    def as_object(value: Any, ex: FastExecution) -> Any:
        if value is None:
            return None
        tree = trees.get(type(value))
        if tree is None:
            raise _FallbackError
        return tree(value, ex)

    return as_object


def _attribute(spec: _Plain, complete: _Complete) -> _Complete:
    attr = spec.attr

    def attribute(source: Any, ex: FastExecution) -> Any:
        value = getattr(source, attr, _MISSING)
        if value is _MISSING:
            raise _FallbackError
        return complete(value, ex)

    return attribute


def _counted(complete: _Complete) -> _Complete:
    def counted(source: Any, ex: FastExecution) -> Any:
        total = getattr(source, "total", None)
        if total is None:
            raise _FallbackError  # not asked with the page: the resolver counts
        return complete(total, ex)

    return counted


def _plain_step(spec: _Plain, complete: _Complete) -> _Complete:
    """:func:`_attribute` of a field whose scalar returns values of one Python type unchanged
    (text, ids, booleans): such a value, or a null where allowed, is the answer without the
    completion's calls (most fields of an answer; ~3 calls saved each)."""
    attr, same, nullable = spec.attr, spec.same, spec.nullable

    def plain(source: Any, ex: FastExecution) -> Any:
        value = getattr(source, attr, _MISSING)
        if type(value) is same or (value is None and nullable):
            return value
        if value is _MISSING:
            raise _FallbackError
        return complete(value, ex)

    return plain


def _link(spec: _LinkField, details: Any, complete: _Complete) -> _Complete:
    def link(source: Any, ex: FastExecution) -> Any:
        return complete(ex._prefetched(spec, details, source), ex)

    return link


#: a compiled step of a link field answered from its page (:meth:`FastExecution._from_page`):
#: (the page, its key) → a value of the connection, and (an item, the key) → one of an edge
_FromPage = Callable[[LinkPage, PageKey, "FastExecution"], Any]
_FromItem = Callable[[Neighbour, PageKey, "FastExecution"], Any]


def _link_from_page(spec: _LinkField, details: Any, answer: _FromPage) -> _Complete:
    def link(source: Any, ex: FastExecution) -> Any:
        page, key = ex._prefetched_page(spec, details, source)
        return answer(page, key, ex)

    return link


def _page_tree(steps: list[tuple[str, _FromPage]]) -> _FromPage:
    def connection(page: LinkPage, key: PageKey, ex: FastExecution) -> Any:
        return {name: step(page, key, ex) for name, step in steps}

    return connection


def _edges(steps: list[tuple[str, _FromItem]]) -> _FromPage:
    def edges(page: LinkPage, key: PageKey, ex: FastExecution) -> Any:
        return [{name: step(nb, key, ex) for name, step in steps} for nb in page.items]

    return edges


def _total(complete: _Complete) -> _FromPage:
    return lambda page, _key, ex: complete(page.total, ex)


def _page_info(cursor: EdgeReader, complete: _Complete) -> _FromPage:
    def page_info(page: LinkPage, key: PageKey, ex: FastExecution) -> Any:
        end = cursor(page.items[-1], key) if page.items else None  # as link_connection's
        return complete(PageInfo(has_next_page=page.has_next, end_cursor=end), ex)

    return page_info


def _item(reader: EdgeReader, complete: _Complete) -> _FromItem:
    return lambda nb, key, ex: complete(reader(nb, key), ex)


def _page_constant(value: str) -> _FromPage:
    return lambda _page, _key, _ex: value


def _item_constant(value: str) -> _FromItem:
    return lambda _nb, _key, _ex: value


def _constant(value: str) -> _Complete:
    def constant(_source: Any, _ex: FastExecution) -> Any:
        return value

    return constant


#: per operation: a root list field's arguments as its resolver converts them (the filter and
#: the sort keys built), by its field node and the request's variables
_LIST_ARGS: PerDocument[dict[tuple[Any, ...], tuple[Any, ...]]] = PerDocument()

#: variants of one query text whose list arguments are kept (they differ by their variables)
LIST_ARGS_KEPT = 64


def _arguments_key(ex: FastExecution, details: FieldDetailsList) -> tuple[Any, ...] | None:
    """What a field's converted arguments are kept by within its operation: its node and the
    request's variables; None when the variables do not hash (a list or an object among them)."""
    variables = variables_key(ex.variables)
    return None if variables is None else (id(details[0].node), variables)


#: per operation: a link field's page arguments (:meth:`FastExecution._page_args`) by its
#: field node and the request's variables
_LINK_ARGS: PerDocument[dict[tuple[Any, ...], Any]] = PerDocument()


def _kept_arguments(
    ex: FastExecution,
    details: FieldDetailsList,
    kept_in: PerDocument[dict[tuple[Any, ...], Any]],
    convert: Callable[[], Any],
) -> Any:
    """What ``convert`` makes of a root field's arguments, kept per query text, field and
    variables in ``kept_in``; None when they do not convert (the resolver then says why)."""
    if details[0].fragment_variable_values is not None:
        return None  # fragment variables: what the arguments are depends on more than the key
    key = _arguments_key(ex, details)
    kept = kept_in.obtain(ex.operation_node, dict)
    found = kept.get(key) if key is not None else None
    if found is not None:
        return found
    try:
        found = convert()
    except Exception:
        return None  # the resolver refuses them, the normal way
    if key is not None and len(kept) < LIST_ARGS_KEPT:
        kept[key] = found
    return found


def _list_arguments(
    ex: FastExecution, spec: _ListField, details: FieldDetailsList
) -> tuple[Any, ...] | None:
    """``where``, ``orderBy`` (as the port's filter and sort keys), ``first``, ``after`` and
    ``asOf`` of a root list field, converted as its resolver converts them (graphql-core's
    coercion, Strawberry's conversion, :func:`~.query.list_arguments`), kept per query text,
    field and variables."""

    def convert() -> tuple[Any, ...]:
        kwargs = _resolver_kwargs(ex, spec.field, details)
        where, order = list_arguments(spec.kind, kwargs.get("where"), kwargs.get("order_by"))
        first = kwargs.get("first", LIST_FIRST)
        return where, order, first, kwargs.get("after"), kwargs.get("as_of")

    found: tuple[Any, ...] | None = _kept_arguments(ex, details, _LIST_ARGS, convert)
    return found


#: per operation: the ``node`` field's arguments as its resolver takes them, by its field node
#: and the request's variables
_NODE_ARGS: PerDocument[dict[tuple[Any, ...], dict[str, Any]]] = PerDocument()


def _resolver_kwargs(
    ex: FastExecution, field: GraphQLField, details: FieldDetailsList
) -> dict[str, Any]:
    """A field's arguments as its resolver gets them (graphql-core's coercion, Strawberry's
    conversion)."""
    return resolver_arguments(ex.graphql_schema, field, ex.argument_values(field, details))


class FastExecution(CoreExecutor):
    """Strawberry's execution context, with plain fields completed directly (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan = _plan(self.graphql_schema)
        self._fast = not self.has_middleware
        self._runtime = self._plan.runtime
        self._compiled: _Compiled | None = None
        #: a link field's page arguments, evaluated once per request (by its field node)
        self._link_args: dict[tuple[int, int], tuple[tuple[int, Any, Any], dict[str, Any]]] = {}
        #: a link field's page key, by its field node and the day its page is read on
        self._page_keys: dict[tuple[tuple[int, int], Any], PageKey] = {}

    def fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's, with text, booleans, nulls and ``__typename`` filled in at once."""
        own = self._plan.fields.get(parent_type) if self._fast else None
        if not own:
            return self.normal_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        if position_context is None:
            tree = self._tree(parent_type, grouped_field_set)
            if tree is not None:
                try:
                    return tree(source_value, self)
                except _FallbackError:
                    pass  # the walk built nothing anyone sees: field by field instead
        results: dict[str, Any] = {}
        waiting: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                name = node.name.value
                spec = own.get(name)
                if not node.directives:
                    if isinstance(spec, _Plain):
                        value = getattr(source_value, spec.attr, _MISSING)
                        if type(value) is spec.same or (value is None and spec.nullable):
                            results[response_name] = value
                            continue
                    elif name == "__typename":
                        results[response_name] = parent_type.name
                        continue
                result = self.field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if self.awaitable(result):
                        waiting.append(response_name)
        except Exception:
            if waiting:  # settle the fields already started, as graphql-core does
                self.settle_later([results[f] for f in waiting])
            raise
        if not waiting:
            return results
        return self._gather_fields(results, waiting)

    async def _gather_fields(self, results: dict[str, Any], waiting: list[str]) -> dict[str, Any]:
        if len(waiting) == 1:
            results[waiting[0]] = await results[waiting[0]]
        else:
            done = await gather(*(results[f] for f in waiting))
            results.update(zip(waiting, done, strict=True))
        return results

    def field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        own = self._plan.fields.get(parent_type) if self._fast else None
        node = field_details_list[0].node
        spec = own.get(node.name.value) if own else None
        if isinstance(spec, _ListField | _NodeField):
            if not node.directives and position_context is None:
                root = self._root(spec, parent_type, field_details_list, path)
                if root is not None:
                    return root
            spec = None
        elif isinstance(spec, _Counted):
            spec = None  # its resolver (field by field the count may be its own)
        if spec is not None and not node.directives:
            return_type = spec.return_type if isinstance(spec, _Plain) else spec.field.type
            where = (parent_type, node.name.value)
            try:
                if isinstance(spec, _Plain):
                    value = getattr(source, spec.attr)
                else:
                    value = self._page(spec, source, field_details_list)
                completed = self._complete(
                    return_type, field_details_list, path, value, position_context, where=where
                )
            except _NormalWayError:
                pass
            except Exception as raw_error:
                self.field_error(raw_error, return_type, field_details_list, path)
                return None
            else:
                if self.awaitable(completed):
                    return self._settle(completed, return_type, field_details_list, path)
                return completed
        return self.normal_field(parent_type, source, field_details_list, path, position_context)

    async def _settle(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.field_error(raw_error, return_type, field_details_list, path)
            return None

    def _page(self, spec: _LinkField, source: Any, field_details_list: FieldDetailsList) -> Any:
        """The connection of a link field whose page is in the request's cache (its arguments
        evaluated once per request)."""
        page, key = self._found(spec, source, field_details_list)
        return link_connection(spec.link, key, page)

    def _found(
        self, spec: _LinkField, source: Any, field_details_list: FieldDetailsList
    ) -> tuple[LinkPage, PageKey]:
        """The page of a link field below ``source`` in the request's cache, and its key."""
        loaders = getattr(self.request_context, "loaders", None)
        if loaders is None or getattr(source, "entity_id", None) is None:
            raise _NormalWayError
        key = self.selection_key(field_details_list)
        args = self._link_args.get(key)
        if args is None:
            args = self._link_args[key] = self._kept_page_args(spec, field_details_list)
        if not args[0][0] <= self.request_context.max_page:
            raise _NormalWayError  # the resolver refuses it
        # the page's key, made once per selection and day: a PageKey checks its fields when
        # made, which was ~1 ms of a request reading ~500 pages (bench/reference.py's two_hop)
        as_of = args[0][2]
        day = (key, as_of if as_of is not None else source.as_of)
        found = self._page_keys.get(day)
        if found is None:
            found = page_key(spec.link, spec.direction, source, *args[0], **args[1])
            self._page_keys[day] = found
        page = loaders.pages.get((found, source.entity_id))
        if page is None:
            raise _NormalWayError
        return page, found

    def _kept_page_args(
        self, spec: _LinkField, details: FieldDetailsList
    ) -> tuple[tuple[int, Any, Any], dict[str, Any]]:
        """:meth:`_page_args`, kept per query text, field and variables: converting a ``where``
        through Strawberry was ~15% of a ``three_hop`` request's CPU, every request."""
        if details[0].fragment_variable_values is not None:
            return self._page_args(spec, details)
        key = _arguments_key(self, details)
        kept = _LINK_ARGS.obtain(self.operation_node, dict)
        found = kept.get(key) if key is not None else None
        if found is None:
            found = self._page_args(spec, details)
            if key is not None and len(kept) < LIST_ARGS_KEPT:
                kept[key] = found
        return found

    def _page_args(
        self, spec: _LinkField, field_details_list: FieldDetailsList
    ) -> tuple[tuple[int, Any, Any], dict[str, Any]]:
        """``first``, ``after`` and ``asOf`` of a link field, and its ``where`` and ``orderBy``
        as a page's (:func:`~.prefetch.page_args`), if its resolver would take them."""
        try:
            args = self.argument_values(spec.field, field_details_list)
        except Exception:
            raise _NormalWayError from None  # the normal way reports it
        first = args.get("first", DEFAULT_FIRST)
        if not isinstance(first, int) or first <= 0:
            raise _NormalWayError  # the resolver refuses it (the largest page: see _page)
        extra: dict[str, Any] = {}
        if args.get("where") is not None or args.get("orderBy"):
            try:
                kwargs = resolver_arguments(self.graphql_schema, spec.field, args)
                match, order = page_args(
                    spec.kind, spec.name, kwargs.get("where"), kwargs.get("order_by")
                )
            except Exception:
                raise _NormalWayError from None  # the resolver refuses them
            extra = {"where": match, "order": order}
        return (first, args.get("after"), args.get("asOf")), extra

    # -- root lists and the node field ----------------------------------------------------------
    def _root(
        self,
        spec: _ListField | _NodeField,
        parent_type: GraphQLObjectType,
        details: FieldDetailsList,
        path: Path,
    ) -> Awaitable[Any] | None:
        """A root list or the ``node`` field resolved with its arguments converted once per
        query text and variables (:func:`_kept_arguments`); None: the normal way (the arguments
        are not what the resolver takes, so it reports them)."""
        if isinstance(spec, _ListField):
            args: Any = _list_arguments(self, spec, details)
        else:
            convert = partial(_resolver_kwargs, self, spec.field, details)
            args = _kept_arguments(self, details, _NODE_ARGS, convert)
        if args is None:
            return None
        raw = self.resolve_info(spec.field, details, parent_type, path)
        info = strawberry_info(self.graphql_schema, raw, spec.field)
        done = self._resolved(spec, info, raw, args, details, path)
        return self._settle(done, spec.field.type, details, path)

    async def _resolved(  # noqa: PLR0917  # a field's resolution, step by step
        self,
        spec: _ListField | _NodeField,
        info: Any,
        raw: Any,
        args: Any,
        details: FieldDetailsList,
        path: Path,
    ) -> Any:
        """A list completed as graphql-core would; a node by its class (:meth:`_complete`), else
        graphql-core's way."""
        if isinstance(spec, _ListField):
            value = await list_connection(info, spec.kind, *args)
            completed = self.complete(spec.field.type, details, raw, path, value)
        else:
            value = await NODE_RESOLVER(info, **args)
            where = (raw.parent_type, raw.field_name)
            try:
                completed = self._complete(spec.field.type, details, path, value, None, where=where)
            except _NormalWayError:  # raised before anything was completed
                completed = self.complete(spec.field.type, details, raw, path, value)
        return await completed if self.awaitable(completed) else completed

    # -- compiled subtrees (module doc) ---------------------------------------------------------
    def _prefetched(
        self, spec: _LinkField, field_details_list: FieldDetailsList, source: Any
    ) -> Any:
        """:meth:`_page` for a compiled walk."""
        try:
            return self._page(spec, source, field_details_list)
        except _NormalWayError:
            raise _FallbackError from None

    def _prefetched_page(
        self, spec: _LinkField, field_details_list: FieldDetailsList, source: Any
    ) -> tuple[LinkPage, PageKey]:
        """:meth:`_found` for a compiled walk."""
        try:
            return self._found(spec, source, field_details_list)
        except _NormalWayError:
            raise _FallbackError from None

    def _compiled_now(self) -> _Compiled:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _compiled_of(self.operation_node, self.fragment_nodes)
        return compiled

    def subfields(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[Any, Any]:
        """graphql-core's, kept per document rather than per request where the selection
        cannot depend on the variables (no directives: :func:`_compiled_of`)."""
        compiled = self._compiled_now()
        if not compiled.allowed:
            return super().subfields(object_type, details)
        key = (object_type, *(id(d.node) for d in details))
        found = compiled.subfields.get(key)
        if found is None:
            found = compiled.subfields[key] = super().subfields(object_type, details)
        return found

    def _tree(self, object_type: GraphQLObjectType, grouped: Mapping[str, Any]) -> _Tree | None:
        """The compiled tree of ``grouped`` on ``object_type``, if it can be compiled."""
        compiled = self._compiled_now()
        if not compiled.allowed:
            return None
        key = (object_type, *(id(d.node) for details in grouped.values() for d in details))
        tree = compiled.trees.get(key, _MISSING)
        if tree is _MISSING:
            tree = compiled.trees[key] = self._compile(object_type, grouped)
        return tree  # type: ignore[return-value]

    def _compile(self, object_type: GraphQLObjectType, grouped: Mapping[str, Any]) -> _Tree | None:
        own = self._plan.fields.get(object_type)
        if own is None:
            return None
        steps: list[tuple[str, _Complete]] = []
        for response_name, details in grouped.items():
            name = details[0].node.name.value
            spec = own.get(name)
            if name == "__typename":
                steps.append((response_name, _constant(object_type.name)))
                continue
            if isinstance(spec, _Counted):
                complete = self._completer(spec.field.type, details)
                if complete is None:
                    return None
                steps.append((response_name, _counted(complete)))
                continue
            if spec is None or isinstance(spec, _ListField | _NodeField):
                return None
            return_type = spec.return_type if isinstance(spec, _Plain) else spec.field.type
            complete = self._completer(return_type, details)
            if complete is None:
                return None
            if isinstance(spec, _Plain):
                read = _attribute if spec.same is None else _plain_step
                steps.append((response_name, read(spec, complete)))
                continue
            answer = self._from_page(spec, details)
            if answer is not None:
                steps.append((response_name, _link_from_page(spec, details, answer)))
            else:
                steps.append((response_name, _link(spec, details, complete)))
        return _Tree(steps)

    def _from_page(self, spec: _LinkField, details: Any) -> _FromPage | None:
        """What answers a link field from its page and key without making the connection and
        edge objects (:func:`~.types.link_connection`; ~2-3 us a page and an edge, ~500 pages in
        a two_hop request), if the selection reads only what they would be read for: the
        edges' fields (as :data:`~.types.EDGE_READERS` read them), totalCount and pageInfo."""
        conn = spec.field.type
        conn = conn.of_type if isinstance(conn, GraphQLNonNull) else conn
        selection = self._selection(conn, details)
        if selection is None:
            return None
        conn, own, grouped = selection
        steps: list[tuple[str, _FromPage]] = []
        for response_name, fd in grouped.items():
            name = fd[0].node.name.value
            f = own.get(name)
            step: _FromPage | None = None
            if name == "__typename":
                step = _page_constant(conn.name)
            elif isinstance(f, _Plain) and f.attr == "edges":
                step = self._edges_from_page(spec, f.return_type, fd)
            elif isinstance(f, _Plain) and f.attr in ("total_count", "page_info"):
                complete = self._completer(f.return_type, fd)
                if complete is not None and f.attr == "total_count":
                    step = _total(complete)
                elif complete is not None:
                    step = _page_info(EDGE_READERS[spec.link.name]["cursor"], complete)
            if step is None:
                return None
            steps.append((response_name, step))
        return _page_tree(steps)

    def _edges_from_page(
        self, spec: _LinkField, list_type: GraphQLOutputType, details: Any
    ) -> _FromPage | None:
        listed = list_type.of_type if isinstance(list_type, GraphQLNonNull) else list_type
        if not isinstance(listed, GraphQLList):
            return None
        edge = listed.of_type
        selection = self._selection(
            edge.of_type if isinstance(edge, GraphQLNonNull) else edge, details
        )
        if selection is None:
            return None
        edge, own, grouped = selection
        readers = EDGE_READERS[spec.link.name]
        steps: list[tuple[str, _FromItem]] = []
        for response_name, fd in grouped.items():
            name = fd[0].node.name.value
            if name == "__typename":
                steps.append((response_name, _item_constant(edge.name)))
                continue
            f = own.get(name)
            if not isinstance(f, _Plain) or f.attr not in readers:
                return None
            reader, complete = readers[f.attr], self._completer(f.return_type, fd)
            if complete is None:
                return None
            steps.append((response_name, _item(reader, complete)))
        return _edges(steps)

    def _selection(
        self, object_type: Any, details: Any
    ) -> tuple[GraphQLObjectType, dict[str, _Spec], Mapping[str, Any]] | None:
        """An object type's planned fields and the fields ``details`` select on it (None: not
        an object type of the plan, or a deferred selection)."""
        if not isinstance(object_type, GraphQLObjectType):
            return None
        own = self._plan.fields.get(object_type)
        if own is None:
            return None
        grouped, deferred = self.subfields(object_type, details)
        return None if deferred else (object_type, own, grouped)

    def _completer(self, return_type: GraphQLOutputType, details: Any) -> _Complete | None:
        """What completes a value of ``return_type`` selected by ``details``, compiled."""
        if isinstance(return_type, GraphQLNonNull | GraphQLList):
            inner = self._completer(return_type.of_type, details)
            if inner is None:
                return None
            return _non_null(inner) if isinstance(return_type, GraphQLNonNull) else _as_list(inner)
        if is_leaf_type(return_type):
            return _leaf(return_type)
        plan = self._plan
        possible: list[GraphQLObjectType] = (
            [return_type]
            if isinstance(return_type, GraphQLObjectType)
            else self.graphql_schema.get_possible_types(return_type)  # type: ignore[arg-type]
        )
        trees: dict[type, _Tree] = {}
        for object_type in possible:
            cls = plan.classes.get(object_type)
            if cls is None or (
                object_type is not return_type and plan.types.get(cls) is not object_type
            ):
                continue  # at run time an object of that class abandons the walk
            grouped, deferred = self.subfields(object_type, details)
            tree = None if deferred else self._compile(object_type, grouped)
            if tree is None:
                return None
            trees[cls] = tree
        return _as_object(trees)

    def _complete(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
        *,
        where: tuple[GraphQLObjectType, str],
    ) -> Any:
        """graphql-core's ``complete_value`` for what plain fields return (see the module doc);
        raises :class:`_NormalWayError` before completing anything it does not handle."""
        if isinstance(return_type, GraphQLNonNull):
            completed = self._complete(
                return_type.of_type, field_details_list, path, result, position_context, where=where
            )
            if completed is None:
                msg = f"Cannot return null for non-nullable field {where[0]}.{where[1]}."
                raise TypeError(msg)
            return completed
        if result is None or result is Undefined:
            return None
        if isinstance(return_type, GraphQLList):
            return self._complete_list(
                return_type.of_type, field_details_list, path, result, position_context, where=where
            )
        if is_leaf_type(return_type):
            if type(result) is str and (return_type is GraphQLString or return_type is GraphQLID):
                return result
            return self.complete_leaf(return_type, result)
        object_type = self._object_type(return_type, result)
        grouped, deferred = self.subfields(object_type, field_details_list)
        if deferred or position_context is not None:  # @defer: the incremental executor's way
            return self.execute_subfields(
                object_type, result, path, grouped, deferred, position=position_context
            )
        return self.fields(object_type, result, path, grouped, None)

    def _object_type(self, return_type: GraphQLOutputType, result: Any) -> GraphQLObjectType:
        """The object type ``result`` completes as, if its class says so unambiguously."""
        key = (return_type, type(result))
        found = self._runtime.get(key)
        if found is None:
            found = self._runtime[key] = self._find_object_type(return_type, type(result))
        if found is False:
            raise _NormalWayError
        object_type: GraphQLObjectType = found
        return object_type

    def _find_object_type(self, return_type: GraphQLOutputType, cls: type) -> Any:
        if isinstance(return_type, GraphQLObjectType):
            if self._plan.classes.get(return_type) is cls:
                return return_type
        elif isinstance(return_type, GraphQLInterfaceType | GraphQLUnionType):
            runtime = self._plan.types.get(cls)
            if runtime is not None and self.graphql_schema.is_sub_type(return_type, runtime):
                return runtime
        return False

    def _complete_list(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
        items: Any,
        position_context: Any,
        *,
        where: tuple[GraphQLObjectType, str],
    ) -> Any:
        if not isinstance(items, list):
            raise _NormalWayError
        named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if not is_leaf_type(named):
            for item in items:  # every item checked before any is completed
                if item is not None:
                    self._object_type(named, item)
        completed: list[Any] = []
        waiting: list[int] = []
        for index, item in enumerate(items):
            item_path = path.add_key(index, None)
            try:
                value = self._complete(
                    item_type, field_details_list, item_path, item, position_context, where=where
                )
            except Exception as raw_error:
                self.field_error(raw_error, item_type, field_details_list, item_path)
                value = None
            if self.awaitable(value):
                value = self._settle(value, item_type, field_details_list, item_path)
                waiting.append(index)
            completed.append(value)
        if not waiting:
            return completed
        return self._gather(completed, waiting)

    async def _gather(self, completed: list[Any], waiting: list[int]) -> list[Any]:
        # all at once, so that DataLoaders batch the items' fetches into one store call
        done = await gather(*(completed[i] for i in waiting))
        for index, value in zip(waiting, done, strict=True):
            completed[index] = value
        return completed


def fast_plan_fields(schema: GraphQLSchema) -> Mapping[str, frozenset[str]]:
    """The fields completed directly, by type name (for tests and docs)."""
    return {t.name: frozenset(own) for t, own in _plan(schema).fields.items()}
