"""Import benchmark: our importer vs a naive writer vs Neo4j's own LOAD CSV, side by side.

Why. The issue sets targets for bulk import into Neo4j: at least 50,000 records/s, at least 10x
a naive one-record-per-transaction writer, within 2x of ``LOAD CSV``, and under 2 GB of memory
in the Python process. This script measures all three contenders on the same synthetic data set
(:mod:`govgraph.loaders.synthetic`), each on a fresh local Neo4j 5.26 server with the same schema
(the store's constraints and indexes), and prints one table. See ``bench/README.md``.

    /work/main/.venv/bin/python bench/import_bench.py --compounds 500

Contenders:

* ``importer bs=N``: :func:`govgraph.loaders.importer.import_files` into a
  :class:`~govgraph.graph.neo4j_store.Neo4jStore` on an ``AsyncGraphDatabase`` driver, the whole
  import timed (checking passes, the store lookup and the writes). Time spent in each Cypher
  statement is recorded by a timing subclass of the store, so the report says where time goes.
* ``naive 1/tx``: the store's own statements, one record per managed write transaction, through
  the same driver, on a sample (``--naive-sample`` records of a small data set of the same
  shape, nodes first then links); its rate is extrapolated to the full data set.
* ``LOAD CSV``: ``LOAD CSV WITH HEADERS ... CALL (row) { MERGE ... } IN TRANSACTIONS OF 10000
  ROWS`` over the same CSV files (the server's import folder is the data set folder), one
  statement per file, MERGE on ``id`` with the same labels, types and typed properties our store
  writes.

Bulk first load (``--bulk``, or ``--bulk-only`` for nothing else), issue 15:

* ``govgraph import --bulk``: the command itself, as a department runs it: a subprocess, into the
  empty local Neo4j that ``govgraph neo4j start`` started in a fresh home (its start not timed),
  timed from start to end: the importer's checks and neo4j-admin's files
  (:func:`govgraph.loaders.bulk_files.write_bulk_files`) while the server stops,
  ``neo4j-admin database import full`` into a staging database that then replaces the empty
  one, the server started again and the schema created. The command's summary gives the four
  parts.
* ``neo4j-admin alone``: the same tool, run as the command runs it
  (:func:`govgraph.ops.neo4j_bulk.run_admin_import`), on the same files (written beforehand, not
  timed) into a fresh home, timed from the JVM's start to the tool's end; once with the JVM's
  usual tiered JIT and once with C1 alone (``c1``; the command's choice up to
  ``neo4j_bulk.C1_UP_TO`` records). The target: the command at ≥ 0.8x the faster of the two.

Memory: the peak resident set size of this Python process and of the server's JVM, sampled every
50 ms during each contender (``--tracemalloc`` also traces the Python heap, at a cost in speed).

``--check-only`` runs no server and no contender: only the importer's checking (every pass
before writing: rows, ids, duplicates, the store lookup, link endpoints) over the data set (or
over ``--dataset DIR``, CSV files as ``govgraph generate`` writes them), against an empty
in-memory embedded store, and reports its time and peak RSS. Run with ``PYTHONPATH`` pointing at
another checkout's ``src`` it measures that importer, for before/after figures.

``--ids-only {dicts,digests}`` measures the id bookkeeping alone, at any size in minutes: only
the id columns of the CSV files are read (no parsing, no checks), and every node and link id
goes into ``dicts``, the :class:`~govgraph.loaders.rows.ImportIndex` the importer used to keep
(id -> kind and row, link id -> row, the set of link ends), or ``digests``, the importer's
compact arrays (``_Nodes``, ``_Digests``, sorted as after the first pass).

``--generator-heap`` checks that the synthetic generator streams: its peak traced Python heap
(``tracemalloc``) generating 300 compounds exceeds that for 30 by less than 2 MiB; the exit
status is 1 otherwise. (It was a test; a memory bound belongs here.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction

from govgraph.graph import cypher
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import Link, Node
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS, PropType, link_props, node_props
from govgraph.loaders import synthetic
from govgraph.loaders.bulk_files import ADMIN_OPTIONS, write_bulk_files
from govgraph.loaders.importer import Progress, import_files
from govgraph.loaders.readers import read_tables
from govgraph.loaders.rows import parse_table
from govgraph.loaders.synthetic import GenerationReport, generate
from govgraph.ops import neo4j_bulk
from govgraph.ops.neo4j_local import (
    LocalNeo4j,
    default_cache_dir,
    free_port,
    start_background,
    stop_background,
)

LOAD_CSV_TX_ROWS = 10_000


# --- measuring ------------------------------------------------------------------------------------
def _rss_kib(pid: int | str) -> int:
    """Resident set size of a process from /proc (Linux), 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux ``/proc/<pid>/stat``), 0 when it
    cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemorySampler:
    """Peak RSS of this process and of one other (the JVM), sampled on a thread; also the CPU
    time both used in between (on a shared machine, CPU seconds a record vary far less with
    the load than records a second do).

    ``getrusage`` only gives the lifetime peak, which cannot be reset between contenders.
    """

    def __init__(self, other_pid: int | None, every: float = 0.05) -> None:
        self.other_pid = other_pid
        self.every = every
        self.peak_self = self.peak_other = 0
        self.cpu_self = self.cpu_other = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak_self = max(self.peak_self, _rss_kib("self"))
            if self.other_pid is not None:
                self.peak_other = max(self.peak_other, _rss_kib(self.other_pid))
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self.cpu_self = -time.process_time()
        self.cpu_other = -_cpu_seconds(self.other_pid) if self.other_pid is not None else 0.0
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._loop_once()
        self.cpu_self += time.process_time()
        if self.other_pid is not None:
            self.cpu_other += _cpu_seconds(self.other_pid)

    def _loop_once(self) -> None:
        self.peak_self = max(self.peak_self, _rss_kib("self"))


class TimedStore(Neo4jStore):
    """The Neo4j store, timing every statement of its write path by what it does."""

    def __init__(self, driver: AsyncDriver) -> None:
        super().__init__(driver)
        self.seconds: dict[str, float] = {}
        self.apply_seconds = 0.0
        self.lookup_seconds = 0.0

    @staticmethod
    def _label(text: str) -> str:
        if text == cypher.KINDS_OF:
            return "apply: KINDS_OF lookup"
        if "MERGE (n:" in text:
            return "apply: upsert_nodes"
        if "MERGE (a)-[r:" in text:
            return "apply: upsert_links"
        return "apply: other"

    async def _run(
        self, tx: AsyncManagedTransaction, operation: str, text: str, **p: Any
    ) -> list[dict[str, Any]]:
        start = time.perf_counter()
        try:
            return await super()._run(tx, operation, text, **p)
        finally:
            label = self._label(text)
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

    async def apply(self, batch: Any) -> Any:
        start = time.perf_counter()
        try:
            return await super().apply(batch)
        finally:
            self.apply_seconds += time.perf_counter() - start

    async def apply_checked(self, batch: Any) -> Any:
        start = time.perf_counter()
        try:
            return await super().apply_checked(batch)
        finally:
            self.apply_seconds += time.perf_counter() - start

    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        start = time.perf_counter()
        try:
            return await super().get_nodes(ids)
        finally:
            self.lookup_seconds += time.perf_counter() - start


@dataclass
class Result:
    name: str
    records: int
    seconds: float
    peak_rss_mib: float
    peak_jvm_mib: float
    peak_heap_mib: float | None = None
    #: CPU seconds used by this process and by the JVM while the contender ran
    cpu_python: float = 0.0
    cpu_jvm: float = 0.0
    extrapolated: bool = False
    #: the 1-minute load average when the contender started and when it ended
    load: tuple[float, float] = (0.0, 0.0)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


# --- the data set ---------------------------------------------------------------------------------
def dataset(root: Path, compounds: int, seed: int) -> GenerationReport:
    """Generate the data set once; reuse it when a complete one is cached."""
    # the generator's source is part of the key: an edited generator never reuses stale files
    loaders = Path(synthetic.__file__).parent
    sources = sorted([*loaders.glob("synthetic*.py"), loaders / "records.py"])
    version = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:10]
    out = root / f"synthetic-c{compounds}-s{seed}-{version}"
    marker = out / "generated.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        files = [out / f for f in meta["files"]]
        report = GenerationReport(out, compounds, seed, files, meta["rows_by_kind"])
        report.seconds = meta["seconds"]
        print(f"reusing {out}: {report.summary()}")
        return report
    print(f"generating {compounds} compounds into {out} ...", flush=True)
    report = generate(out, compounds=compounds, seed=seed)
    marker.write_text(
        json.dumps(
            {
                "files": [f.name for f in report.files],
                "rows_by_kind": report.rows_by_kind,
                "seconds": report.seconds,
            }
        )
    )
    print(report.summary())
    return report


def ordered(files: Sequence[Path]) -> list[Path]:
    """Node files first, then link files: what the importer does, and what LOAD CSV needs."""
    return [f for f in files if f.stem in NODE_KINDS] + [f for f in files if f.stem in LINK_KINDS]


# --- servers --------------------------------------------------------------------------------------
@contextlib.contextmanager
def server(args: argparse.Namespace, import_dir: Path | None = None) -> Iterator[LocalNeo4j]:
    """A fresh server in a temporary folder, stopped and deleted afterwards."""
    settings = {"server.directories.import": str(import_dir)} if import_dir else {}
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-", dir=args.work_dir) as tmp:
        # LocalNeo4j limits the JIT to C1 for quick test start-ups; a benchmark wants the
        # server's usual tiered JIT unless asked otherwise (the last -XX flag wins)
        jvm = ("-XX:TieredStopAtLevel=4",) if args.jit == "full" else ()
        local = LocalNeo4j(
            Path(tmp),
            heap=args.heap,
            pagecache=args.pagecache,
            settings=settings,
            jvm_options=jvm,
        )
        start = time.perf_counter()
        local.start(timeout=300)
        print(f"  server up in {time.perf_counter() - start:.1f} s ({local.uri})", flush=True)
        try:
            yield local
        finally:
            local.stop()


def driver_for(local: LocalNeo4j) -> AsyncDriver:
    return AsyncGraphDatabase.driver(local.uri, auth=None, notifications_min_severity="OFF")


async def _count(driver: AsyncDriver) -> tuple[int, int]:
    store = Neo4jStore(driver)
    c = await store.counts()
    return sum(c.nodes.values()), sum(c.links.values())


# --- contenders -----------------------------------------------------------------------------------
async def run_importer(
    local: LocalNeo4j, files: list[Path], batch_size: int, traced: bool
) -> tuple[Result, dict[str, float]]:
    driver = driver_for(local)
    store = TimedStore(driver)
    try:
        await store.init_schema()
        phases: dict[str, float] = {}
        last: list[Any] = [None, 0.0]

        def progress(p: Progress) -> None:
            now = time.perf_counter()
            if last[0] is not None:
                phases[last[0]] = phases.get(last[0], 0.0) + now - last[1]
            last[0], last[1] = p.phase, now

        if traced:
            tracemalloc.start()
        with MemorySampler(local.pid) as mem:
            start = time.perf_counter()
            report = await import_files(store, files, batch_size=batch_size, progress=progress)
            seconds = time.perf_counter() - start
        heap = None
        if traced:
            heap = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        nodes, links = await _count(driver)
        records = report.nodes_written + report.links_written
        res = Result(
            f"importer bs={batch_size}",
            records,
            seconds,
            mem.peak_self / 1024,
            mem.peak_other / 1024,
            heap,
            mem.cpu_self,
            mem.cpu_other,
        )
        if (nodes, links) != (report.nodes_written, report.links_written):
            res.notes.append(f"store holds {nodes}+{links}, importer wrote {records}")
        breakdown = {f"phase {k}": v for k, v in phases.items()}
        breakdown["store lookup (get_nodes)"] = store.lookup_seconds
        breakdown["store.apply total"] = store.apply_seconds
        breakdown.update(store.seconds)
        in_queries = sum(store.seconds.values())
        breakdown["apply: commit, rows, driver"] = store.apply_seconds - in_queries
        breakdown["batches"] = report.batches
        return res, breakdown
    finally:
        await driver.close()


def _records(files: Sequence[Path], limit: int) -> Iterator[Node | Link]:
    n = 0
    for f in ordered(files):
        for t in read_tables(f):
            for row in parse_table(t):
                if row.record is None:
                    continue
                yield row.record
                n += 1
                if n >= limit:
                    return


async def run_naive(local: LocalNeo4j, files: list[Path], sample: int, total: int) -> Result:
    """One record per managed write transaction, the store's own statements."""
    driver = driver_for(local)
    try:
        await Neo4jStore(driver).init_schema()
        records = list(_records(files, sample))

        async def one(tx: AsyncManagedTransaction, rec: Node | Link) -> None:
            if isinstance(rec, Node):
                row = [rec.id, *[rec.props.get(c) for c in cypher.node_columns(rec.kind)]]
                await (await tx.run(cypher.upsert_nodes(rec.kind), rows=[row])).consume()
            else:
                row = [rec.id, rec.source, rec.target,
                       *[rec.props.get(c) for c in cypher.link_columns(rec.kind)]]  # fmt: skip
                text, pairs = cypher.upsert_links(rec.kind), cypher.link_pairs(rec.kind)
                await (await tx.run(text, rows=[row], pairs=pairs)).consume()

        with MemorySampler(local.pid) as mem:
            start = time.perf_counter()
            async with driver.session() as s:
                for rec in records:
                    await s.execute_write(one, rec)
            seconds = time.perf_counter() - start
        rate = len(records) / seconds
        res = Result(
            "naive 1/tx",
            total,
            total / rate,
            mem.peak_self / 1024,
            mem.peak_other / 1024,
            cpu_python=mem.cpu_self * total / len(records),
            cpu_jvm=mem.cpu_other * total / len(records),
            extrapolated=True,
        )
        n_links = sum(isinstance(r, Link) for r in records)
        res.notes.append(
            f"measured on {len(records)} records ({len(records) - n_links} nodes, {n_links} "
            f"links) in {seconds:.1f} s = {rate:,.0f}/s, extrapolated to {total:,}"
        )
        return res
    finally:
        await driver.close()


_CONVERT = {
    PropType.STR: "row.`{}`",
    PropType.INT: "toInteger(row.`{}`)",
    PropType.FLOAT: "toFloat(row.`{}`)",
    PropType.BOOL: "toBoolean(row.`{}`)",
    PropType.DATE: "date(row.`{}`)",
}


def load_csv_statement(kind: str, file_name: str) -> str:
    """LOAD CSV for one kind's file, writing what our store writes (see graph/cypher.py)."""
    head = f"LOAD CSV WITH HEADERS FROM 'file:///{file_name}' AS row CALL (row) {{ "
    tail = f" }} IN TRANSACTIONS OF {LOAD_CSV_TX_ROWS} ROWS"
    if kind in NODE_KINDS:
        props = ", ".join(
            f"`{p.name}`: " + _CONVERT[p.type].format(p.name) for p in node_props(NODE_KINDS[kind])
        )
        return (
            head + f"MERGE (n:{cypher.ENTITY} {{id: row.id}}) "
            f"SET n = {{id: row.id, kind: '{kind}', {props}}} SET n:`{kind}`" + tail
        )
    props = ", ".join(
        f"`{p.name}`: " + _CONVERT[p.type].format(p.name) for p in link_props(LINK_KINDS[kind])
    )
    return (
        head + f"MATCH (a:{cypher.ENTITY} {{id: row.source_id}}) "
        f"MATCH (b:{cypher.ENTITY} {{id: row.target_id}}) "
        f"WITH a, b, row, row.source_id + '|{kind}|' + row.target_id + "
        "coalesce('|' + row.key, '') AS lid "
        f"MERGE (a)-[r:`{kind}` {{id: lid}}]->(b) SET r = {{id: lid, {props}}}" + tail
    )


async def run_load_csv(local: LocalNeo4j, files: list[Path], total: int) -> Result:
    driver = driver_for(local)
    try:
        await Neo4jStore(driver).init_schema()
        with MemorySampler(local.pid) as mem:
            start = time.perf_counter()
            async with driver.session() as s:
                for f in ordered(files):
                    result = await s.run(load_csv_statement(f.stem, f.name))
                    await result.consume()
            seconds = time.perf_counter() - start
        nodes, links = await _count(driver)
        res = Result(
            "LOAD CSV",
            nodes + links,
            seconds,
            mem.peak_self / 1024,
            mem.peak_other / 1024,
            cpu_python=mem.cpu_self,
            cpu_jvm=mem.cpu_other,
        )
        if nodes + links != total:
            res.notes.append(f"store holds {nodes + links}, data set has {total}")
        return res
    finally:
        await driver.close()


async def run_check_only(files: list[Path]) -> None:
    """The importer's checking passes alone: what an import holds before its first write."""
    # _Run is the importer's private pass runner; import_files would go on to write
    from govgraph.loaders import importer

    start = time.perf_counter()
    tables = [t for f in files for t in read_tables(f)]
    phases: dict[str, float] = {}
    last: list[Any] = [None, start]

    def progress(p: Progress) -> None:
        now = time.perf_counter()
        if last[0] is not None:
            phases[last[0]] = phases.get(last[0], 0.0) + now - last[1]
        last[0], last[1] = p.phase, now

    run = importer._Run(
        EmbeddedStore(),
        tables,
        skip_invalid=False,
        batch_size=5000,
        progress=progress,
        max_cell=importer.MAX_CELL_CHARS,
        keep_rows=importer.KEEP_ROWS,
    )
    before = _rss_kib("self") / 1024
    with MemorySampler(None) as mem:
        await run.check()
    seconds = time.perf_counter() - start
    if last[0] is not None:
        phases[last[0]] = phases.get(last[0], 0.0) + time.perf_counter() - last[1]
    print(
        f"importer {importer.__file__}\n"
        f"checked {run.report.rows_read:,} rows in {len(files)} files in {seconds:,.1f} s"
        f" ({run.report.rows_read / seconds:,.0f} rows/s), {len(run.errors)} errors;\n"
        f"RSS {before:,.0f} MiB before checking, peak {mem.peak_self / 1024:,.0f} MiB,"
        f" at the end {_rss_kib('self') / 1024:,.0f} MiB"
    )
    for k, v in phases.items():
        print(f"  phase {k:<10} {v:>8,.1f} s")


def run_ids_only(files: list[Path], how: str) -> None:
    """Peak RSS of holding every id of the data set, the old way or the compact way."""
    import csv

    from govgraph.graph.model import link_id
    from govgraph.loaders import importer
    from govgraph.loaders.rows import ImportIndex

    old = ImportIndex()
    nodes, links = importer._Nodes(importer.id_digest), importer._Digests(importer.id_digest)
    before = _rss_kib("self") / 1024
    start = time.perf_counter()
    count = 0
    with MemorySampler(None) as mem:
        for t, f in enumerate(files):
            kind = f.stem
            with f.open(encoding="utf-8", newline="") as fh:
                rows = csv.reader(fh)
                head = next(rows)
                if kind in NODE_KINDS:
                    at = head.index("id")
                    for number, rec in enumerate(rows, start=2):
                        if how == "dicts":  # what ImportIndex.register kept per node row
                            old.nodes[rec[at]] = (kind, (t, number))
                        else:
                            nodes.add(rec[at], kind, (t, number), invalid=False)
                        count += 1
                    continue
                src, dst, key = (head.index(c) for c in ("source_id", "target_id", "key"))
                for number, rec in enumerate(rows, start=2):
                    lid = link_id(rec[src], kind, rec[dst], rec[key])
                    if how == "dicts":  # ... and per link row
                        old.endpoints.update((rec[src], rec[dst]))
                        old.links[lid] = (t, number)
                    else:
                        links.add(lid, t)
                    count += 1
        if how == "digests":
            nodes.digests.sort()
            links.repeated()
    print(
        f"{how}: {count:,} ids ({len(files)} files) in {time.perf_counter() - start:,.1f} s;"
        f" RSS {before:,.0f} MiB before, peak {mem.peak_self / 1024:,.0f} MiB"
    )


# --- the bulk first load --------------------------------------------------------------------------


def _govgraph() -> str:
    """The console script of the environment running this benchmark."""
    script = Path(sys.executable).with_name("govgraph")
    return str(script) if script.exists() else "govgraph"


def run_admin_alone(args: argparse.Namespace, arguments: list[str], jit: str) -> Result:
    """neo4j-admin with ``arguments`` (the files ``govgraph import --bulk`` writes) into a fresh
    home, as that command runs it."""
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-", dir=args.work_dir) as tmp:
        jvm = neo4j_bulk.C1_ONLY if jit == "c1" else ()
        load = os.getloadavg()[0]
        done = neo4j_bulk.run_admin_import(Path(tmp), arguments, jvm_options=jvm)
        res = Result(
            f"neo4j-admin alone ({jit} JIT)", done.nodes + done.relationships, done.seconds, 0, 0
        )
        res.load = (load, os.getloadavg()[0])
        return res


def run_bulk_command(args: argparse.Namespace, files: list[Path]) -> Result:
    """``govgraph import --bulk`` into an empty, running local Neo4j in a fresh home."""
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-", dir=args.work_dir) as tmp:
        home = Path(tmp) / "neo4j"
        port = free_port()
        start_background(home, port, heap=args.heap, pagecache=args.pagecache)
        env = {
            **os.environ,
            "GOVGRAPH_STORE": "neo4j",
            "GOVGRAPH_NEO4J_URI": f"bolt://127.0.0.1:{port}",
            "GOVGRAPH_NEO4J_HOME": str(home),
        }
        try:
            load = os.getloadavg()[0]
            start = time.perf_counter()
            proc = subprocess.run(
                [_govgraph(), "import", "--bulk", *map(str, files)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - start
        finally:
            stop_background(home)
    if proc.returncode != 0:
        raise SystemExit(f"govgraph import --bulk failed:\n{proc.stdout}\n{proc.stderr[-4000:]}")
    found = re.search(r"(\d+) nodes and (\d+) links loaded", proc.stdout)
    records = int(found.group(1)) + int(found.group(2)) if found else 0
    res = Result("govgraph import --bulk", records, seconds, 0, 0)
    res.load = (load, os.getloadavg()[0])
    # the command's own account of its parts (cli/data.py); the rest is Python's start
    times = re.search(r"^time: (.*)$", proc.stdout, re.MULTILINE)
    res.notes.append(times.group(1) if times else "(no time line)")
    return res


def bulk_table(results: Sequence[Result]) -> str:
    base = max((r.rate for r in results if r.name.startswith("neo4j-admin alone")), default=0.0)
    lines = [
        "| contender | records | seconds | records/s | vs neo4j-admin alone (faster JIT) | load |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{r.rate / base:.2f}x" if base else "n/a"
        lines.append(
            f"| {r.name} | {r.records:,} | {r.seconds:,.1f} | {r.rate:,.0f} | {ratio} | "
            f"{r.load[0]:.1f}-{r.load[1]:.1f} |"
        )
    return "\n".join(lines)


async def run_bulk(args: argparse.Namespace, files: list[Path]) -> None:
    """The bulk rows: neo4j-admin alone (both JITs), then the command; one table."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-", dir=args.work_dir) as tmp:
        print("writing neo4j-admin's files (not timed) ...", flush=True)
        written = await write_bulk_files(files, Path(tmp))
        arguments = neo4j_bulk.admin_arguments(
            written.admin_sources, multiline=written.multiline, options=ADMIN_OPTIONS
        )
        for _ in range(args.bulk_runs):
            for jit in ("full", "c1"):
                print(f"neo4j-admin alone, {jit} JIT ...", flush=True)
                results.append(run_admin_alone(args, arguments, jit))
                print(f"  {results[-1].rate:,.0f} records/s", flush=True)
            print("govgraph import --bulk ...", flush=True)
            results.append(run_bulk_command(args, files))
            print(f"  {results[-1].rate:,.0f} records/s", flush=True)
    print()
    print(bulk_table(results))
    for r in results:
        for note in r.notes:
            print(f"- {r.name}: {note}")


# --- the run --------------------------------------------------------------------------------------
def _per_record(seconds: float, records: int) -> str:
    return f"{1e6 * seconds / records:,.0f}" if records else "-"


def table(results: Sequence[Result]) -> str:
    base = next((r.rate for r in results if r.name == "LOAD CSV"), 0.0)
    head = (
        "| contender | records | seconds | records/s | vs LOAD CSV | peak RSS (Python) | "
        "peak heap (Python) | peak RSS (JVM) | CPU µs a record (Python / JVM) | load |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        ratio = f"{r.rate / base:.2f}x" if base else "n/a"
        heap = f"{r.peak_heap_mib:,.0f} MiB" if r.peak_heap_mib is not None else "-"
        secs = f"{r.seconds:,.1f}" + (" (extrapolated)" if r.extrapolated else "")
        lines.append(
            f"| {r.name} | {r.records:,} | {secs} | {r.rate:,.0f} | {ratio} | "
            f"{r.peak_rss_mib:,.0f} MiB | {heap} | {r.peak_jvm_mib:,.0f} MiB | "
            f"{_per_record(r.cpu_python, r.records)} / {_per_record(r.cpu_jvm, r.records)} | "
            f"{r.load[0]:.1f}-{r.load[1]:.1f} |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> None:
    if args.ids_only:
        run_ids_only(ordered(sorted(Path(args.dataset).glob("*.csv"))), args.ids_only)
        return
    if args.check_only and args.dataset:
        await run_check_only(ordered(sorted(Path(args.dataset).glob("*.csv"))))
        return
    root = Path(args.data_dir).expanduser()
    data = dataset(root, args.compounds, args.seed)
    if args.check_only:
        await run_check_only(ordered(data.files))
        return
    files = ordered(data.files)
    total = data.rows
    if args.bulk_only:
        await run_bulk(args, files)
        return
    results: list[Result] = []
    breakdowns: dict[str, dict[str, float]] = {}
    print(
        f"\n{dt.date.today()} {platform.node()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, heap {args.heap}, pagecache {args.pagecache}, "
        f"JIT {args.jit}",
        flush=True,
    )
    if not args.skip_load_csv:
        print("LOAD CSV ...", flush=True)
        with server(args, import_dir=data.out_dir) as local:
            load = os.getloadavg()[0]
            results.append(await run_load_csv(local, files, total))
            results[-1].load = (load, os.getloadavg()[0])
        print(f"  {results[-1].rate:,.0f} records/s", flush=True)
    for bs in args.batch_sizes:
        print(f"importer batch size {bs} ...", flush=True)
        with server(args) as local:
            load = os.getloadavg()[0]
            res, breakdown = await run_importer(local, files, bs, args.tracemalloc)
            res.load = (load, os.getloadavg()[0])
        results.append(res)
        breakdowns[res.name] = breakdown
        print(f"  {res.rate:,.0f} records/s", flush=True)
    if args.naive_sample:
        n_small = max(4, math.ceil(args.naive_sample / 500))
        small = dataset(root, n_small, args.seed)
        print(f"naive writer on {args.naive_sample} records ...", flush=True)
        with server(args) as local:
            load = os.getloadavg()[0]
            results.append(await run_naive(local, ordered(small.files), args.naive_sample, total))
            results[-1].load = (load, os.getloadavg()[0])
        print(f"  {results[-1].rate:,.0f} records/s", flush=True)
    print()
    print(table(results))
    for r in results:
        for note in r.notes:
            print(f"- {r.name}: {note}")
    for name, bd in breakdowns.items():
        print(f"\nwhere the time goes, {name}:")
        for k, v in bd.items():
            print(f"  {k:<40} {v:>10,.1f}" + ("" if k == "batches" else " s"))
    if args.bulk:
        print()
        await run_bulk(args, files)


def generator_heap() -> int:
    """``--generator-heap``: the synthetic generator's peak heap at two sizes; the exit status."""

    def peak(out: Path, compounds: int) -> int:
        tracemalloc.start()
        try:
            generate(out, compounds=compounds)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp) / "warm", compounds=5)  # imports and caches outside the measurement
        small, big = peak(Path(tmp) / "small", 30), peak(Path(tmp) / "big", 300)
    flat = big - small < 2 * 2**20
    print(
        f"generator peak heap: 30 compounds {small / 2**20:.2f} MiB, 300 compounds "
        f"{big / 2**20:.2f} MiB: {'PASS' if flat else 'FAIL'} (less than 2 MiB apart)"
    )
    return 0 if flat else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--compounds", type=int, default=500)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--batch-sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1000, 5000, 20000],
        help="comma-separated importer batch sizes",
    )
    p.add_argument("--naive-sample", type=int, default=5000, help="0 skips the naive writer")
    p.add_argument("--skip-load-csv", action="store_true")
    p.add_argument("--bulk", action="store_true", help="also the bulk first load rows")
    p.add_argument("--bulk-only", action="store_true", help="only the bulk first load rows")
    p.add_argument("--bulk-runs", type=int, default=1, help="rounds of the bulk rows")
    p.add_argument("--tracemalloc", action="store_true", help="trace the Python heap (slower)")
    p.add_argument(
        "--jit",
        choices=("full", "c1"),
        default="full",
        help="full: the server's usual tiered JIT; c1: LocalNeo4j's quick-start default",
    )
    p.add_argument("--heap", default="2g")
    p.add_argument("--pagecache", default="1g")
    p.add_argument("--data-dir", default=str(default_cache_dir() / "bench"))
    p.add_argument("--work-dir", default=None, help="where the temporary servers live")
    p.add_argument(
        "--check-only",
        action="store_true",
        help="only the importer's checking passes, no server (peak RSS, time)",
    )
    p.add_argument(
        "--dataset", default=None, help="with --check-only or --ids-only: a folder of CSV files"
    )
    p.add_argument(
        "--ids-only",
        choices=("dicts", "digests"),
        default=None,
        help="only hold every id of --dataset, as dicts (before) or digests (now): peak RSS",
    )
    p.add_argument(
        "--generator-heap",
        action="store_true",
        help="only the synthetic generator's peak heap at 30 and 300 compounds (exit status)",
    )
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.generator_heap:
        raise SystemExit(generator_heap())
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
