"""The CI version of ``bench/load_test.py``: 20 clients for 6 s of mixed reads and writes (80/20)
against the API as its own process on the Neo4j store: no errors at all. Whether the API's
memory stays flat once warm is judged by the full run (``bench/load_test.py``, 50 clients, 60 s,
the whole demo set, ``--rss-tolerance``), not here: six seconds on a shared machine say little.

The data is a slice of the demo set (places, Party organizations, the people in their posts),
written into the session's Neo4j after emptying it, so the run does not wait for the full demo.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from harness import ApiProcess, load_test

pytestmark = pytest.mark.neo4j

CLIENTS = 20
SECONDS = 6.0
WARMUP = 2.0


def test_short_load_has_no_errors(neo4j_uri: str, tmp_path: Path) -> None:
    password = os.environ.get("GOVGRAPH_TEST_NEO4J_PASSWORD", "")
    database = os.environ.get("GOVGRAPH_TEST_NEO4J_DATABASE", "")
    neo4j = {
        "neo4j_user": os.environ.get("GOVGRAPH_TEST_NEO4J_USER", "neo4j"),
        "neo4j_password": password,
        "neo4j_database": database or None,
    }
    t = time.monotonic()
    nodes, _ = asyncio.run(load_test.load_data(neo4j_uri, small=True, replace=True, **neo4j))
    loaded = time.monotonic() - t
    assert nodes > 500
    env = {
        "GOVGRAPH_STORE": "neo4j",
        "GOVGRAPH_NEO4J_URI": neo4j_uri,
        "GOVGRAPH_NEO4J_USER": str(neo4j["neo4j_user"]),
        "GOVGRAPH_NEO4J_PASSWORD": password,
        "GOVGRAPH_NEO4J_DATABASE": database,
    }
    with ApiProcess(env, tmp_path / "api.log") as api:
        started = time.monotonic() - t - loaded
        result = asyncio.run(
            load_test.run_load(
                api.url, clients=CLIENTS, duration=SECONDS, warmup=WARMUP, rss_kib=api.rss_kib
            )
        )
    print(f"\ndata {loaded:.1f} s, API start {started:.1f} s, in all {time.monotonic() - t:.1f} s")
    print(result.report())
    assert result.error_count == 0, result.report()
    # every client got answers, and the mix held reads and writes
    assert result.requests >= CLIENTS, result.report()
    assert result.done["create"] and sum(result.done[op] for op in load_test.READS)
