"""Typed failures without a real outage: ``extensions.code`` on our errors, and the request
deadline that answers for a store that hangs (api/deadline.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import CommitOutcomeUnknownError, StoreUnavailableError
from govgraph.graph.model import node
from govgraph.graph.privacy import Role

KEY = "k-department"
DEPARTMENT = {"X-API-Key": KEY}
COUNTS = "{ counts { nodes { kind count } } }"


@pytest.fixture
def store() -> EmbeddedStore:
    s = EmbeddedStore()
    asyncio.run(s.upsert([node("Compound", "c1", name="示例小区")]))
    return s


@pytest.fixture
def client(store: EmbeddedStore) -> Iterator[TestClient]:
    settings = Settings(api_keys={KEY: Role.DEPARTMENT}, request_timeout=1.0)
    with TestClient(create_app(settings, store=store)) as c:
        yield c


def test_store_unavailable_has_its_code(
    client: TestClient, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_: Any, **__: Any) -> Any:
        raise StoreUnavailableError("Neo4j is unavailable (test); nothing was changed.")

    monkeypatch.setattr(store, "counts", down)
    body = client.post("/graphql", json={"query": COUNTS}, headers=DEPARTMENT).json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "STORE_UNAVAILABLE"
    assert "nothing was changed" in error["message"]


def test_an_unknown_commit_outcome_has_its_own_code(
    client: TestClient, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def lost(*_: Any, **__: Any) -> Any:
        raise CommitOutcomeUnknownError("Neo4j went away while committing (test)")

    monkeypatch.setattr(store, "apply", lost)
    create = 'mutation { createNode(input: {kind: Compound, id: "c2"}) { __typename } }'
    r = client.post("/graphql", json={"query": create}, headers=DEPARTMENT)
    body = r.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "COMMIT_OUTCOME_UNKNOWN"
    assert error["path"] == ["createNode"] and body["data"] is None


def test_other_errors_have_their_codes(client: TestClient) -> None:
    forbidden = client.post("/graphql", json={"query": "{ compounds { totalCount } }"})
    codes = [e.get("extensions", {}).get("code") for e in forbidden.json().get("errors", [])]
    assert codes and set(codes) <= {"FORBIDDEN"}, forbidden.json()
    invalid = client.post(
        "/graphql", json={"query": "{ compounds(first: 0) { totalCount } }"}, headers=DEPARTMENT
    )
    (error,) = invalid.json()["errors"]
    assert error["extensions"]["code"] == "VALIDATION_FAILED"


def test_a_hanging_store_is_cut_off_at_the_request_timeout(
    client: TestClient, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut_off: list[str] = []

    async def hang(*_: Any, **__: Any) -> Any:
        try:
            await asyncio.Event().wait()  # never set: only the deadline ends this
        except asyncio.CancelledError:
            cut_off.append("cancelled")
            raise

    monkeypatch.setattr(store, "counts", hang)
    monkeypatch.setattr(store, "ping", hang)
    r = client.post("/graphql", json={"query": COUNTS}, headers=DEPARTMENT)
    assert cut_off  # the deadline cancelled the store's work rather than leaving it running
    assert r.status_code == 503
    (error,) = r.json()["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "GOVGRAPH_REQUEST_TIMEOUT" in error["message"]
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    # the app goes on serving
    assert client.get("/healthz").status_code == 200
