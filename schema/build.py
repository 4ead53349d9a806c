"""Build the GraphQL schema with its limits from plain values (the API passes its settings)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from ..graph.errors import GovGraphError
from .bounded_input import BoundedVariables
from .documents import PerDocument
from .execution import FastExecution
from .internals import (
    KeptHooksRunner,
    MaskErrorsQuickly,
    graphql_schema,
    provided_operation_name,
)
from .limits import TOO_MANY_TOKENS, alias_limit_rules, cost_limit_rule, depth_limiter
from .mutation import Mutation
from .prepared import LearnPrepared, PreparedQueries, run_prepared
from .query import Query
from .scalars import Date
from .types import NODE_TYPES

log = logging.getLogger("govgraph.graphql")

#: ``extensions.code`` of a document that is not GraphQL, of one (or variables) that does not
#: fit the schema, and of several operations with no ``operationName`` to pick one
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_cost: int = 250_000
    max_page: int = 100
    introspection: bool = True
    #: complete plain data fields directly (``schema/execution.py``); off: graphql-core's way
    fast_execution: bool = True
    #: answer a query text that validated before without the extensions' stages (prepared.py)
    prepared_queries: bool = True


def _expected(error: GraphQLError) -> bool:
    """Errors the caller caused (bad input, forbidden, store down) are shown as they are."""
    original = error.original_error
    # a GraphQLError as the original is graphql-core's own verdict on the input (a variable
    # that is not a finite Float, say), raised while coercing it
    return original is None or isinstance(original, GovGraphError | GraphQLError)


class MaskWithErrorId(MaskErrorsQuickly):
    """Hide unexpected errors from the caller, log them, and give both sides the same id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _expected(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        error_id = uuid.uuid4().hex[:12]
        log.error("unexpected error %s at %s", error_id, error.path, exc_info=error.original_error)
        return GraphQLError(
            message=f"Unexpected error (id {error_id}); it has been logged.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"errorId": error_id},
        )


def _cause(error: GraphQLError) -> BaseException | None:
    """What raised ``error``, below the GraphQL errors that wrap it (a variable's coercion
    wraps the scalar's error twice)."""
    cause = error.original_error
    while isinstance(cause, GraphQLError):
        cause = cause.original_error
    return cause


def with_code(error: GraphQLError, default: str | None) -> GraphQLError:
    """``error`` with ``extensions.code``: the one it has, its cause's (a :class:`GovGraphError`),
    or ``default``."""
    if "code" in (error.extensions or {}):
        return error
    cause = _cause(error)
    code = cause.code if isinstance(cause, GovGraphError) else default
    if code is not None:
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


class ErrorCodes(SchemaExtension):
    """Give every expected error its machine-readable kind, ``extensions.code`` (for example
    ``STORE_UNAVAILABLE``), so a client can react by code rather than by parsing the message.
    An error outside any field (no path) and without a cause is a request error: variables
    that do not fit their types."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            request_error = error.path is None and _cause(error) is None
            with_code(error, GRAPHQL_VALIDATION_FAILED if request_error else None)


class CodedParserCache(ParserCache):
    """Strawberry's parse cache, its syntax errors coded: :data:`~.limits.TOO_MANY_TOKENS` past
    the token limit, :data:`GRAPHQL_PARSE_FAILED` otherwise. (A parse error ends the operation
    before :class:`ErrorCodes` sees the result, so it is coded where it is raised.)"""

    def on_parse(self) -> Iterator[None]:
        try:
            yield from super().on_parse()
        except GraphQLSyntaxError as error:
            # graphql-core's words for the token limit (graphql/language/parser.py)
            too_long = "tokens. Parsing aborted." in error.message
            with_code(error, TOO_MANY_TOKENS if too_long else GRAPHQL_PARSE_FAILED)
            raise


def _request_named_operation(context: ExecutionContext) -> bool:
    """Whether the request gave an ``operationName`` (Strawberry's ``operation_name`` falls
    back to the document's first operation)."""
    return provided_operation_name(context) is not None


class OneOperation(SchemaExtension):
    """A document with several operations needs ``operationName`` to say which to run (GraphQL
    spec, "GetOperation"); Strawberry would run the first one."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # parsed before validation
        operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        if operations > 1 and not _request_named_operation(context):
            error = GraphQLError(
                "Must provide operation name if query contains multiple operations.",
                extensions={"code": OPERATION_NAME_REQUIRED},
            )
            context.pre_execution_errors = [*(context.pre_execution_errors or ()), error]
        yield


class DocumentValidationCache(SchemaExtension):
    """Strawberry's ``ValidationCache``, keyed by the parsed document itself rather than by its
    hash: a graphql-core document hashes (and compares) by its whole tree, which cost every
    request a walk of its query; :class:`~strawberry.extensions.ParserCache` hands the same
    document back for the same text, so its identity is the key. An entry goes with its
    document (so the parse cache bounds this one), and holds for one schema and rule set."""

    def __init__(self, cache: PerDocument[tuple[Any, tuple[Any, ...], Any]]) -> None:
        super().__init__()
        self._cache = cache

    def on_validate(self) -> Iterator[None]:
        from strawberry.schema.schema import validate_document

        context = self.execution_context
        document, schema = context.graphql_document, graphql_schema(context.schema)
        assert document is not None  # parsed before validation
        rules = tuple(context.validation_rules)
        found = self._cache.get(document)
        if found is not None and found[0] is schema and found[1] == rules:
            errors = found[2]
        else:
            errors = validate_document(schema, document, rules)
            errors = [with_code(e, GRAPHQL_VALIDATION_FAILED) for e in errors]
            self._cache.put(document, (schema, rules, errors))
        context.pre_execution_errors = errors
        yield


class GovGraphSchema(strawberry.Schema):
    """Strawberry's schema, minus its logging of every error: expected errors (bad input, a
    forbidden field, the store down) are the caller's business, and unexpected ones are logged
    once, with their error id, by :class:`MaskWithErrorId`."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None

    def __init__(self, *args: Any, prepared: PreparedQueries | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: query documents that validated, answered without the extensions' stages (prepared.py)
        self.prepared = prepared

    async def execute(  # noqa: PLR0917  # Strawberry's signature
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        found = None
        if self.prepared is not None:
            found = self.prepared.for_request(
                self,
                query,
                variable_values,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        if found is None:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        return await run_prepared(
            self,
            found,
            query=query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed_operation_types,
        )

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> KeptHooksRunner:
        # the same hooks in the same order, found once per extension class (internals.py)
        return KeptHooksRunner(execution_context=execution_context, extensions=extensions)


#: distinct query texts whose parse and validation are kept (Apollo Server keeps them too)
QUERY_CACHE_SIZE = 512


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    limits = limits or Limits()
    # The limit rules are made once: the validation cache keys on (schema, document, rules), so
    # new rule classes per request would never hit. Every rule reads the document only (the
    # cost rule counts a variable ``first`` as the largest page), so a cached verdict is exact.
    rules = [
        *depth_limiter(limits.max_depth).validation_rules,  # QueryDepthLimiter, minus a crash
        *alias_limit_rules(limits.max_aliases),
        cost_limit_rule(limits.max_cost, limits.max_page),
    ]
    # factories, so every request gets fresh extension instances (the parse cache is shared by
    # Strawberry at module level, keyed by its size; bounded, so unique query texts cannot grow
    # memory without limit; the validation cache holds what the parse cache holds)
    validated: PerDocument[tuple[Any, tuple[Any, ...], Any]] = PerDocument()
    prepared = PreparedQueries(QUERY_CACHE_SIZE) if limits.prepared_queries else None
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: CodedParserCache(maxsize=QUERY_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: DocumentValidationCache(validated),
        OneOperation,
        BoundedVariables,  # filters and sort keys in the variables, before coercion
        ErrorCodes,
        MaskWithErrorId,
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    if prepared is not None:  # the last validation hook: it keeps what passed all the others
        extensions.append(lambda: LearnPrepared(prepared))
    return GovGraphSchema(
        query=Query,
        mutation=Mutation,
        types=list(NODE_TYPES.values()),
        extensions=extensions,
        execution_context_class=FastExecution if limits.fast_execution else None,
        # Date held to the accepted days (schema/scalars.py)
        config=StrawberryConfig(scalar_map={dt.date: Date}),
        prepared=prepared,
    )


def sdl() -> str:
    """The schema as SDL text (what ``schema.graphql`` holds)."""
    return build_schema().as_str() + "\n"
