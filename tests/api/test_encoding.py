"""GraphQL answers are encoded with orjson, and with json for what orjson refuses."""

from __future__ import annotations

import json

from govgraph.api.http_guard import GuardedGraphQLRouter
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
