"""The embedded store when its disk fails: the journal append is its commit, so a failed append
is "nothing was changed" once the line is cut back out of the file (it may be there although the
write failed), an unknown outcome only if that fails too; a write that is journaled is never
reported as failed, even if folding the journal into the snapshot then fails.

The faults are raised by ``os.fsync`` and ``os.replace`` as the store calls them (the narrowest
seam: a full or failing disk cannot be made on demand here).
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govgraph.graph import embedded
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import CommitOutcomeUnknownError, StoreUnavailableError
from govgraph.graph.model import node

FIRST = node("Compound", "cmp-1", name="示例小区")
SECOND = node("Compound", "cmp-2", name="示例二小区")


def _failing(real: Callable[..., Any], times: int | None) -> Callable[..., Any]:
    """``real`` raising EIO on its first ``times`` calls (None: on every call)."""
    calls = iter(range(times)) if times is not None else None

    def fail(*args: Any) -> Any:
        if calls is None or next(calls, None) is not None:
            raise OSError(errno.EIO, "Input/output error (test)")
        return real(*args)

    return fail


def _ids_on_disk(path: Path) -> set[str]:
    async def read() -> set[str]:
        store = EmbeddedStore(path)
        try:
            return {n.id for n in (await store.list_nodes("Compound")).items}
        finally:
            await store.close()

    return asyncio.run(read())


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "graph.jsonl"


@pytest.fixture
def store(path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(path)
    asyncio.run(s.upsert([FIRST]))
    yield s
    asyncio.run(s.close())


def test_a_failed_append_changes_nothing_now_or_after_a_restart(
    store: EmbeddedStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the line is written and flushed, its fsync fails: it is in the file all the same
    monkeypatch.setattr(embedded.os, "fsync", _failing(embedded.os.fsync, 1))
    with pytest.raises(StoreUnavailableError, match="nothing was changed") as refused:
        asyncio.run(store.upsert([SECOND]))
    assert not isinstance(refused.value, CommitOutcomeUnknownError)
    assert asyncio.run(store.get_nodes(["cmp-2"])) == {}
    assert _ids_on_disk(path) == {"cmp-1"}  # not replayed from the journal
    # the store goes on: the write sent again is stored
    asyncio.run(store.upsert([SECOND]))
    assert _ids_on_disk(path) == {"cmp-1", "cmp-2"}


def test_an_append_that_cannot_be_taken_back_is_an_unknown_outcome(
    store: EmbeddedStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded.os, "fsync", _failing(embedded.os.fsync, None))
    with pytest.raises(CommitOutcomeUnknownError):
        asyncio.run(store.upsert([SECOND]))
    monkeypatch.undo()
    # nothing more is written until the store is opened again, and says so
    with pytest.raises(StoreUnavailableError, match="nothing was changed"):
        asyncio.run(store.upsert([node("Compound", "cmp-3")]))
    assert asyncio.run(store.get_nodes(["cmp-1"]))


def test_a_journaled_write_is_acknowledged_though_compaction_fails(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(path, compact_bytes=0)  # every write is folded into the snapshot
    monkeypatch.setattr(embedded.os, "replace", _failing(embedded.os.replace, None))
    asyncio.run(store.upsert([FIRST]))
    assert asyncio.run(store.get_nodes(["cmp-1"]))
    monkeypatch.undo()
    asyncio.run(store.close())
    assert _ids_on_disk(path) == {"cmp-1"}
