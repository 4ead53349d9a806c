"""Build the GraphQL schema with its limits from plain values (the API passes its settings)."""

from __future__ import annotations

import logging
import uuid
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
    QueryDepthLimiter,
)

from ..graph.errors import GovGraphError
from .limits import cost_limit_rule
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


def _expected(error: GraphQLError) -> bool:
    """Errors the caller caused (bad input, forbidden, store down) are shown as they are."""
    original = error.original_error
    return original is None or isinstance(original, GovGraphError)


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


class GovGraphSchema(strawberry.Schema):
    """Strawberry's schema, minus its logging of every error: expected errors (bad input, a
    forbidden field, the store down) are the caller's business, and unexpected ones are logged
    once, with their error id, by :class:`MaskWithErrorId`."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None


def build_schema(limits: Limits | None = None) -> strawberry.Schema:
    limits = limits or Limits()
    # factories, so every request gets fresh extension instances
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules([cost_limit_rule(limits.max_cost, limits.max_page)]),
        MaskWithErrorId,
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return GovGraphSchema(
        query=Query,
        mutation=Mutation,
        types=list(NODE_TYPES.values()),
        extensions=extensions,
    )


def sdl() -> str:
    """The schema as SDL text (what ``schema.graphql`` holds)."""
    return build_schema().as_str() + "\n"
