"""Build the GraphQL schema with its limits from plain values (the API passes its settings)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)

from ..graph.errors import GovGraphError
from .documents import PerDocument
from .execution import FastExecution
from .limits import cost_limit_rule, depth_limiter
from .mutation import Mutation
from .query import Query
from .types import NODE_TYPES

log = logging.getLogger("govgraph.graphql")


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


def _expected(error: GraphQLError) -> bool:
    """Errors the caller caused (bad input, forbidden, store down) are shown as they are."""
    original = error.original_error
    # a GraphQLError as the original is graphql-core's own verdict on the input (a variable
    # that is not a finite Float, say), raised while coercing it
    return original is None or isinstance(original, GovGraphError | GraphQLError)


class MaskWithErrorId(MaskErrors):
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


class ErrorCodes(SchemaExtension):
    """Give every error of ours its machine-readable kind, ``extensions.code`` (for example
    ``STORE_UNAVAILABLE``), so a client can react by code rather than by parsing the message."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            original = error.original_error
            if isinstance(original, GovGraphError):
                error.extensions = {**(error.extensions or {}), "code": original.code}


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
        document, schema = context.graphql_document, context.schema._schema
        assert document is not None  # parsed before validation
        rules = tuple(context.validation_rules)
        found = self._cache.get(document)
        if found is not None and found[0] is schema and found[1] == rules:
            errors = found[2]
        else:
            errors = validate_document(schema, document, rules)
            self._cache.put(document, (schema, rules, errors))
        context.pre_execution_errors = errors
        yield


class GovGraphSchema(strawberry.Schema):
    """Strawberry's schema, minus its logging of every error: expected errors (bad input, a
    forbidden field, the store down) are the caller's business, and unexpected ones are logged
    once, with their error id, by :class:`MaskWithErrorId`."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None


#: distinct query texts whose parse and validation are kept (Apollo Server keeps them too)
QUERY_CACHE_SIZE = 512


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    limits = limits or Limits()
    # The limit rules are made once: the validation cache keys on (schema, document, rules), so
    # new rule classes per request would never hit. Every rule reads the document only (the
    # cost rule counts a variable ``first`` as the largest page), so a cached verdict is exact.
    rules = [
        *depth_limiter(limits.max_depth).validation_rules,  # QueryDepthLimiter, minus a crash
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        cost_limit_rule(limits.max_cost, limits.max_page),
    ]
    # factories, so every request gets fresh extension instances (the parse cache is shared by
    # Strawberry at module level, keyed by its size; bounded, so unique query texts cannot grow
    # memory without limit; the validation cache holds what the parse cache holds)
    validated: PerDocument[tuple[Any, tuple[Any, ...], Any]] = PerDocument()
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=QUERY_CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: DocumentValidationCache(validated),
        ErrorCodes,
        MaskWithErrorId,
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return GovGraphSchema(
        query=Query,
        mutation=Mutation,
        types=list(NODE_TYPES.values()),
        extensions=extensions,
        execution_context_class=FastExecution if limits.fast_execution else None,
    )


def sdl() -> str:
    """The schema as SDL text (what ``schema.graphql`` holds)."""
    return build_schema().as_str() + "\n"
