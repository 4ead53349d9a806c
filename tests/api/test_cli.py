"""The command line, through Typer's runner: the same functions as the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govgraph.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(tmp_path / "g.jsonl"))
    monkeypatch.setenv("GOVGRAPH_NEO4J_HOME", str(tmp_path / "neo4j"))
    return tmp_path


def test_db_init_and_counts(env: Path) -> None:
    r = runner.invoke(app, ["db", "init"])
    assert r.exit_code == 0, r.output
    assert "embedded" in r.output
    r = runner.invoke(app, ["db", "counts"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"nodes": {}, "links": {}}


def test_db_init_on_neo4j(env: Path, neo4j_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGRAPH_NEO4J_URI", neo4j_uri)
    r = runner.invoke(app, ["db", "init", "--store", "neo4j"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["db", "init", "--store", "neo4j"])  # idempotent
    assert r.exit_code == 0, r.output


def test_unreachable_neo4j_is_a_clear_error(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVGRAPH_NEO4J_URI", "bolt://127.0.0.1:9")
    monkeypatch.setenv("GOVGRAPH_NEO4J_CONNECTION_TIMEOUT", "1")
    monkeypatch.setenv("GOVGRAPH_NEO4J_MAX_RETRY_TIME", "1")
    r = runner.invoke(app, ["db", "counts", "--store", "neo4j"])
    assert r.exit_code == 1
    assert "Neo4j is unavailable" in r.output


def test_neo4j_status_when_not_running(env: Path) -> None:
    r = runner.invoke(app, ["neo4j", "status"])
    assert r.exit_code == 3
    assert "not running" in r.output
