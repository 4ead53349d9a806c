"""Shared fixtures: one event loop for the session, and the two stores behind one fixture.

The Neo4j half always runs. The session starts a real Neo4j (Community 5.26, from Maven Central
jars) unless ``GOVGRAPH_TEST_NEO4J_URI`` points at one already running; if it cannot start, the
tests that need it fail with the reason. They are never skipped.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.port import GraphStore

T = TypeVar("T")
Run = Callable[[Awaitable[T]], T]

STORE_KINDS = ("embedded", "neo4j")


@pytest.fixture(scope="session")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as r:
        yield r


@pytest.fixture(scope="session")
def run(runner: asyncio.Runner) -> Callable[[Awaitable[Any]], Any]:
    """Run a coroutine on the session's event loop (the Neo4j async driver is bound to it)."""
    return runner.run


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("GOVGRAPH_TEST_NEO4J_URI")
    if external:
        yield external
        return
    from govgraph.ops.neo4j_local import LocalNeo4j

    server = LocalNeo4j(tmp_path_factory.mktemp("neo4j"))
    uri = server.start()
    try:
        yield uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_uri: str, run: Run[Any]) -> Iterator[Any]:
    from neo4j import AsyncGraphDatabase

    user = os.environ.get("GOVGRAPH_TEST_NEO4J_USER", "neo4j")
    password = os.environ.get("GOVGRAPH_TEST_NEO4J_PASSWORD", "")
    driver = AsyncGraphDatabase.driver(
        neo4j_uri,
        auth=(user, password) if password else None,
        notifications_min_severity="OFF",
    )
    run(driver.verify_connectivity())
    try:
        yield driver
    finally:
        run(driver.close())


@pytest.fixture(scope="session")
def neo4j_store(neo4j_driver: Any, run: Run[Any]) -> GraphStore:
    from govgraph.graph.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_driver, database=os.environ.get("GOVGRAPH_TEST_NEO4J_DATABASE"))
    run(store.init_schema())
    return store


def make_store(
    kind: str, request: pytest.FixtureRequest, run: Run[Any], tmp_path: Path
) -> GraphStore:
    if kind == "embedded":
        return EmbeddedStore(tmp_path / "graph.jsonl")
    store: GraphStore = request.getfixturevalue("neo4j_store")
    run(store.clear())
    return store


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, run: Run[Any], tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each kind; every test using it runs once per adapter."""
    s = make_store(request.param, request, run, tmp_path)
    s.stats.queries = 0
    s.stats.by_operation.clear()
    yield s
    if request.param == "embedded":
        run(s.close())
