"""Fixtures shared by the analytics tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from govgraph.graph.embedded import EmbeddedStore
from govgraph.loaders.demo import load_demo

Run = Callable[[Awaitable[Any]], Any]


@pytest.fixture
def demo(run: Run) -> Iterator[EmbeddedStore]:
    """The demo data set in an in-memory embedded store."""
    store = EmbeddedStore()
    run(load_demo(store))
    yield store
    run(store.close())
