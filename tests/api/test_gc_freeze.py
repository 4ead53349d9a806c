"""The service's garbage-collector policy (``api/gc_policy.py``), set by the app and by nothing
else: once the app is up, what exists is frozen out of the collector's scans, once per process,
unless ``GOVGRAPH_GC_FREEZE_AT_START=false``; each version the analytics cache holds is frozen,
unless ``GOVGRAPH_ANALYTICS_GC_FREEZE=false``; the youngest generation is sized by
``GOVGRAPH_GC_YOUNG_THRESHOLD``. The app cases each run in a process of their own: the collector
is process-wide and the start-up freeze happens once."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from govgraph.api.gc_policy import COLLECT_EVERY, GcPolicy
from govgraph.api.settings import Settings
from govgraph.graph.analytics import AnalyticsCache
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import node

Run = Callable[[Awaitable[Any]], Any]

PROGRAM = """
import asyncio, gc, os, sys
sys.path.insert(0, os.environ["TESTS_API"])
from app_support import warmed
from fastapi.testclient import TestClient
from govgraph.api.app import create_app
from govgraph.graph.analytics.examples import tiny_city_records
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.port import WriteBatch

store = EmbeddedStore()
asyncio.run(store.apply(WriteBatch(*tiny_city_records())))
before = gc.get_freeze_count()
with TestClient(create_app(store=store)) as client:
    up = gc.get_freeze_count()
    warm = os.environ["GOVGRAPH_WARM_ANALYTICS"] == "true"
    state = warmed(client)["state"] if warm else "idle"
    print(before, up, gc.get_freeze_count(), state, gc.isenabled())
"""


def _served(at_start: bool, versions: bool, warm: bool) -> tuple[int, int, int, str]:
    """Freeze counts before the app, once it is up, after its warm-up; the warm-up's state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    env["GOVGRAPH_DEMO"] = "true"  # the built-in pseudonym secret is refused otherwise
    env["GOVGRAPH_GC_FREEZE_AT_START"] = str(at_start).lower()
    env["GOVGRAPH_ANALYTICS_GC_FREEZE"] = str(versions).lower()
    env["GOVGRAPH_WARM_ANALYTICS"] = str(warm).lower()
    env["TESTS_API"] = os.path.dirname(__file__)
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True
    )
    before, up, warmed, state, enabled = out.stdout.split()
    assert enabled == "True"  # the collector runs: frozen objects are skipped, not the collector
    return int(before), int(up), int(warmed), state


@pytest.mark.parametrize("at_start", [True, False])
def test_the_startup_heap_is_frozen_unless_switched_off(at_start: bool) -> None:
    before, up, _, state = _served(at_start, versions=True, warm=False)
    assert before == 0 and state == "idle"
    assert (up > 10_000) is at_start, up  # the modules alone are tens of thousands


@pytest.mark.parametrize("versions", [True, False])
def test_the_warmed_up_analytics_are_frozen_unless_switched_off(versions: bool) -> None:
    before, _, warmed, state = _served(at_start=False, versions=versions, warm=True)
    assert (before, state) == (0, "done")
    assert (warmed > 0) is versions, warmed


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_what_was_frozen_is_collected_every_few_versions(run: Run) -> None:
    """Cyclic garbage frozen with a version is freed at the latest after
    :data:`COLLECT_EVERY` more: the frozen heap stays bounded however long the app runs."""
    store = EmbeddedStore()
    cache = AnalyticsCache(store)
    GcPolicy(freeze_at_start=False, freeze_versions=True).watch(cache)
    try:
        junk = _Cycle()
        ref = weakref.ref(junk)
        run(cache.index())  # version 1: junk frozen with it
        del junk
        alive = []
        for i in range(COLLECT_EVERY):  # a write, then the version that carries it over
            run(store.upsert([node("Compound", f"c{i}")]))
            run(cache.index())
            alive.append(ref() is not None)
        assert cache.stats.builds + cache.stats.patches == COLLECT_EVERY + 1
        assert alive == [True] * (COLLECT_EVERY - 1) + [False]
        assert gc.get_freeze_count() > 0  # the last version frozen again after the collection
    finally:
        gc.unfreeze()


def test_the_young_generation_is_sized_when_set() -> None:
    was = gc.get_threshold()
    try:
        GcPolicy(freeze_at_start=False, freeze_versions=False, young=50_000).started()
        assert gc.get_threshold() == (50_000, *was[1:])
    finally:
        gc.set_threshold(*was)


def test_with_every_switch_off_the_policy_does_nothing(run: Run) -> None:
    off = Settings(gc_freeze_at_start=False, analytics_gc_freeze=False, gc_young_threshold=0)
    policy = GcPolicy.from_settings(off)
    cache = AnalyticsCache(EmbeddedStore())
    policy.watch(cache)
    before = (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold())
    policy.started()
    run(cache.index())
    assert not policy.applies
    assert (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()) == before
