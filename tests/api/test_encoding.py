"""GraphQL answers are encoded with orjson, and with json for what orjson refuses."""

from __future__ import annotations

import json

import pytest
from cross_web import HTTPException

from govgraph.api.http_guard import GuardedGraphQLRouter, _finite, _no_constant, strict_json
from govgraph.schema.build import build_schema


def test_answers_are_utf8_json_and_big_integers_still_encode() -> None:
    router = GuardedGraphQLRouter(build_schema())
    answer = {"data": {"name": "云北苑小区", "n": 3, "x": 0.5, "ok": True, "none": None}}
    encoded = router.encode_json(answer)
    assert isinstance(encoded, bytes)
    assert "云北苑小区".encode() in encoded  # the text as it is, not \\u escapes
    assert json.loads(encoded) == answer
    huge = {"data": {"n": 2**70}}  # beyond orjson's 64 bits
    assert json.loads(router.encode_json(huge)) == huge


@pytest.mark.parametrize(
    "text",
    [
        '{"query": "{ a }", "variables": {"x": 1.5, "y": [1, "z"], "n": null}}',
        "\ufeff{}",  # a byte-order mark: refused, as json.loads refuses it
        '{"x": NaN}',
        '{"x": 1e999}',
        '{"x": 1',
        "[]",
    ],
)
def test_a_body_decodes_as_json_loads_with_the_hooks_decodes_it(text: str) -> None:
    def loads(data: str) -> object:
        try:
            return json.loads(data, parse_constant=_no_constant, parse_float=_finite)
        except ValueError as exc:  # JSONDecodeError is one
            return type(exc).__name__

    def decoded(data: str) -> object:
        try:
            return strict_json(data)
        except HTTPException as exc:
            return exc.reason

    expected = loads(text)
    got = decoded(text)
    if isinstance(expected, str):  # refused: a 400 saying the body is not JSON, or why
        assert isinstance(got, str)
        assert ("Unable to parse" in got) == (expected == "JSONDecodeError"), (got, expected)
    else:
        assert got == expected
