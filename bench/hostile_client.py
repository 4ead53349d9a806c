"""A hostile client under load: do normal clients keep their latency while one client sends the
heaviest requests the limits still accept? (issue 17, "bounded work per request")

``govgraph serve --demo`` runs in a subprocess (embedded store, a temporary data path, a free
port). The benchmark waits for the start-up's analytics warm-up (``/readyz``, api/warm.py), so
that no phase shares the service with it. Each phase lasts ``--duration`` seconds: eight normal
clients loop the ``lookup`` query of ``bench/reference.py`` (asyncio + httpx, this process), a
poller asks ``/healthz`` every 100 ms (a process of its own: beside eight busy client loops its
answers waited up to 1.5 s in this process's event loop, not in the service), and in the hostile
phases one client (a separate process, so its JSON work does not slow the measuring one) keeps
as many of the heaviest accepted requests in flight as its limit allows:

* public role (no key, 16 in flight): ``aggregate`` counts of units, each with a ``where`` at the
  caps (50 OR branches of three link conditions: 200 conditions), as many as the request's
  budget of conditions allows (2 at 400);
* researcher (its key, 8 in flight): ``units`` pages of 100 sorted by 20 link counts, with the
  same ``where`` and ``totalCount``, as many as the budgets allow.

    .venv/bin/python bench/hostile_client.py [--duration 25] [--clients 8]

Prints a markdown table: phase, lookup p50/p95, /healthz max, hostile requests done/refused.
Targets: lookup p95 within 3x of the phase without the hostile client; /healthz under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from govgraph.schema.limits import (
    MAX_BRANCHES,
    MAX_CONDITIONS,
    MAX_REQUEST_CONDITIONS,
    MAX_REQUEST_SORT_KEYS,
    MAX_SORT_KEYS,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import BY_NAME, variables_for  # the bench folder's own module

RESEARCHER_KEY = "demo-researcher"
LINKS = ("OWNS", "PART_OF", "RESIDES_IN")
#: a where at the caps: MAX_BRANCHES OR branches of len(LINKS) link conditions each
WHERE = {
    "OR": [
        {"has": [{"kind": kind, "direction": "IN", "exists": i % 2 == 0} for kind in LINKS]}
        for i in range(MAX_BRANCHES)
    ]
}
assert MAX_BRANCHES * (1 + len(LINKS)) == MAX_CONDITIONS  # each level's list counts as well
SORTABLE = [("OWNS", "IN"), ("PART_OF", "OUT"), ("RESIDES_IN", "IN"), ("COVERS", "IN")]
ORDER = [
    {"linkCount": {"kind": kind, "direction": direction}}
    for i in range(MAX_SORT_KEYS)
    for kind, direction in [SORTABLE[i % len(SORTABLE)]]
]
#: counted fields a request: as many as the request's budgets allow (the aliases limit is 15)
ALIASES = min(MAX_REQUEST_CONDITIONS // MAX_CONDITIONS, MAX_REQUEST_SORT_KEYS // MAX_SORT_KEYS)
PUBLIC_HEAVY = (
    "query($w: UnitWhere) {"
    + " ".join(
        f"a{i}: aggregate(groupBy: COMPOUND) {{ units(where: $w) {{ unplaced }} }}"
        for i in range(ALIASES)
    )
    + " }"
)
RESEARCHER_HEAVY = (
    "query($w: UnitWhere, $o: [UnitOrder!]) {"
    + " ".join(
        f"a{i}: units(where: $w, orderBy: $o, first: 100) "
        "{ totalCount edges { node { id } } }"
        for i in range(ALIASES)
    )
    + " }"
)
HOSTILE: dict[str, tuple[str, dict[str, Any], dict[str, str], int]] = {
    "public": (PUBLIC_HEAVY, {"w": WHERE}, {}, 16),
    "researcher": (RESEARCHER_HEAVY, {"w": WHERE, "o": ORDER}, {"x-api-key": RESEARCHER_KEY}, 8),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def hostile(url: str, role: str, seconds: float, out: Any) -> None:
    """One client keeping its limit of heavy requests in flight (a process of its own)."""
    query, variables, headers, in_flight = HOSTILE[role]
    tally = {"done": 0, "refused": 0, "other": 0}

    async def one(client: httpx.AsyncClient, end: float) -> None:
        while time.monotonic() < end:
            try:
                r = await client.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
            except httpx.HTTPError:
                tally["other"] += 1
                continue
            errors = r.json().get("errors") if r.status_code in (200, 429, 503) else None
            if r.status_code == 200 and not errors:
                tally["done"] += 1
            elif r.status_code in (429, 503) or errors:
                tally["refused"] += 1
                if r.status_code == 429:
                    await asyncio.sleep(float(r.headers.get("retry-after", "1")) / 10)
            else:
                tally["other"] += 1

    async def main() -> None:
        end = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            await asyncio.gather(*(one(client, end) for _ in range(in_flight + 1)))

    asyncio.run(main())
    out.put(tally)


def poll_healthz(url: str, seconds: float, out: Any) -> None:
    """``/healthz`` every 100 ms for ``seconds`` (a process of its own): the slowest answer."""
    slowest = 0.0
    end = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=60) as client:
        while time.monotonic() < end:
            start = time.perf_counter()
            r = client.get("/healthz")
            slowest = max(slowest, time.perf_counter() - start)
            assert r.status_code == 200
            time.sleep(0.1)
    out.put(slowest)


async def measure(url: str, clients: int, seconds: float) -> tuple[list[float], float]:
    """Lookup latencies of ``clients`` loops and the slowest ``/healthz`` over ``seconds``."""
    health: Any = mp.Queue()
    poller = mp.Process(target=poll_healthz, args=(url, seconds, health))
    poller.start()
    ref = BY_NAME["lookup"]
    body = {"query": ref.ours, "variables": variables_for(ref, "demo", ours=True)}
    headers = {"x-api-key": "demo-department"}
    latencies: list[float] = []
    end = time.monotonic() + seconds

    async def lookups(client: httpx.AsyncClient) -> None:
        while time.monotonic() < end:
            start = time.perf_counter()
            r = await client.post("/graphql", json=body, headers=headers)
            latencies.append(time.perf_counter() - start)
            assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(lookups(client) for _ in range(clients)))
    slowest: float = health.get(timeout=120)
    poller.join()
    return latencies, slowest


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=8, help="normal lookup clients")
    args = parser.parse_args()
    govgraph = Path(sys.executable).with_name("govgraph")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "GOVGRAPH_DATA_PATH": str(Path(tmp) / "graph.jsonl"),
            "GOVGRAPH_STORE": "embedded",
        }
        cmd = [str(govgraph), "serve", "--demo", "--port", str(port), "--no-access-log"]
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        try:
            for _ in range(1500):  # ready, and the analytics warm-up (api/warm.py) over
                try:
                    r = httpx.get(f"{url}/readyz", timeout=1)
                    if r.status_code == 200 and r.json()["analytics"]["state"] != "running":
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            asyncio.run(measure(url, args.clients, 3))  # warm-up
            for role, (query, variables, headers, _) in HOSTILE.items():  # accepted, not refused
                r = httpx.post(
                    f"{url}/graphql",
                    json={"query": query, "variables": variables},
                    headers=headers,
                    timeout=120,
                )
                assert r.status_code == 200 and "errors" not in r.json(), (role, r.text[:500])
            rows = []
            for phase in ("none", "public", "researcher"):
                queue: Any = mp.Queue()
                proc = None
                if phase != "none":
                    proc = mp.Process(target=hostile, args=(url, phase, args.duration, queue))
                    proc.start()
                    time.sleep(1)  # its first requests in flight
                latencies, health_max = asyncio.run(measure(url, args.clients, args.duration))
                tally = {"done": 0, "refused": 0, "other": 0}
                if proc is not None:
                    tally = queue.get(timeout=300)
                    proc.join()
                rows.append((phase, latencies, health_max, tally))
        finally:
            server.terminate()
            server.wait(30)
    base_p95 = percentile(rows[0][1], 95)
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}")
    print(
        "| hostile client | lookups | lookup p50 | lookup p95 | p95 vs none | /healthz max "
        "| hostile done / refused |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for phase, latencies, health_max, tally in rows:
        p50, p95 = percentile(latencies, 50) * 1e3, percentile(latencies, 95) * 1e3
        hostile_text = "-" if phase == "none" else f"{tally['done']} / {tally['refused']}"
        if tally["other"]:
            hostile_text += f" ({tally['other']} other)"
        print(
            f"| {phase} | {len(latencies)} | {p50:.1f} ms | {p95:.1f} ms | "
            f"{p95 / 1e3 / base_p95:.2f}x | {health_max * 1e3:.1f} ms | {hostile_text} |"
        )


if __name__ == "__main__":
    main()
