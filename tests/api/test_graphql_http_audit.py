"""GraphQL over HTTP: the answer's media type and status (``api/http_guard.py``), and the spec's
reference audit (``graphql-http``'s ``auditServer``) against the app served by uvicorn.

The audit runs ``tests/api/graphql_http_audit/audit.mjs`` with the ``graphql-http`` pinned in its
``package-lock.json`` (``npm ci`` installs it there once); it needs Node.js and npm, and is
skipped, saying so, without them. Its mark, ``audit``, lets the fast loop leave it out:
``-m "not audit"``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from govgraph.api.app import create_app
from govgraph.api.http_guard import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    accept_header,
    answer_media_type,
    graphql_answer,
)
from govgraph.api.settings import Settings
from govgraph.graph.embedded import EmbeddedStore

AUDIT_DIR = Path(__file__).parent / "graphql_http_audit"
#: npm ci and the audit (about 60 requests) each finish in seconds; these bound a hung one
NPM_TIMEOUT = 300
AUDIT_TIMEOUT = 120


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", APPLICATION_JSON),  # no Accept header: the legacy answer
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        ("application/json", APPLICATION_JSON),
        ("Application/JSON; charset=utf-8", APPLICATION_JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.9, application/json", APPLICATION_JSON),
        ("application/graphql-response+json;q=0.5, */*;q=0.1", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.1, */*", APPLICATION_JSON),
        ("application/graphql-response+json, */*", GRAPHQL_RESPONSE_JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", APPLICATION_JSON),
        ("application/graphql-response+json;q=1.5, application/json", APPLICATION_JSON),
        ("application/graphql-response+json;q=0, */*", APPLICATION_JSON),
        ("text/html", None),
        ("application/xml, text/plain", None),
        ("application/json;q=0", None),
        ("*/*;q=0", None),
        ("application/graphql-response+json;q=0", None),
        ("application/graphql-response+json;q=nan, application/json;q=0", None),
        ("multipart/mixed", None),
    ],
)
def test_the_media_type_follows_the_accept_header(accept: str, expected: str | None) -> None:
    assert answer_media_type(accept) == expected


def test_several_accept_headers_are_one_list() -> None:
    assert answer_media_type(accept_header(["text/html", "application/json"])) == APPLICATION_JSON
    assert answer_media_type(accept_header([])) == APPLICATION_JSON


def _error(path: list[str | int] | None = None, **extensions: Any) -> GraphQLError:
    return GraphQLError("no", path=path, extensions=extensions or None)


@pytest.mark.parametrize(
    ("result", "status", "has_data"),
    [
        (ExecutionResult(data={"a": 1}, errors=None), 200, True),
        (ExecutionResult(data={"a": None}, errors=[_error(["a"])]), 200, True),  # partial
        (ExecutionResult(data=None, errors=[_error(["a"])]), 200, True),  # a null root field
        (ExecutionResult(data=None, errors=[_error()]), 400, False),  # parse, validation, …
        (ExecutionResult(data=None, errors=[_error(errorId="0123")]), 500, False),  # masked
    ],
)
def test_the_status_tells_a_request_error_from_a_result(
    result: ExecutionResult, status: int, has_data: bool
) -> None:
    got_status, body = graphql_answer(result, GRAPHQL_RESPONSE_JSON)
    assert (got_status, "data" in body) == (status, has_data)
    # application/json: always 200 with data, as before
    assert graphql_answer(result, APPLICATION_JSON) == (200, {"data": result.data, **body})


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"the GraphQL-over-HTTP audit needs {name} (Node.js 20+ and npm) on PATH")
    return found


@pytest.fixture(scope="module")
def audit_runner() -> list[str]:
    """``node audit.mjs``, with ``graphql-http`` installed from the lock file if it is not."""
    node, npm = _tool("node"), _tool("npm")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"npm ci in {AUDIT_DIR} failed:\n{done.stderr}"
    return [node, str(AUDIT_DIR / "audit.mjs")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the demo data on the embedded store, served by uvicorn on a free port (its
    socket bound here, so no other process can take the port in between); the GraphQL URL."""
    from govgraph.loaders.demo import load_demo  # only where the app is served

    data = tmp_path_factory.mktemp("audit") / "graph.jsonl"

    async def load() -> None:
        store = EmbeddedStore(data)
        try:
            await store.init_schema()
            await load_demo(store)
        finally:
            await store.close()

    asyncio.run(load())
    app = create_app(Settings(store="embedded", data_path=data))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it served"
            assert time.monotonic() < deadline, "uvicorn did not start within 60 s"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@pytest.mark.audit
def test_the_graphql_over_http_audit_passes(audit_runner: list[str], served: str) -> None:
    """Every audit of ``graphql-http``'s ``auditServer`` is ok: no error (a MUST of the spec
    broken) and no warning (a SHOULD)."""
    done = subprocess.run(
        [*audit_runner, served],
        capture_output=True,
        text=True,
        timeout=AUDIT_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"the audit did not run:\n{done.stderr}"
    report = json.loads(done.stdout)
    failed = [a for a in report["audits"] if a["status"] in ("error", "warn")]
    assert not failed, f"{report['counts']}; failing audits:\n" + "\n".join(
        f"{a['status']} {a['id']} {a['name']}: {a['reason']} "
        f"(answered {a['responseStatus']}, {a['responseContentType']})"
        for a in failed
    )
    assert report["counts"]["ok"] == len(report["audits"]) > 0
