"""The hostile GraphQL corpus (``graphql_cases.py``) against both stores.

For every case: a clear answer of the expected shape (a case that ran into the service's request
deadline answers ``TIMEOUT`` instead, and fails), never an unexpected (masked) error, the service
still answering a normal query afterwards, and the graph exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from graphql_cases import CASES, COUNT, Case
from hostile_service import API_KEYS, Service

from govgraph.api.app import create_app
from govgraph.api.settings import Settings

NORMAL = "{ compounds(orderBy: [{field: NAME}]) { totalCount edges { node { name } } } }"
NORMAL_ANSWER = {
    "compounds": {
        "totalCount": 2,
        "edges": [{"node": {"name": "云北苑小区"}}, {"node": {"name": "示例花园小区"}}],
    }
}


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """One app per store kind for a whole module, seeded once (and again after a failure)."""
    kind: str = request.param
    if kind == "embedded":
        path: Path = tmp_path_factory.mktemp("hostile") / "graph.jsonl"
        settings = Settings(store="embedded", data_path=path, api_keys=API_KEYS)
    else:
        uri: str = request.getfixturevalue("neo4j_uri")
        settings = Settings(store="neo4j", neo4j_uri=uri, api_keys=API_KEYS)
    with TestClient(create_app(settings)) as client:
        svc = Service(client, kind)
        if kind == "neo4j":
            svc.call(svc.store.init_schema)
        svc.reseed()
        yield svc


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 50
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"


def send(service: Service, case: Case) -> httpx.Response:
    headers = {**service.headers(case.role), **case.headers}
    client = service.client
    if case.method == "GET":
        r: httpx.Response = client.get("/graphql", params=case.params, headers=headers)
        return r
    if case.body is not None:
        content = case.body
    else:
        payload: dict[str, Any] = {"query": case.query}
        if case.variables is not None:
            payload["variables"] = case.variables
        if case.operation_name is not None:
            payload["operationName"] = case.operation_name
        content = json.dumps(payload, ensure_ascii=False)
    headers.setdefault("content-type", case.content_type)
    return client.request(case.method, "/graphql", content=content, headers=headers)


def check_answer(case: Case, r: httpx.Response) -> None:
    text = r.text
    assert "Unexpected error" not in text, f"an unexpected (masked) error: {text[:500]}"
    if case.outcome == "http":
        assert r.status_code == case.status, text[:500]
        assert case.expect in text, text[:500]
        return
    assert r.status_code == 200, text[:500]
    body = r.json()
    if case.outcome == "error":
        messages = " | ".join(e["message"] for e in body.get("errors") or [])
        assert messages, f"no error for {case.name}: {text[:500]}"
        assert case.expect in messages, messages[:1000]
        return
    assert not body.get("errors"), body["errors"]
    compact = json.dumps(body["data"], ensure_ascii=False, separators=(",", ":"))
    assert case.expect in compact, compact[:500]
    if case.outcome == "failure":
        typenames = [v.get("__typename") for v in body["data"].values() if isinstance(v, dict)]
        assert any(t and t not in ("NodePayload", "WritePayload") for t in typenames), compact


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_request(service: Service, case: Case) -> None:
    r = send(service, case)
    try:
        check_answer(case, r)
        # the service keeps serving, and the graph is what it was
        normal = service.client.post(
            "/graphql", json={"query": NORMAL}, headers=service.headers("department")
        )
        assert normal.status_code == 200
        assert normal.json() == {"data": NORMAL_ANSWER}
        assert service.fingerprint() == service.baseline, f"{case.name} changed the graph"
    except AssertionError:
        service.reseed()  # so one failure does not spill into the next cases
        raise


@pytest.fixture
def small_limit(tmp_path: Path) -> Iterator[TestClient]:
    """An app whose request limit is 2000 bytes, for what the corpus cannot send whole."""
    settings = Settings(store="embedded", data_path=tmp_path / "g.jsonl", max_request_bytes=2000)
    with TestClient(create_app(settings)) as client:
        yield client


def test_long_query_string_is_413(small_limit: TestClient) -> None:
    r = small_limit.get("/graphql", params={"query": COUNT + " " * 5000})
    assert r.status_code == 413
    assert "request larger than 2000 bytes" in r.text
    assert small_limit.get("/graphql", params={"query": COUNT}).status_code == 200


def test_body_without_content_length_is_counted(small_limit: TestClient) -> None:
    chunks = [b'{"query": "' + b" " * 1000] * 5 + [b'{ counts { nodes { kind } } }"}']
    r = small_limit.post(
        "/graphql", content=iter(chunks), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert small_limit.post("/graphql", json={"query": COUNT}).status_code == 200
