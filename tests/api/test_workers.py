"""``govgraph serve --workers N``: several processes on one port (Neo4j store only), on a
listening socket whose accepted connections get TCP_NODELAY (see ``api/workers.py``)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govgraph.api.workers import listening_socket
from govgraph.cli.main import app
from govgraph.ops.neo4j_local import free_port


async def _nodelay_of_accepted(sock: socket.socket) -> int:
    """Serve ``sock`` with asyncio, connect once, and report TCP_NODELAY on the server side."""
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Report(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Report, sock=sock)
    port = sock.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(seen, 10)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def test_accepted_connections_get_tcp_nodelay() -> None:
    ours = listening_socket("127.0.0.1", 0)
    assert ours.proto == socket.IPPROTO_TCP
    assert asyncio.run(_nodelay_of_accepted(ours)) != 0
    # the contrast this guards against: a listener made with proto 0 (uvicorn's bind_socket)
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    assert asyncio.run(_nodelay_of_accepted(plain)) == 0


def test_workers_need_the_neo4j_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(tmp_path / "g.jsonl"))
    result = CliRunner().invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "Neo4j store" in result.output
    assert not (tmp_path / "g.jsonl").exists()  # refused before opening anything


def _post(port: int, query: str) -> dict[str, object]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": "k"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        answer: dict[str, object] = json.loads(resp.read())
        return answer


def test_two_workers_serve_the_neo4j_store(neo4j_uri: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "GOVGRAPH_NEO4J_URI": neo4j_uri,
        "GOVGRAPH_API_KEYS": json.dumps({"k": "department"}),
    }
    cmd = [
        sys.executable,
        "-c",
        "from govgraph.cli.main import main; main()",
        "serve",
        "--store",
        "neo4j",
        "--workers",
        "2",
        "--port",
        str(port),
    ]
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = _post(port, "{ counts { nodes { kind count } } }")
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.5)
        assert "errors" not in answer and "counts" in answer["data"]  # type: ignore[operator]
        for _ in range(20):  # keep-alive or not, every request is answered
            assert _post(port, "{ __typename }") == {"data": {"__typename": "Query"}}
        # the second worker may still be starting when the first answers (a loaded machine)
        while (tmp_path / "serve.log").read_text().count("Started server process") < 2:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
