"""The local Neo4j launcher: a real Neo4j Community from Maven Central jars, no Docker.

The tests start their own JVMs (about 10 s each on a 2-core machine), as few as they can; the jars
are fetched once into the shared cache (``$GOVGRAPH_CACHE_DIR`` or ``~/.cache/govgraph``).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from govgraph.ops.neo4j_local import (
    NEO4J_VERSION,
    LocalNeo4j,
    Neo4jLocalError,
    ensure_class_archive,
    ensure_jars,
    free_port,
    start_background,
    status,
    stop_background,
)

# its own server (killed, restarted or set up apart): one such module at a time, on one worker
pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("own-neo4j")]


def test_jars_are_fetched_once_and_complete() -> None:
    lib = ensure_jars(quiet=True)
    assert lib.name == "lib"
    assert lib.parent.name == f"neo4j-{NEO4J_VERSION}"
    names = {p.name for p in lib.glob("*.jar")}
    assert f"neo4j-{NEO4J_VERSION}.jar" in names
    assert f"neo4j-bolt-{NEO4J_VERSION}.jar" in names
    assert any(n.startswith("lucene-analysis-common-") for n in names)  # the cjk analyzer
    assert ensure_jars(quiet=True) == lib  # second call: no download


def test_the_class_archive_is_recorded_once_and_given_to_every_server(tmp_path: Path) -> None:
    archive = ensure_class_archive(quiet=True)
    assert archive is not None, "this JVM could not record the class archive"
    assert archive.is_file()
    assert ensure_class_archive(quiet=True) == archive  # second call: not recorded again
    command = LocalNeo4j(tmp_path / "db").command(free_port())
    assert f"-XX:SharedArchiveFile={archive}" in command
    # that a JVM maps it: test_background_server_outlives_its_launcher_and_restarts_with_its_data


def test_background_server_outlives_its_launcher_and_restarts_with_its_data(tmp_path: Path) -> None:
    """A background server (the launching Python process exits, the JVM keeps running) takes
    writes and a CJK full-text index; stopped, and started again in the foreground on the same
    folder, it has kept them. Two JVM starts: each costs about 10 s of CPU."""
    data_dir = tmp_path / "db"
    port = free_port()
    script = textwrap.dedent(
        f"""
        import json
        from pathlib import Path
        from govgraph.ops.neo4j_local import start_background
        print(json.dumps(start_background(Path({str(data_dir)!r}), port={port})))
        """
    )
    # The launching Python process exits; the JVM must keep running.
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    started = json.loads(out.stdout.strip().splitlines()[-1])
    assert started["port"] == port
    assert started["already_running"] is False
    try:
        state = status(data_dir)
        assert state is not None
        assert state["pid"] == started["pid"]
        assert state["bolt_reachable"] is True
        assert json.loads((data_dir / "neo4j.json").read_text())["uri"] == started["uri"]
        again = start_background(data_dir)
        assert again["already_running"] is True
        assert again["pid"] == started["pid"]
        with GraphDatabase.driver(started["uri"], auth=None) as driver:
            records, _, _ = driver.execute_query("RETURN 40 + 2 AS n")
            assert records[0]["n"] == 42
            # no receive-timeout hint for the drivers (keep-alive only while streaming)
            records, _, _ = driver.execute_query(
                "SHOW SETTINGS YIELD name, value "
                "WHERE name = 'server.bolt.connection_keep_alive_for_requests' RETURN value"
            )
            assert [r["value"] for r in records] == ["STREAMING"]
            driver.execute_query("CREATE (:Probe {name: $name})", name="kept")
            driver.execute_query(
                "CREATE FULLTEXT INDEX compound_names IF NOT EXISTS "
                "FOR (n:Compound) ON EACH [n.name] "
                "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}"
            )
            driver.execute_query(
                "UNWIND $names AS name CREATE (:Compound {name: name})",
                names=["云北苑", "北京花园", "南山小区"],
            )
            driver.execute_query("CALL db.awaitIndexes(60)")
    finally:
        stopped = stop_background(data_dir)
    assert stopped is True
    assert status(data_dir) is None
    assert stop_background(data_dir) is False
    with pytest.raises(OSError):  # nothing listens on the port any more
        socket.create_connection(("127.0.0.1", port), timeout=5).close()

    log = data_dir / "neo4j.log"
    assert log.read_text(encoding="utf-8").count("GOVGRAPH-NEO4J STOPPED") == 1

    # started again, in the foreground, on the same folder (the context manager starts it and
    # stops it): the writes and the index are kept. -Xshare:on: the JVM refuses to start unless
    # it maps the class archive (ensure_class_archive); by default it would start without it
    with LocalNeo4j(data_dir, jvm_options=("-Xshare:on",)) as server:
        assert server.is_running
        # start() on a running server returns its URI
        assert server.start() == server.uri == f"bolt://127.0.0.1:{server.port}"
        state = status(data_dir)
        assert state is not None
        assert state["pid"] == server.pid
        assert state["port"] == server.port
        assert state["bolt_reachable"] is True
        with GraphDatabase.driver(server.uri, auth=None) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS one")
            assert records[0]["one"] == 1
            records, _, _ = driver.execute_query("MATCH (p:Probe) RETURN p.name AS name")
            assert [r["name"] for r in records] == ["kept"]
            records, _, _ = driver.execute_query(
                "CALL db.index.fulltext.queryNodes('compound_names', $q) "
                "YIELD node RETURN node.name AS name",
                q="云北",
            )
            assert [r["name"] for r in records] == ["云北苑"]
    assert not server.is_running
    assert not (data_dir / "neo4j.json").exists()
    assert status(data_dir) is None
    assert log.read_text(encoding="utf-8").count("GOVGRAPH-NEO4J STOPPED") == 2


def test_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(Neo4jLocalError, match="heap"):
        LocalNeo4j(tmp_path / "x", heap="lots")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        with pytest.raises(Neo4jLocalError, match="already in use"):
            LocalNeo4j(tmp_path / "busy", port=taken).start()
    server = LocalNeo4j(tmp_path / "bad", settings={"no.such.setting": "1"})
    with pytest.raises(Neo4jLocalError, match=re.escape("unknown Neo4j setting 'no.such.setting'")):
        server.start(timeout=120)
    assert not server.is_running
