"""A real lost commit answer: the connection to Neo4j closes while a write's COMMIT is in flight.

The driver talks to the session's Neo4j through :class:`CommitCut`, a TCP relay that, once armed,
cuts the connection at the next COMMIT: after passing it on and seeing the server answer (the
write is stored) or before passing it on (the server rolls it back). Either way the driver cannot
tell, and the store must say so with its own error (``COMMIT_OUTCOME_UNKNOWN``); sent again, the
write leaves what one leaves and is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from harness import department_context
from neo4j import AsyncGraphDatabase

from govgraph.graph.errors import CommitOutcomeUnknownError
from govgraph.graph.model import link, node
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.port import WriteBatch
from govgraph.schema.build import build_schema

Run = Callable[[Awaitable[Any]], Any]

#: a COMMIT as the driver frames it (Bolt): one chunk of two bytes, a struct of no fields with
#: the tag 0x12, then the end-of-message marker
COMMIT = b"\x00\x02\xb0\x12\x00\x00"
#: seconds the relay waits for the server's answer to a COMMIT it passed on (a bound, not a
#: measurement: the answer comes in milliseconds)
ANSWER_WITHIN = 30
COMMUNITY = node("Community", "comm-cut", name="示例社区")


class CommitCut:
    """A TCP relay to Neo4j that loses the answer to the next COMMIT once :meth:`arm` ed."""

    def __init__(self, uri: str) -> None:
        parts = urlsplit(uri)
        self._upstream = (parts.hostname or "localhost", parts.port or 7687)
        self._armed: bool | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.cuts = 0

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self._port}"  # direct: no routing table around the relay

    def arm(self, *, applied: bool) -> None:
        """Cut the next COMMIT: passed on and answered first (``applied``), or never sent."""
        self._armed = applied

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        for w in self._writers:
            w.close()
        await self._server.wait_closed()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self._upstream)
        self._writers += [client_w, server_w]
        muted = asyncio.Event()  # the server's bytes are no longer passed on
        answered = asyncio.Event()

        async def down() -> None:
            with contextlib.suppress(ConnectionError):
                while data := await server_r.read(65536):
                    if muted.is_set():
                        answered.set()
                        return
                    client_w.write(data)
                    await client_w.drain()

        downstream = asyncio.create_task(down())
        try:
            with contextlib.suppress(ConnectionError):
                tail = b""
                while data := await client_r.read(65536):
                    window = tail + data  # a COMMIT split between two reads is found too
                    if self._armed is not None and COMMIT in window:
                        applied, self._armed = self._armed, None
                        muted.set()
                        if applied:
                            server_w.write(data)
                            await server_w.drain()
                            await asyncio.wait_for(answered.wait(), ANSWER_WITHIN)
                        self.cuts += 1
                        return
                    server_w.write(data)
                    await server_w.drain()
                    tail = window[1 - len(COMMIT) :]  # too short to hold a whole one
        finally:
            client_w.close()
            server_w.close()
            downstream.cancel()


@pytest.fixture
def cut(neo4j_uri: str, run: Run) -> Iterator[CommitCut]:
    relay = CommitCut(neo4j_uri)
    run(relay.start())
    yield relay
    run(relay.stop())


@pytest.fixture
def cut_store(cut: CommitCut, run: Run) -> Iterator[Neo4jStore]:
    """A Neo4j store on the session's database, through the relay, holding one community."""
    password = os.environ.get("GOVGRAPH_TEST_NEO4J_PASSWORD", "")
    user = os.environ.get("GOVGRAPH_TEST_NEO4J_USER", "neo4j")
    driver = AsyncGraphDatabase.driver(
        cut.uri, auth=(user, password) if password else None, notifications_min_severity="OFF"
    )
    store = Neo4jStore(
        driver, database=os.environ.get("GOVGRAPH_TEST_NEO4J_DATABASE"), owns_driver=True
    )
    run(store.clear())
    run(store.upsert([COMMUNITY]))
    yield store
    run(store.close())


APPLIED = pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])


@APPLIED
def test_a_lost_commit_answer_is_an_unknown_outcome_and_the_write_may_be_sent_again(
    cut: CommitCut, cut_store: Neo4jStore, run: Run, applied: bool
) -> None:
    compound = node("Compound", "cmp-cut", name="示例小区")
    batch = WriteBatch(nodes=[compound], links=[link("PART_OF", "cmp-cut", "comm-cut")])
    version = cut_store.version
    cut.arm(applied=applied)
    with pytest.raises(CommitOutcomeUnknownError, match="may or may not"):
        run(cut_store.apply(batch))
    assert cut.cuts == 1
    assert cut_store.version > version  # the analytics cache reads the store again
    # both cases are real: the client cannot tell them apart, the database can
    assert bool(run(cut_store.get_nodes(["cmp-cut"]))) is applied
    run(cut_store.apply(batch))
    assert run(cut_store.get_nodes(["cmp-cut", "comm-cut"])) == {
        "cmp-cut": compound,
        "comm-cut": COMMUNITY,
    }
    assert [lk.id for lk in run(cut_store.list_links())] == ["cmp-cut|PART_OF|comm-cut"]


@APPLIED
def test_create_node_answers_commit_outcome_unknown_then_created_when_sent_again(
    cut: CommitCut, cut_store: Neo4jStore, run: Run, applied: bool
) -> None:
    schema = build_schema()
    create = """mutation { createNode(input: {kind: Compound, id: "cmp-cut",
      props: {name: "示例小区", households: 80}}) {
        __typename ... on NodePayload { node { id ... on Compound { name households } } } } }"""

    def send() -> Any:
        return run(schema.execute(create, context_value=department_context(cut_store)))

    cut.arm(applied=applied)
    lost = send()
    assert lost.data is None
    assert [e.extensions["code"] for e in lost.errors] == ["COMMIT_OUTCOME_UNKNOWN"]
    again = send()
    assert not again.errors
    assert again.data["createNode"] == {
        "__typename": "NodePayload",
        "node": {"id": "Compound:cmp-cut", "name": "示例小区", "households": 80},
    }
    assert run(cut_store.count_nodes("Compound")) == 1
