"""The Neo4j store's reads use idle sessions again: what that must not change, and what it is for.

A session per read left ~50 objects in reference cycles (its configuration's closures, the
session, its result), freed only by the cyclic collector: with the service's young threshold
(50,000, ``api/gc_policy.py``) a 20-50 ms pause every ~1,000 reads, the periodic tail of the
API's 1-client runs. No timings here: answers, and what a read leaves to the collector.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from builders import Run

from govgraph.graph.model import node
from govgraph.graph.neo4j_store import IDLE_READ_SESSIONS
from govgraph.graph.port import GraphStore, WriteBatch

pytestmark = pytest.mark.neo4j

#: what a read may leave to the cyclic collector: the driver's result (its error handler and
#: hydration scope, ~27 objects) and no more; a session per read left ~51
LEFT_A_READ = 30


@pytest.fixture
def neo4j(neo4j_store: GraphStore, run: Run[Any]) -> GraphStore:
    run(neo4j_store.clear())
    run(neo4j_store.apply(WriteBatch(nodes=[node("Compound", f"cmp-{i}") for i in range(3)])))
    return neo4j_store


def test_more_reads_at_once_than_idle_sessions_all_answer(neo4j: GraphStore, run: Run[Any]) -> None:
    async def many() -> list[int]:
        return list(await asyncio.gather(*(neo4j.count_nodes("Compound") for _ in range(80))))

    assert IDLE_READ_SESSIONS < 80
    assert run(many()) == [3] * 80
    assert run(many()) == [3] * 80  # and again, from the sessions kept


def test_a_cancelled_read_leaves_the_store_reading(neo4j: GraphStore, run: Run[Any]) -> None:
    async def cancelled_then_read() -> int:
        for _ in range(3):
            task = asyncio.ensure_future(neo4j.count_nodes("Compound"))
            await asyncio.sleep(0)  # started: its session is out of the idle ones
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        return await neo4j.count_nodes("Compound")

    assert run(cancelled_then_read()) == 3


def test_a_read_leaves_little_to_the_cyclic_collector(neo4j: GraphStore, run: Run[Any]) -> None:
    async def reads(n: int) -> None:
        for _ in range(n):
            await neo4j.count_nodes("Compound")

    run(reads(5))  # the idle sessions are there
    gc.collect()
    gc.disable()  # only reference counting frees anything from here
    try:
        run(reads(100))
        left = gc.collect()
    finally:
        gc.enable()
    assert left <= 100 * LEFT_A_READ
