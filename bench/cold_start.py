"""Cold start of the analytics: from a process with nothing held to the first whole-graph findings.

Why. Issue 15 asks for the department's first findings after a restart within a minute at the
province. What a restarted service pays is reading the store into the analytics index and the
first run of every rule on it; this measures exactly that, in a fresh Python process per run (so
peak RSS is the run's own), for either way of reading:

* ``index``: :meth:`AnalyticsCache.index` — the store read in columns (``GraphStore.scan``) and
  the index built from them, no NetworkX projection;
* ``projection``: :func:`~govgraph.graph.analytics.project` — the NetworkX projection (record
  by record), its index built from it on the first rules run.

Runs alternate between the two (side by side, one run of each per round); the table gives the
median of ``--rounds``. The store is a running Neo4j (``--uri``) or an embedded store's snapshot
file (``--embedded FILE``, loaded before the clock starts). The evaluation day is the data's
last day.

    .venv/bin/python bench/cold_start.py --uri bolt://127.0.0.1:7687 --rounds 3
    .venv/bin/python bench/cold_start.py --embedded ~/.cache/govgraph/bench/findings-...jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import networkx as nx
from neo4j import AsyncGraphDatabase

from govgraph.graph.analytics import AnalyticsCache, data_span, project, run_rules
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.port import GraphStore

MODES = ("index", "projection")


async def _one(mode: str, uri: str | None, embedded: str | None) -> dict[str, Any]:
    store: GraphStore
    if uri is not None:
        store = Neo4jStore(AsyncGraphDatabase.driver(uri, auth=None), owns_driver=True)
    else:
        store = EmbeddedStore(embedded)
    start = time.perf_counter()
    read = (
        await AnalyticsCache(store).index() if mode == "index" else nx.freeze(await project(store))
    )
    t_read = time.perf_counter() - start
    day = data_span(read).last or dt.date.today()
    first = time.perf_counter()
    found = run_rules(read, as_of=day)
    t_first = time.perf_counter() - first
    warm = time.perf_counter()
    run_rules(read, as_of=day)
    t_warm = time.perf_counter() - warm
    await store.close()
    return {
        "read": t_read,
        "first rules": t_first,
        "cold start": t_read + t_first,
        "rules warm": t_warm,
        "findings": len(found),
        "peak RSS MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--uri", help="a running Neo4j holding the data set")
    where.add_argument("--embedded", help="an embedded store's snapshot file")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--one", choices=MODES, help=argparse.SUPPRESS)  # a child run
    args = p.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(_one(args.one, args.uri, args.embedded))))
        return
    where_args = ["--uri", args.uri] if args.uri else ["--embedded", args.embedded]
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in args.modes.split(",")}
    for n in range(args.rounds):
        for mode, done in runs.items():
            out = subprocess.run(
                [sys.executable, __file__, *where_args, "--one", mode],
                check=True,
                capture_output=True,
                text=True,
            )
            done.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {n + 1} {mode}: {done[-1]}", file=sys.stderr, flush=True)
    keys = list(next(iter(runs.values()))[0])
    print("| step | " + " | ".join(runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for key in keys:
        cells = [statistics.median(r[key] for r in rs) for rs in runs.values()]
        shown = [
            f"{c:,.0f}" if key in ("findings", "peak RSS MiB") else f"{c:.2f} s" for c in cells
        ]
        print(f"| {key} (median of {args.rounds}) | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    main()
