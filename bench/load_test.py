"""Load test: concurrent GraphQL clients with mixed reads and writes against the API process.

The API runs as ``govgraph serve`` (uvicorn, one process) on the Neo4j store holding the Huairen
demo data set; the clients are asyncio tasks with ``httpx`` in this process, so the load tool is
never the server itself. Each client loops until the deadline, picking an operation by weight
(80% reads, 20% writes by default). A warm-up period runs the same load but is left out of the
latency figures; errors are counted from the first request to the last.

Recorded: every error (HTTP status, GraphQL ``errors``, a mutation answering anything but its
payload), p50/p95/p99 latency and throughput per operation, the API process's resident set
size (RSS, from ``/proc/<pid>/status``) every second, and the CPU time the API process and the
Neo4j JVM used over the measured window (``/proc/<pid>/stat``; on a shared machine the CPU per
request says more than wall time). Memory is judged on the samples after the
warm-up: the least-squares slope times the measured duration is the growth trend, and it must stay
within ``--rss-tolerance`` MiB.

    .venv/bin/python bench/load_test.py [--clients 50] [--duration 60] [--warmup 10]
        [--write-share 0.2] [--neo4j-uri bolt://127.0.0.1:PORT] [--work-dir DIR] [--json OUT]

Without ``--neo4j-uri`` a fresh local Neo4j is started in the work folder (a temporary one by
default) and stopped at the end. The demo data set is loaded if the database is empty. The exit
status is 0 only with zero errors and memory within the tolerance.

``tests/faults/test_load.py`` runs a short version of the same code in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from govgraph.ops.neo4j_local import LocalNeo4j, free_port

DEPARTMENT_KEY = "load-test-department"
API_KEYS = json.dumps({DEPARTMENT_KEY: "department"})


# --------------------------------------------------------------------------------------------
# The API as a separate process


class ApiProcess:
    """``govgraph serve`` in its own process, configured by ``GOVGRAPH_*`` variables.

    ``start()`` waits until ``/healthz`` answers (the store need not be up); ``rss_kib()`` reads
    the process's resident set size; ``kill()`` sends SIGKILL, ``stop()`` SIGTERM.
    """

    def __init__(self, env: Mapping[str, str], log_file: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "GOVGRAPH_HOST": "127.0.0.1",
            "GOVGRAPH_PORT": str(self.port),
            "GOVGRAPH_API_KEYS": API_KEYS,
            "GOVGRAPH_DEMO": "true",  # synthetic data: the built-in pseudonym secret will do
            # the clients share one key here; in service each user has their own
            "GOVGRAPH_MAX_REQUESTS_PER_KEY": "1000",
            **env,
        }
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None, "start() first"
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> str:
        govgraph = Path(sys.executable).with_name("govgraph")
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(govgraph), "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.log_file.parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the API exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self.url
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the API did not answer within {timeout:.0f} s:\n{self.log()}")

    def log(self, last: int = 4000) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-last:]

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")  # pragma: no cover

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> ApiProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_ready(client: httpx.AsyncClient, timeout: float) -> None:
    """Poll ``/readyz`` until it answers 200."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            r = await client.get("/readyz")
            if r.status_code == 200:
                return
            last = r.text
        await asyncio.sleep(0.2)
    raise TimeoutError(f"/readyz not 200 within {timeout:.0f} s: {last}")


# --------------------------------------------------------------------------------------------
# The workload

NODE = """query($id: ID!) { node(id: $id) { id ... on Compound { name households isOld } } }"""
LIST = """query($after: String) {
  compounds(first: 20, after: $after, orderBy: [{field: NAME}]) {
    totalCount pageInfo { endCursor } edges { node { entityId name households } }
  }
}"""
NESTED = """query($name: String!) {
  compounds(first: 5, where: {name: {startsWith: $name}}) {
    edges { node { name
      coveredBy { edges { node { ... on PartyBranch { name
        postHolders(first: 3) { edges { role node { ... on Person { name } } } } } } } }
      partOf { edges { node { ... on Community { name } } } }
    } }
  }
}"""
SEARCH = """query($text: String!) {
  search(text: $text, first: 5) { id ... on Compound { name } ... on PartyBranch { name } }
}"""
COUNTS = """{ counts { nodes { kind count } links { kind count } } }"""
CREATE = """mutation($nodes: [NodeInput!], $links: [LinkInput!]) {
  applyBatch(nodes: $nodes, links: $links) { __typename ... on WritePayload { nodesWritten } }
}"""
UPDATE = """mutation($id: ID!, $props: JSON!) {
  updateNode(id: $id, props: $props) { __typename ... on NodePayload { node { id } } }
}"""

#: operation → share of all requests (reads first); scaled so that writes make ``write_share``
READS = {"node": 0.25, "list": 0.20, "nested": 0.15, "search": 0.10, "counts": 0.10}
WRITES = {"create": 0.60, "update": 0.40}
#: what a mutation must answer to count as acknowledged
PAYLOAD = {"create": ("applyBatch", "WritePayload"), "update": ("updateNode", "NodePayload")}


@dataclass
class Demo:
    """What the clients pick from: compound ids, names and cursors, read once from the API."""

    compounds: list[tuple[str, str]]  # (global id, name)
    cursors: list[str | None]

    @classmethod
    async def read(cls, client: httpx.AsyncClient) -> Demo:
        compounds: list[tuple[str, str]] = []
        cursors: list[str | None] = [None]
        after: str | None = None
        while True:
            body = await post(client, LIST, {"after": after})
            page = body["data"]["compounds"]
            compounds += [
                (f"Compound:{e['node']['entityId']}", e["node"]["name"] or "")
                for e in page["edges"]
            ]
            after = page["pageInfo"]["endCursor"]
            if not page["edges"] or after is None or len(page["edges"]) < 20:
                break
            cursors.append(after)
        if not compounds:
            raise RuntimeError("no compounds: load the demo data set first")
        return cls(compounds, cursors)


async def post(client: httpx.AsyncClient, query: str, variables: Mapping[str, Any]) -> Any:
    r = await client.post("/graphql", json={"query": query, "variables": dict(variables)})
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body


class Client:
    """One simulated client: its own random stream and the nodes it created."""

    def __init__(self, number: int, demo: Demo, write_share: float, seed: int) -> None:
        self.number = number
        self.demo = demo
        self.rng = random.Random(seed * 1000 + number)
        self.created: list[str] = []
        self.serial = 0
        ops = {k: v * (1 - write_share) / sum(READS.values()) for k, v in READS.items()}
        ops.update({k: v * write_share / sum(WRITES.values()) for k, v in WRITES.items()})
        self.ops, self.weights = list(ops), list(ops.values())

    def request(self) -> tuple[str, str, dict[str, Any]]:
        op = self.rng.choices(self.ops, self.weights)[0]
        if op == "update" and not self.created:
            op = "create"
        gid, name = self.rng.choice(self.demo.compounds)
        if op == "node":
            return op, NODE, {"id": gid}
        if op == "list":
            return op, LIST, {"after": self.rng.choice(self.demo.cursors)}
        if op == "nested":
            return op, NESTED, {"name": name[:2]}
        if op == "search":
            return op, SEARCH, {"text": name[:3] or "小区"}
        if op == "counts":
            return op, COUNTS, {}
        if op == "update":
            bid = self.rng.choice(self.created)
            return op, UPDATE, {"id": f"Building:{bid}", "props": {"name": f"楼{self.serial}"}}
        self.serial += 1
        bid = f"lt-{self.number}-{self.serial}-{self.rng.randrange(1 << 30):x}"
        self.created.append(bid)
        variables = {
            "nodes": [{"kind": "Building", "id": bid, "props": {"name": f"压测楼{self.serial}"}}],
            "links": [{"kind": "PART_OF", "source": f"Building:{bid}", "target": gid}],
        }
        return op, CREATE, variables


def problem(op: str, r: httpx.Response) -> str | None:
    """What is wrong with one answer, or None."""
    if r.status_code != 200:
        return f"HTTP {r.status_code}: {r.text[:200]}"
    body = r.json()
    if body.get("errors"):
        e = body["errors"][0]
        return f"{(e.get('extensions') or {}).get('code', 'error')}: {e['message'][:200]}"
    if op in PAYLOAD:
        fieldname, typename = PAYLOAD[op]
        got = body["data"][fieldname]
        if got["__typename"] != typename:
            return f"{got['__typename']}: {json.dumps(got, ensure_ascii=False)[:200]}"
    return None


# --------------------------------------------------------------------------------------------
# Running and measuring


@dataclass
class LoadResult:
    clients: int
    warmup: float
    measured: float  # seconds of measured load (after the warm-up)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0  # all requests, warm-up included
    done: Counter[str] = field(default_factory=Counter)  # requests by operation, warm-up included
    errors: Counter[str] = field(default_factory=Counter)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, KiB)
    loadavg: list[float] = field(default_factory=list)  # the machine's 1-minute load average
    #: CPU seconds each watched process (``api``, ``neo4j``) used in the measured window
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def measured_rss(self) -> list[tuple[float, int]]:
        return [(t, kib) for t, kib in self.rss if t >= self.warmup]

    def rss_points(self) -> tuple[float, float, float]:
        """RSS in MiB at the start of the measured window, its middle and its end."""
        s = self.measured_rss() or self.rss
        return s[0][1] / 1024, s[len(s) // 2][1] / 1024, s[-1][1] / 1024

    def rss_trend_mib(self) -> float:
        """Growth over the measured window by the least-squares slope of the RSS samples."""
        s = self.measured_rss()
        if len(s) < 3:
            return 0.0
        ts = [t for t, _ in s]
        slope = statistics.linear_regression(ts, [kib / 1024 for _, kib in s]).slope
        return slope * (ts[-1] - ts[0])

    def rows(self) -> list[tuple[str, int, float, float, float, float]]:
        """(operation, requests, p50 ms, p95 ms, p99 ms, requests/s) per operation, then all."""
        out = []
        everything: list[float] = []
        for op in [*READS, *WRITES]:
            lat = self.latencies.get(op, [])
            everything += lat
            if lat:
                out.append((op, *_figures(lat, self.measured)))
        if everything:
            out.append(("all", *_figures(everything, self.measured)))
        return out

    def report(self) -> str:
        lines = [
            f"{self.clients} clients, {self.warmup:.0f} s warm-up + {self.measured:.1f} s "
            f"measured; {self.requests} requests in all, {self.error_count} errors",
            "",
            "| operation | requests | p50 ms | p95 ms | p99 ms | req/s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for op, n, p50, p95, p99, rate in self.rows():
            lines.append(f"| {op} | {n:,} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {rate:.1f} |")
        start, middle, end = self.rss_points()
        lines += [
            "",
            f"API RSS (MiB) after warm-up: start {start:.1f}, middle {middle:.1f}, end {end:.1f}; "
            f"trend {self.rss_trend_mib():+.1f} MiB over the measured window "
            f"({len(self.rss)} samples, 1 s apart)",
        ]
        measured = sum(len(v) for v in self.latencies.values())
        if self.cpu and measured:
            lines.append(
                "CPU in the measured window: "
                + "; ".join(
                    f"{name} {sec:.1f} s = {sec / measured * 1000:.1f} ms per request"
                    for name, sec in self.cpu.items()
                )
            )
        if self.loadavg:
            lines.append(
                f"machine load average (1 min) during the run: {min(self.loadavg):.1f} to "
                f"{max(self.loadavg):.1f} on {os.cpu_count()} CPUs"
            )
        if self.errors:
            lines += ["", "errors:"]
            lines += [f"  {n} x {msg}" for msg, n in self.errors.most_common(20)]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "warmup_s": self.warmup,
            "measured_s": self.measured,
            "requests": self.requests,
            "errors": dict(self.errors),
            "operations": [
                dict(zip(("op", "requests", "p50_ms", "p95_ms", "p99_ms", "rps"), r, strict=True))
                for r in self.rows()
            ],
            "rss_mib": [[round(t, 1), round(k / 1024, 1)] for t, k in self.rss],
            "rss_trend_mib": self.rss_trend_mib(),
            "cpu_s": self.cpu,
            "loadavg": self.loadavg,
        }


def _figures(lat: list[float], seconds: float) -> tuple[int, float, float, float, float]:
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    return len(lat), q[49] * 1000, q[94] * 1000, q[98] * 1000, len(lat) / seconds


async def run_load(
    url: str,
    *,
    clients: int,
    duration: float,
    warmup: float,
    write_share: float = 0.2,
    rss_kib: Callable[[], int] | None = None,
    seed: int = 1,
    request_timeout: float = 45.0,
    cpu: Mapping[str, Callable[[], float]] | None = None,
) -> LoadResult:
    """Run ``clients`` concurrent clients for ``warmup + duration`` seconds against ``url``.

    ``cpu``: name → a function giving a process's CPU seconds so far, read at the start and the
    end of the measured window."""
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(
        base_url=url,
        headers={"X-API-Key": DEPARTMENT_KEY},
        limits=limits,
        timeout=request_timeout,
    ) as http:
        await wait_ready(http, 60)
        demo = await Demo.read(http)
        result = LoadResult(clients, warmup, duration)
        t0 = time.monotonic()
        measure_from, stop_at = t0 + warmup, t0 + warmup + duration

        async def client(n: int) -> None:
            c = Client(n, demo, write_share, seed)
            while (start := time.monotonic()) < stop_at:
                op, query, variables = c.request()
                try:
                    r = await http.post("/graphql", json={"query": query, "variables": variables})
                    wrong = problem(op, r)
                except httpx.HTTPError as exc:
                    wrong = f"{exc.__class__.__name__}: {exc}"
                end = time.monotonic()
                result.requests += 1
                result.done[op] += 1
                if wrong is not None:
                    result.errors[f"{op}: {wrong}"] += 1
                elif start >= measure_from:
                    result.latencies[op].append(end - start)

        async def cpu_window() -> None:
            if not cpu:
                return
            await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
            start = {name: read() for name, read in cpu.items()}
            await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
            result.cpu = {name: read() - start[name] for name, read in cpu.items()}

        async def sample() -> None:
            while rss_kib is not None and time.monotonic() < stop_at:
                result.rss.append((time.monotonic() - t0, rss_kib()))
                result.loadavg.append(os.getloadavg()[0])
                await asyncio.sleep(1.0)

        await asyncio.gather(sample(), cpu_window(), *(client(n) for n in range(clients)))
        result.measured = time.monotonic() - measure_from
        if rss_kib is not None:
            result.rss.append((time.monotonic() - t0, rss_kib()))
    return result


# --------------------------------------------------------------------------------------------
# The command


#: the slice of the demo data set the CI version loads: places, Party organizations and the
#: people holding their posts (about a tenth of the demo, written in one batch in seconds)
SMALL_KINDS = frozenset(
    {"City", "Township", "Community", "Compound", "PartyCommittee", "PartyBranch", "Person"}
)


def demo_slice() -> tuple[list[Any], list[Any]]:
    """The demo's places and Party organizations, and the people who hold posts in them."""
    from govgraph.loaders.demo import build_demo

    nodes, links = build_demo()
    holders = {lk.source for lk in links if lk.kind == "HOLDS_POST"}
    keep = {
        n.id for n in nodes if n.kind in SMALL_KINDS and (n.kind != "Person" or n.id in holders)
    }
    return (
        [n for n in nodes if n.id in keep],
        [lk for lk in links if lk.source in keep and lk.target in keep],
    )


async def load_data(
    uri: str, *, small: bool = False, replace: bool = False, **settings: Any
) -> tuple[int, float]:
    """Create the schema and load the demo set (or :func:`demo_slice`) unless the database holds
    nodes already (``replace`` empties it first). Returns (nodes in the database, seconds)."""
    from govgraph.api.settings import Settings
    from govgraph.api.stores import open_store
    from govgraph.graph.port import WriteBatch
    from govgraph.loaders.demo import load_demo

    store = await open_store(Settings(store="neo4j", neo4j_uri=uri, **settings))
    try:
        await store.init_schema()
        t = time.monotonic()
        if replace:
            await store.clear()
        if not sum((await store.counts()).nodes.values()):
            if small:
                nodes, links = demo_slice()
                await store.apply(WriteBatch(nodes=nodes, links=links))
            else:
                await load_demo(store)
        return sum((await store.counts()).nodes.values()), time.monotonic() - t
    finally:
        await store.close()


@contextlib.contextmanager
def neo4j(uri: str | None, work: Path) -> Iterator[tuple[str, int | None]]:
    """The Bolt URI and, when this script started the server, the JVM's pid."""
    if uri:
        yield uri, None
        return
    # the normal tiered JIT: LocalNeo4j stops at C1 for quick test start-ups, which a run of a
    # minute or more pays for (as in bench/import_bench.py)
    with LocalNeo4j(work / "neo4j", jvm_options=("-XX:TieredStopAtLevel=4",)) as server:
        yield server.uri, server.pid


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring")
    ap.add_argument("--write-share", type=float, default=0.2)
    ap.add_argument("--neo4j-uri", help="use this Neo4j instead of starting one")
    ap.add_argument("--work-dir", type=Path, help="where Neo4j and logs go (default: temporary)")
    ap.add_argument("--rss-tolerance", type=float, default=16.0, help="MiB of RSS growth trend")
    ap.add_argument(
        "--request-timeout",
        type=float,
        default=30.0,
        help="the API's GOVGRAPH_REQUEST_TIMEOUT; clients wait 15 s longer, so a slow request is "
        "reported as the API's typed TIMEOUT rather than a client-side timeout",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)

    with contextlib.ExitStack() as stack:
        work = args.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        uri, jvm_pid = stack.enter_context(neo4j(args.neo4j_uri, work))
        print(f"neo4j: {uri} (ready in {time.monotonic() - t:.0f} s)", flush=True)
        nodes, took = asyncio.run(load_data(uri))
        print(f"data: {nodes:,} nodes (load {took:.0f} s)", flush=True)
        env = {
            "GOVGRAPH_STORE": "neo4j",
            "GOVGRAPH_NEO4J_URI": uri,
            "GOVGRAPH_REQUEST_TIMEOUT": str(args.request_timeout),
        }
        api = stack.enter_context(ApiProcess(env, work / "api.log"))
        print(f"api: {api.url} pid {api.pid}; load for {args.warmup + args.duration:.0f} s")
        cpu: dict[str, Callable[[], float]] = {"api": api.cpu_seconds}
        if jvm_pid is not None:
            cpu["neo4j"] = lambda: cpu_seconds(jvm_pid)
        load1, load5, load15 = os.getloadavg()
        print(f"load average before the load: {load1:.2f}, {load5:.2f}, {load15:.2f}")
        result = asyncio.run(
            run_load(
                api.url,
                clients=args.clients,
                duration=args.duration,
                warmup=args.warmup,
                write_share=args.write_share,
                rss_kib=api.rss_kib,
                seed=args.seed,
                request_timeout=args.request_timeout + 15,
                cpu=cpu,
            )
        )
    load1, load5, load15 = os.getloadavg()
    print(result.report())
    print(f"load average at the end: {load1:.2f}, {load5:.2f}, {load15:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result.as_json(), indent=1), encoding="utf-8")
    growth = result.rss_trend_mib()
    ok = result.error_count == 0 and growth <= args.rss_tolerance
    print("PASS" if ok else f"FAIL: {result.error_count} errors, RSS trend {growth:+.1f} MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
