"""The wheel and the sdist hold what an installed service needs, under the one name ``govgraph``.

``python -m build`` makes the sdist, then the wheel from the unpacked sdist, so a file the sdist
forgets is missing from the wheel too. It takes a few seconds and fetches the build backend from
the package index (an isolated build): ``-m "not packaging"`` leaves it out of a fast loop.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("graph", "schema", "loaders", "api", "cli", "ops")
STATIC = ROOT / "api" / "static"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> zipfile.ZipFile:
    (path,) = dist.glob("*.whl")
    return zipfile.ZipFile(path)


@pytest.fixture(scope="module")
def sdist_names(dist: Path) -> set[str]:
    (path,) = dist.glob("*.tar.gz")
    with tarfile.open(path) as tar:
        # governance_graph-0.1.0/api/app.py -> api/app.py
        return {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}


def _sources(folder: str) -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    }


def test_wheel_installs_only_govgraph(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert tops - dist_info == {"govgraph"}


def test_wheel_holds_the_graphiql_files(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    files = [p for p in (STATIC / "graphiql").iterdir() if p.is_file()]
    assert any(p.name == "graphiql.min.js" for p in files)
    for p in files:
        inside = f"govgraph/api/static/graphiql/{p.name}"
        assert inside in names
        assert wheel.read(inside) == p.read_bytes(), p.name


def test_wheel_holds_the_console(wheel: zipfile.ZipFile) -> None:
    if not (STATIC / "console" / "index.html").exists():
        pytest.skip("no web console in this source tree yet (api/static/console/index.html)")
    assert "govgraph/api/static/console/index.html" in wheel.namelist()


def test_wheel_holds_what_starts_a_local_neo4j(wheel: zipfile.ZipFile) -> None:
    # `govgraph neo4j start` from an installed wheel fetches the jars with this POM and compiles
    # this launcher (ops/neo4j_local.py finds them beside itself)
    launcher = Path(__file__).resolve().parents[2] / "ops" / "neo4j_launcher"
    for name in ("pom.xml", "Launcher.java"):
        inside = f"govgraph/ops/neo4j_launcher/{name}"
        assert wheel.read(inside) == (launcher / name).read_bytes(), name


@pytest.mark.parametrize("folder", SOURCE_DIRS)
def test_wheel_holds_the_modules(wheel: zipfile.ZipFile, folder: str) -> None:
    # package-dir maps each top-level folder to govgraph.<folder> (pyproject.toml)
    modules = {f"govgraph/{p}" for p in _sources(folder)}
    assert modules
    assert modules <= set(wheel.namelist()), sorted(modules - set(wheel.namelist()))


@pytest.mark.parametrize("folder", SOURCE_DIRS)
def test_sdist_holds_the_sources(sdist_names: set[str], folder: str) -> None:
    sources = _sources(folder)
    assert sources
    assert sources <= sdist_names, sorted(sources - sdist_names)


def test_sdist_holds_the_static_files(sdist_names: set[str]) -> None:
    static = {
        p.relative_to(ROOT).as_posix()
        for p in STATIC.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert static <= sdist_names, sorted(static - sdist_names)
