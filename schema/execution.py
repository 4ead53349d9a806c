"""Execution without graphql-core's per-field machinery where a field is plain data.

Most fields of a read are plain: a node's properties, an edge's ``role``, ``edges`` and
``node``, a connection's ``pageInfo``. graphql-core spends ~50 µs on each (a resolve-info
object, Strawberry's resolver wrapper, argument handling, the generic completion), which was
most of a nested query's CPU time. :class:`FastExecution` completes such a field directly:
the attribute, then the same completion graphql-core does (non-null, lists, the concrete type
of a ``Node`` found from the object's class, leaf coercion), with the same errors at the same
paths. A link field (``parts``, ``coveredBy``...) whose page was fetched with the level above
(``schema/prefetch.py``) is answered from that page without Strawberry's argument handling.

Anything else, or anything unexpected (an object of another class, a directive on the field,
middleware, a page not fetched yet), goes the normal way, before any work is done on it, so
answers and errors never depend on which way a field took: ``tests/schema/test_execution.py``
runs queries both ways and compares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from ..graph.ontology import LINK_KINDS, LinkKind
from .prefetch import DEFAULT_FIRST, LINK_FIELDS
from .types import prefetched

#: Strawberry's back-reference from a graphql-core type or field to its own definition
DEFINITION = "strawberry-definition"


class _NormalWayError(Exception):
    """This field takes the normal way (raised before any work is done on it)."""


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


@dataclass(frozen=True)
class _Plan:
    #: per object type: its plain and link fields by name
    fields: dict[GraphQLObjectType, dict[str, _Plain | _LinkField]]
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
    fields: dict[GraphQLObjectType, dict[str, _Plain | _LinkField]] = {}
    classes: dict[GraphQLObjectType, type] = {}
    for t in schema.type_map.values():
        if not isinstance(t, GraphQLObjectType) or t.name.startswith("__"):
            continue
        definition = (t.extensions or {}).get(DEFINITION)
        if definition is None:
            continue
        classes[t] = definition.origin
        own: dict[str, _Plain | _LinkField] = {}
        for name, f in t.fields.items():
            strawberry_field = (f.extensions or {}).get(DEFINITION)
            basic = getattr(f.resolve, "_is_default", False) and not f.args
            if basic and strawberry_field is not None:
                named = f.type.of_type if isinstance(f.type, GraphQLNonNull) else f.type
                same = _SAME.get(named.name) if named in _BUILT_IN else None
                nullable = not isinstance(f.type, GraphQLNonNull)
                own[name] = _Plain(strawberry_field.python_name, f.type, same, nullable)
            elif name in LINK_FIELDS:
                link, direction, ends = LINK_FIELDS[name]
                if t.name in ends:
                    own[name] = _LinkField(f, LINK_KINDS[link], direction)
        fields[t] = own
    types = {cls: t for t, cls in classes.items()}
    if len(types) != len(classes):  # two types share a class: the class cannot tell them apart
        shared = {cls for cls in classes.values() if list(classes.values()).count(cls) > 1}
        types = {cls: t for cls, t in types.items() if cls not in shared}
    plan = _PLANS[schema] = _Plan(fields, classes, types)
    return plan


class FastExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain fields completed directly (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan = _plan(self.schema)
        middleware = self.middleware_manager
        self._fast = not (middleware and middleware.middlewares)
        self._runtime = self._plan.runtime

    def execute_fields(
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
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
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
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if self.is_awaitable(result):
                        waiting.append(response_name)
        except Exception:
            if waiting:  # settle the fields already started, as graphql-core does
                self.settle_in_background([results[f] for f in waiting])
            raise
        if not waiting:
            return results
        return self._gather_fields(results, waiting)

    async def _gather_fields(self, results: dict[str, Any], waiting: list[str]) -> dict[str, Any]:
        if len(waiting) == 1:
            results[waiting[0]] = await results[waiting[0]]
        else:
            done = await gather_with_cancel(*(results[f] for f in waiting))
            results.update(zip(waiting, done, strict=True))
        return results

    def execute_field(
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
                self.handle_field_error(raw_error, return_type, field_details_list, path)
                return None
            else:
                if self.is_awaitable(completed):
                    return self._settle(completed, return_type, field_details_list, path)
                return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

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
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _page(self, spec: _LinkField, source: Any, field_details_list: FieldDetailsList) -> Any:
        """The connection of a link field whose page is in the request's cache."""
        context = self.context_value
        loaders = getattr(context, "loaders", None)
        entity = getattr(source, "entity_id", None)
        if loaders is None or entity is None:
            raise _NormalWayError
        details = field_details_list[0]
        try:
            args = get_argument_values(
                spec.field,
                details.node,
                self.variable_values,
                details.fragment_variable_values,
                self.hide_suggestions,
            )
        except Exception:
            raise _NormalWayError from None  # the normal way reports it
        first = args.get("first", DEFAULT_FIRST)
        if not isinstance(first, int) or not 0 < first <= context.max_page:
            raise _NormalWayError  # the resolver refuses it
        _, found = prefetched(
            loaders, spec.link, spec.direction, source, first, args.get("after"), args.get("asOf")
        )
        if found is None:
            raise _NormalWayError
        return found

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
            return self.complete_leaf_value(return_type, result)
        object_type = self._object_type(return_type, result)
        grouped, deferred, _ = self.collect_subfields(object_type, field_details_list)
        if deferred or position_context is not None:  # @defer: the incremental executor's way
            return self.execute_collected_subfields(
                object_type, result, path, grouped, deferred, position_context
            )
        return self.execute_fields(object_type, result, path, grouped, None)

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
            if runtime is not None and self.schema.is_sub_type(return_type, runtime):
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
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                value = None
            if self.is_awaitable(value):
                value = self._settle(value, item_type, field_details_list, item_path)
                waiting.append(index)
            completed.append(value)
        if not waiting:
            return completed
        return self._gather(completed, waiting)

    async def _gather(self, completed: list[Any], waiting: list[int]) -> list[Any]:
        # all at once, so that DataLoaders batch the items' fetches into one store call
        done = await gather_with_cancel(*(completed[i] for i in waiting))
        for index, value in zip(waiting, done, strict=True):
            completed[index] = value
        return completed


def fast_plan_fields(schema: GraphQLSchema) -> Mapping[str, frozenset[str]]:
    """The fields completed directly, by type name (for tests and docs)."""
    return {t.name: frozenset(own) for t, own in _plan(schema).fields.items()}
