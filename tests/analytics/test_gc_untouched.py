"""The library keeps its hands off the garbage collector (process-wide state, its host's to
set: the service's policy is ``api/gc_policy.py``). Building, patching and using the analytics
leaves the collector running, with nothing frozen and its thresholds as they were, and never
switches it, not even for a while."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
import gc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import govgraph.graph
from govgraph.graph.analytics import (
    AnalyticsCache,
    brokers,
    conflicts_of_interest,
    coverage_summary,
    cross_appointments,
    interlocks,
    multi_post_holders,
    run_rules,
    uncovered_communities,
)
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import link, node
from govgraph.graph.port import WriteBatch
from govgraph.loaders.demo import SNAPSHOT

Run = Callable[[Awaitable[Any]], Any]

#: what switches the collector or acts on the whole heap
SWITCHES = ("disable", "enable", "freeze", "unfreeze", "collect", "set_threshold")


@pytest.fixture
def switched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The collector's switches, each call recorded (and still made)."""
    calls: list[str] = []
    for name in SWITCHES:
        real = getattr(gc, name)

        def spy(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls.append(_name)
            return _real(*args)

        monkeypatch.setattr(gc, name, spy)
    yield calls


def test_the_analytics_leave_the_collector_as_they_found_it(
    demo: EmbeddedStore, run: Run, switched: list[str]
) -> None:
    before = (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold())
    cache = AnalyticsCache(demo)
    index = run(cache.index())
    findings = run_rules(index, as_of=SNAPSHOT)
    coverage_summary(index, SNAPSHOT, findings=findings)
    day = index.day(SNAPSHOT)
    uncovered_communities(day, findings)
    # as the service runs them: in a worker thread
    run(asyncio.to_thread(lambda: (cross_appointments(day), multi_post_holders(day))))
    conflicts_of_interest(day)
    interlocks(day)
    brokers(day, k=5, top=3)
    branch, person = index.ids_of(index.of_kind("PartyBranch"))[0], "person-new"
    lk = link("MEMBER_OF", person, branch, status="full", since=dt.date(2020, 1, 1))
    run(demo.apply(WriteBatch(nodes=[node("Person", person)], links=[lk])))
    run_rules(run(cache.index()), as_of=SNAPSHOT)  # a patched version
    cache.invalidate()
    run_rules(run(cache.index()), as_of=SNAPSHOT)  # a rebuilt one
    assert (cache.stats.builds, cache.stats.patches) == (2, 1)
    assert switched == []
    assert (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()) == before


def test_a_version_listener_is_told_of_each_version(demo: EmbeddedStore, run: Run) -> None:
    """The hook a host sets its policy on (the service freezes each version)."""
    cache = AnalyticsCache(demo)
    told: list[int] = []
    cache.add_version_listener(lambda: told.append(cache.stats.builds + cache.stats.patches))
    run(cache.index())
    run(cache.index())  # the same version: nothing to tell
    run(demo.upsert([node("Compound", "c-new")]))
    run(cache.index())
    cache.invalidate()
    run(cache.index())
    assert told == [1, 2, 3]


def test_no_module_of_the_library_imports_gc() -> None:
    root = Path(govgraph.graph.__file__).parent
    importing = []
    for path in sorted(root.rglob("*.py")):
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in n.names]
                if isinstance(n, ast.Import)
                else [n.module or ""]
                if isinstance(n, ast.ImportFrom)
                else []
            )
            if "gc" in names:
                importing.append(str(path.relative_to(root)))
    assert importing == []
