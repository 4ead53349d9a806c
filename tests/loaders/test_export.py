"""Exports (loaders/exporters.py): round trips through both stores, and graph-tool formats that
NetworkX reads back."""

from __future__ import annotations

import csv
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import typer

# the hand-built test graph and the plain-data view are shared with the import tests
from test_import import expected_data, graph_data, sample_links, sample_nodes
from typer.testing import CliRunner

from govgraph.cli.data import register
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import node
from govgraph.graph.port import GraphStore
from govgraph.loaders.exporters import FORMATS, export, export_csv, tool_graph
from govgraph.loaders.importer import import_files

Run = Callable[[Awaitable[Any]], Any]
N_NODES, N_LINKS = len(sample_nodes()), len(sample_links())
OUT = {"snapshot": "graph.jsonl", "json": "graph.json", "csv": "csv-out"}


@pytest.fixture
def source(run: Run) -> Iterator[EmbeddedStore]:
    """An in-memory embedded store holding the test graph."""
    s = EmbeddedStore()
    run(s.upsert(sample_nodes(), sample_links()))
    yield s
    run(s.close())


# --- round trips ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["snapshot", "json", "csv"])
def test_export_from_embedded_imports_into_each_store_unchanged(
    source: EmbeddedStore, store: GraphStore, run: Run, tmp_path: Path, fmt: str
) -> None:
    out = run(export(source, fmt, tmp_path / OUT[fmt]))
    report = run(import_files(store, [out]))
    assert (report.nodes_written, report.links_written) == (N_NODES, N_LINKS)
    assert graph_data(store, run) == graph_data(source, run) == expected_data()
    run(import_files(store, [out]))  # importing the same export again changes nothing
    assert graph_data(store, run) == expected_data()


@pytest.mark.parametrize("fmt", ["snapshot", "json", "csv"])
def test_export_from_each_store_imports_into_embedded_unchanged(
    store: GraphStore, run: Run, tmp_path: Path, fmt: str
) -> None:
    run(store.upsert(sample_nodes(), sample_links()))
    out = run(export(store, fmt, tmp_path / OUT[fmt]))
    target = EmbeddedStore()
    run(import_files(target, [out]))
    assert graph_data(target, run) == expected_data()


def test_a_snapshot_from_any_store_opens_as_an_embedded_store_file(
    store: GraphStore, run: Run, tmp_path: Path
) -> None:
    run(store.upsert(sample_nodes(), sample_links()))
    path = run(export(store, "snapshot", tmp_path / "graph.jsonl"))
    opened = EmbeddedStore(path)
    try:
        assert graph_data(opened, run) == expected_data()
    finally:
        run(opened.close())


def test_csv_export_disarms_formulas_and_reads_back_exactly(run: Run, tmp_path: Path) -> None:
    tricky = ["=SUM(A1)", "+86 100 0000 0001", "'=already escaped", "-", "@home", "'plain"]
    src = EmbeddedStore()
    run(src.upsert([node("Person", f"p-{i}", name=t) for i, t in enumerate(tricky)]))
    [path] = run(export_csv(src, tmp_path / "out"))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        cells = [row[1] for row in csv.reader(fh)][1:]
    assert cells == [
        "'=SUM(A1)",
        "'+86 100 0000 0001",
        "''=already escaped",
        "'-",
        "'@home",
        "'plain",
    ]
    dst = EmbeddedStore()
    run(import_files(dst, [tmp_path / "out"]))
    assert graph_data(dst, run) == graph_data(src, run)


def test_csv_export_writes_one_file_per_kind_and_removes_stale_ones(
    source: EmbeddedStore, run: Run, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "Meeting.csv").write_text("id\nstale\n", encoding="utf-8")
    (folder / "notes.txt").write_text("kept", encoding="utf-8")
    written = run(export_csv(source, folder))
    names = sorted(p.name for p in folder.iterdir())
    assert sorted(p.name for p in written) == [n for n in names if n.endswith(".csv")]
    assert "Meeting.csv" not in names and "notes.txt" in names
    assert "Compound.csv" in names and "HOLDS_POST.csv" in names
    header = (folder / "HOLDS_POST.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "source_id,target_id,key,role,source,since,until"


# --- graph-tool formats -----------------------------------------------------------------------
def test_graphml_parses_back_with_the_right_counts(
    source: EmbeddedStore, run: Run, tmp_path: Path
) -> None:
    path = run(export(source, "graphml", tmp_path / "g.graphml"))
    g = nx.read_graphml(path)
    assert (g.number_of_nodes(), g.number_of_edges()) == (N_NODES, N_LINKS)
    assert g.nodes["cmp-yby"]["kind"] == "Compound"
    assert g.nodes["cmp-yby"]["label"] == "云北苑小区"
    assert g.nodes["br-yby"]["elected_on"] == "2021-03-01"  # dates as ISO text
    chair = g.edges["p-1", "oc-yby", "p-1|HOLDS_POST|oc-yby"]
    assert chair["provenance"] == "测试台账"
    assert "until" not in chair  # absent values are omitted, never None


def test_gexf_is_dynamic_with_link_dates_as_spells(
    source: EmbeddedStore, run: Run, tmp_path: Path
) -> None:
    path = run(export(source, "gexf", tmp_path / "g.gexf"))
    g = nx.read_gexf(path)
    assert (g.number_of_nodes(), g.number_of_edges()) == (N_NODES, N_LINKS)
    assert g.graph["mode"] == "dynamic"
    by_id = {d["id"]: d for _, _, d in g.edges(data=True)}
    ended = by_id["p-2|HOLDS_POST|br-yby"]
    assert (ended["start"], ended["end"]) == ("2021-03-01", "2022-12-31")
    assert by_id["p-2|HOLDS_POST|br-yby|2023"]["start"] == "2023-01-01"
    assert "start" not in by_id["bld-1|PART_OF|cmp-yby"]
    assert g.nodes["p-1"]["label"] == "测试人员1"


def test_cytoscape_json_has_every_element(source: EmbeddedStore, run: Run, tmp_path: Path) -> None:
    path = run(export(source, "cytoscape", tmp_path / "g.cyjs"))
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes, edges = data["elements"]["nodes"], data["elements"]["edges"]
    assert (len(nodes), len(edges)) == (N_NODES, N_LINKS)
    chair = next(e["data"] for e in edges if e["data"]["id"] == "p-1|HOLDS_POST|oc-yby")
    assert (chair["source"], chair["target"], chair["provenance"]) == ("p-1", "oc-yby", "测试台账")
    g = nx.cytoscape_graph(data)
    assert g.number_of_edges() == N_LINKS


def test_tool_graph_keeps_the_projection_untouched(source: EmbeddedStore, run: Run) -> None:
    g = run(source.projection())
    before = nx.to_dict_of_dicts(g)
    tool_graph(g, dynamic=True)
    assert nx.to_dict_of_dicts(g) == before


# --- the command line -------------------------------------------------------------------------
def test_cli_export_in_every_format(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "g.jsonl"
    s = EmbeddedStore(data)
    run(s.upsert(sample_nodes(), sample_links()))
    run(s.close())
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(data))
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A bare app holding only the data commands."""

    register(app)
    for fmt in FORMATS:
        out = tmp_path / f"out-{fmt}"
        r = CliRunner().invoke(app, ["export", "--format", fmt, str(out)])
        assert r.exit_code == 0, r.output
        assert f"exported {N_NODES} nodes and {N_LINKS} links as {fmt}" in r.output
        assert out.exists()
    r = CliRunner().invoke(app, ["export", "--format", "pdf", str(tmp_path / "x")])
    assert r.exit_code == 2
    assert "graphml, gexf" in r.output
