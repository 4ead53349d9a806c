"""Every example in docs/graphql.md runs against the demo data set and returns what it shows."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.cli.service import DEMO_KEYS
from govgraph.graph.embedded import EmbeddedStore
from govgraph.loaders.demo import load_demo

GUIDE = Path(__file__).parents[2] / "docs" / "graphql.md"
EXAMPLE = re.compile(
    r"<!-- key: (?P<key>\S+) -->\s*```graphql\n(?P<query>.*?)\n```\s*returns\s*```json\n"
    r"(?P<result>.*?)\n```",
    re.S,
)


def examples() -> list[tuple[str, str, str]]:
    found = [(m["key"], m["query"], m["result"]) for m in EXAMPLE.finditer(GUIDE.read_text())]
    assert len(found) >= 8, "the guide lost its examples"
    return found


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    store = EmbeddedStore()
    asyncio.run(load_demo(store))
    with TestClient(create_app(Settings(api_keys=DEMO_KEYS), store=store)) as c:
        yield c


@pytest.mark.parametrize(("key", "query", "result"), examples())
def test_guide_example(client: TestClient, key: str, query: str, result: str) -> None:
    headers = {} if key == "none" else {"x-api-key": key}
    body = client.post("/graphql", json={"query": query}, headers=headers).json()
    assert "errors" not in body, body["errors"]
    assert body["data"] == json.loads(result)
