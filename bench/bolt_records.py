"""One Bolt record per row vs rows packed into list records: the same 30,000 rows, back to back.

Why. Reading the analytics projection from Neo4j one record per node or link spent most of its
wall time waiting (a socket wake-up per record), far more than the server or the decoding took;
``graph/cypher.py`` now packs each page of the projection into one record. This reproduces the
measurement that led to it, on a fresh local server.

    cd bench && ../.venv/bin/python bolt_records.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from neo4j import AsyncGraphDatabase

from govgraph.ops.neo4j_local import LocalNeo4j

ROWS = 30_000
ROW = "['n' + i, 'Person', {id: 'n' + i, name: 'x' + i, since: date('2021-01-01'), n: i}]"
PER_RECORD = f"UNWIND range(1, {ROWS}) AS i RETURN {ROW} AS row"
PACKED = f"UNWIND range(1, {ROWS}) AS i WITH i / 2000 AS page, collect({ROW}) AS rows RETURN rows"

CONTENDERS = (("one record per row", PER_RECORD), ("2,000 rows per record", PACKED))


async def measure(uri: str) -> None:
    driver = AsyncGraphDatabase.driver(uri, auth=None)
    try:
        for _ in range(2):
            for name, text in CONTENDERS:
                start, cpu = time.perf_counter(), time.process_time()
                result = await driver.execute_query(text)
                rows = sum(len(r["rows"]) if "rows" in r else 1 for r in result.records)
                print(
                    f"{name:<24} {rows:>7,} rows  wall {time.perf_counter() - start:6.2f} s  "
                    f"client CPU {time.process_time() - cpu:5.2f} s  "
                    f"server {result.summary.result_consumed_after} ms  "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    finally:
        await driver.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-") as tmp:
        local = LocalNeo4j(Path(tmp), jvm_options=("-XX:TieredStopAtLevel=4",))
        local.start(timeout=300)
        try:
            asyncio.run(measure(local.uri))
        finally:
            local.stop()


if __name__ == "__main__":
    main()
