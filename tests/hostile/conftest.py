"""Fixtures shared by the hostile tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from govgraph.graph.embedded import EmbeddedStore
from govgraph.loaders.demo import load_demo


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo written to an embedded store's file, for the CLI to read (once per module)."""
    path = tmp_path_factory.mktemp("gaps") / "graph.jsonl"

    async def write() -> None:
        store = EmbeddedStore(path)
        await load_demo(store)
        await store.close()

    asyncio.run(write())
    return path
