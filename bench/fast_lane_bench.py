"""Fast lane benchmark: what ``api/fast_lane.py`` saves a request, side by side in one process.

Two apps over one embedded store holding the demo, one with the fast lane and one without
(``GOVGRAPH_GRAPHQL_FAST_LANE``), each answering the reference queries (``bench/reference.py``)
through the ASGI interface, no socket. They take turns in short blocks, so a noisy machine
weighs on both alike; the figure is the CPU time of the process per request (wall time
too), median over the blocks.

    .venv/bin/python bench/fast_lane_bench.py [--blocks 30] [--per-block 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from reference import REFERENCES, body

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.privacy import Role
from govgraph.loaders.demo import load_demo

HEADERS = {"content-type": "application/json", "x-api-key": "bench"}


async def block(client: httpx.AsyncClient, payload: str, n: int) -> tuple[float, float]:
    """Milliseconds of CPU and of wall time per request, over ``n`` requests."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        r = await client.post("/graphql", content=payload, headers=HEADERS)
        if r.status_code != 200 or b'"errors"' in r.content:
            raise SystemExit(f"unexpected answer: {r.status_code} {r.text[:300]}")
    return (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--blocks", type=int, default=30)
    ap.add_argument("--per-block", type=int, default=50)
    ap.add_argument("--queries", default="lookup,filtered,nested3,connection,counts")
    args = ap.parse_args()
    store = EmbeddedStore()
    await load_demo(store)
    wanted = args.queries.split(",")
    refs = [r for r in REFERENCES if r.name in wanted]
    clients: dict[bool, httpx.AsyncClient] = {}
    lifespans = contextlib.AsyncExitStack()
    for lane in (True, False):
        settings = Settings(
            demo=True,
            api_keys={"bench": Role.DEPARTMENT},
            graphql_fast_lane=lane,
            warm_analytics=False,
            request_timeout=None,
        )
        app = create_app(settings, store=store)
        await lifespans.enter_async_context(app.router.lifespan_context(app))  # no server here
        transport = httpx.ASGITransport(app=app)
        clients[lane] = httpx.AsyncClient(transport=transport, base_url="http://bench")
    print(f"{'query':<12} {'CPU ms, lane':>13} {'CPU ms, router':>15} {'saved':>8} "
          f"{'wall ms, lane':>14} {'wall ms, router':>16}")  # fmt: skip
    for ref in refs:
        payload = body(ref, "demo", ours=True)
        figures: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for lane in (True, False):  # warm both: caches, first-call imports
            await block(clients[lane], payload, args.per_block)
        for i in range(args.blocks):
            for lane in (True, False) if i % 2 == 0 else (False, True):
                figures[lane].append(await block(clients[lane], payload, args.per_block))
        cpu = {k: statistics.median(c for c, _ in v) for k, v in figures.items()}
        wall = {k: statistics.median(w for _, w in v) for k, v in figures.items()}
        saved = cpu[False] - cpu[True]
        print(f"{ref.name:<12} {cpu[True]:>13.2f} {cpu[False]:>15.2f} "
              f"{saved:>5.2f} ms {wall[True]:>14.2f} {wall[False]:>16.2f}")  # fmt: skip
    for c in clients.values():
        await c.aclose()
    await lifespans.aclose()


if __name__ == "__main__":
    asyncio.run(main())
