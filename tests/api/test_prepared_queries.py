"""A query text seen before runs without Strawberry's extension stages (``schema/prepared.py``)
and answers exactly as it would through them.

The same requests, in the same order, go to two apps on their own embedded stores holding the
same graph, one with prepared queries and one without; status and body must be equal for each
(error ids aside, which are random). Every request is sent twice, so the second goes the
prepared way where it may: a count of prepared runs shows which did. The requests cover data
for each role, variables, filters over the caps, bad variables, errors a resolver raises, a
document with several operations, mutations and GET. A schema-level test shows an unexpected
error is masked and logged alike both ways.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.graph.analytics.cache import AnalyticsCache
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.privacy import Role
from govgraph.schema import build as schema_build
from govgraph.schema.build import Limits, build_schema
from govgraph.schema.context import Context
from govgraph.schema.limits import MAX_IN
from govgraph.schema.prepared import Prepared, PreparedQueries

KEYS = {"department": "kd", "researcher": "kr"}
SEED = (
    'mutation { a: createNode(input: {kind: Compound, id: "cmp-p1", props: {name: "示例小区甲", '
    'builtYear: 1990}}) { __typename } b: createNode(input: {kind: Person, id: "p-p1", props: '
    '{name: "测试人员甲", phone: "13800000000"}}) { __typename } '
    'c: link(links: [{kind: RESIDES_IN, source: "p-p1", target: "cmp-p1"}]) { __typename } }'
)
PERSON = "query P($id: ID!) { node(id: $id) { id ... on Person { name phone } } }"
LIST = (
    "query L($ids: [String!]) { compounds(first: 5, where: {id: {in: $ids}}) "
    "{ totalCount edges { node { id name builtYear } } } }"
)
BAD_INT = "query B($n: Int) { compounds(first: $n) { totalCount } }"
TWO = "query A { __typename } query B { compounds(first: 1) { totalCount } }"
CREATE = (
    'mutation { createNode(input: {kind: Compound, id: "cmp-p2", props: {name: "示例小区乙"}}) '
    "{ __typename } }"
)

#: (role or None, body): each is sent twice in a row
REQUESTS: list[tuple[str | None, dict[str, Any]]] = [
    ("department", {"query": "{ __typename }"}),
    ("department", {"query": PERSON, "variables": {"id": "Person:p-p1"}}),
    ("researcher", {"query": PERSON, "variables": {"id": "Person:p-p1"}}),
    (None, {"query": PERSON, "variables": {"id": "Person:p-p1"}}),
    ("department", {"query": PERSON, "variables": {"id": "not a global id"}}),
    ("department", {"query": LIST, "variables": {"ids": ["cmp-p1"]}}),
    ("department", {"query": LIST, "variables": {"ids": [f"c{i}" for i in range(MAX_IN + 1)]}}),
    ("department", {"query": BAD_INT, "variables": {"n": "three"}}),
    ("department", {"query": BAD_INT, "variables": {"n": 100_000}}),
    ("department", {"query": TWO, "operationName": "B"}),
    ("department", {"query": TWO, "operationName": "A"}),
    ("department", {"query": TWO}),
    ("department", {"query": CREATE}),
]


def _settings(path: Path, prepared: bool) -> Settings:
    return Settings(
        store="embedded",
        data_path=path,
        api_keys={KEYS["department"]: "department", KEYS["researcher"]: "researcher"},
        graphql_prepared_queries=prepared,
    )


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        TestClient(create_app(_settings(tmp_path / "p.jsonl", True))) as prepared,
        TestClient(create_app(_settings(tmp_path / "n.jsonl", False))) as normal,
    ):
        for client in (prepared, normal):
            r = client.post("/graphql", json={"query": SEED}, headers={"x-api-key": "kd"})
            assert r.status_code == 200 and "errors" not in r.json(), r.text
        yield prepared, normal


@pytest.fixture
def prepared_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    runs: list[str] = []
    real = schema_build.run_prepared

    async def counted(schema: Any, prepared: Prepared, **kwargs: Any) -> Any:
        runs.append(kwargs["query"].split(" # ")[0])
        return await real(schema, prepared, **kwargs)

    monkeypatch.setattr(schema_build, "run_prepared", counted)
    return runs


def _answer(client: TestClient, role: str | None, body: dict[str, Any], get: bool) -> Any:
    # the tests share one schema per set of limits (tests/conftest.py), and so what it keeps: a
    # comment per test makes its texts its own
    body = {**body, "query": f"{body['query']} # {os.environ['PYTEST_CURRENT_TEST']}"}
    headers = {"x-api-key": KEYS[role]} if role else {}
    if get:
        params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        r = client.get("/graphql", params=params, headers=headers)
    else:
        r = client.post("/graphql", json=body, headers=headers)
    return r.status_code, r.json()


def test_prepared_queries_answer_as_the_extension_stages_do(
    clients: tuple[TestClient, TestClient], prepared_runs: list[str]
) -> None:
    prepared, normal = clients
    for get in (False, True):
        for role, body in REQUESTS:
            if get and body["query"].startswith("mutation"):
                continue
            for _ in range(2):
                got = _answer(prepared, role, body, get)
                assert got == _answer(normal, role, body, get), (role, body)
    # a text is kept by its first POST and prepared after (GET too); never: the mutation, the
    # two-operation document with no operationName, a filter over the caps (the normal way
    # refuses it); operation B and operation A of one text are kept apart
    assert Counter(prepared_runs) == {
        "{ __typename }": 3,
        PERSON: 4 * 4 - 1,  # three roles and a bad id, each sent four times
        LIST: 3,
        BAD_INT: 7,
        TWO: 6,
    }


def test_the_answers_with_errors_are_coded_alike(
    clients: tuple[TestClient, TestClient], prepared_runs: list[str]
) -> None:
    prepared, _ = clients
    codes = []
    for body in (
        {"query": LIST, "variables": {"ids": [f"c{i}" for i in range(MAX_IN + 1)]}},
        {"query": BAD_INT, "variables": {"n": "three"}},
        {"query": BAD_INT, "variables": {"n": 100_000}},  # over the largest page
    ):
        for _ in range(2):
            _, answer = _answer(prepared, "department", body, False)
            codes.append([e["extensions"].get("code") for e in answer["errors"]])
    assert codes[0] == codes[1] == ["TOO_MANY_VALUES"]
    assert codes[2] == codes[3] == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes[4] == codes[5] and codes[4] not in ([None], ["GRAPHQL_VALIDATION_FAILED"])
    assert prepared_runs == [BAD_INT] * 3


class _Failing(EmbeddedStore):
    async def get_nodes(self, ids: Any) -> Any:
        raise RuntimeError("the disk is on fire")


def test_an_unexpected_error_is_masked_and_logged_alike(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    schema = build_schema(Limits())
    store = _Failing()
    context = Context(store, Role.DEPARTMENT, b"s" * 32, 100, analytics=AnalyticsCache(store))
    query = '{ node(id: "Compound:x") { id } }'

    async def twice() -> list[Any]:
        return [await schema.execute(query, context_value=context) for _ in range(2)]

    with caplog.at_level(logging.ERROR, logger="govgraph.graphql"):
        first, second = asyncio.run(twice())
    assert schema.prepared is not None and schema.prepared.get(query, None) is not None
    shown = []
    for result in (first, second):
        assert result.data == {"node": None}
        (error,) = result.errors
        assert re.fullmatch(
            r"Unexpected error \(id [0-9a-f]{12}\); it has been logged\.", error.message
        )
        assert "fire" not in error.message
        shown.append(error.extensions["errorId"])
    logged = [r.getMessage() for r in caplog.records]
    assert [any(i in m for m in logged) for i in shown] == [True, True]
    assert len(logged) == 2


def test_a_kept_query_is_still_refused_where_queries_are_not_allowed() -> None:
    schema = build_schema(Limits())
    query = "{ __typename }"
    assert asyncio.run(schema.execute(query)).data == {"__typename": "Query"}
    assert schema.prepared is not None and schema.prepared.get(query, None) is not None
    with pytest.raises(InvalidOperationTypeError):
        asyncio.run(schema.execute(query, allowed_operation_types=[OperationType.MUTATION]))


def test_the_kept_documents_are_bounded_least_recently_used_first() -> None:
    kept = PreparedQueries(2)
    doc = Prepared(document=None, operation_name=None)  # type: ignore[arg-type]
    kept.put("a", None, doc)
    kept.put("b", None, doc)
    assert kept.get("a", None) is doc  # "a" used: "b" is the least recently used
    kept.put("c", None, doc)
    assert (kept.get("a", None), kept.get("b", None), kept.get("c", None)) == (doc, None, doc)
    assert kept.get("a", "A") is None  # the operationName sent is part of the key
    assert kept.get(["a"], None) is None and len(kept) == 2  # not a text: never kept


def test_the_skipped_stages_hold_only_hooks_the_prepared_way_accounts_for() -> None:
    """The prepared way skips every extension's parse and validation hooks (their verdicts are
    per document), runs the operation hooks only around a result with errors, and has no place
    for execution hooks, resolve middleware or extension results: a new extension with one of
    those needs schema/prepared.py reviewed first."""
    hooks = ("on_operation", "on_parse", "on_validate", "on_execute", "resolve", "get_results")
    found = {
        type(e).__name__: [
            h for h in hooks if getattr(type(e), h) is not getattr(SchemaExtension, h)
        ]
        for e in build_schema(Limits(introspection=False)).get_extensions()
    }
    assert found == {
        "MaxTokensLimiter": ["on_operation"],  # parse options, before the parse
        "CodedParserCache": ["on_parse"],
        "AddValidationRules": ["on_operation"],  # validation rules, before the validation
        "DocumentValidationCache": ["on_validate"],
        "OneOperation": ["on_validate"],
        "BoundedVariables": ["on_validate"],  # per request: variables_refusal
        "ErrorCodes": ["on_operation"],  # on errors
        "MaskWithErrorId": ["on_operation"],  # on errors
        "DisableIntrospection": ["on_operation"],  # a validation rule
        "LearnPrepared": ["on_validate"],
    }
