"""The session's Neo4j, started once however many pytest-xdist workers run the tests.

The workers' temporary folders share a parent (the controller's ``basetemp``); the session's
server lives there. The first worker that needs it starts it under an exclusive lock on
``neo4j-start.lock`` and writes its URI to ``neo4j-uri``; the others find it there. Every worker
holding the URI keeps a shared lock on ``neo4j-users.lock`` until its session ends. The JVM belongs
to the worker that started it (``LocalNeo4j`` watches a pipe from its owner, so it exits with that
process, even on ``kill -9``); at the end of its session the owner waits for an exclusive lock on
the users' file, that is until every other worker has let go, then stops it. A worker that comes
late, after the owner stopped it, starts a new one the same way.

The kernel drops a dead process's locks, so a crashed worker never keeps the owner waiting.
Without xdist the same code runs in one process, with the folder its own ``basetemp``.

The demo data set is loaded into the server once for the tests that read it (:func:`hold_demo`);
``tests/conftest.py`` runs those tests one after the other, first in the server's group, so
nothing empties the database between them.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from govgraph.graph.port import GraphStore
from govgraph.loaders.demo import build_demo, load_demo
from govgraph.ops.neo4j_local import LocalNeo4j

#: the session's server runs every test's queries: with the JIT's C1 alone (LocalNeo4j's default)
#: the JVM keeps 48 MB of compiled code, which that outgrows, and it then spends much of its CPU
#: flushing compiled code and compiling it again
JVM_OPTIONS = ("-XX:ReservedCodeCacheSize=256m",)

START_LOCK = "neo4j-start.lock"
USERS_LOCK = "neo4j-users.lock"
URI_FILE = "neo4j-uri"


@contextlib.contextmanager
def _locked(path: Path, how: int) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, how)
        yield  # closing the file releases the lock


def _answers(uri: str) -> bool:
    host, port = uri.rsplit("/", 1)[-1].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return False
    return True


class SharedNeo4j:
    """The session's server in ``folder``, shared by every process that calls :meth:`acquire`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.server: LocalNeo4j | None = None  # set in the worker that started it
        self._user: IO[str] | None = None

    def acquire(self) -> str:
        """The server's URI, starting it if no other worker has (or if its owner has stopped it)."""
        uri_file = self.folder / URI_FILE
        with _locked(self.folder / START_LOCK, fcntl.LOCK_EX):
            uri = uri_file.read_text() if uri_file.exists() else ""
            if not uri or not _answers(uri):  # none yet, or its owner died
                server = LocalNeo4j(self.folder / f"neo4j-{os.getpid()}", jvm_options=JVM_OPTIONS)
                uri = server.start()
                self.server = server
                uri_file.write_text(uri)
            # taken under the start lock, so the owner cannot stop the server in between
            self._user = (self.folder / USERS_LOCK).open("a")
            fcntl.flock(self._user, fcntl.LOCK_SH)
        return uri

    def release(self) -> None:
        """Let go of the server; its owner stops it once no other worker holds it."""
        if self._user is not None:
            self._user.close()
            self._user = None
        if self.server is None:
            return
        # the start lock first, as in acquire(): nobody takes the server while it stops
        with (
            _locked(self.folder / START_LOCK, fcntl.LOCK_EX),
            _locked(self.folder / USERS_LOCK, fcntl.LOCK_EX),
        ):
            (self.folder / URI_FILE).unlink(missing_ok=True)
            self.server.stop()
            self.server = None


@functools.cache
def demo_counts() -> tuple[dict[str, int], dict[str, int]]:
    """The demo data set's nodes and links, counted by kind."""
    nodes, links = build_demo()
    return dict(Counter(n.kind for n in nodes)), dict(Counter(lk.kind for lk in links))


async def hold_demo(store: GraphStore) -> bool:
    """Make ``store`` hold the demo data set: unless it holds as many nodes and links of every
    kind as the demo (loaded by a test before, and left as it was: the tests that share it read,
    or undo what they write), empty it and load the demo. Returns whether it loaded."""
    counts = await store.counts()
    if (counts.nodes, counts.links) == demo_counts():
        return False
    await store.clear()
    await load_demo(store)
    return True
