"""Exports by role (``export(..., role=...)`` and ``govgraph export --role``) on the demo:

* researcher: in every format, no real name, phone, person id or Party membership status or
  category; people under the API's pseudonyms; every organization and every cross-appointment
  (the bodies a person's posts tie together) kept.
* public: counts only, as csv or json; graph formats are refused; no person in any file.
* department: the export of today, byte for byte.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from govgraph.cli.data import register
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import ValidationError
from govgraph.graph.model import Link, Node
from govgraph.graph.ontology import MEMBER_CATEGORY, MEMBER_STATUS
from govgraph.graph.privacy import Role, pseudonym
from govgraph.loaders.demo import build_demo
from govgraph.loaders.exporters import FORMATS, export

Run = Callable[[Awaitable[Any]], Any]
SECRET = b"a-test-secret-of-at-least-thirty-two-bytes"
OUT = {"graphml": "g.graphml", "gexf": "g.gexf", "csv": "csv", "json": "g.json"}
OUT |= {"cytoscape": "g.cyjs", "snapshot": "g.jsonl"}


@pytest.fixture(scope="module")
def demo_data() -> tuple[list[Node], list[Link]]:
    return build_demo()


@pytest.fixture(scope="module")
def demo(run: Run, demo_data: tuple[list[Node], list[Link]]) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore()
    run(s.upsert(*demo_data))
    yield s
    run(s.close())


# --- reading any export back as plain nodes and edges ----------------------------------------
Graph = tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]


def read_back(fmt: str, out: Path) -> Graph:
    """(node id → attributes, edges with ``src``/``dst`` and attributes) of an export."""
    if fmt in ("graphml", "gexf", "cytoscape"):
        if fmt == "graphml":
            g = nx.read_graphml(out)
        elif fmt == "gexf":
            g = nx.read_gexf(out)
        else:
            g = nx.cytoscape_graph(json.loads(out.read_text(encoding="utf-8")))
        nodes = {str(n): dict(d) for n, d in g.nodes(data=True)}
        edges = [{"src": str(u), "dst": str(v), **d} for u, v, d in g.edges(data=True)]
        return nodes, edges
    records: list[dict[str, Any]] = []
    if fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        records = [{"node": n} for n in data["nodes"]] + [{"link": lk} for lk in data["links"]]
    elif fmt == "snapshot":
        lines = out.read_text(encoding="utf-8").splitlines()[1:]
        records = [json.loads(line) for line in lines]
    nodes, edges = {}, []
    for rec in records:
        if "node" in rec:
            n = rec["node"]
            nodes[n["id"]] = {"kind": n["kind"], **n.get("props", {})}
        elif "link" in rec:
            lk = rec["link"]
            edges.append({"src": lk["source"], "dst": lk["target"], "kind": lk["kind"], **lk})
    if fmt == "csv":
        for path in sorted(out.glob("*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for row in csv.DictReader(fh):
                    if "source_id" in row:
                        edges.append(
                            {"src": row["source_id"], "dst": row["target_id"], "kind": path.stem}
                            | {k: v for k, v in row.items() if v}
                        )
                    else:
                        nodes[row["id"]] = {"kind": path.stem} | {k: v for k, v in row.items() if v}
    return nodes, edges


def text_of(out: Path) -> str:
    files = sorted(out.glob("*")) if out.is_dir() else [out]
    return "\n".join(f.read_text(encoding="utf-8-sig") for f in files)


def ties(edges: list[dict[str, Any]], person: str) -> set[str]:
    """The bodies in which ``person`` holds a post."""
    return {e["dst"] for e in edges if e["src"] == person and e.get("kind") == "HOLDS_POST"}


# --- researcher -------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_researcher_export_has_pseudonyms_and_ties_but_no_personal_data(
    demo: EmbeddedStore,
    demo_data: tuple[list[Node], list[Link]],
    run: Run,
    tmp_path: Path,
    fmt: str,
) -> None:
    real_nodes, real_links = demo_data
    people = [n for n in real_nodes if n.kind == "Person"]
    out = run(export(demo, fmt, tmp_path / OUT[fmt], role=Role.RESEARCHER, secret=SECRET))
    text = text_of(out)
    for p in people[:300]:  # a sample keeps the scan quick; the demo's names are all alike
        for value in (p.id, p.props.get("name"), p.props.get("phone")):
            assert not value or str(value) not in text, (fmt, value)

    nodes, edges = read_back(fmt, out)
    alias = {p.id: pseudonym(SECRET, p.id) for p in people}
    shown_people = {n for n, d in nodes.items() if d.get("kind") == "Person"}
    assert shown_people == set(alias.values())
    membership = set(MEMBER_STATUS) | set(MEMBER_CATEGORY)
    for e in edges:
        assert "status" not in e and "category" not in e, e
        assert not membership & {str(v) for v in e.values()}, e
        assert e.get("kind") not in ("OWNS",), e
    for node_id, d in nodes.items():
        if d["kind"] == "Person":  # cytoscape names every node by its id
            assert d.get("name") in (None, node_id) and "phone" not in d, d
    # every organization and place is kept, under its own id
    assert {n.id for n in real_nodes if n.kind != "Person"} <= set(nodes)
    # the cross-appointments: each person's posts tie the same bodies as before
    posts: dict[str, set[str]] = defaultdict(set)
    for lk in real_links:
        if lk.kind == "HOLDS_POST":
            posts[lk.source].add(lk.target)
    crossed = {p: bodies for p, bodies in posts.items() if len(bodies) > 1}
    assert crossed
    for person, bodies in crossed.items():
        assert ties(edges, alias[person]) == bodies, person


def test_a_researcher_export_imports_with_decades_years_and_compounds(
    demo: EmbeddedStore, demo_data: tuple[list[Node], list[Link]], run: Run, tmp_path: Path
) -> None:
    """The snapshot of a researcher export opens as a store: it follows the ontology."""
    out = run(export(demo, "snapshot", tmp_path / "r.jsonl", role=Role.RESEARCHER, secret=SECRET))
    shown = EmbeddedStore(out)
    try:
        real = {n.id: n for n in demo_data[0]}
        by_alias = {pseudonym(SECRET, i): n for i, n in real.items() if n.kind == "Person"}
        people = run(shown.list_nodes("Person", first=1000)).items
        for p in people:
            born = by_alias[p.id].props.get("birth_year")
            assert p.props.get("birth_year") == (None if born is None else born - born % 10)
            assert set(p.props) <= {"gender", "birth_year"}
        for lk in run(shown.list_links()):
            assert lk.kind != "OWNS"
            since, until = lk.props.get("since"), lk.props.get("until")
            if lk.kind == "RESIDES_IN":
                assert real[lk.target].kind == "Compound"
            if lk.source in by_alias:
                assert since is None or (since.month, since.day) == (1, 1)
                assert until is None or (until.month, until.day) == (12, 31)
    finally:
        run(shown.close())


def test_a_researcher_export_needs_the_secret(
    demo: EmbeddedStore, run: Run, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="secret"):
        run(export(demo, "json", tmp_path / "x.json", role=Role.RESEARCHER))


# --- public -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_public_export_holds_counts_and_no_person(
    demo: EmbeddedStore,
    demo_data: tuple[list[Node], list[Link]],
    run: Run,
    tmp_path: Path,
    fmt: str,
) -> None:
    out = run(export(demo, fmt, tmp_path / OUT[fmt], role=Role.PUBLIC))
    text = text_of(out)
    people = [n for n in demo_data[0] if n.kind == "Person"]
    for p in people[:300]:
        assert p.id not in text and str(p.props["name"]) not in text
    assert "anon-" not in text
    if fmt == "json":
        data = json.loads(text)
        assert data["nodes"]["Person"] == len(people)
        rows = data["by_place"]
    else:
        assert sorted(f.name for f in out.iterdir()) == ["counts.csv", "counts_by_place.csv"]
        with (out / "counts_by_place.csv").open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    compounds = {n.id for n in demo_data[0] if n.kind == "Compound"}
    person_rows = [r for r in rows if r["kind"] == "Person" and r["level"] == "Compound"]
    assert {r["place_id"] for r in person_rows} - {""} <= compounds
    assert person_rows


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape", "snapshot"])
def test_a_public_export_refuses_graph_formats(
    demo: EmbeddedStore, run: Run, tmp_path: Path, fmt: str
) -> None:
    with pytest.raises(ValidationError, match="counts only"):
        run(export(demo, fmt, tmp_path / OUT[fmt], role=Role.PUBLIC))
    assert not (tmp_path / OUT[fmt]).exists()


# --- department -------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_department_export_is_the_export_of_before(
    demo: EmbeddedStore, run: Run, tmp_path: Path, fmt: str
) -> None:
    default = run(export(demo, fmt, tmp_path / "default" / OUT[fmt]))
    department = run(export(demo, fmt, tmp_path / "dept" / OUT[fmt], role=Role.DEPARTMENT))
    assert text_of(department) == text_of(default)
    assert "示例居民0001" in text_of(department)


# --- the command line -------------------------------------------------------------------------
@pytest.fixture
def cli(
    demo_data: tuple[list[Node], list[Link]],
    run: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> typer.Typer:
    data = tmp_path / "g.jsonl"
    s = EmbeddedStore(data)
    run(s.upsert(*demo_data))
    run(s.close())
    for name in ("GOVGRAPH_DEMO", "GOVGRAPH_PSEUDONYM_SECRET", "GOVGRAPH_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOVGRAPH_STORE", "embedded")
    monkeypatch.setenv("GOVGRAPH_DATA_PATH", str(data))
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A bare app holding only the data commands."""

    register(app)
    return app


def test_cli_refuses_a_researcher_export_with_the_built_in_secret(
    cli: typer.Typer, tmp_path: Path
) -> None:
    r = CliRunner().invoke(cli, ["export", "--role", "researcher", str(tmp_path / "r.json")])
    assert r.exit_code == 1
    assert "GOVGRAPH_PSEUDONYM_SECRET" in r.output
    assert not (tmp_path / "r.json").exists()


def test_cli_researcher_export_uses_the_api_secret(
    cli: typer.Typer,
    demo_data: tuple[list[Node], list[Link]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVGRAPH_PSEUDONYM_SECRET", SECRET.decode())
    out = tmp_path / "r.json"
    r = CliRunner().invoke(cli, ["export", "--role", "researcher", str(out)])
    assert r.exit_code == 0, r.output
    nodes, _ = read_back("json", out)
    first = next(n for n in demo_data[0] if n.kind == "Person")
    assert pseudonym(SECRET, first.id) in nodes and first.id not in nodes


def test_cli_public_export_refuses_a_graph_format(cli: typer.Typer, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        cli, ["export", "--role", "public", "-f", "graphml", str(tmp_path / "p.graphml")]
    )
    assert r.exit_code == 2
    assert "counts only" in r.output
    r = CliRunner().invoke(cli, ["export", "--role", "public", "-f", "csv", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "p" / "counts.csv").exists()
