"""A read the server refuses for want of Bolt threads (``NoThreadsAvailable``, a transient error)
is sent again (``Neo4jStore._read``), so a busy server slows a read down instead of failing it.

A real Neo4j with one Bolt thread: an open explicit transaction keeps that thread bound to its
connection, and a store read sent meanwhile is refused; without the retries the read fails, with
them it answers once the transaction has ended. The transaction, not a long statement, holds the
thread, so the test does not depend on how fast the machine is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncTransaction
from neo4j.exceptions import TransientError

from govgraph.graph import neo4j_store
from govgraph.graph.errors import StoreUnavailableError
from govgraph.graph.model import node
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.ops.neo4j_local import LocalNeo4j

# its own server (killed, restarted or set up apart): one such module at a time, on one worker
pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("own-neo4j")]


async def _read_while_held(uri: str, hold_for: float | None) -> object:
    """A store read while another connection holds the server's one Bolt thread in a transaction.

    ``hold_for`` None: the transaction ends after the read; a number: it ends after that many
    seconds, whether or not the read has come back.
    """
    driver = AsyncGraphDatabase.driver(uri, max_connection_pool_size=4)
    store = Neo4jStore(driver, None, owns_driver=False)
    try:
        await store.upsert([node("Compound", "c1", name="示例小区")], [])
        async with _holding_the_thread(driver) as tx:

            async def release() -> None:
                await asyncio.sleep(hold_for or 0)
                await tx.rollback()

            releaser = asyncio.create_task(release()) if hold_for is not None else None
            try:
                read: object = await store.get_nodes(["c1"])
            except StoreUnavailableError as exc:
                read = exc
            if releaser is None:
                await tx.rollback()
            else:
                await releaser
        return read
    finally:
        await driver.close()


@asynccontextmanager
async def _holding_the_thread(driver: AsyncDriver) -> AsyncIterator[AsyncTransaction]:
    """An open transaction holding the server's one Bolt thread. The thread may still be
    finishing the connection used just before (the upsert's), so a refusal here is waited out
    on a fresh session: the test needs the thread held, not refused."""
    for _ in range(100):
        session = driver.session()
        try:
            tx = await session.begin_transaction()
            await (await tx.run("RETURN 1")).consume()
        except TransientError:
            await session.close()
            await asyncio.sleep(0.05)
            continue
        try:
            yield tx
        finally:
            await session.close()
        return
    raise AssertionError("the one Bolt thread stayed busy for 5 s before the test began")


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
        monkeypatch.setattr(neo4j_store, "READ_RETRY_PAUSES", ())
        refused = asyncio.run(_read_while_held(local.uri, None))
        assert isinstance(refused, StoreUnavailableError), refused
        assert "NoThreadsAvailable" in str(refused)
        monkeypatch.setattr(neo4j_store, "READ_RETRY_PAUSES", (0.1,) * 40)
        answered = asyncio.run(_read_while_held(local.uri, 0.5))
        assert isinstance(answered, dict) and set(answered) == {"c1"}, answered
    finally:
        local.stop()
