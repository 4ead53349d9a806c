"""The synthetic data set: deterministic, scalable, structurally like the demo and importable
(see ``loaders/synthetic.py``). That it is generated in flat memory is checked by
``bench/import_bench.py --generator-heap``."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from govgraph.cli.generate import register
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.ontology import LINK_KINDS, MANAGE_MODES, NODE_KINDS
from govgraph.loaders.importer import import_files
from govgraph.loaders.rows import columns
from govgraph.loaders.synthetic import GenerationProgress, GenerationReport, generate


def rows(folder: Path, kind: str) -> Iterator[dict[str, str]]:
    path = folder / f"{kind}.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationReport]:
    out = tmp_path_factory.mktemp("synthetic-city")
    return out, generate(out, compounds=60, seed=7)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", compounds=25, seed=3)
    b = generate(tmp_path / "b", compounds=25, seed=3)
    generate(tmp_path / "c", compounds=25, seed=4)
    assert [f.name for f in a.files] == [f.name for f in b.files]
    for fa, fb in zip(a.files, b.files, strict=True):
        assert fa.read_bytes() == fb.read_bytes(), fa.name
    assert a.rows_by_kind == b.rows_by_kind
    assert (tmp_path / "a" / "Person.csv").read_bytes() != (
        tmp_path / "c" / "Person.csv"
    ).read_bytes()


def test_regenerating_in_place_leaves_only_the_new_files(tmp_path: Path) -> None:
    generate(tmp_path, compounds=40)
    small = generate(tmp_path, compounds=1)
    on_disk = sorted(tmp_path.glob("*.csv"))
    assert on_disk == small.files
    assert small.rows_by_kind["Compound"] == 1


def test_size_scales_with_compounds(tmp_path: Path) -> None:
    small = generate(tmp_path / "s", compounds=20)
    big = generate(tmp_path / "b", compounds=80)
    assert small.rows_by_kind["Compound"] == 20
    assert big.rows_by_kind["Compound"] == 80
    for kind in ("Person", "Unit", "RESIDES_IN", "Meeting", "ATTENDED"):
        ratio = big.rows_by_kind[kind] / small.rows_by_kind[kind]
        assert 2.5 < ratio < 6, (kind, ratio)
    # the per-compound mix that gives ~2M people and ~10M links at 20,000 compounds
    assert 80 <= big.rows_by_kind["Person"] / 80 <= 140
    assert 350 <= big.links / 80 <= 650


def test_headers_are_the_importer_columns(city: tuple[Path, GenerationReport]) -> None:
    _, report = city
    for f in report.files:
        with f.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        assert header == [c.field for c in columns(f.stem)], f.name
        assert f.stem in NODE_KINDS or f.stem in LINK_KINDS
    assert sum(report.rows_by_kind.values()) == report.rows


def test_structure_has_the_demo_shape_and_gaps(city: tuple[Path, GenerationReport]) -> None:
    folder, _ = city
    forms = Counter(r["form"] for r in rows(folder, "PartyBranch"))
    assert forms["joint"] and forms["combined"] and forms["standalone"]

    compounds = {r["id"]: r for r in rows(folder, "Compound")}
    covers = defaultdict(list)
    for r in rows(folder, "COVERS"):
        covers[r["target_id"]].append(r["source_id"])
    branch_covered = {c for c, srcs in covers.items() if any(s.startswith("pb-") for s in srcs)}
    assert set(compounds) - branch_covered, "some compounds no branch covers (a gap)"
    per_branch = Counter(
        r["source_id"] for r in rows(folder, "COVERS") if r["source_id"][:3] == "pb-"
    )
    assert max(per_branch.values()) >= 2, "joint branches cover several compounds"

    manages = list(rows(folder, "MANAGES"))
    assert {r["mode"] for r in manages if r["mode"]} == set(MANAGE_MODES)
    managed = {r["target_id"] for r in manages}
    unmanaged_old = [c for c, r in compounds.items() if r["is_old"] == "true" and c not in managed]
    assert unmanaged_old, "some old compounds have no property service (a gap)"
    assert any(r["until"] for r in manages), "a company replaced during the year"

    posts = list(rows(folder, "HOLDS_POST"))
    secretaries = {
        r["source_id"] for r in posts if r["role"] == "secretary" and r["target_id"][:3] == "pb-"
    }
    chairs = {r["source_id"] for r in posts if r["role"] == "chair"}
    assert secretaries & chairs, "cross-appointments: branch secretaries chairing committees"
    sizes = Counter(r["target_id"] for r in posts if r["target_id"].startswith("oc-"))
    assert any(n % 2 == 0 or n < 5 for n in sizes.values()), "a committee of the wrong size"

    # conflicts of interest: a committee member employed by the company managing the compound
    employer = {r["source_id"]: r["target_id"] for r in rows(folder, "EMPLOYED_BY")}
    manager_of = {r["target_id"]: r["source_id"] for r in manages if not r["until"]}
    conflicts = [
        r
        for r in posts
        if r["target_id"].startswith("oc-")
        and employer.get(r["source_id"]) == manager_of.get("cmp-" + r["target_id"][3:])
    ]
    assert conflicts

    members = list(rows(folder, "MEMBER_OF"))
    assert any(r["target_id"].startswith("pcom-") for r in members), "members outside branches"
    assert {r["meeting_type"] for r in rows(folder, "Meeting")} >= {
        "compound_joint_meeting",
        "township_joint_meeting",
        "city_leadership_meeting",
        "service_center_meeting",
        "branch_assembly",
    }
    assert Counter(r["station_type"] for r in rows(folder, "ServiceStation")).keys() == {
        "station",
        "point",
    }
    assert {r["grade"] for r in rows(folder, "Evaluation")} == {"A", "B", "C"}
    appeals = list(rows(folder, "Appeal"))
    assert any(not r["replied"] for r in appeals) and any(r["replied"] for r in appeals)


def test_names_are_obviously_synthetic(city: tuple[Path, GenerationReport]) -> None:
    folder, _ = city
    for kind in ("Person", "Compound", "Community", "Township", "City", "PropertyCompany"):
        for r in rows(folder, kind):
            assert r["name"].startswith("合成"), (kind, r["name"])
    assert all(r["phone"].startswith("000-") for r in rows(folder, "Person"))


def test_every_file_imports_cleanly(tmp_path: Path) -> None:
    report = generate(tmp_path, compounds=30, seed=11)

    async def load() -> tuple[int, int, int, int]:
        store = EmbeddedStore()
        imported = await import_files(store, report.files, batch_size=4000)
        counts = await store.counts()
        return (
            imported.nodes_written,
            imported.links_written,
            sum(counts.nodes.values()),
            sum(counts.links.values()),
        )

    nodes, links, stored_nodes, stored_links = asyncio.run(load())
    assert (nodes, links) == (report.nodes, report.links)
    assert (stored_nodes, stored_links) == (report.nodes, report.links)


def test_progress_reports_every_community(tmp_path: Path) -> None:
    seen: list[GenerationProgress] = []
    report = generate(tmp_path, compounds=20, progress=seen.append)
    assert seen[-1].compounds_done == seen[-1].compounds == 20
    assert seen[-1].rows == report.rows
    assert [p.compounds_done for p in seen] == sorted(p.compounds_done for p in seen)


def test_generate_rejects_no_compounds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate(tmp_path, compounds=0)


def test_cli_generate(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps `generate` a subcommand
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["generate", str(out), "--compounds", "8", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "8 compounds" in result.output
    assert (out / "Compound.csv").exists()
    direct = generate(tmp_path / "direct", compounds=8, seed=2)
    assert (out / "Person.csv").read_bytes() == (direct.out_dir / "Person.csv").read_bytes()
