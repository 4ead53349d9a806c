"""The validation cache keys on the parsed document's identity (``schema/build.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema

from govgraph.schema.build import Limits, build_schema

DEEP = (
    '{ node(id: "x") { ... on Compound { partOf { edges { node { ... on Community { '
    "partOf { edges { node { id } } } } } } } } } }"
)


def test_a_query_text_is_validated_once_and_its_verdict_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []
    real = strawberry_schema.validate_document

    def counted(*args: Any) -> Any:
        calls.append(args[1])
        return real(*args)

    monkeypatch.setattr(strawberry_schema, "validate_document", counted)
    schema = build_schema(Limits())
    for _ in range(3):
        assert schema.execute_sync("{ __typename }").data == {"__typename": "Query"}
    assert len(calls) == 1
    for _ in range(2):  # an invalid text: the same errors every time, validated once
        errors = schema.execute_sync("{ noSuchField }").errors
        assert errors and "noSuchField" in errors[0].message
    assert len(calls) == 2


def test_each_schema_keeps_its_own_rules_for_the_same_document() -> None:
    """Two schemas share Strawberry's parse cache (so the same document object), not their
    verdicts: the depth limit and disabled introspection hold in either order."""
    strict = build_schema(Limits(max_depth=3, introspection=False))
    lenient = build_schema(Limits())
    for first, second in ((strict, lenient), (lenient, strict)):
        for schema in (first, second, first):
            # run (asynchronously: `node` is an async resolver); with no store in the context
            # the lenient schema's resolver fails, which is not a depth error
            result = asyncio.run(schema.execute(DEEP))
            refused = any("depth" in e.message for e in result.errors or ())
            assert refused == (schema is strict)
            result = schema.execute_sync("{ __schema { queryType { name } } }")
            assert (result.errors is not None) == (schema is strict)
