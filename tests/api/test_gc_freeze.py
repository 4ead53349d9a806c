"""Once the app is up, what exists is frozen out of the collector's scans (``gc.freeze``), once
per process, unless ``GOVGRAPH_GC_FREEZE_AT_START=false``. Each case runs in its own process:
the freeze is process-wide and happens only once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROGRAM = """
import gc
from fastapi.testclient import TestClient
from govgraph.api.app import create_app
from govgraph.graph.embedded import EmbeddedStore

before = gc.get_freeze_count()
with TestClient(create_app(store=EmbeddedStore())) as client:
    assert client.get("/healthz").status_code == 200
    print(before, gc.get_freeze_count())
"""


@pytest.mark.parametrize(("setting", "frozen"), [(None, True), ("false", False)])
def test_the_startup_heap_is_frozen_unless_switched_off(setting: str | None, frozen: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    env["GOVGRAPH_DEMO"] = "true"  # the built-in pseudonym secret is refused otherwise
    # the warm-up's analytics freeze what they build (analytics_gc_freeze): not this test's
    env["GOVGRAPH_WARM_ANALYTICS"] = "false"
    if setting is not None:
        env["GOVGRAPH_GC_FREEZE_AT_START"] = setting
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True
    )
    before, after = map(int, out.stdout.split())
    assert before == 0
    assert (after > 10_000) is frozen, after  # the modules alone are tens of thousands
