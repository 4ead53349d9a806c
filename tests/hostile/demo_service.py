"""Helpers of the fuzz and leak-scan tests: the demo data set served as ``govgraph serve --demo``
serves it (embedded store, demo API keys), the schema as the running app describes it, and the
one check every answer must pass.

(A plain module, not a ``conftest.py``, for the reason given in ``hostile_service.py``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import graphql
import httpx
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.cli.service import DEMO_KEYS
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.port import GraphStore
from govgraph.loaders.demo import load_demo

ROLES = ("department", "researcher", "public")
HEADERS: dict[str, dict[str, str]] = {
    "department": {"x-api-key": "demo-department"},
    "researcher": {"x-api-key": "demo-researcher"},
    "public": {},
}
#: the request deadline of the apps under test (GOVGRAPH_REQUEST_TIMEOUT); an answer coded
#: TIMEOUT, or a 503, means a generated request hit it
REQUEST_TIMEOUT = 10.0
TIMEOUT = "TIMEOUT"
UNEXPECTED = "Unexpected error"


@contextmanager
def serve(store: GraphStore | None = None, **settings: Any) -> Iterator[TestClient]:
    """The app with the demo keys and :data:`REQUEST_TIMEOUT` on ``store`` (default: a new
    in-memory store holding the demo data set); ``settings`` override others."""
    if store is None:
        store = EmbeddedStore()
        asyncio.run(load_demo(store))
    config = Settings(api_keys=DEMO_KEYS, request_timeout=REQUEST_TIMEOUT, **settings)
    with TestClient(create_app(config, store=store)) as client:
        yield client


def post(
    client: TestClient, role: str, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    r: httpx.Response = client.post("/graphql", json=body, headers=HEADERS[role])
    return r


def live_schema(client: TestClient) -> graphql.GraphQLSchema:
    """The schema the running app describes (introspection, as any client would ask)."""
    r = post(client, "department", graphql.get_introspection_query(descriptions=False))
    assert r.status_code == 200, r.text[:500]
    return graphql.build_client_schema(r.json()["data"])


def problems(r: httpx.Response) -> list[str]:
    """What is wrong with an answer: a 5xx, a body that is not a GraphQL answer, an error
    without ``extensions.code`` or masked as unexpected, or the request deadline reached."""
    found = []
    if r.status_code >= 500:
        found.append(f"HTTP {r.status_code}")
    try:
        body = r.json()
    except ValueError:
        return [*found, f"not JSON: {r.text[:300]}"]
    if not isinstance(body, dict) or not ({"data", "errors"} & set(body)):
        return [*found, f"not a GraphQL answer: {r.text[:300]}"]
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or str(error.get("message", "")).startswith(UNEXPECTED):
            found.append(f"unexpected error: {error}")
        elif code == TIMEOUT:
            found.append(f"over the {REQUEST_TIMEOUT:g} s deadline: {error['message']}")
    return found


def error_codes(r: httpx.Response) -> list[str]:
    body = r.json()
    return [str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or []]
