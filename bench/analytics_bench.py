"""Analytics benchmark: the coverage rules and the tie analyses at scale, on both stores.

Why. The analytics issue sets targets on the province-scale data set on Neo4j: all coverage
rules in at most 5 s, the cross-appointment analysis in at most 5 s, an analysis after a single
write in at most 0.5 s, with peak memory reported. This script loads one synthetic data set
(:mod:`govgraph.loaders.synthetic`) into the stores asked for and times, for each store, in one
run:

* ``load``: the import (into Neo4j: :func:`~govgraph.loaders.importer.import_files`; the
  embedded store: the same importer into an in-memory :class:`EmbeddedStore`, or with
  ``--load direct`` the generator's CSV files parsed into records and written as one batch
  through ``store.apply``, skipping the importer's checking passes, so large sizes load in
  minutes rather than hours);
* ``index`` (``--read index``, the default): a cold
  :class:`~govgraph.graph.analytics.AnalyticsCache` build, i.e. reading every analytic node
  and link from the store in columns into the index (what a service pays once per store
  version); with ``--read projection`` the NetworkX projection instead (record by record,
  :func:`~govgraph.graph.analytics.project`), its index built on the first rules run;
* ``rules``: :func:`run_rules` with every rule, on the whole graph, cold (the day's answers
  are computed first) and again warm (kept on the index's view of the day);
* ``coverage``: :func:`coverage_summary` + :func:`uncovered_communities` from those findings;
* ``ties``: :func:`cross_appointments`, :func:`multi_post_holders`,
  :func:`conflicts_of_interest` and :func:`interlocks` (the cross-appointment analysis);
* ``brokers (k=…)``: betweenness sampled on ``--broker-k`` sources plus Burt's constraint;
* ``after 1 write``: one link written through the store, then the cache brought up to date (it
  patches the index it holds for this process's own writes instead of reading the store again;
  with ``--read projection`` nothing patches a projection: it is read again) and the rules and
  ties run for the compound the write touched (what the department's screen does after an
  edit). Then every rule on the whole graph once more (``rules, whole graph, after the
  writes``: the answers the writes changed found again), and the scoped findings are checked
  against it, restricted to the compound;
* ``node added`` / ``node deleted``: the same after a write adding a resident of the compound
  who joins its branch (a node and two links), then one deleting that resident, in turn
  (``--node-writes`` times each): node numbers follow the ids, so both renumber the index.

Memory: peak RSS of this process (sampled every 50 ms) and of the Neo4j JVM.

``--keep-db DIR`` keeps the Neo4j server's home in ``DIR`` instead of a temporary folder: the
first run loads it (and writes ``DIR/loaded.json`` with the data set, the record count and the
load's seconds), later runs with the same data set start that server and skip the load (the
table then shows the first run's load). At the province the load takes most of an hour here;
the analytics steps can be run again without it. The writes of "after 1 write" are undone.

    /work/main/.venv/bin/python bench/analytics_bench.py --compounds 300 --stores embedded,neo4j
    /work/main/.venv/bin/python bench/analytics_bench.py --compounds 1000 --stores embedded \
        --load direct
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
from import_bench import MemorySampler, dataset, ordered  # bench/ is the script's folder
from neo4j import AsyncGraphDatabase

from govgraph.api.gc_policy import GcPolicy
from govgraph.graph.analytics import (
    AnalyticsCache,
    brokers,
    conflicts_of_interest,
    coverage_summary,
    cross_appointments,
    interlocks,
    multi_post_holders,
    project,
    run_rules,
    uncovered_communities,
)
from govgraph.graph.analytics.columns import Columns, DayView, columns_for
from govgraph.graph.analytics.derived import under
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import Link, Node, link, node
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.port import GraphStore, WriteBatch
from govgraph.loaders.importer import import_files
from govgraph.loaders.readers import read_tables
from govgraph.loaders.rows import parse_table
from govgraph.ops.neo4j_local import LocalNeo4j, default_cache_dir

AS_OF = dt.date(2021, 6, 30)


class Timer:
    """Named wall-clock timings, printed as they come."""

    def __init__(self, store: str) -> None:
        self.store = store
        self.rows: list[tuple[str, float, str]] = []
        #: step → seconds in the cyclic garbage collector
        self.gc: dict[str, float] = {}

    async def time(
        self, name: str, fn: Callable[[], Awaitable[Any]], detail: str | Callable[[Any], str] = ""
    ) -> Any:
        collected = GC_CLOCK.seconds
        start, cpu = time.perf_counter(), time.process_time()
        out = await fn()
        seconds = time.perf_counter() - start
        # this process's CPU seconds: on a shared machine wall time also counts the waits for
        # a core (and, for Neo4j, the server's work, which is not in it)
        cpu = time.process_time() - cpu
        collected = GC_CLOCK.seconds - collected
        if callable(detail):
            detail = detail(out)
        self.rows.append((name, seconds, f"{cpu:.2f}"))
        self.gc[name] = collected
        print(
            f"  {self.store:<9} {name:<28} {seconds:>9.2f} s  cpu {cpu:>7.2f} s  "
            f"gc {collected:>6.2f} s  load {os.getloadavg()[0]:.1f}  {detail}",
            flush=True,
        )
        return out


class _GcClock:
    """Seconds spent in Python's cyclic garbage collector (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start


GC_CLOCK = _GcClock()


async def _sync(fn: Callable[[], Any]) -> Any:
    return fn()


def _pick_write(graph: nx.MultiDiGraph | Columns) -> tuple[str, str, str]:
    """A person who is not yet a member of some compound's Party branch, and that branch:
    the single write the 'after 1 write' step makes, and the compound it is about."""
    cols = columns_for(graph)
    (covers,) = cols.blocks("COVERS", "PartyBranch", "Compound")
    branch, compound = min(zip(cols.ids_of(covers.src), cols.ids_of(covers.dst), strict=True))
    at_branch = cols.number(branch)
    members = {m for b in cols.blocks("MEMBER_OF") for m in cols.ids_of(b.src[b.dst == at_branch])}
    person = min(set(cols.ids_of(cols.of_kind("Person"))) - members)
    return person, branch, compound


async def _projection(store: GraphStore) -> nx.MultiDiGraph:
    """The frozen projection with the whole history (frozen: its index is built once)."""
    return nx.freeze(await project(store))


def _size(graph: nx.MultiDiGraph | Columns) -> str:
    if isinstance(graph, Columns):
        return f"{graph.size:,} nodes, {sum(len(b.src) for b in graph.all_blocks()):,} links"
    return f"{graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} links"


def _day(graph: nx.MultiDiGraph | Columns, as_of: dt.date) -> DayView:
    """The day the analyses of ties and rankings read: the view of the index (the projection's
    own, built once), not a day cut from the projection and indexed again per call."""
    return columns_for(graph).day(as_of)


async def _load_direct(store: GraphStore, files: list[Path]) -> int:
    """Parse the generator's files into records and write them as one batch (no importer)."""
    nodes: list[Node] = []
    links: list[Link] = []
    for f in files:
        for table in read_tables(f):
            for row in parse_table(table):
                if row.errors or row.record is None:
                    raise SystemExit(f"{f}: row {row.row}: {row.errors}")
                if isinstance(row.record, Node):
                    nodes.append(row.record)
                else:
                    links.append(row.record)
    await store.apply(WriteBatch(nodes, links, [], []))
    return len(nodes) + len(links)


async def _timed_writes(
    t: Timer,
    name: str,
    cache: AnalyticsCache,
    batches: list[tuple[str, WriteBatch]],
    after_write: Callable[[WriteBatch], Awaitable[int]],
) -> None:
    """Each (step, batch) written and followed by ``after_write``; per step, the median's
    wall, CPU and GC seconds go in the table (one figure can land on a full collection of the
    garbage collector)."""
    timed: dict[str, list[tuple[float, float, float]]] = {}  # wall, CPU, GC seconds per write
    for step, batch in batches:
        collected = GC_CLOCK.seconds
        start, cpu = time.perf_counter(), time.process_time()
        await after_write(batch)
        timed.setdefault(step, []).append(
            (
                time.perf_counter() - start,
                time.process_time() - cpu,
                GC_CLOCK.seconds - collected,
            )
        )
    for step, again in timed.items():
        again.sort()
        wall, cpu, collected = again[len(again) // 2]
        row = f"{step}, median of {len(again)}"
        t.rows.append((row, wall, f"{cpu:.2f}"))
        t.gc[row] = collected
        print(
            f"  {name:<9} {step} x{len(again)}: median {wall:.2f} s (cpu {cpu:.2f}, "
            f"gc {collected:.2f}), max {again[-1][0]:.2f} s, min {again[0][0]:.2f} s; "
            f"gc per write {[round(a[2], 2) for a in again]}; load {os.getloadavg()[0]:.1f}; "
            f"cache {cache.stats}",
            flush=True,
        )


def _node_writes(
    person: str, branch: str, compound: str, times: int
) -> list[tuple[str, WriteBatch]]:
    """A resident who joins the compound's branch, added and deleted in turn ``times`` times
    each (a write that adds nodes, one that deletes them: the index is renumbered)."""
    newcomer = node("Person", f"{person}-bench", name="测试居民")
    home = link("RESIDES_IN", newcomer.id, compound, since=dt.date(2021, 1, 1))
    joined = link("MEMBER_OF", newcomer.id, branch, status="full", since=dt.date(2021, 1, 1))
    added = WriteBatch(nodes=[newcomer], links=[home, joined])
    deleted = WriteBatch(delete_nodes=[newcomer.id])
    return [b for _ in range(times) for b in (("node added", added), ("node deleted", deleted))]


async def _load(
    t: Timer,
    name: str,
    store: GraphStore,
    files: list[Path],
    args: argparse.Namespace,
    *,
    kept: KeptDb | None,
) -> None:
    """The load step: kept from an earlier run (``--keep-db``), direct, or ``import_files``."""
    if kept is not None and kept.loaded is not None:
        seconds, records = kept.loaded["seconds"], kept.loaded["records"]
        how = kept.loaded.get("how", "import_files")
        t.rows.append((f"load ({how})", seconds, kept.loaded["cpu"]))
        print(
            f"  {name:<9} load kept in {kept.home} from {kept.loaded['when']}: "
            f"{records:,} records in {seconds:,.1f} s ({records / seconds:,.0f} records/s)",
            flush=True,
        )
    elif args.load == "direct" and name == "embedded":  # one batch: too big a Neo4j transaction
        await t.time(
            "load (direct)",
            lambda: _load_direct(store, files),
            lambda n: f"{n:,} records",
        )
    else:
        report = await t.time(
            "load (import_files)",
            lambda: import_files(store, files, batch_size=args.batch_size),
            lambda r: f"{r.nodes_written + r.links_written:,} records",
        )
        if kept is not None:
            _, seconds, cpu = t.rows[-1]
            kept.mark(seconds, cpu, report.nodes_written + report.links_written)
        del report


async def measure(
    name: str,
    store: GraphStore,
    files: list[Path],
    args: argparse.Namespace,
    jvm_pid: int | None,
    *,
    kept: KeptDb | None = None,
) -> Timer:
    t = Timer(name)
    with MemorySampler(jvm_pid) as mem:
        await store.init_schema()
        await _load(t, name, store, files, args, kept=kept)
        if args.load_only:
            return t
        # keyed on store.version, patched by our own writes
        cache = AnalyticsCache(store)
        # the service's GC policy (api/gc_policy.py), as it applies it once the app is up
        policy = GcPolicy(
            freeze_at_start=args.freeze, freeze_versions=args.freeze, young=args.gc_threshold
        )
        policy.started()
        policy.watch(cache)
        # what the service reads (the store in columns), or the NetworkX projection
        read = cache.index if args.read == "index" else lambda: _projection(store)
        graph = await t.time(f"{args.read} (cold)", read, _size)
        findings = await t.time(
            "rules (all, whole graph)",
            lambda: _sync(lambda: run_rules(graph, as_of=AS_OF)),
            lambda f: f"{len(f):,} findings",
        )
        await t.time(
            "rules again (index kept)",
            lambda: _sync(lambda: run_rules(graph, as_of=AS_OF)),
            lambda f: f"{len(f):,} findings",
        )
        await t.time(
            "coverage + ranking",
            lambda: _sync(
                lambda: (
                    coverage_summary(graph, AS_OF, findings=findings),
                    # the day's view the findings were made on, as the API and the CLI pass
                    # (the history's own index would be built for it otherwise)
                    uncovered_communities(_day(graph, AS_OF), findings),
                )
            ),
            lambda r: f"{len(r[0]):,} places, {len(r[1]):,} communities",
        )
        day = _day(graph, AS_OF)

        def ties() -> tuple[int, int, int, int]:
            return (
                len(cross_appointments(day)),
                len(multi_post_holders(day)),
                len(conflicts_of_interest(day)),
                len(interlocks(day)),
            )

        await t.time(
            "ties (cross-appointment)",
            lambda: _sync(ties),
            lambda r: (
                f"{r[0]:,} compounds, {r[1]:,} holders, {r[2]:,} conflicts, {r[3]:,} interlocks"
            ),
        )
        await t.time(
            f"brokers (k={args.broker_k})",
            lambda: _sync(lambda: brokers(day, k=args.broker_k, top=20)),
            lambda r: f"top {len(r)}",
        )
        person, branch, compound = _pick_write(graph)

        new_link = link("MEMBER_OF", person, branch, status="full", since=dt.date(2021, 1, 1))

        async def after_write(batch: WriteBatch) -> int:
            await store.apply(batch)
            g = await read()
            found = run_rules(g, as_of=AS_OF, scope=compound)
            d = _day(g, AS_OF)
            cross_appointments(d, scope=compound)
            conflicts_of_interest(d, scope=compound)
            return len(found)

        await t.time(
            "after 1 write (scoped)",
            lambda: after_write(WriteBatch(links=[new_link])),
            lambda n: f"{n} findings for {compound}; cache {cache.stats}",
        )
        # the same again, the link removed and written back in turn
        again = [WriteBatch(delete_links=[new_link.id]), WriteBatch(links=[new_link])]
        link_writes = [("after 1 write", again[i % 2]) for i in range(args.writes)]
        await _timed_writes(t, name, cache, link_writes, after_write)
        if args.writes % 2 == 0:  # written back last: leave the data set as loaded
            await store.apply(WriteBatch(delete_links=[new_link.id]))
        # the whole graph after the writes: what the day's answers (homes, posts, members,
        # ...) the writes changed is found again
        g = await read()
        whole = await t.time(
            "rules, whole graph, after the writes",
            lambda: _sync(lambda: run_rules(g, as_of=AS_OF)),
            lambda f: f"{len(f):,} findings",
        )
        # not timed: the scoped answer must be the whole graph's, restricted to the compound
        scoped = run_rules(g, as_of=AS_OF, scope=compound)
        cols = columns_for(g)
        inside = under(cols.day(AS_OF), cols.number(compound))
        expected = [
            f
            for f in whole
            if compound in (f.compound, f.community, f.township, f.city)
            or inside[cols.number(f.subject)]
        ]
        same = [f.to_dict() for f in scoped] == [f.to_dict() for f in expected]
        print(f"  {name:<9} scoped findings == whole-graph findings under {compound}: {same}")
        if not same:
            raise SystemExit("scoped findings differ from the whole graph's")
        # last: a deleted node drops the answers kept on the days (the steps above would
        # measure their recomputation); the newcomer is deleted last, the data set as loaded
        nodes = _node_writes(person, branch, compound, args.node_writes)
        await _timed_writes(t, name, cache, nodes, after_write)
    t.rows.append(("GC seconds, whole run", GC_CLOCK.seconds, "-"))
    t.rows.append(("peak RSS Python", mem.peak_self / 1024, "MiB"))
    if jvm_pid is not None:
        t.rows.append(("peak RSS JVM", mem.peak_other / 1024, "MiB"))
    return t


class KeptDb:
    """A Neo4j home kept between runs (``--keep-db``) and whether it holds the data set."""

    def __init__(self, home: Path, compounds: int, seed: int) -> None:
        self.home = home
        self._marker = home / "loaded.json"
        self._key = {"compounds": compounds, "seed": seed}
        self.loaded: dict[str, Any] | None = None
        if self._marker.exists():
            found = json.loads(self._marker.read_text())
            if {k: found.get(k) for k in self._key} != self._key:
                raise SystemExit(
                    f"{home} holds {found.get('compounds')} compounds (seed {found.get('seed')}), "
                    f"not {compounds} (seed {seed}): use another --keep-db folder"
                )
            self.loaded = found
        elif home.exists() and any(home.iterdir()):
            raise SystemExit(
                f"{home} is not empty and has no {self._marker.name}: not loading into it"
            )

    def mark(self, seconds: float, cpu: str, records: int) -> None:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        record = {**self._key, "seconds": seconds, "cpu": cpu, "records": records, "when": when}
        self._marker.write_text(json.dumps(record, indent=1))


@contextlib.contextmanager
def _neo4j_home(args: argparse.Namespace) -> Iterator[tuple[Path, KeptDb | None]]:
    if args.keep_db:
        home = Path(args.keep_db).expanduser().resolve()
        kept = KeptDb(home, args.compounds, args.seed)
        home.mkdir(parents=True, exist_ok=True)
        yield home, kept
        return
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-", dir=args.work_dir) as tmp:
        yield Path(tmp), None


async def run(args: argparse.Namespace) -> None:
    data = dataset(Path(args.data_dir).expanduser(), args.compounds, args.seed)
    files = ordered(data.files)
    print(
        f"\n{dt.date.today()} {platform.node()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}; "
        f"analytics from {Path(run_rules.__code__.co_filename).parent}; "
        f"{args.compounds} compounds, {data.rows:,} records",
        flush=True,
    )
    results: dict[str, Timer] = {}
    for name in args.stores:
        if name == "embedded":
            results[name] = await measure(name, EmbeddedStore(), files, args, None)
            continue
        with _neo4j_home(args) as (home, kept):
            local = LocalNeo4j(
                home,
                heap=args.heap,
                pagecache=args.pagecache,
                jvm_options=("-XX:TieredStopAtLevel=4",),
            )
            local.start(timeout=300)
            driver = AsyncGraphDatabase.driver(
                local.uri, auth=None, notifications_min_severity="OFF"
            )
            try:
                results[name] = await measure(
                    name, Neo4jStore(driver), files, args, local.pid, kept=kept
                )
            finally:
                await driver.close()
                local.stop()
    print()
    names = list(results)
    print("| step (wall, CPU of this process, of which GC) | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    steps = [row[0] for row in results[names[0]].rows]
    for i, step in enumerate(steps):
        cells = []
        for n in names:
            _, value, unit = results[n].rows[i]
            collected = results[n].gc.get(step)
            if unit == "MiB":
                cells.append(f"{value:,.0f} {unit}")
            elif collected is not None:
                cells.append(f"{value:,.2f} s ({unit}, gc {collected:.2f})")
            else:
                cells.append(f"{value:,.2f} s" + ("" if unit == "-" else f" ({unit})"))
        print(f"| {step} | " + " | ".join(cells) + " |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--compounds", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stores", type=lambda s: s.split(","), default=["embedded", "neo4j"])
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument(
        "--load",
        choices=("import", "direct"),
        default="import",
        help="embedded store: import_files, or the records written as one batch",
    )
    p.add_argument(
        "--read",
        choices=("index", "projection"),
        default="index",
        help="what the analyses read: the store in columns (the service's) or the projection",
    )
    p.add_argument("--broker-k", type=int, default=200, help="betweenness sample size")
    p.add_argument("--writes", type=int, default=5, help="writes timed after the first one")
    p.add_argument(
        "--node-writes",
        type=int,
        default=3,
        help="a person added and deleted in turn this many times each, timed like the writes",
    )
    p.add_argument(
        "--freeze",
        action="store_true",
        help="the service's GC policy (api/gc_policy.py): once loaded, what exists is frozen out "
        "of the cyclic GC's sight (as once the app is up), then each version the cache holds",
    )
    p.add_argument(
        "--gc-threshold",
        type=int,
        default=None,
        help="the service's GC_YOUNG_THRESHOLD: gc.set_threshold(N, ...) once loaded "
        "(Python's default: 700)",
    )
    p.add_argument("--heap", default="4g")
    p.add_argument("--pagecache", default="2g")
    p.add_argument("--data-dir", default=str(default_cache_dir() / "bench"))
    p.add_argument("--work-dir", default=None)
    p.add_argument(
        "--keep-db",
        default=None,
        help="Neo4j home kept between runs: loaded once, the load skipped when run again",
    )
    p.add_argument("--load-only", action="store_true", help="stop after the load (--keep-db)")
    args = p.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
