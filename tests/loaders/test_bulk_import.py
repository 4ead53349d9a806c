"""``govgraph import --bulk``: a first load through neo4j-admin gives the graph the importer gives.

One Neo4j home for the module, its own (a bulk load stops and starts its server, which the
session's shared one must never be), met in the order a department meets it: bad files refused
before anything runs (then, with the server started, refused again and the server started
again), a load that neo4j-admin fails leaving the database as it was, the demo bulk-loaded and
compared record by record with what the transactional importer writes from the same files, a
second bulk load refused by the now non-empty database, and last its schema dropped and made
again by the store (``init_schema``), which must come out the same. The tests depend on that
order, so they share an xdist group.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govgraph.cli.main import app
from govgraph.graph import cypher
from govgraph.graph.codec import link_to_dict, node_to_dict
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.port import GraphStore
from govgraph.loaders.demo import load_demo
from govgraph.loaders.exporters import export_csv, iter_nodes
from govgraph.loaders.importer import DataImportError, import_files
from govgraph.ops import neo4j_bulk as nb
from govgraph.ops.neo4j_bulk import ADMIN_LOG, count_nodes
from govgraph.ops.neo4j_local import free_port, start_background, status, stop_background

pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("bulk-import")]


@dataclass(frozen=True)
class Home:
    path: Path
    uri: str
    env: dict[str, str]

    def bulk(self, *args: str) -> Any:
        return CliRunner().invoke(app, ["import", "--bulk", *args], env=self.env)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    path = tmp_path_factory.mktemp("bulk") / "neo4j"
    uri = f"bolt://127.0.0.1:{free_port()}"
    env = {"GOVGRAPH_STORE": "neo4j", "GOVGRAPH_NEO4J_URI": uri, "GOVGRAPH_NEO4J_HOME": str(path)}
    try:
        yield Home(path, uri, env)
    finally:
        stop_background(path)  # the bulk load leaves its server running


#: values that CSV and neo4j-admin could get wrong: quotes, commas and line breaks in ids and
#: text, text of spaces only, the 64-bit limits, a tiny float, the first and last days
TRICKY = {
    "nodes": [
        {
            "id": 'x,"1"',
            "kind": "Compound",
            "props": {
                "name": ' 云北苑, "北区"\r\n第二行 ',
                "households": 2**63 - 1,
                "built_year": -(2**63),
                "delivered_area_ratio": 1e-07,
                "investment_yuan": 12345678901234.5,
                "is_old": False,
                "source": "  ",
            },
        }
    ],
    "links": [
        {
            "kind": "PART_OF",
            "source": 'x,"1"',
            "target": "comm-02",
            "key": "k,1",
            "props": {"since": "1900-01-01", "until": "2200-12-31"},
        }
    ],
}
NODES, LINKS = 8014 + 1, 15216 + 1


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory: pytest.TempPathFactory, run: Any) -> Path:
    """The demo as ``govgraph export --format csv`` writes it (one file per kind), and a JSON
    file of :data:`TRICKY` values."""
    out = tmp_path_factory.mktemp("demo-csv")
    store = EmbeddedStore()
    run(load_demo(store))
    run(export_csv(store, out))
    (out / "tricky.json").write_text(json.dumps(TRICKY, ensure_ascii=False), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def bad_csv(demo_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with two mistakes: a word in a number column, a link to a node nobody wrote."""
    out = tmp_path_factory.mktemp("bad-csv")
    for f in demo_csv.iterdir():
        shutil.copy(f, out)
    compounds = (out / "Compound.csv").read_text(encoding="utf-8").splitlines()
    head = compounds[0].split(",")
    row = compounds[1].split(",")
    row[head.index("households")] = "many"
    compounds[1] = ",".join(row)
    (out / "Compound.csv").write_text("\n".join(compounds) + "\n", encoding="utf-8")
    with (out / "PART_OF.csv").open("a", encoding="utf-8") as fh:
        fh.write("nobody-1,no-such-community,,,,\n")
    return out


def records(store: GraphStore, run: Any) -> list[str]:
    """Every node and link as JSON lines, keys sorted (a store may keep properties in any order;
    a value's type shows: ``1`` is not ``1.0``, a date is not its text), in id order."""

    async def read() -> list[str]:
        nodes = [node_to_dict(n) async for n in iter_nodes(store)]
        links = [link_to_dict(lk) for lk in await store.list_links()]
        lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in nodes + links]
        return sorted(lines)

    result: list[str] = run(read())
    return result


def test_bad_files_are_refused_with_the_importers_errors_before_anything_runs(
    home: Home, bad_csv: Path, run: Any
) -> None:
    with pytest.raises(DataImportError) as caught:
        run(import_files(EmbeddedStore(), [bad_csv]))
    expected = [str(e) for e in caught.value.errors]
    assert len(expected) == 3  # households, and both ends of the link

    r = home.bulk(str(bad_csv))

    assert r.exit_code == 1, r.output
    for line in expected:
        assert line in r.output
    assert "3 problem(s) found; nothing was imported" in r.output
    # neither neo4j-admin nor the server ran: the home holds no database, no files are left
    assert status(home.path) is None
    assert not (home.path / "data").exists()
    assert not (home.path / ADMIN_LOG).exists()
    assert not list(home.path.glob("bulk-files-*"))

    # as a department meets it: the server runs (`govgraph neo4j start`); it is stopped while
    # the files are checked, and started again when they are refused
    start_background(home.path, int(home.uri.rsplit(":", 1)[1]))
    r = home.bulk(str(bad_csv))
    assert r.exit_code == 1, r.output
    assert "3 problem(s) found; nothing was imported" in r.output
    assert status(home.path) is not None
    assert count_nodes(home.uri) == 0
    assert not (home.path / ADMIN_LOG).exists()


def test_a_failed_neo4j_admin_leaves_the_database_as_it_was(
    home: Home, demo_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = nb.run_admin_import

    def failing(at: Path, arguments: Sequence[str], **kwargs: Any) -> nb.AdminResult:
        staged = at / "data" / "databases" / arguments[3]
        staged.mkdir(parents=True)  # as the tool leaves a store it did not finish
        return real(at, [*arguments, "--nodes=Entity:Compound=no-such-file.csv"], **kwargs)

    monkeypatch.setattr(nb, "run_admin_import", failing)
    r = home.bulk(str(demo_csv))
    assert r.exit_code == 1, r.output
    assert "the bulk load failed and changed nothing" in r.output
    assert status(home.path) is not None
    assert count_nodes(home.uri) == 0
    for folder in ("databases", "transactions"):  # the partial load is gone
        assert not (home.path / "data" / folder / f"neo4j{nb.STAGING_SUFFIX}").exists()


def test_the_demo_bulk_loaded_is_the_graph_the_importer_writes(
    home: Home, demo_csv: Path, run: Any
) -> None:
    from neo4j import AsyncGraphDatabase

    r = home.bulk(str(demo_csv))
    assert r.exit_code == 0, r.output
    assert f"{NODES} nodes and {LINKS} links loaded by neo4j-admin" in r.output
    assert status(home.path) is not None  # left running, ready

    driver = AsyncGraphDatabase.driver(home.uri, auth=None, notifications_min_severity="OFF")
    store = Neo4jStore(driver)
    try:
        bulk = records(store, run)
        schema = run(_schema(driver))
        # the schema is the store's own, built; the full-text index answers
        wanted = {_name(s) for s in cypher.schema_statements()}
        assert wanted <= set(schema)
        assert {schema[name] for name in wanted} == {"ONLINE"}
        assert [n.id for n in run(store.search("云北苑小区"))][:1] == ["cmp-yunbeiyuan"]

        # a second bulk load finds the database full and changes nothing
        again = home.bulk(str(demo_csv))
        assert again.exit_code == 1
        assert f"is not empty ({NODES} nodes)" in again.output
        assert records(store, run) == bulk
        assert status(home.path) is not None
    finally:
        run(driver.close())

    # the same files through the transactional importer: the Neo4j store reads the same graph
    # from either load (the store contract, tests/graph/test_same_graph.py, holds the two
    # adapters to the same reads; an embedded store keeps the import quick)
    imported = EmbeddedStore()
    report = run(import_files(imported, [demo_csv]))
    assert (report.nodes_written, report.links_written) == (NODES, LINKS)
    assert records(imported, run) == bulk


async def _schema(driver: Any) -> dict[str, str]:
    """Every index by name (a constraint's too), with its state."""
    records, _, _ = await driver.execute_query("SHOW INDEXES YIELD name, state")
    return {r["name"]: r["state"] for r in records}


def _name(statement: str) -> str:
    found = re.search(r"(?:CONSTRAINT|INDEX) (\w+) IF NOT EXISTS", statement)
    assert found is not None, statement
    return found.group(1)


def test_the_schema_is_the_one_init_schema_makes(home: Home, run: Any) -> None:
    from neo4j import AsyncGraphDatabase

    driver = AsyncGraphDatabase.driver(home.uri, auth=None, notifications_min_severity="OFF")
    try:
        bulk = run(_schema_shape(driver))
        assert {name for _, name in bulk} == {_name(s) for s in cypher.schema_statements()}
        # the same database with its schema made again by the store, from nothing
        for kind, name in list(bulk):  # a constraint's index goes with it
            if kind != "constraint index":
                run(driver.execute_query(f"DROP {kind.upper()} {name}"))
        assert run(_schema_shape(driver)) == {}
        run(Neo4jStore(driver).init_schema())
        assert run(_schema_shape(driver)) == bulk
    finally:
        run(driver.close())


async def _schema_shape(driver: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Every constraint and index the store makes (token lookups are the database's own), by
    kind and name (a constraint's index has its name): what it is over and how, not its id or
    state."""
    shapes: dict[tuple[str, str], dict[str, Any]] = {}
    constraints, _, _ = await driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties, ownedIndex"
    )
    for r in constraints:
        shapes["constraint", r["name"]] = r.data()
    indexes, _, _ = await driver.execute_query(
        "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, indexProvider, "
        "options, owningConstraint WHERE type <> 'LOOKUP'"
    )
    for r in indexes:
        kind = "constraint index" if r["owningConstraint"] else "index"
        shapes[kind, r["name"]] = r.data()
    return shapes


def test_a_server_the_cli_does_not_manage_gets_the_files_and_the_command(
    home: Home, demo_csv: Path, tmp_path: Path
) -> None:
    remote = {**home.env, "GOVGRAPH_NEO4J_URI": "bolt://graph.example.org:7687"}
    r = CliRunner().invoke(app, ["import", "--bulk", str(demo_csv)], env=remote)
    assert r.exit_code == 1
    assert "runs neo4j-admin on the database's own machine" in r.output
    assert "--bulk-files DIR" in r.output

    folder = tmp_path / "files"
    r = CliRunner().invoke(app, ["import", "--bulk-files", str(folder), str(demo_csv)], env=remote)
    assert r.exit_code == 0, r.output
    command = next(line.strip() for line in r.output.splitlines() if "neo4j-admin " in line)
    assert command.startswith("neo4j-admin database import full neo4j --overwrite-destination")
    for argument in command.split()[5:]:
        if argument.startswith(("--nodes=", "--relationships=")):
            for name in argument.split("=")[-1].split(","):
                assert (folder / name).is_file(), name
    assert "--nodes=Entity:Compound=nodes-Compound.header.csv,nodes-Compound.csv" in command
    assert (folder / "nodes-Compound.header.csv").read_text().startswith("id:ID,kind,name,")
