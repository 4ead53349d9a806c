"""Every use of Strawberry's and graphql-core's private parts, in one place.

Written for **strawberry-graphql 0.341.2** and **graphql-core 3.3.2** (the versions
:data:`TESTED` names; ``tests/schema/test_internals.py`` fails on any other, so an upgrade
starts with a review of this module). What is private here, and why it is worth it:

* :class:`CoreExecutor`: graphql-core 3.3's executor (``Executor``, as Strawberry's execution
  context extends it) is a public class, but the methods :mod:`.execution` overrides and calls
  (``execute_fields``, ``execute_field``, ``collect_subfields``, ``handle_field_error``,
  ``settle_in_background``, ``complete_leaf_value``, ``execute_collected_subfields``) and their
  signatures are its internals; they changed from 3.2 to 3.3. The fast executor saves most of
  a nested read's time, so it stays, talking to graphql-core only through this class.
* :func:`core_info`: Strawberry's ``Info`` does not expose graphql-core's resolve info (the field
  nodes and the fragments the prefetch walk reads); ``info.selected_fields`` converts the whole
  selection on every call and loses the nodes' identity, which the per-document caches key on.
* :func:`graphql_schema`: Strawberry keeps its graphql-core schema as ``Schema._schema`` (its own
  extensions read it there); there is no public accessor.
* :func:`resolver_arguments`: a field's arguments as its resolver gets them, for the prefetch
  walk and the fast executor, which predict a link field's page key before it resolves (its
  ``where`` and ``orderBy`` become the key): Strawberry's ``convert_arguments`` (in
  ``strawberry.types.arguments``, not exported) with the schema converter's scalar registry,
  so the key is the resolver's to the bit.
* :func:`strawberry_info`, :meth:`CoreExecutor.resolve_info`, :meth:`CoreExecutor.complete` and
  :attr:`CoreExecutor.variables`: the fast executor resolves a root list field itself (its
  arguments converted once per query text and variables, not on every request), so it builds
  the ``info`` Strawberry's resolver wrapper would (``Info(_raw_info=..., _field=...)``) from
  graphql-core's ``build_resolve_info``, completes the result with ``complete_value``, and keys
  on the coerced variables (graphql-core 3.3's ``VariableValues.coerced``).
* :class:`CoreExecutor` sets graphql-core's ``async_helpers`` again, its methods held weakly:
  graphql-core's own make every request's executor, context and fetched pages a reference cycle.
* :func:`provided_operation_name`: Strawberry's ``ExecutionContext.operation_name`` falls back to
  the document's first operation, so whether the request named one is only in
  ``_provided_operation_name``.
* :class:`KeptHooksRunner`: Strawberry's extensions runner, its stages' context managers
  (``strawberry.extensions.context``) finding each extension's hook once per extension class
  rather than on every request (``get_hook`` inspects the hook and wraps it in a new
  ``contextlib.contextmanager``: ~40 us of a request with our eight extensions), and its
  ``get_extensions_results`` not awaiting the base class's ``get_results`` (always ``{}``).
* :func:`run_operation` and :func:`coerce_error`: a query text seen before runs without the
  extensions' stages (:mod:`.prepared`), so graphql-core's execution is called with the arguments
  Strawberry's ``Schema._execute_operation`` gives it (its execute function, custom context
  arguments and ``is_awaitable``), and an exception of the execution itself becomes the error
  Strawberry's ``_coerce_error`` makes of it.
* :class:`MaskErrorsQuickly`: ``MaskErrors._process_result`` tests whether a result has errors
  by an ``isinstance`` against a runtime-checkable Protocol, which walks the protocol's members
  on every request (~10 us); the same test as an attribute read.

Everything else the schema layer uses is public: ``strawberry.resolvers.is_default_resolver``,
graphql-core's ``GraphQLResolveInfo`` fields, ``get_argument_values``.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from types import TracebackType
from typing import Any, ClassVar, TypeVar

import strawberry
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
)
from graphql import GraphQLResolveInfo as CoreInfo
from graphql.execution import get_argument_values
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.middleware import MiddlewareManager
from graphql.pyutils import Path, gather_with_cancel
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.resolvers import is_default_resolver
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext, Info
from strawberry.types.arguments import convert_arguments
from strawberry.utils.await_maybe import await_maybe

#: the versions this module was written for and tested with (package name → version)
TESTED = {"strawberry-graphql": "0.341.2", "graphql-core": "3.3.2"}

__all__ = [
    "TESTED",
    "CoreExecutor",
    "CoreInfo",
    "FieldDetailsList",
    "KeptHooksRunner",
    "MaskErrorsQuickly",
    "Path",
    "coerce_error",
    "core_info",
    "definition_of",
    "gather",
    "graphql_schema",
    "is_default_resolver",
    "provided_operation_name",
    "run_operation",
    "strawberry_info",
]

_T = TypeVar("_T")

#: Strawberry's back-reference from a graphql-core type or field to its own definition
_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF

#: several awaitables at once; if one fails the others are cancelled (graphql-core's helper)
gather = gather_with_cancel


def _weakly(method: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """``method`` (bound) without a strong reference to its object."""
    ref = weakref.WeakMethod(method)

    def call(values: Any) -> _T:
        bound = ref()
        assert bound is not None, "used after its executor was freed"
        return bound(values)

    return call


def definition_of(graphql_thing: Any) -> Any:
    """Strawberry's definition of a graphql-core type or field (None: not Strawberry's)."""
    return (graphql_thing.extensions or {}).get(_DEFINITION)


def core_info(info: Info) -> CoreInfo[Any]:
    """graphql-core's resolve info behind Strawberry's ``info`` (field nodes, fragments)."""
    return info._raw_info


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built."""
    return schema._schema


def resolver_arguments(
    schema: GraphQLSchema, field: GraphQLField, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The coerced arguments ``values`` of ``field`` (graphql-core's ``get_argument_values``)
    as Strawberry hands them to its resolver: inputs as their classes, by Python names."""
    strawberry_schema = definition_of(schema)
    return convert_arguments(
        dict(values),
        definition_of(field).arguments,
        scalar_registry=strawberry_schema.schema_converter.scalar_registry,
        config=strawberry_schema.config,
    )


def strawberry_info(schema: GraphQLSchema, raw: CoreInfo[Any], field: GraphQLField) -> Info:
    """The ``info`` Strawberry hands the resolver of ``field`` (its schema's info class, with
    graphql-core's resolve info and Strawberry's field definition, as its resolver wrapper
    builds it)."""
    info: Info = definition_of(schema).config.info_class(_raw_info=raw, _field=definition_of(field))
    return info


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The ``operationName`` the request gave, if any (not the document's first operation)."""
    return context._provided_operation_name


def run_operation(
    schema: strawberry.Schema,
    document: DocumentNode,
    *,
    root_value: Any,
    context_value: Any,
    variable_values: dict[str, Any] | None,
    operation_name: str | None,
) -> Any:
    """graphql-core's execution of a validated document, called as Strawberry 0.341's
    ``Schema._execute_operation`` calls it, without operation extensions or resolve middleware
    (the caller makes sure no extension has a ``resolve`` hook). A result, or its awaitable."""
    execute = schema._get_execute_function()
    return execute(
        schema._schema,
        document,
        root_value=root_value,
        middleware=MiddlewareManager(),
        variable_values=variable_values,
        operation_name=operation_name,
        context_value=context_value,
        is_awaitable=optimized_is_awaitable,
        **execution_context_class_kwargs(schema.execution_context_class),
        **schema._get_custom_context_kwargs(None),
    )


def coerce_error(error: Exception) -> GraphQLError:
    """The error Strawberry's ``Schema.execute`` answers for an exception of the execution."""
    if isinstance(error, GraphQLError):
        return error
    return GraphQLError(str(error), original_error=error)


class CoreExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with graphql-core's internals behind stable names.

    A subclass overrides :meth:`fields` (an object's selection) and :meth:`field` (one field),
    which graphql-core calls for every object and field, and falls back on
    :meth:`normal_fields` and :meth:`normal_field`. ``grouped`` is graphql-core's grouped field
    set (response name → :data:`FieldDetailsList`); ``position`` is opaque (incremental
    delivery's, passed on as it came).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core hands resolvers its own bound methods (``info.async_helpers``): a cycle
        # through the executor that kept each request's context, its loaders and every page
        # fetched alive until the cyclic collector ran (~290 objects a request, freed in pauses
        # of 50-150 ms under load); held weakly, they are freed as the request ends
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=_weakly(self.gather_async_work), track=_weakly(self.track_async_work)
        )
        #: the request's context, and whether a value is awaitable (graphql-core's test)
        self.request_context: Any = self.context_value
        self.awaitable = self.is_awaitable
        #: the operation run and the fragment definitions of its document, by name
        self.operation_node = self.operation
        self.fragment_nodes: Mapping[str, Any] = self.fragment_definitions
        self.graphql_schema: GraphQLSchema = self.schema
        middleware = self.middleware_manager
        self.has_middleware = bool(middleware and middleware.middlewares)

    @property
    def variables(self) -> Mapping[str, Any]:
        """The request's variables, coerced, by name (graphql-core 3.3's ``VariableValues``)."""
        coerced: Mapping[str, Any] = self.variable_values.coerced
        return coerced

    # -- graphql-core's hooks, handed to ours --------------------------------------------------
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        return self.fields(parent_type, source_value, path, grouped_field_set, position_context)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        return self.field(parent_type, source, field_details_list, path, position_context)

    # -- graphql-core's way --------------------------------------------------------------------
    def normal_fields(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        grouped: Any,
        position: Any,
    ) -> Any:
        """An object's selection completed by graphql-core (each field through :meth:`field`)."""
        return super().execute_fields(parent_type, source, path, grouped, position)

    def normal_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        path: Path,
        position: Any,
    ) -> Any:
        """One field resolved and completed by graphql-core."""
        return super().execute_field(parent_type, source, details, path, position)

    #: ours, to override (by default, graphql-core's way)
    fields = normal_fields
    field = normal_field

    def field_error(
        self,
        error: Exception,
        return_type: GraphQLOutputType,
        details: FieldDetailsList,
        path: Path,
    ) -> None:
        """Record ``error`` at ``path`` (or raise it on, if the field is non-null)."""
        self.handle_field_error(error, return_type, details, path)

    def settle_later(self, awaitables: list[Awaitable[Any]]) -> None:
        """Let started fields finish in the background (an error ends their object)."""
        self.settle_in_background(awaitables)

    def subfields(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[Any, Any]:
        """The grouped field set of ``details``' selections on ``object_type``, and the
        deferred fragments among them (memoized by graphql-core)."""
        grouped, deferred, _ = self.collect_subfields(object_type, details)
        return grouped, deferred

    def execute_subfields(
        self,
        object_type: GraphQLObjectType,
        source: Any,
        path: Path,
        grouped: Any,
        deferred: Any,
        *,
        position: Any,
    ) -> Any:
        """An object's collected selection, with incremental delivery (``@defer``)."""
        return self.execute_collected_subfields(
            object_type, source, path, grouped, deferred, position
        )

    def complete_leaf(self, return_type: Any, value: Any) -> Any:
        """A scalar's or an enum's output value (raises if it refuses ``value``)."""
        return self.complete_leaf_value(return_type, value)

    @staticmethod
    def selection_key(details: FieldDetailsList) -> tuple[int, int]:
        """What tells one selection of a field from another in a request: its node and the
        fragment variables it is under (their identities)."""
        first = details[0]
        return id(first.node), id(first.fragment_variable_values)

    def resolve_info(
        self,
        field: GraphQLField,
        details: FieldDetailsList,
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> CoreInfo[Any]:
        """graphql-core's resolve info for ``field`` as ``details`` selects it at ``path``."""
        return self.build_resolve_info(field, [d.node for d in details], parent_type, path)

    def complete(
        self,
        return_type: GraphQLOutputType,
        details: FieldDetailsList,
        info: CoreInfo[Any],
        path: Path,
        result: Any,
    ) -> Any:
        """What a field's resolver returned, completed as graphql-core completes it."""
        return self.complete_value(return_type, details, info, path, result, None)

    def argument_values(self, field: GraphQLField, details: FieldDetailsList) -> dict[str, Any]:
        """The coerced arguments of a field as ``details`` selects it (raises if invalid)."""
        first = details[0]
        return get_argument_values(
            field,
            first.node,
            self.variable_values,
            first.fragment_variable_values,
            self.hide_suggestions,
        )


# -- extension hooks ---------------------------------------------------------------------------
#: what makes an extension's hook for a stage (None: the extension has no hook there; the
#: Strawberry way: a plain callable hook, wrapped by Strawberry's get_hook on every request)
_HookMaker = Callable[[SchemaExtension], WrappedHook] | None
_STRAWBERRY_WAY: Any = object()
#: the base class's get_results, which gives nothing
_NO_RESULTS = SchemaExtension.get_results


class _KeptHooks(ExtensionContextManagerBase):
    """A stage's context manager whose hooks are found once per tuple of extension classes:
    the same generator hooks, entered and left in the same order by the same exit stack."""

    __slots__ = ()
    _makers: ClassVar[dict[tuple[type, ...], list[tuple[int, Any]]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._makers = {}

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.default_hook = getattr(SchemaExtension, self.HOOK_NAME)
        key = tuple(map(type, extensions))
        makers = self._makers.get(key)
        if makers is None:
            found = ((i, self._maker(cls)) for i, cls in enumerate(key))
            makers = self._makers[key] = [(i, make) for i, make in found if make is not None]
        self.hooks = []
        for i, make in makers:
            extension = extensions[i]
            hook = super().get_hook(extension) if make is _STRAWBERRY_WAY else make(extension)
            if hook:
                self.hooks.append(hook)

    def _maker(self, cls: type) -> _HookMaker:
        hook_fn = getattr(cls, self.HOOK_NAME)
        if hook_fn is self.default_hook:
            return None
        if inspect.isgeneratorfunction(hook_fn):
            sync = contextlib.contextmanager(hook_fn)  # decorated once, called per request
            return lambda ext: WrappedHook(ext, partial(sync, ext), is_async=False)
        if inspect.isasyncgenfunction(hook_fn):
            async_ = contextlib.asynccontextmanager(hook_fn)
            return lambda ext: WrappedHook(ext, partial(async_, ext), is_async=True)
        maker: _HookMaker = _STRAWBERRY_WAY
        return maker

    # with no hook at a stage, its exit stack would do nothing: none is made
    async def __aenter__(self) -> None:
        if self.hooks:
            await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self.hooks:
            await super().__aexit__(exc_type, exc_val, exc_tb)


class _Operation(_KeptHooks, OperationContextManager):
    __slots__ = ()


class _Validation(_KeptHooks, ValidationContextManager):
    __slots__ = ()


class _Parsing(_KeptHooks, ParsingContextManager):
    __slots__ = ()


class _Executing(_KeptHooks, ExecutingContextManager):
    __slots__ = ()


class KeptHooksRunner(SchemaExtensionsRunner):
    """Strawberry's extensions runner with its stages' hooks found once (module doc)."""

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        # Strawberry's, without awaiting the base class's get_results (always {}) per extension
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if type(extension).get_results is not _NO_RESULTS:
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


class MaskErrorsQuickly(MaskErrors):
    """Strawberry's ``MaskErrors``, its result's errors found by an attribute read (module doc)."""

    def _process_result(self, result: object) -> None:
        # what isinstance(result, _ResultWithErrors) tests: that result has an errors attribute
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]
