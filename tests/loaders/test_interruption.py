"""A real interruption: Neo4j is killed (SIGKILL) in the middle of an import.

* An import that fits one transaction leaves the graph exactly as it was.
* A batched import leaves whole batches; running it again completes it, and the graph is then
  identical to one imported without interruption.

The kill lands while the import's transaction is provably in flight, however fast or busy the
machine: another transaction holds the last node of the batch (created, not committed), so the
import's write stops there and waits, having written the rows before it; the server reports it
blocked, holding locks, and only then is it killed. The data is small (3,600 records, eight
batches), so the time goes to the kills and restarts, not to writing.

The module runs its own Neo4j (the session's shared server must not be killed), emptied before
each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncGraphDatabase

from govgraph.graph.cypher import ENTITY
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import GovGraphError
from govgraph.graph.model import link, node
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.port import WriteBatch, WriteResult
from govgraph.loaders.exporters import export
from govgraph.loaders.importer import import_files
from govgraph.ops.neo4j_local import LocalNeo4j

# its own server (killed, restarted or set up apart): one such module at a time, on one worker
pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("own-neo4j")]

#: records a batch of the batched import, and the batch during which the server is killed
BATCH = 500
KILLED_BATCH = 3
#: how long the import may take to reach the held node and wait there
BLOCKED_WITHIN = 60.0


@pytest.fixture(scope="module")
def city_csv(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Compounds and their buildings as the importer's CSV files: 2,000 nodes and 1,600 links,
    eight batches at :data:`BATCH`. Two node kinds and one link kind: each kind is a statement
    of its own, which a freshly started server must plan, and the kinds prove nothing here."""
    out = tmp_path_factory.mktemp("city-csv")
    compounds = [node("Compound", f"cmp-{i:04d}", name=f"示例小区{i:04d}") for i in range(400)]
    buildings = [node("Building", f"bld-{i:04d}", name=f"{i % 4 + 1}号楼") for i in range(1600)]
    part_of = [link("PART_OF", b.id, f"cmp-{i // 4:04d}") for i, b in enumerate(buildings)]

    async def write() -> None:
        store = EmbeddedStore()
        await store.upsert([*compounds, *buildings], part_of)
        await export(store, "csv", out)

    asyncio.run(write())
    return sorted(out.glob("*.csv"))


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
        max_transaction_retry_time=0.0,  # a write to the killed server fails at once
    )
    return driver, Neo4jStore(driver)


class KillDuringApply(Neo4jStore):
    """The Neo4j store, except that its n-th write (``apply_checked``, the importer's) is
    caught in flight and the server SIGKILLed: another transaction creates the batch's last node
    first, so the write stops at that node and waits, with the rows before it written; once the
    server reports the write blocked, holding locks, the database really goes away
    mid-transaction."""

    def __init__(self, driver: Any, server: LocalNeo4j, on_apply: int) -> None:
        super().__init__(driver)
        self.server, self.on_apply, self.applies = server, on_apply, 0
        #: what the server said of the import's transaction just before the kill
        self.caught: dict[str, Any] = {}

    async def apply_checked(self, batch: WriteBatch) -> WriteResult:
        self.applies += 1
        if self.applies != self.on_apply:
            return await super().apply_checked(batch)
        assert len(batch.nodes) > 1, "the held node must come after others in the batch"
        held = batch.nodes[-1].id
        async with self._driver.session() as holder:
            tx = await holder.begin_transaction()
            await (await tx.run(f"CREATE (:{ENTITY} {{id: $id}})", id=held)).consume()
            write = asyncio.ensure_future(super().apply_checked(batch))
            self.caught = await _blocked_write(self._driver, write)
            assert not write.done(), "the write finished before the kill"
            assert self.server.pid is not None
            os.kill(self.server.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):  # its server is gone
                await tx.close()
        return await write


async def _blocked_write(driver: Any, write: asyncio.Future[Any]) -> dict[str, Any]:
    """The server's record of the import's write once it waits on the held node."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BLOCKED_WITHIN
    while loop.time() < deadline and not write.done():
        records, _, _ = await driver.execute_query(
            "SHOW TRANSACTIONS YIELD status, activeLockCount, currentQuery "
            "WHERE status STARTS WITH 'Blocked' RETURN status, activeLockCount, currentQuery"
        )
        if records:
            return dict(records[0].data())
        await asyncio.sleep(0.01)
    if write.done():
        write.result()  # its error, if it failed
    raise AssertionError(f"the import's write was not blocked within {BLOCKED_WITHIN:.0f} s")


def _assert_caught_midway(caught: dict[str, Any]) -> None:
    """The import's transaction was writing when the server died: it waited on the held node
    inside an upsert, holding the locks of the rows it had written before."""
    assert "UNWIND $rows" in caught["currentQuery"], caught
    assert caught["activeLockCount"] > 0, caught


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
    server: LocalNeo4j, city_csv: list[Path]
) -> None:
    async def interrupted() -> KillDuringApply:
        driver, store = _store(server.uri)
        await store.init_schema()
        killer = KillDuringApply(driver, server, on_apply=1)
        try:
            with pytest.raises(GovGraphError):
                await import_files(killer, city_csv, batch_size=1_000_000)
        finally:
            await driver.close()
        return killer

    killer = asyncio.run(interrupted())
    assert killer.applies == 1  # the whole import was that one write
    _assert_caught_midway(killer.caught)
    uri = _restart(server)
    assert asyncio.run(_counts(uri)) == ({}, {})


def test_batched_import_killed_midway_completes_when_run_again(
    server: LocalNeo4j, city_csv: list[Path]
) -> None:
    async def interrupted() -> KillDuringApply:
        driver, store = _store(server.uri)
        await store.init_schema()
        killer = KillDuringApply(driver, server, on_apply=KILLED_BATCH)
        try:
            with pytest.raises(GovGraphError):
                await import_files(killer, city_csv, batch_size=BATCH)
        finally:
            await driver.close()
        return killer

    killer = asyncio.run(interrupted())
    assert killer.applies == KILLED_BATCH
    _assert_caught_midway(killer.caught)
    uri = _restart(server)
    partial_nodes, partial_links = asyncio.run(_counts(uri))
    # nodes go first, BATCH a batch: the batches before the kill, nothing of the one killed
    assert sum(partial_nodes.values()) == (KILLED_BATCH - 1) * BATCH
    assert partial_links == {}

    async def rerun() -> None:
        driver, store = _store(uri)
        try:
            report = await import_files(store, city_csv, batch_size=BATCH)
            assert report.ok
        finally:
            await driver.close()

    asyncio.run(rerun())
    expected = asyncio.run(_embedded_counts(city_csv))
    # the kill came before the last batch of nodes, with every link still to write
    assert sum(expected[0].values()) > KILLED_BATCH * BATCH and expected[1]
    assert asyncio.run(_counts(uri)) == expected


async def _embedded_counts(files: list[Path]) -> tuple[dict[str, int], dict[str, int]]:
    store = EmbeddedStore()
    await import_files(store, files)
    c = await store.counts()
    return c.nodes, c.links
