"""Shared fixtures: one event loop for the session, and the two stores behind one fixture.

The Neo4j half always runs. The session starts a real Neo4j (Community 5.26, from Maven Central
jars) unless ``GOVGRAPH_TEST_NEO4J_URI`` points at one already running; if it cannot start, the
tests that need it fail with the reason. They are never skipped.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.port import GraphStore

T = TypeVar("T")
Run = Callable[[Awaitable[T]], T]

# Outside demo mode the app refuses the built-in pseudonym secret (Settings.production_problems);
# the tests serve synthetic data as the demo does, and so does every server they start (the
# variable is inherited). A test of the refusal sets demo=False itself.
os.environ.setdefault("GOVGRAPH_DEMO", "true")
# Most tests build an app and ask it something else: no background analytics at each start
# (api/warm.py; its own tests switch it on).
os.environ.setdefault("GOVGRAPH_WARM_ANALYTICS", "false")

STORE_KINDS = ("embedded", "neo4j")
#: the store parameters: the Neo4j one carries its mark
STORE_PARAMS = ("embedded", pytest.param("neo4j", marks=pytest.mark.neo4j))
#: fixtures that reach the session's Neo4j
SESSION_NEO4J = frozenset({"neo4j_uri", "neo4j_driver", "neo4j_store"})
#: the xdist group of every test on the session's Neo4j: they share one database, which each
#: empties as it likes, so they run one after the other on one worker (./dev test: --dist loadgroup)
SESSION_NEO4J_GROUP = "session-neo4j"


def _on_session_neo4j(item: pytest.Item) -> bool:
    """Asks for a Neo4j fixture, or is a store parameter named neo4j… (those fixtures ask for
    the server with request.getfixturevalue, which pytest cannot see when it collects)."""
    if SESSION_NEO4J & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return any(isinstance(v, str) and v.startswith("neo4j") for v in params)


#: long end-to-end runs over the whole demo data set (generated requests for every root field
#: and role, every export format, the command line's analyses), marked ``slow``: the fast loop
#: (README.md) leaves them out, the full run keeps them
SLOW_MODULES = frozenset(
    {
        "tests/hostile/test_fuzz.py",
        "tests/loaders/test_export_roles.py",
        "tests/api/test_cli_analytics.py",
    }
)
#: module-scoped fixtures whose ``neo4j`` parameter reads the demo from the session's Neo4j
#: (tests/loaders/test_demo.py, tests/schema/conftest.py); tests/shared_neo4j.py loads it once
NEO4J_DEMO_FIXTURES = frozenset({"loaded", "demo_app"})


def _reads_neo4j_demo(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    return any(params.get(name) == "neo4j" for name in NEO4J_DEMO_FIXTURES)


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark is not None and mark.args else None


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Iterator[None]:
    """Every test on the session's Neo4j carries the ``neo4j`` mark (so ``-m "not neo4j"`` is
    the fast loop) and, unless it names one of its own, its xdist group; the browser and the
    packaging tests have theirs, and the tests of :data:`SLOW_MODULES` the ``slow`` mark. This
    runs before any other hook (before -m selects, and before xdist reads the groups).

    Then, once every other hook has ordered the items, the tests that read the demo from the
    session's Neo4j move to the front of its group, one after the other: the demo is loaded
    into it once (tests/shared_neo4j.py), not again after each test that empties the database.
    Every other test keeps its order.
    """
    for n, item in enumerate(items):
        if item.nodeid.split("::", 1)[0] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("browser") and not item.get_closest_marker("xdist_group"):
            # after every other test of their process (tests/browser/conftest.py): the last units
            # of the run, one a test, so whichever worker is free takes the next (each worker
            # that takes one starts its own app and Chromium)
            item.add_marker(pytest.mark.xdist_group(f"browser-{n}"))
        if item.get_closest_marker("packaging") and not item.get_closest_marker("xdist_group"):
            # ungrouped tests go out one by one; these build the sdist in the checkout, in a
            # module-scoped fixture, and two builds at once in one folder trip over each other
            item.add_marker(pytest.mark.xdist_group("packaging"))
        if not _on_session_neo4j(item):
            continue
        if item.get_closest_marker("neo4j") is None:
            item.add_marker(pytest.mark.neo4j)
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(SESSION_NEO4J_GROUP))
    yield
    group = [i for i, item in enumerate(items) if _group(item) == SESSION_NEO4J_GROUP]
    readers = [items[i] for i in group if _reads_neo4j_demo(items[i])]
    if readers:
        moved = set(map(id, readers))
        rest = [item for item in items if id(item) not in moved]
        items[:] = rest[: group[0]] + readers + rest[group[0] :]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop a parallel run in which the groups above would not hold (xdist renames each grouped
    test ``<id>@<group>``; on pytest 9.2, xdist 3.8 cannot: pytest-xdist#1386)."""
    if not getattr(session.config.option, "loadgroup", False):  # set on xdist's workers only
        return
    for item in session.items:
        group = item.get_closest_marker("xdist_group")
        if group is not None and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            raise pytest.UsageError(
                f"pytest-xdist did not group {item.nodeid} (--dist loadgroup): tests on the "
                "session's Neo4j would run on both workers at once. Install the locked versions "
                "(./dev test does), or run without xdist: -n 0."
            )


@pytest.fixture(scope="session", autouse=True)
def _built_once() -> Iterator[None]:
    """What the tests build again and again, built once a session and shared.

    * The GraphQL schema, one per set of limits, as a server's one app has one. The apps the
      tests make (about a thousand) each built one, about 0.1 s, and each app's first request
      built the plans ``schema/execution.py`` and ``schema/prefetch.py`` keep per schema. The
      schema is a function of the limits alone (``schema/build.py``), and what it keeps per
      schema or per document is the same for every app with those limits. Tests of the schema
      itself call ``build_schema`` and get their own.
    * The demo's records, one list per seed, for :func:`~govgraph.loaders.demo.load_demo`
      (about 0.5 s a build, some 60 loads a session): the same records in the same order, and
      they are immutable (frozen, their properties never written). Tests of the demo itself
      call ``build_demo`` and build it afresh.
    """
    from govgraph.api import app
    from govgraph.loaders import demo

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app, "build_schema", functools.cache(app.build_schema))
        patch.setattr(demo, "build_demo", functools.cache(demo.build_demo))
        yield


@pytest.fixture(scope="session")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as r:
        yield r


@pytest.fixture(scope="session")
def run(runner: asyncio.Runner) -> Callable[[Awaitable[Any]], Any]:
    """Run a coroutine on the session's event loop (the Neo4j async driver is bound to it)."""
    return runner.run


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> str:
    """One server for the whole run, however many xdist workers share it (tests/shared_neo4j.py).

    It is let go when pytest unconfigures, after the session's last teardown, so the owner's wait
    for the other workers is not counted in any test's duration.
    """
    external = os.environ.get("GOVGRAPH_TEST_NEO4J_URI")
    if external:
        return external
    from shared_neo4j import SharedNeo4j

    base = tmp_path_factory.getbasetemp()
    # an xdist worker's basetemp is <the controller's basetemp>/<worker id>
    shared = SharedNeo4j(base.parent if hasattr(pytestconfig, "workerinput") else base)
    pytestconfig.add_cleanup(shared.release)
    return shared.acquire()


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_uri: str, run: Run[Any]) -> Iterator[Any]:
    from neo4j import AsyncGraphDatabase

    user = os.environ.get("GOVGRAPH_TEST_NEO4J_USER", "neo4j")
    password = os.environ.get("GOVGRAPH_TEST_NEO4J_PASSWORD", "")
    driver = AsyncGraphDatabase.driver(
        neo4j_uri,
        auth=(user, password) if password else None,
        notifications_min_severity="OFF",
    )
    run(driver.verify_connectivity())
    try:
        yield driver
    finally:
        run(driver.close())


@pytest.fixture(scope="session")
def neo4j_store(neo4j_driver: Any, run: Run[Any]) -> GraphStore:
    from govgraph.graph.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_driver, database=os.environ.get("GOVGRAPH_TEST_NEO4J_DATABASE"))
    run(store.init_schema())
    return store


def make_store(
    kind: str, request: pytest.FixtureRequest, run: Run[Any], tmp_path: Path
) -> GraphStore:
    if kind == "embedded":
        return EmbeddedStore(tmp_path / "graph.jsonl")
    store: GraphStore = request.getfixturevalue("neo4j_store")
    run(store.clear())
    return store


@pytest.fixture(params=STORE_PARAMS)
def store(request: pytest.FixtureRequest, run: Run[Any], tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each kind; every test using it runs once per adapter."""
    s = make_store(request.param, request, run, tmp_path)
    s.stats.queries = 0
    s.stats.by_operation.clear()
    yield s
    if request.param == "embedded":
        run(s.close())
