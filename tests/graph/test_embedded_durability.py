"""The embedded store's file guarantees: atomic snapshots, a journal of acknowledged writes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.errors import CorruptStoreError, ValidationError
from govgraph.graph.model import link, node


def _write_some(path: Path, n: int, **kw: int) -> None:
    async def go() -> None:
        s = EmbeddedStore(path, **kw)
        await s.upsert([node("City", "city", name="怀仁市")])
        for i in range(n):
            await s.upsert(
                [node("Township", f"t{i}", name=f"镇{i}")],
                [link("PART_OF", f"t{i}", "city", since="2020-01-01")],
            )
        # no close(): the state must come back from the journal alone

    asyncio.run(go())


def _counts(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    async def go() -> tuple[dict[str, int], dict[str, int]]:
        s = EmbeddedStore(path)
        c = await s.counts()
        await s.close()
        return c.nodes, c.links

    return asyncio.run(go())


def test_journal_replays_without_close(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    _write_some(path, 20)
    assert _counts(path) == ({"City": 1, "Township": 20}, {"PART_OF": 20})


def test_compaction_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    _write_some(path, 50, compact_bytes=2_000)  # forces many snapshot rewrites
    assert path.exists()
    assert _counts(path) == ({"City": 1, "Township": 50}, {"PART_OF": 50})
    # after a clean close the journal is empty and the snapshot holds it all
    assert (tmp_path / "g.jsonl.journal").stat().st_size == 0
    header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert header["format"] == "govgraph-snapshot"


def test_torn_last_journal_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    _write_some(path, 3)
    journal = tmp_path / "g.jsonl.journal"
    good = journal.stat().st_size
    with journal.open("ab") as fh:
        fh.write(b'0badc0de {"seq": 99, "batch": {"nodes": [')  # a crash mid-append
    assert _counts(path) == ({"City": 1, "Township": 3}, {"PART_OF": 3})
    assert journal.stat().st_size <= good


def test_bad_checksum_stops_replay(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    _write_some(path, 2)
    journal = tmp_path / "g.jsonl.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b"t1", b"tX")  # payload changed, checksum not
    journal.write_bytes(b"".join(lines))
    nodes, _ = _counts(path)
    assert nodes == {"City": 1, "Township": 1}


def test_failed_batch_is_not_journalled(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"

    async def go() -> None:
        s = EmbeddedStore(path)
        await s.upsert([node("City", "city", name="怀仁市")])
        with pytest.raises(ValidationError):
            await s.upsert([node("Township", "t")], [link("PART_OF", "t", "nowhere")])

    asyncio.run(go())
    assert _counts(path) == ({"City": 1}, {})


def test_corrupt_snapshot_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text('{"format": "govgraph-snapshot", "seq": 1}\n{"node": {"id": 1\n')
    with pytest.raises(CorruptStoreError, match=r"g\.jsonl, line 2"):
        EmbeddedStore(path)


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from govgraph.graph.embedded import EmbeddedStore
    from govgraph.graph.model import node

    async def main() -> None:
        s = EmbeddedStore(sys.argv[1], compact_bytes=20_000)
        i = 0
        while True:
            await s.upsert([node("Community", f"c{i}", name="社区" + "x" * 200)])
            print(i, flush=True)  # acknowledged
            i += 1

    asyncio.run(main())
    """
)


def test_sigkill_mid_write_loses_no_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 300 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged = int(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for line in proc.stdout:  # acknowledgements still in the pipe
        acknowledged = int(line)
    assert acknowledged >= 300, "the writer did not get far enough"
    nodes, _ = _counts(path)
    # every acknowledged write is there; at most the one in flight beyond it
    assert acknowledged + 1 <= nodes["Community"] <= acknowledged + 2
