"""Console benchmark: how soon the department's console shows its figures, in a real Chromium.

Why. Issue 14 sets, measured in the browser: the overview's figures on screen in under 1 s on
the demo and under 2 s on the 2,000-compound set, the compound page in under 0.5 s, and the
console's files under 500 KB compressed. See ``bench/README.md``.

    /work/main/.venv/bin/python bench/console_bench.py                  # demo and 2,000 compounds
    /work/main/.venv/bin/python bench/console_bench.py --datasets demo --runs 5

What runs. For each data set an embedded store file is prepared once (the demo through
``govgraph demo``; the synthetic set through ``govgraph generate`` and ``govgraph import``) and
kept under ``--cache-dir``; ``govgraph serve --demo`` serves it on a free port as its own
process, and Chromium (``/usr/bin/chromium``, headless, driven by Playwright) opens each page
in a fresh browser context (no cache: a first visit) signed in with the department key. A time
is the wall time from the start of navigation until the page's figures are in the DOM,
so it includes fetching the console's files and every GraphQL request (and, on a cold start
that outlasts the request deadline, the reloads until the figures come). The first overview
after the server starts is reported apart (``cold``: the analytics projection is built then).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = ROOT / "api" / "static" / "console"
GOVGRAPH = Path(sys.executable).with_name("govgraph")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
COMPOUND = {"demo": "cmp-yunbeiyuan", "synthetic": None}  # None: the first compound listed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(name: str, compounds: int, cache: Path) -> Path:
    """The data set's embedded store file, built once."""
    path = cache / f"console-{name}-{compounds if name == 'synthetic' else 'demo'}.jsonl"
    if path.exists():
        return path
    env = {**os.environ, "GOVGRAPH_STORE": "embedded", "GOVGRAPH_DATA_PATH": str(path)}
    if name == "demo":
        subprocess.run([GOVGRAPH, "demo"], env=env, check=True)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([GOVGRAPH, "generate", tmp, "--compounds", str(compounds)], check=True)
            files = sorted(Path(tmp).glob("*.csv"))
            subprocess.run([GOVGRAPH, "import", *map(str, files)], env=env, check=True)
    return path


def serve(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "GOVGRAPH_STORE": "embedded", "GOVGRAPH_DATA_PATH": str(path)}
    args = [GOVGRAPH, "serve", "--demo", "--port", str(port), "--no-access-log"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the app on {url} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # a request still running: no need to wait
        proc.kill()
        proc.wait()


def timed(browser: Browser, url: str, hash_: str, ready: str) -> float:
    """Milliseconds from the first navigation until ``ready`` is in the DOM, in a fresh context.
    A page that shows an error (a cold start past the request deadline) is reloaded until its
    figures come: the time counts every attempt."""
    context = browser.new_context()
    context.add_init_script(
        "sessionStorage.setItem('govgraph.session', "
        "JSON.stringify({kind: 'key', value: 'demo-department'}))"
    )
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{url}/{hash_}")
    while True:
        page.wait_for_selector(f"{ready}, main .error", state="attached", timeout=900_000)
        if page.locator(ready).count():
            break
        page.reload()
    ms = (time.perf_counter() - started) * 1000
    context.close()
    return ms


def warmed_up(url: str) -> None:
    """Wait until the service's analytics warm-up (``api/warm.py``) is over, as ``/readyz``
    says (a server started elsewhere, ``--url``, may have it switched off: idle)."""
    while True:
        with urllib.request.urlopen(f"{url}/readyz", timeout=30) as r:
            state = json.load(r).get("analytics", {}).get("state")
        if state in ("done", "idle", "failed", "cancelled"):
            return
        time.sleep(1)


def first_compound(url: str) -> str:
    body = json.dumps({"query": "{ compounds(first: 1) { edges { node { entityId } } } }"})
    req = urllib.request.Request(
        f"{url}/graphql",
        body.encode(),
        {"content-type": "application/json", "x-api-key": "demo-department"},
    )
    data = json.load(urllib.request.urlopen(req))
    return str(data["data"]["compounds"]["edges"][0]["node"]["entityId"])


def bundle() -> tuple[int, int]:
    """The console's own files: bytes raw and gzipped (each file compressed on its own, as an
    HTTP server would send it)."""
    files = [p for p in CONSOLE.rglob("*") if p.is_file()]
    raw = sum(p.stat().st_size for p in files)
    packed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    return raw, packed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["demo", "synthetic"])
    ap.add_argument("--compounds", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache/govgraph/bench")
    ap.add_argument(
        "--url", help="measure a server already running there (one data set: --datasets NAME)"
    )
    args = ap.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    raw, packed = bundle()
    print(f"console files: {raw / 1024:.1f} KiB raw, {packed / 1024:.1f} KiB gzipped")
    print(
        "| data set | overview cold (ms) | overview warm, median (ms) "
        "| compound page, median (ms) |"
    )
    print("|---|---:|---:|---:|")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name in args.datasets:
            if args.url:
                proc, url = None, args.url
            else:
                proc, url = serve(prepare(name, args.compounds, args.cache_dir))
            try:
                ready = '[data-figure="findings"] .v'
                cold = timed(browser, url, "#/overview", ready)
                warmed_up(url)  # the warm figures are those of a service past its warm-up
                warm = [timed(browser, url, "#/overview", ready) for _ in range(args.runs)]
                cmp = COMPOUND[name] or first_compound(url)
                # no ">> nth" here: it would swallow the ", main .error" that timed() adds
                compound_ready = "#network g[role=button]"
                timed(browser, url, f"#/compound?id={cmp}", compound_ready)  # its analyses kept
                page = [
                    timed(browser, url, f"#/compound?id={cmp}", compound_ready)
                    for _ in range(args.runs)
                ]
            finally:
                if proc is not None:
                    stop(proc)
            label = "demo" if name == "demo" else f"synthetic, {args.compounds:,} compounds"
            print(
                f"| {label} | {cold:.0f} | {statistics.median(warm):.0f} "
                f"({min(warm):.0f}-{max(warm):.0f}) | {statistics.median(page):.0f} "
                f"({min(page):.0f}-{max(page):.0f}) |"
            )
        browser.close()


if __name__ == "__main__":
    main()
