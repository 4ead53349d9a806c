"""The province on one machine, in one command: generate, bulk load, cold start, warm run, writes.

Why. Issue 15's targets are for the province (20,000 compounds, ~4.9M nodes, ~9.4M links) on
Neo4j. Each step has its own script; this runs them in order on one kept Neo4j home, so the
whole measurement is one command and a later run skips what is done:

1. the data set: :func:`import_bench.dataset` (generated once, cached with the other sets);
2. the bulk first load: ``govgraph neo4j start`` and ``govgraph import --bulk`` (checks,
   ``neo4j-admin``, schema) as the department would run them, timed; the home is kept with a
   ``loaded.json`` marker (the format ``analytics_bench.py --keep-db`` reads), so a second run
   starts from the loaded database;
3. the cold start: ``cold_start.py`` (a fresh process per round: the store read in columns and
   the first whole-graph rules, peak RSS of that process);
4. the rest: ``analytics_bench.py --keep-db`` on the same home (the warm rules, the ties, the
   brokers, one write and the scoped analysis after it, every rule after the writes, peak RSS
   of the analytics process and of the JVM).

    .venv/bin/python bench/province.py [--service-gc]         # 20,000 compounds (~30 min here)
    .venv/bin/python bench/province.py --compounds 300 --home /tmp/p300 --rounds 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from import_bench import dataset  # bench/ is the script's folder

from govgraph.ops.neo4j_local import default_cache_dir, start_background, stop_background

BENCH = Path(__file__).resolve().parent
GOVGRAPH = Path(sys.executable).with_name("govgraph")


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    shown = [c for c in cmd if not c.endswith(".csv")]  # the data set's files: one per kind
    print("$ " + " ".join(shown) + (" FILES" if len(shown) < len(cmd) else ""), flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, **(env or {})})


def load(args: argparse.Namespace, home: Path, files: list[Path], records: int) -> None:
    """Bulk-load the data set into the empty ``home`` and mark it loaded."""
    if any(home.iterdir()):
        raise SystemExit(f"{home} is not empty and holds no loaded.json: not loading into it")
    state = start_background(home, heap=args.heap, pagecache=args.pagecache, timeout=300)
    env = {"GOVGRAPH_STORE": "neo4j", "GOVGRAPH_NEO4J_URI": state["uri"]}
    start = time.perf_counter()
    try:
        _run([str(GOVGRAPH), "import", "--bulk", "--home", str(home), *map(str, files)], env)
    finally:
        stop_background(home)
    seconds = time.perf_counter() - start
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    marker = {"compounds": args.compounds, "seed": args.seed, "seconds": seconds, "cpu": "-"}
    marker |= {"records": records, "when": when, "how": "govgraph import --bulk"}
    (home / "loaded.json").write_text(json.dumps(marker, indent=1))
    print(f"bulk load: {records:,} records in {seconds:,.0f} s ({records / seconds:,.0f}/s)")


def cold_start(args: argparse.Namespace, home: Path) -> None:
    state = start_background(home, heap=args.heap, pagecache=args.pagecache, timeout=300)
    try:
        cmd = [sys.executable, str(BENCH / "cold_start.py"), "--uri", state["uri"]]
        _run([*cmd, "--rounds", str(args.rounds), "--modes", args.modes])
    finally:
        stop_background(home)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--compounds", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--home", default=None, help="the kept Neo4j home (default: in the cache)")
    p.add_argument("--heap", default="4g")
    p.add_argument("--pagecache", default="4g")
    p.add_argument("--rounds", type=int, default=3, help="cold starts (fresh processes)")
    p.add_argument("--modes", default="index", help="cold_start.py --modes (index,projection)")
    p.add_argument("--skip", default="", help="steps to skip: cold,analytics")
    p.add_argument(
        "--service-gc",
        action="store_true",
        help="analytics_bench.py with the service's GC policy (--freeze --gc-threshold 50000)",
    )
    args = p.parse_args()
    root = default_cache_dir() / "bench"
    data = dataset(root, args.compounds, args.seed)
    home = Path(args.home or root / f"province-c{args.compounds}-s{args.seed}").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    marker = home / "loaded.json"
    if not marker.exists():
        load(args, home, list(data.files), data.rows)
    found = json.loads(marker.read_text())
    if (found["compounds"], found["seed"]) != (args.compounds, args.seed):
        raise SystemExit(f"{home} holds another data set: {found}")
    print(f"loaded in {home} ({found['when']}, {found['seconds']:,.0f} s)", flush=True)
    skip = set(filter(None, args.skip.split(",")))
    if "cold" not in skip:
        cold_start(args, home)
    if "analytics" not in skip:
        bench = [sys.executable, str(BENCH / "analytics_bench.py"), "--stores", "neo4j"]
        sizes = ["--heap", args.heap, "--pagecache", args.pagecache]
        if args.service_gc:
            sizes += ["--freeze", "--gc-threshold", "50000"]
        _run([*bench, "--compounds", str(args.compounds), "--seed", str(args.seed), *sizes,
              "--keep-db", str(home)])  # fmt: skip


if __name__ == "__main__":
    main()
