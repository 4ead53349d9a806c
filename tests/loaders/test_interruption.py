"""A real interruption: Neo4j is killed (SIGKILL) in the middle of an import.

* An import that fits one transaction leaves the graph exactly as it was.
* A batched import leaves whole batches; running it again completes it, and the graph is then
  identical to one imported without interruption.

The module runs its own Neo4j (the session's shared server must not be killed), emptied before
each test.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncGraphDatabase

from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import GovGraphError
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.port import WriteBatch, WriteResult
from govgraph.loaders.demo import load_demo
from govgraph.loaders.exporters import export
from govgraph.loaders.importer import import_files
from govgraph.ops.neo4j_local import LocalNeo4j

# its own server (killed, restarted or set up apart): one such module at a time, on one worker
pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("own-neo4j")]


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data set as the importer's CSV files (about 23,000 records)."""
    out = tmp_path_factory.mktemp("demo-csv")

    async def go() -> None:
        store = EmbeddedStore()
        await load_demo(store)
        await export(store, "csv", out)

    asyncio.run(go())
    return out


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    s = LocalNeo4j(tmp_path_factory.mktemp("interruption") / "neo4j")
    s.start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def server(module_server: LocalNeo4j) -> LocalNeo4j:
    """The module's server, running (a test before may have killed it) and empty."""
    if not module_server.is_running:
        _restart(module_server)

    async def empty() -> None:
        driver, store = _store(module_server.uri)
        try:
            await store.clear()
        finally:
            await driver.close()

    asyncio.run(empty())
    return module_server


def _store(uri: str) -> tuple[Any, Neo4jStore]:
    driver = AsyncGraphDatabase.driver(
        uri,
        notifications_min_severity="OFF",
        connection_timeout=2.0,
        max_transaction_retry_time=1.0,
    )
    return driver, Neo4jStore(driver)


class KillDuringApply(Neo4jStore):
    """The Neo4j store, except that its n-th write (``apply_checked``, the importer's)
    SIGKILLs the server while the write is in flight: the database really goes away
    mid-transaction."""

    def __init__(self, driver: Any, server: LocalNeo4j, on_apply: int, delay: float) -> None:
        super().__init__(driver)
        self.server, self.on_apply, self.delay, self.applies = server, on_apply, delay, 0

    async def apply_checked(self, batch: WriteBatch) -> WriteResult:
        self.applies += 1
        if self.applies != self.on_apply:
            return await super().apply_checked(batch)
        write = asyncio.ensure_future(super().apply_checked(batch))
        await asyncio.sleep(self.delay)
        assert not write.done(), "the write finished before the kill: make the batch bigger"
        assert self.server.pid is not None
        os.kill(self.server.pid, signal.SIGKILL)
        return await write


async def _counts(uri: str) -> tuple[dict[str, int], dict[str, int]]:
    driver, store = _store(uri)
    try:
        c = await store.counts()
        return c.nodes, c.links
    finally:
        await driver.close()


def _restart(server: LocalNeo4j) -> str:
    server.stop()  # reaps the killed process and forgets its state
    return server.start()


def test_one_transaction_import_killed_midway_leaves_the_graph_as_it_was(
    server: LocalNeo4j, demo_csv: Path
) -> None:
    files = sorted(demo_csv.glob("*.csv"))

    async def interrupted() -> None:
        driver, store = _store(server.uri)
        await store.init_schema()
        killer = KillDuringApply(driver, server, on_apply=1, delay=0.5)
        try:
            with pytest.raises(GovGraphError):
                await import_files(killer, files, batch_size=1_000_000)
        finally:
            await driver.close()

    asyncio.run(interrupted())
    uri = _restart(server)
    assert asyncio.run(_counts(uri)) == ({}, {})


def test_batched_import_killed_midway_completes_when_run_again(
    server: LocalNeo4j, demo_csv: Path
) -> None:
    files = sorted(demo_csv.glob("*.csv"))

    async def interrupted() -> int:
        driver, store = _store(server.uri)
        await store.init_schema()
        killer = KillDuringApply(driver, server, on_apply=3, delay=0.05)
        try:
            with pytest.raises(GovGraphError):
                await import_files(killer, files, batch_size=2000)
        finally:
            await driver.close()
        return killer.applies

    assert asyncio.run(interrupted()) == 3
    uri = _restart(server)
    partial_nodes, partial_links = asyncio.run(_counts(uri))
    # nodes go first, 2,000 a batch: the two batches before the kill, nothing of the third
    assert sum(partial_nodes.values()) == 4000
    assert partial_links == {}

    async def rerun() -> None:
        driver, store = _store(uri)
        try:
            report = await import_files(store, files, batch_size=2000)
            assert report.ok
        finally:
            await driver.close()

    asyncio.run(rerun())
    expected = asyncio.run(_embedded_counts(files))
    assert asyncio.run(_counts(uri)) == expected


async def _embedded_counts(files: list[Path]) -> tuple[dict[str, int], dict[str, int]]:
    store = EmbeddedStore()
    await import_files(store, files)
    c = await store.counts()
    return c.nodes, c.links
