"""A read the server refuses for want of Bolt threads (``NoThreadsAvailable``, a transient error)
is sent again (``Neo4jStore._read``), so a busy server slows a read down instead of failing it.

A real Neo4j with one Bolt thread: a long statement holds the thread, and a store read sent
meanwhile is refused; without the retries it fails, with them it answers once the thread is free.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from neo4j import AsyncGraphDatabase

from govgraph.graph import neo4j_store
from govgraph.graph.errors import StoreUnavailableError
from govgraph.graph.model import node
from govgraph.graph.neo4j_local import LocalNeo4j
from govgraph.graph.neo4j_store import Neo4jStore

pytestmark = pytest.mark.neo4j

#: a statement that keeps the server's one Bolt thread busy for a while
SLOW = "UNWIND range(1, $n) AS x RETURN sum(x) AS s"


async def _hold_and_read(uri: str, n: int) -> tuple[float, object]:
    """Run SLOW on one connection and, while it runs, a store read on another."""
    driver = AsyncGraphDatabase.driver(uri, max_connection_pool_size=4)
    store = Neo4jStore(driver, None, owns_driver=False)
    try:
        await store.upsert([node("Compound", "c1", name="示例小区")], [])

        async def slow() -> float:
            started = time.perf_counter()
            async with driver.session() as s:
                await (await s.run(SLOW, n=n)).consume()
            return time.perf_counter() - started

        holder = asyncio.create_task(slow())
        await asyncio.sleep(0.05)
        try:
            read: object = await store.get_nodes(["c1"])
        except StoreUnavailableError as exc:
            read = exc
        return await holder, read
    finally:
        await driver.close()


def test_a_read_refused_for_want_of_threads_is_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = LocalNeo4j(
        tmp_path / "neo4j",
        settings={
            "server.bolt.thread_pool_min_size": "1",
            "server.bolt.thread_pool_max_size": "1",
        },
    )
    local.start(timeout=180)
    try:
        # a statement long enough to overlap the read, short enough for the retries to outlast
        n = 200_000
        for _ in range(8):
            took, _ = asyncio.run(_hold_and_read(local.uri, n))
            if took > 0.25:
                break
            n *= 2
        monkeypatch.setattr(neo4j_store, "READ_RETRY_PAUSES", ())
        took, refused = asyncio.run(_hold_and_read(local.uri, n))
        assert isinstance(refused, StoreUnavailableError), (took, refused)
        assert "NoThreadsAvailable" in str(refused)
        monkeypatch.setattr(neo4j_store, "READ_RETRY_PAUSES", (0.1,) * 40)
        took, answered = asyncio.run(_hold_and_read(local.uri, n))
        assert isinstance(answered, dict) and set(answered) == {"c1"}, (took, answered)
    finally:
        local.stop()
