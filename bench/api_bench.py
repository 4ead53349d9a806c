"""API benchmark: latency and throughput of the reference queries, our API on both stores, and
(with ``--anchor``) the Neo4j GraphQL Library on the same Neo4j holding the same data.

Why. Issue 4 asks for p50, p95 and requests/s of a reference set of queries (``reference.py``)
on the demo and on a prefecture-size data set, on both stores, with a target on Neo4j with the
demo set: p95 under 50 ms for the three-level nested query at 8 concurrent clients. Issue 6 asks
for the same queries side by side with ``@neo4j/graphql`` (``bench/neo4j-graphql/``), answers
checked to agree, with a goal: our p95 at most 0.8x theirs and our throughput at least 1.25x
theirs on every query. See ``bench/README.md``.

    /work/main/.venv/bin/python bench/api_bench.py --anchor

What runs. For each data set (``demo``: the Huairen demo; ``synthetic``: ``--compounds`` from
:mod:`govgraph.loaders.synthetic`), one local Neo4j 5.26 (normal tiered JIT) holds the data
(loaded once and cached under ``--cache-dir``), and these servers run as separate processes:

* ``ours/embedded``: ``uvicorn govgraph.api.app:create_app --factory`` on the embedded store
  (its own cached snapshot file of the same data set);
* ``ours/neo4j``: the same on that Neo4j;
* ``ours/neo4j@<commit>``: with ``--compare <commit>``, our Neo4j server on another commit's
  code (say the one before a change), so a before and an after run side by side;
* ``anchor``: ``node bench/neo4j-graphql/server.mjs`` on that Neo4j (with ``--anchor``);
* ``cypher floor``: for a query with a hand-written Cypher statement (``two_hop``,
  ``three_hop``), that statement through the Neo4j Python driver from this process, N concurrent
  sessions in a loop (no HTTP, no GraphQL: the floor a GraphQL answer is measured against; its
  answer is compared with the servers' too). ``--no-floor`` leaves it out.

Every answer is fetched once from every server and compared after normalizing the shapes
(``reference.py``); then ``wrk`` (not the system under test; one thread) drives each query at 1
and 8 connections for ``--duration`` seconds, contenders interleaved query by query, after a
warm-up per contender and query. Our servers get a department API key, so people's names resolve.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import BY_NAME, REFERENCES, Reference, body, variables_for  # after the path fix

if TYPE_CHECKING:  # govgraph is imported once the code under test is chosen (--code)
    from govgraph.graph.port import GraphStore
    from govgraph.ops.neo4j_local import LocalNeo4j

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CACHE = Path(os.environ.get("GOVGRAPH_CACHE_DIR", Path.home() / ".cache" / "govgraph"))
ANCHOR_DIR = HERE / "neo4j-graphql"
API_KEY = "bench-department"
#: the pseudonym secret of our servers (nothing here is pseudonymized: the department reads)
BENCH_SECRET = "bench-only-pseudonym-secret-not-for-real-data-0123456789"
WRK_HINT = (
    "wrk (the load generator) is not installed. On Debian or Ubuntu: `apt-get install -y wrk` "
    "(as root), or build it from https://github.com/wg/wrk."
)
# C1 is LocalNeo4j's quick-start default for tests; a benchmark wants the server's usual tiered
# JIT (C2). The last occurrence of a -XX flag wins.
FULL_JIT = ("-XX:TieredStopAtLevel=4",)
LOAD_MARKER = "govgraph-bench-data.json"


# --- data sets ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # demo | synthetic
    compounds: int = 0
    seed: int = 1

    @property
    def key(self) -> str:
        return "demo" if self.name == "demo" else f"synthetic-c{self.compounds}-s{self.seed}"


def csv_dir(ds: Dataset, cache: Path) -> Path:
    """The synthetic data set's CSV files, generated once."""
    from govgraph.loaders.synthetic import generate

    out = cache / f"{ds.key}-csv"
    done = out / ".complete"
    if not done.exists():
        print(f"  generating {ds.key} ...", flush=True)
        report = generate(out, compounds=ds.compounds, seed=ds.seed)
        done.write_text(json.dumps({"seconds": report.seconds}), encoding="utf-8")
    return out


async def load_into(store: GraphStore, ds: Dataset, cache: Path) -> tuple[int, int]:
    """Write the data set into an empty store (schema first); return (nodes, links)."""
    from govgraph.loaders.demo import load_demo
    from govgraph.loaders.importer import import_files

    await store.init_schema()
    start = time.perf_counter()
    if ds.name == "demo":
        await load_demo(store)
    else:
        files = sorted(csv_dir(ds, cache).glob("*.csv"))
        await import_files(store, files)
    counts = await store.counts()
    nodes, links = sum(counts.nodes.values()), sum(counts.links.values())
    print(
        f"  loaded {nodes:,} nodes and {links:,} links in {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    return nodes, links


def embedded_file(ds: Dataset, cache: Path) -> Path:
    """The embedded store's snapshot of the data set, written once."""
    path = cache / f"embedded-{ds.key}" / "graph.jsonl"
    done = path.with_name("complete.json")
    if done.exists():
        return path
    from govgraph.graph.embedded import EmbeddedStore

    print(f"  building the embedded store for {ds.key} ...", flush=True)
    shutil.rmtree(path.parent, ignore_errors=True)
    path.parent.mkdir(parents=True)

    async def go() -> tuple[int, int]:
        store = EmbeddedStore(path)
        try:
            return await load_into(store, ds, cache)
        finally:
            await store.close()

    nodes, links = asyncio.run(go())
    done.write_text(json.dumps({"nodes": nodes, "links": links}), encoding="utf-8")
    return path


@contextlib.contextmanager
def neo4j_with(ds: Dataset, cache: Path, heap: str, pagecache: str) -> Iterator[LocalNeo4j]:
    """A local Neo4j on the cached data folder of ``ds``, loading the data the first time."""
    from neo4j import AsyncGraphDatabase

    from govgraph.graph.neo4j_store import Neo4jStore
    from govgraph.ops.neo4j_local import LocalNeo4j

    home = cache / f"neo4j-{ds.key}"
    marker = home / LOAD_MARKER
    fresh = not marker.exists()
    if fresh:
        shutil.rmtree(home, ignore_errors=True)
    local = LocalNeo4j(home, heap=heap, pagecache=pagecache, jvm_options=FULL_JIT)
    start = time.perf_counter()
    local.start(timeout=300)
    print(f"  Neo4j up in {time.perf_counter() - start:.1f} s ({local.uri}, {home})", flush=True)
    try:
        if fresh:
            print(f"  loading {ds.key} into Neo4j (once; cached in {home}) ...", flush=True)

        async def go() -> tuple[int, int] | None:
            driver = AsyncGraphDatabase.driver(
                local.uri, auth=None, notifications_min_severity="OFF"
            )
            store = Neo4jStore(driver)
            try:
                if fresh:
                    return await load_into(store, ds, cache)
                # the cached data under the schema the code declares (indexes added since)
                await store.init_schema()
                return None
            finally:
                await driver.close()

        loaded = asyncio.run(go())
        if loaded is not None:
            nodes, links = loaded
            marker.write_text(json.dumps({"nodes": nodes, "links": links}), encoding="utf-8")
        yield local
    finally:
        local.stop()


# --- the code under test ------------------------------------------------------------------------
def code_under_test(ref: str, cache: Path) -> tuple[Path | None, str]:
    """The folder to import ``govgraph`` from (None: the working tree, as installed in this
    virtualenv), and a label naming the code. A commit is installed into a folder of its own:
    its top-level folders map to ``govgraph.*`` only once installed."""
    if ref == "worktree":
        return None, "the working tree"
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    folder = cache / f"code-{sha[:12]}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "tree").mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", sha], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder / "tree")], input=archive, check=True)
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
        subprocess.run([*pip, "--target", str(folder / "site"), str(folder / "tree")], check=True)
        (folder / ".complete").write_text(sha, encoding="utf-8")
    return folder / "site", f"commit {sha[:12]}"


# --- servers ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """One contender: a server process and how to ask it."""

    name: str
    ours: bool
    cmd: list[str]
    env: dict[str, str]
    cwd: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/graphql" if self.ours else "/")

    def headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json"}
        if self.ours:
            h["X-API-Key"] = API_KEY
        return h

    def start(self, log_dir: Path, timeout: float = 600.0) -> None:
        self.log = log_dir / f"{self.name.replace('/', '-')}.log"
        env = {**os.environ, **self.env, "PORT": str(self.port)}
        cmd = [c.replace("{port}", str(self.port)) for c in self.cmd]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=self.cwd, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log}\n{self.log.read_text()}")
            try:
                post(self, '{"query":"{ __typename }"}')
                break
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        else:
            raise RuntimeError(f"{self.name} not ready within {timeout:.0f} s: see {self.log}")
        while self.ours and time.monotonic() < deadline and self.warming():
            time.sleep(0.5)  # the analytics warm-up's CPU would land in the first runs

    def warming(self) -> bool:
        """Whether our server's analytics warm-up still runs (``/readyz``)."""
        url = self.url.removesuffix("/graphql") + "/readyz"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                state = json.loads(resp.read()).get("analytics", {}).get("state")
        except (OSError, ValueError, urllib.error.URLError):
            return False
        return bool(state == "running")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def post(server: Server, data: str) -> Any:
    req = urllib.request.Request(
        server.url, data=data.encode(), headers=server.headers(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def our_server(
    name: str,
    store_env: dict[str, str],
    work: Path,
    src: Path | None,
    app: str = "govgraph.api.app",
    *,
    workers: int = 1,
) -> Server:
    env = {
        **store_env,
        "PYTHONPATH": os.pathsep.join(str(p) for p in (src, HERE) if p is not None),
        "GOVGRAPH_API_KEYS": json.dumps({API_KEY: "department"}),
        # outside demo mode the service refuses the built-in pseudonym secret
        "GOVGRAPH_PSEUDONYM_SECRET": BENCH_SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    if workers > 1:
        # our own serve command: uvicorn's --workers leaves Nagle on (api/workers.py)
        serve = "from govgraph.cli.main import main; main()"
        cmd = [sys.executable, "-c", serve, "serve", "--workers", str(workers)]
        cmd += ["--host", "127.0.0.1", "--port", "{port}", "--no-access-log"]
        return Server(name, True, cmd, env, work)
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        f"{app}:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    # cwd: an empty folder, so that no stray .env is read by the settings
    return Server(name, True, cmd, env, work)


def anchor_server(uri: str) -> Server:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node (Node.js 20+) is needed for --anchor: apt-get install -y nodejs")
    if not (ANCHOR_DIR / "node_modules").is_dir():
        raise SystemExit(f"run `npm ci` in {ANCHOR_DIR} first (installs @neo4j/graphql)")
    return Server("anchor", False, [node, "server.mjs"], {"NEO4J_URI": uri}, ANCHOR_DIR)


# --- answers ------------------------------------------------------------------------------------
def check_answers(
    servers: list[Server], refs: Sequence[Reference], dataset: str, floor_uri: str | None = None
) -> dict[str, str]:
    """Fetch every answer from every server (and the Cypher floor's, when ``floor_uri`` is
    given and the query has one), normalize, compare; ``{query: "ok" | problem}``."""
    verdicts: dict[str, str] = {}
    for ref in refs:
        seen: dict[str, Any] = {}
        problem = ""
        if floor_uri is not None and ref.cypher is not None and ref.normalize_cypher is not None:
            seen[FLOOR] = ref.normalize_cypher(asyncio.run(floor_answer(floor_uri, ref, dataset)))
        for s in servers:
            answer = post(s, body(ref, dataset, ours=s.ours))
            if answer.get("errors") or answer.get("data") is None:
                problem += f"{s.name}: errors {json.dumps(answer.get('errors'))[:500]}; "
                continue
            norm = (ref.normalize_ours if s.ours else ref.normalize_theirs)(answer["data"])
            if not norm:
                problem += f"{s.name}: empty answer; "
            seen[s.name] = norm
        first = next(iter(seen.items()), None)
        if first is not None:
            for other, value in seen.items():
                if value != first[1]:
                    problem += f"{other} differs from {first[0]}; "
                    dump = {k: v for k, v in seen.items() if k in (first[0], other)}
                    print(json.dumps(dump, ensure_ascii=False, default=str)[:3000])
        verdicts[ref.name] = problem or "ok"
        print(f"  answers {ref.name:<11} {verdicts[ref.name]}", flush=True)
    return verdicts


# --- load ---------------------------------------------------------------------------------------
LUA = """-- generated by bench/api_bench.py
wrk.method = "POST"
wrk.body = [==[BODY]==]
HEADERS
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p95_us\\":%d," ..
    "\\"p99_us\\":%d,\\"mean_us\\":%.1f,\\"max_us\\":%d,\\"errors\\":%d,\\"non2xx\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def lua_script(server: Server, payload: str, folder: Path) -> Path:
    if "]==]" in payload:
        raise ValueError("the body may not contain ]==]")
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in server.headers().items())
    path = folder / f"{abs(hash((server.name, payload)))}.lua"
    path.write_text(LUA.replace("BODY", payload).replace("HEADERS", headers), encoding="utf-8")
    return path


@dataclass
class Run:
    dataset: str
    query: str
    server: str
    clients: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    errors: int
    non2xx: int
    load_before: float
    load_after: float


def drain(server: Server) -> None:
    """Wait until the server has answered what wrk left in flight: requests still queued when a
    run ends would otherwise be served during the next run and slow it down. A server that
    still holds as many of the key's requests as it admits answers 429: asked again shortly."""
    for pause in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 0.0):
        try:
            post(server, '{"query":"{ __typename }"}')
            return
        except urllib.error.HTTPError as exc:
            if exc.code != 429 or not pause:
                raise
            time.sleep(pause)


def loadavg() -> float:
    return os.getloadavg()[0]


def wrk(server: Server, script: Path, clients: int, seconds: float) -> dict[str, Any]:
    cmd = [
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        server.url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    drain(server)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    result: dict[str, Any] = json.loads(line[8:])
    return result


def measure(
    ds: Dataset,
    ref: Reference,
    server: Server,
    *,
    clients: int,
    seconds: float,
    folder: Path,
) -> Run:
    script = lua_script(server, body(ref, ds.name, ours=server.ours), folder)
    before = loadavg()
    r = wrk(server, script, clients, seconds)
    secs = r["duration_us"] / 1e6
    return Run(
        ds.key,
        ref.name,
        server.name,
        clients,
        secs,
        r["requests"],
        r["requests"] / secs if secs else 0.0,
        r["p50_us"] / 1000,
        r["p95_us"] / 1000,
        r["p99_us"] / 1000,
        r["mean_us"] / 1000,
        r["errors"],
        r["non2xx"],
        before,
        loadavg(),
    )


# --- the Cypher floor ---------------------------------------------------------------------------
FLOOR = "cypher floor"


async def floor_answer(uri: str, ref: Reference, dataset: str) -> list[dict[str, Any]]:
    """The records of ``ref``'s Cypher statement, as plain data."""
    from neo4j import AsyncGraphDatabase  # the code under test's driver (after --code)

    assert ref.cypher is not None
    async with AsyncGraphDatabase.driver(uri) as driver:
        records, _, _ = await driver.execute_query(
            ref.cypher, variables_for(ref, dataset, ours=False)
        )
        return [r.data() for r in records]


async def _floor_latencies(
    uri: str, ref: Reference, dataset: str, clients: int, seconds: float
) -> tuple[list[float], float]:
    """``clients`` sessions asking the statement in a loop for ``seconds``: every latency (s)
    and the time taken."""
    from neo4j import AsyncGraphDatabase

    assert ref.cypher is not None
    params = variables_for(ref, dataset, ours=False)
    latencies: list[float] = []
    async with AsyncGraphDatabase.driver(uri, max_connection_pool_size=max(clients, 1)) as driver:

        async def client(deadline: float) -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                records, _, _ = await driver.execute_query(ref.cypher, params)
                [r.data() for r in records]  # the answer as data, as a client would use it
                latencies.append(time.perf_counter() - start)

        begun = time.perf_counter()
        await asyncio.gather(*(client(begun + seconds) for _ in range(clients)))
        return latencies, time.perf_counter() - begun


def measure_floor(ds: Dataset, ref: Reference, uri: str, *, clients: int, seconds: float) -> Run:
    before = loadavg()
    found, secs = asyncio.run(_floor_latencies(uri, ref, ds.name, clients, seconds))
    ms = sorted(x * 1000 for x in found) or [0.0]

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))]

    return Run(
        ds.key,
        ref.name,
        FLOOR,
        clients,
        secs,
        len(found),
        len(found) / secs if secs else 0.0,
        pct(50),
        pct(95),
        pct(99),
        statistics.fmean(ms),
        0,
        0,
        before,
        loadavg(),
    )


def warm_up(server: Server, ref: Reference, dataset: str, seconds: float, folder: Path) -> None:
    if seconds > 0:
        script = lua_script(server, body(ref, dataset, ours=server.ours), folder)
        wrk(server, script, 8, seconds)


# --- profiling ----------------------------------------------------------------------------------
def profile(
    server: Server, ref: Reference, dataset: str, *, seconds: float, folder: Path, out: Path
) -> Path:
    """py-spy (sampling, 250 Hz) on our server process while wrk drives ``ref`` at 8 clients;
    collapsed stacks to ``out``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    assert server.proc is not None
    rec = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.proc.pid),
            "--rate",
            "250",
            "--duration",
            f"{seconds:g}",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    script = lua_script(server, body(ref, dataset, ours=server.ours), folder)
    wrk(server, script, 8, seconds)
    rec.wait(seconds + 60)
    return out


def summarize_profile(path: Path, top: int = 30) -> list[tuple[str, float, float]]:
    """(function, inclusive %, self %) from py-spy's collapsed stacks, heaviest first."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        for f in set(frames):
            inclusive[f] = inclusive.get(f, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    if not total:
        return []
    rows = [
        (f, 100 * c / total, 100 * own.get(f, 0) / total)
        for f, c in inclusive.items()
        if not any(noise in f for noise in _PLUMBING)
    ]
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


#: frames of the web server's plumbing, on every stack: left out of the summary
_PLUMBING = (
    "(uvicorn/",
    "(click/",
    "runpy",
    "(asyncio/",
    "(starlette/",
    "(fastapi/",
    "(middleware/",
    "(telemetry/",
    "(http/h11_impl.py)",
)

#: where a request's time goes, by frame: (label, substrings of the frame, any matches)
BUCKETS = (
    ("GraphQL parse", ("parse (language/parser.py)",)),
    ("GraphQL validate", ("validate (validation/validate.py)",)),
    ("store reads (Neo4jStore/EmbeddedStore)", ("(graph/neo4j_store.py)", "(graph/embedded.py)")),
    ("neo4j driver", ("(_async/driver.py)",)),
)


def buckets(path: Path) -> list[tuple[str, float]]:
    """Inclusive share of the samples in each of :data:`BUCKETS`."""
    hits = dict.fromkeys((label for label, _ in BUCKETS), 0)
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        frames = [_short(f) for f in stack.split(";")]
        for label, keys in BUCKETS:
            if any(k in f for f in frames for k in keys):
                hits[label] += int(count)
    return [(label, 100 * n / total if total else 0.0) for label, n in hits.items()]


def _short(frame: str) -> str:
    """``func (path/to/module.py:12)`` as ``func (package/module.py)``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0]
    parts = Path(file).parts
    return f"{name} ({'/'.join(parts[-2:])})" if parts else name


# --- report -------------------------------------------------------------------------------------
def _median_runs(runs: list[Run]) -> Run:
    """One row from repeated runs: medians of the figures (rounds > 1)."""
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    return Run(
        first.dataset,
        first.query,
        first.server,
        first.clients,
        sum(r.seconds for r in runs),
        sum(r.requests for r in runs),
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p95_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        statistics.median(r.mean_ms for r in runs),
        sum(r.errors for r in runs),
        sum(r.non2xx for r in runs),
        min(r.load_before for r in runs),
        max(r.load_after for r in runs),
    )


def tables(runs: list[Run], verdicts: dict[str, dict[str, str]]) -> str:
    """Markdown: one table per data set, a row per query and contender, the client counts side
    by side, each of our Neo4j servers as a ratio to the anchor when it ran, and its p95 as a
    ratio to the Cypher floor's where the query has one (issue 16: two_hop within 2x)."""
    lines: list[str] = []
    grouped: dict[tuple[str, str, str, int], list[Run]] = {}
    for r in runs:
        grouped.setdefault((r.dataset, r.query, r.server, r.clients), []).append(r)
    rows = {k: _median_runs(v) for k, v in grouped.items()}
    servers = list(dict.fromkeys(r.server for r in runs))
    queries = list(dict.fromkeys(r.query for r in runs))
    clients = sorted({r.clients for r in runs})
    anchor = "anchor" in servers
    floor = FLOOR in servers

    def cell(row: Run | None) -> str:
        if row is None:
            return " - | - | - |"
        if row.requests == 0:
            return f" - | - | 0 (none done in {row.seconds:.0f} s) |"
        n_bad = row.errors + row.non2xx
        bad = f" ({n_bad} errors)" if n_bad else ""
        return f" {row.p50_ms:.1f} | {row.p95_ms:.1f} | {row.rps:,.1f}{bad} |"

    def ratio(row: Run | None, theirs: Run | None) -> str:
        if row is None or theirs is None or not row.requests or not theirs.requests:
            return " - |"
        return f" {row.p95_ms / theirs.p95_ms:.2f}x / {row.rps / theirs.rps:.2f}x |"

    for ds in dict.fromkeys(r.dataset for r in runs):
        loads = [x for r in runs if r.dataset == ds for x in (r.load_before, r.load_after)]
        lines.append(
            f"\n**{ds}** (1-minute load average during the runs: {min(loads):.1f} to "
            f"{max(loads):.1f}, on {os.cpu_count()} CPUs)\n"
        )
        head, rule = "| query | answers | server |", "|---|---|---|"
        for c in clients:
            head += f" c={c} p50 ms | c={c} p95 ms | c={c} req/s |"
            rule += "---:|---:|---:|"
        if anchor:
            for c in clients:
                head += f" c={c} p95 / req/s vs anchor |"
                rule += "---:|"
        if floor:
            for c in clients:
                head += f" c={c} p95 vs floor |"
                rule += "---:|"
        lines += [head, rule]
        for q in queries:
            for s in servers:
                if s == FLOOR and not any(rows.get((ds, q, s, c)) for c in clients):
                    continue  # a query without a hand-written statement
                line = f"| {q} | {verdicts.get(ds, {}).get(q, '-')} | {s} |"
                for c in clients:
                    line += cell(rows.get((ds, q, s, c)))
                if anchor:
                    for c in clients:
                        if s == "anchor" or not s.startswith("ours/neo4j"):
                            line += " |"
                        else:
                            line += ratio(rows.get((ds, q, s, c)), rows.get((ds, q, "anchor", c)))
                if floor:
                    for c in clients:
                        ours, theirs = rows.get((ds, q, s, c)), rows.get((ds, q, FLOOR, c))
                        if s == FLOOR or ours is None or theirs is None or not theirs.p95_ms:
                            line += " |"
                        else:
                            line += f" {ours.p95_ms / theirs.p95_ms:.2f}x |"
                lines.append(line)
    return "\n".join(lines)


def report_from(paths: Sequence[str]) -> str:
    """The tables again, from raw figure files of earlier runs."""
    runs: list[Run] = []
    verdicts: dict[str, dict[str, str]] = {}
    for p in paths:
        raw = json.loads(Path(p).read_text(encoding="utf-8"))
        runs += [Run(**r) for r in raw["runs"]]
        verdicts.update(raw["verdicts"])
    return tables(runs, verdicts)


# --- main ---------------------------------------------------------------------------------------
def run_dataset(
    ds: Dataset, args: argparse.Namespace, refs: list[Reference], work: Path
) -> tuple[list[Run], dict[str, str]]:
    cache = Path(args.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    print(f"\n== data set {ds.key}", flush=True)
    servers: list[Server] = []
    runs: list[Run] = []
    with neo4j_with(ds, cache, args.heap, args.pagecache) as local:
        if "embedded" in args.stores:
            path = embedded_file(ds, cache)
            servers.append(
                our_server(
                    "ours/embedded",
                    {"GOVGRAPH_STORE": "embedded", "GOVGRAPH_DATA_PATH": str(path)},
                    work,
                    args.src,
                )
            )
        if "neo4j" in args.stores:
            servers.append(
                our_server(
                    "ours/neo4j",
                    {"GOVGRAPH_STORE": "neo4j", "GOVGRAPH_NEO4J_URI": local.uri},
                    work,
                    args.src,
                )
            )
        if "neo4j" in args.stores and args.compare_src is not None:
            servers.append(
                our_server(
                    f"ours/neo4j@{args.compare}",
                    {"GOVGRAPH_STORE": "neo4j", "GOVGRAPH_NEO4J_URI": local.uri},
                    work,
                    args.compare_src,
                )
            )
        if "neo4j" in args.stores and args.workers > 1:
            # the API is stateless on Neo4j: several processes share the load (not the embedded
            # store, whose file belongs to one process)
            servers.append(
                our_server(
                    f"ours/neo4j x{args.workers}",
                    {"GOVGRAPH_STORE": "neo4j", "GOVGRAPH_NEO4J_URI": local.uri},
                    work,
                    args.src,
                    workers=args.workers,
                )
            )
        if args.anchor:
            servers.append(anchor_server(local.uri))
        try:
            for s in servers:
                start = time.perf_counter()
                s.start(work)
                print(f"  {s.name} up in {time.perf_counter() - start:.1f} s ({s.url})", flush=True)
            floor = local.uri if args.floor else None
            verdicts = check_answers(servers, refs, ds.name, floor)
            for rnd in range(args.rounds):
                for qi, ref in enumerate(refs):
                    # who goes first moves from query to query and from round to round: a
                    # query's medians are not all one position's
                    first = (qi + rnd) % len(servers)
                    order = servers[first:] + servers[:first]
                    for s in order:
                        warm_up(s, ref, ds.name, args.warmup, work)
                    if floor is not None and ref.cypher is not None:
                        measure_floor(ds, ref, floor, clients=8, seconds=args.warmup)
                    for clients in args.clients:
                        if floor is not None and ref.cypher is not None:
                            r = measure_floor(
                                ds, ref, floor, clients=clients, seconds=args.duration
                            )
                            runs.append(r)
                            print(
                                f"  [{rnd + 1}] {ref.name:<11} c={clients} {FLOOR:<14} "
                                f"p50 {r.p50_ms:7.1f} ms  p95 {r.p95_ms:7.1f} ms  "
                                f"{r.rps:8.1f} req/s  load {r.load_before:.1f}",
                                flush=True,
                            )
                        for s in order:
                            r = measure(
                                ds, ref, s, clients=clients, seconds=args.duration, folder=work
                            )
                            runs.append(r)
                            print(
                                f"  [{rnd + 1}] {ref.name:<11} c={clients} {s.name:<14} "
                                f"p50 {r.p50_ms:7.1f} ms  p95 {r.p95_ms:7.1f} ms  "
                                f"{r.rps:8.1f} req/s  errors {r.errors + r.non2xx}  "
                                f"load {r.load_before:.1f}",
                                flush=True,
                            )
            for name in args.profile:
                for s in servers:
                    if s.ours and (s.name == "ours/neo4j" or "embedded" in args.profile_stores):
                        out = Path(args.out_dir) / f"profile-{ds.key}-{name}-{s.name[5:]}.txt"
                        profile(
                            s,
                            BY_NAME[name],
                            ds.name,
                            seconds=args.profile_seconds,
                            folder=work,
                            out=out,
                        )
                        print(f"\n  profile of {s.name}, {name}, 8 clients ({out}):")
                        print(
                            "    " + "; ".join(f"{label} {pct:.0f}%" for label, pct in buckets(out))
                        )
                        print("    incl%  self%  function")
                        for fn, inc, own in summarize_profile(out, args.profile_top):
                            print(f"    {inc:5.1f}  {own:5.1f}  {fn}")
        finally:
            for s in servers:
                s.stop()
    return runs, verdicts


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--anchor", action="store_true", help="also run the @neo4j/graphql anchor")
    p.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="leave out the Cypher floor rows (the hand-written statements through the driver)",
    )
    p.add_argument("--datasets", default="demo,synthetic", help="comma-separated: demo, synthetic")
    p.add_argument("--compounds", type=int, default=300, help="size of the synthetic data set")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stores", default="embedded,neo4j", help="our stores: embedded, neo4j")
    p.add_argument(
        "--queries", default=",".join(r.name for r in REFERENCES), help="reference query names"
    )
    p.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per query")
    p.add_argument("--rounds", type=int, default=1, help="repeat the schedule; medians reported")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="also run our Neo4j server with this many uvicorn worker processes",
    )
    p.add_argument("--heap", default="1g")
    p.add_argument("--pagecache", default="512m")
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE / "bench" / "api"))
    p.add_argument(
        "--code",
        default="HEAD",
        help="the code under test: a git commit of this repository (exported once to the cache "
        "and served from there, so edits in progress in the working tree do not disturb the "
        "run), or `worktree` for the working tree as it is",
    )
    p.add_argument(
        "--compare",
        default=None,
        metavar="COMMIT",
        help="also run our Neo4j server on this commit's code (ours/neo4j@COMMIT), beside the "
        "code under test: a before and an after side by side in one run",
    )
    p.add_argument(
        "--out-dir", default=str(HERE / "results"), help="where the raw figures and profiles go"
    )
    p.add_argument(
        "--profile",
        default="",
        help="comma-separated queries to profile our Neo4j server on with py-spy, after the runs",
    )
    p.add_argument("--profile-stores", default="neo4j", help="neo4j, or neo4j,embedded")
    p.add_argument("--profile-seconds", type=float, default=15.0)
    p.add_argument("--profile-top", type=int, default=30)
    p.add_argument(
        "--report",
        nargs="+",
        metavar="JSON",
        help="print the tables from raw figure files of earlier runs, and run nothing",
    )
    args = p.parse_args(argv)
    args.stores = [s for s in args.stores.split(",") if s]
    args.profile = [q for q in args.profile.split(",") if q]
    args.profile_stores = [s for s in args.profile_stores.split(",") if s]
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.report:
        print(report_from(args.report))
        return
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_HINT)
    refs = [BY_NAME[q] for q in args.queries.split(",")]
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    args.src, code = code_under_test(args.code, Path(args.cache_dir))
    args.compare_src = None
    if args.compare is not None:
        args.compare_src, compared = code_under_test(args.compare, Path(args.cache_dir))
        if args.compare_src is None:
            raise SystemExit("--compare takes a commit (the working tree is --code worktree)")
        code += f"; beside it {compared}"
    if args.src is not None:
        sys.path.insert(0, str(args.src))
    started = dt.datetime.now(dt.UTC)
    print(
        f"api_bench {started:%Y-%m-%d %H:%M} UTC on {platform.node()}: {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; Python "
        f"{platform.python_version()}; wrk -t1, {args.duration:g} s per run, warm-up "
        f"{args.warmup:g} s; Neo4j heap {args.heap}, page cache {args.pagecache}, tiered JIT; "
        f"code under test: {code}",
        flush=True,
    )
    all_runs: list[Run] = []
    verdicts: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="govgraph-api-bench-") as tmp:
        for name in args.datasets.split(","):
            ds = Dataset(name, args.compounds, args.seed) if name == "synthetic" else Dataset(name)
            runs, v = run_dataset(ds, args, refs, Path(tmp))
            all_runs += runs
            verdicts[ds.key] = v
    report = tables(all_runs, verdicts)
    ended = dt.datetime.now(dt.UTC)
    print(f"\n# Results ({started:%Y-%m-%d %H:%M}-{ended:%H:%M} UTC)\n{report}\n")
    out = Path(args.out_dir) / f"api-bench-{started:%Y%m%dT%H%M}.json"
    out.write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "ended": ended.isoformat(),
                "args": vars(args),
                "verdicts": verdicts,
                "runs": [asdict(r) for r in all_runs],
            },
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    print(f"raw figures: {out}")


if __name__ == "__main__":
    main()
