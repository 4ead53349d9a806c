"""The web app on both stores: health, readiness (and its failure), the index."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_support import closed_port, warmed
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings


@pytest.fixture(params=["embedded", "neo4j", "neo4j-routing"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "embedded":
        return Settings(store="embedded", data_path=tmp_path / "g.jsonl")
    uri: str = request.getfixturevalue("neo4j_uri")
    if request.param == "neo4j-routing":
        # neo4j:// asks the server for a routing table; a single server answers with itself
        uri = uri.replace("bolt://", "neo4j://", 1)
    return Settings(store="neo4j", neo4j_uri=uri, neo4j_database="neo4j")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_when_store_answers(client: TestClient, settings: Settings) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    # the tests switch the analytics warm-up off (tests/conftest.py): idle
    assert r.json() == {"status": "ready", "store": settings.store, "analytics": {"state": "idle"}}


def test_counts_are_json_at_api_counts(client: TestClient) -> None:
    body = client.get("/api/counts").json()
    assert body["service"] == "governance-graph"
    assert isinstance(body["nodes"], dict)


def test_the_console_is_served_at_the_root_from_this_origin(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="zh-CN">' in page
    # every script and stylesheet the page names is served here, and none from elsewhere
    for ref in re.findall(r'(?:src|href)="([^"#]+)"', page):
        assert ref.startswith(("/static/", "data:")), ref
        if ref.startswith("/static/"):
            assert client.get(ref).status_code == 200, ref


def test_readyz_is_503_when_neo4j_is_down_and_says_the_warm_up_failed() -> None:
    settings = Settings(
        store="neo4j",
        neo4j_uri=f"bolt://127.0.0.1:{closed_port()}",
        neo4j_connection_timeout=1.0,
        neo4j_max_retry_time=0,
        warm_analytics=True,
    )
    with TestClient(create_app(settings)) as c:
        status = warmed(c)
        assert status["state"] == "failed" and "GOVGRAPH_NEO4J_URI" in status["problem"]
        r = c.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "unavailable"
        assert "GOVGRAPH_NEO4J_URI" in body["reason"]
        assert c.get("/healthz").status_code == 200
