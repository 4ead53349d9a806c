"""A fair share of the service between callers (api/fair_share.py), the read lane's narrowing
while callers contend (graph/read_lane.py) and the switch interval while the app runs
(api/loop_share.py).

No test measures time: requests and reads are held on events the test sets, and a step is
awaited until it happened.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_bounded import HOLD_LIMIT, LIST, LISTED, HeldLane  # the same held reads

from govgraph.api.admission import CONTENTION_LINGERS, Admission, InFlight
from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.cli.service import DEMO_KEYS
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.read_lane import ReadLane

DEPARTMENT = {"x-api-key": "demo-department"}
RESEARCHER = {"x-api-key": "demo-researcher"}


# --- the fair share, at the admission ------------------------------------------------------------
class HeldApp:
    """An ASGI app whose requests (named by an ``x-name`` header) answer when the test says."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release: dict[str, asyncio.Event] = {}

    def event(self, name: str) -> asyncio.Event:
        return self.release.setdefault(name, asyncio.Event())

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        name = dict(scope["headers"])[b"x-name"].decode()
        self.started.append(name)
        await self.event(name).wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class Service:
    """:class:`Admission` around a :class:`HeldApp`, asked as ASGI."""

    def __init__(self, *, per_key: int = 8, fair_share: int = 1, alone_bytes: int = 0) -> None:
        self.inner = HeldApp()
        self.admission = Admission(
            self.inner,
            path="/graphql",
            per_key=per_key,
            anonymous=16,
            fair_share=fair_share,
            alone_bytes=alone_bytes,
        )
        self.statuses: dict[str, int] = {}

    def send(self, key: str, name: str, size: int | None = 200) -> asyncio.Task[None]:
        """A POST from ``key`` whose body is ``size`` bytes (None: chunked, of unknown length)."""
        headers = [(b"x-api-key", key.encode()), (b"x-name", name.encode())]
        if size is not None:
            headers.append((b"content-length", str(size).encode()))
        scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses[name] = message["status"]

        return asyncio.get_running_loop().create_task(self.admission(scope, receive, send))

    async def settle(self) -> None:
        """Let every task run until it waits on something the test controls."""
        for _ in range(20):
            await asyncio.sleep(0)

    async def answer(self, name: str, task: asyncio.Task[None]) -> None:
        self.inner.event(name).set()
        await asyncio.wait_for(task, HOLD_LIMIT)


def test_another_caller_is_served_while_one_has_requests_waiting_for_their_turn() -> None:
    async def scenario() -> None:
        service = Service()
        b1 = service.send("bulk", "b1")
        await service.settle()
        a1 = service.send("app", "a1")  # now two callers: each runs one request at a time
        await service.settle()
        b2, b3 = service.send("bulk", "b2"), service.send("bulk", "b3")
        a2 = service.send("app", "a2")
        await service.settle()
        assert service.inner.started == ["b1", "a1"]
        assert service.admission.fair.waiting(("key", "bulk")) == 2
        assert service.admission.fair.waiting(("key", "app")) == 1
        await service.answer("a1", a1)
        await service.settle()
        # a2 follows a1 at once, though "bulk" asked earlier: each caller has its own queue
        assert service.inner.started == ["b1", "a1", "a2"]
        await service.answer("b1", b1)
        await service.settle()
        assert service.inner.started == ["b1", "a1", "a2", "b2"]  # one at a time, in order
        await service.answer("a2", a2)
        await service.settle()
        # "bulk" is alone again: every request it has waiting starts
        assert service.inner.started == ["b1", "a1", "a2", "b2", "b3"]
        await service.answer("b2", b2)
        await service.answer("b3", b3)
        assert set(service.statuses.values()) == {200}
        assert not service.admission.in_flight and not service.admission.fair.running

    asyncio.run(scenario())


def test_a_caller_alone_runs_every_request_its_limit_allows() -> None:
    async def scenario() -> None:
        service = Service(per_key=3)
        tasks = [service.send("bulk", f"b{i}") for i in range(4)]
        await service.settle()
        assert service.inner.started == ["b0", "b1", "b2"]
        assert service.statuses == {"b3": 429}  # over the limit: refused, as before
        for i, task in enumerate(tasks[:3]):
            await service.answer(f"b{i}", task)
        await tasks[3]

    asyncio.run(scenario())


def test_a_caller_alone_runs_large_requests_one_after_another_and_small_ones_together() -> None:
    async def scenario() -> None:
        service = Service(alone_bytes=16_384)
        large = [service.send("bulk", f"L{i}", size=10_000) for i in range(3)]
        await service.settle()
        # the first runs whatever it weighs; a second would take the caller past 16 KiB
        assert service.inner.started == ["L0"]
        small = [service.send("bulk", f"s{i}", size=300) for i in range(2)]
        await service.settle()
        assert service.inner.started == ["L0"]  # first come, first served: behind L1 and L2
        await service.answer("L0", large[0])
        await service.settle()
        assert service.inner.started == ["L0", "L1"]
        await service.answer("L1", large[1])
        await service.settle()
        # L2 (10,000) and both small ones (600) fit together
        assert service.inner.started == ["L0", "L1", "L2", "s0", "s1"]
        for name, task in [("L2", large[2]), ("s0", small[0]), ("s1", small[1])]:
            await service.answer(name, task)
        assert not service.admission.fair.running and not service.admission.fair.weight

    asyncio.run(scenario())


def test_a_body_of_unknown_length_runs_on_its_own_while_the_caller_is_alone() -> None:
    async def scenario() -> None:
        service = Service(alone_bytes=16_384)
        first = service.send("bulk", "s0")
        await service.settle()
        chunked = service.send("bulk", "chunked", size=None)
        await service.settle()
        assert service.inner.started == ["s0"]  # weighs the whole budget: waits for s0
        await service.answer("s0", first)
        await service.settle()
        assert service.inner.started == ["s0", "chunked"]
        await service.answer("chunked", chunked)

    asyncio.run(scenario())


def test_waiting_requests_count_on_the_limit_and_a_cancelled_one_leaves_its_place() -> None:
    async def scenario() -> None:
        service = Service(per_key=2)
        a1 = service.send("app", "a1")
        b1 = service.send("bulk", "b1")
        await service.settle()
        b2 = service.send("bulk", "b2")  # waits for its turn, and counts
        await service.settle()
        b3 = service.send("bulk", "b3")
        await service.settle()
        assert service.statuses == {"b3": 429}
        await b3
        b2.cancel()  # the request deadline, say
        with pytest.raises(asyncio.CancelledError):
            await b2
        assert service.admission.fair.waiting(("key", "bulk")) == 0
        assert service.admission.in_flight[("key", "bulk")] == 1
        b4 = service.send("bulk", "b4")  # b2's place is free again
        await service.settle()
        await service.answer("b1", b1)
        await service.settle()
        assert service.inner.started == ["a1", "b1", "b4"]
        await service.answer("b4", b4)
        await service.answer("a1", a1)
        assert not service.admission.in_flight and not service.admission.fair.running

    asyncio.run(scenario())


def test_no_fair_share_runs_every_admitted_request() -> None:
    async def scenario() -> None:
        service = Service(fair_share=0)
        tasks = {name: service.send(key, name) for key, name in [("a", "a1"), ("b", "b1")]}
        tasks["b2"] = service.send("b", "b2")
        await service.settle()
        assert service.inner.started == ["a1", "b1", "b2"]
        for name, task in tasks.items():
            await service.answer(name, task)

    asyncio.run(scenario())


# --- the read lane narrows while callers contend ----------------------------------------------
def test_the_read_lane_starts_one_read_at_a_time_while_its_condition_holds() -> None:
    async def scenario() -> None:
        lane = ReadLane(threads=2)
        contended = True
        lane.narrow_when(lambda: contended)
        entered = threading.Semaphore(0)
        released = threading.Event()

        def held() -> str:
            entered.release()
            assert released.wait(HOLD_LIMIT)
            return "read"

        first = asyncio.ensure_future(lane.read(held))
        assert await asyncio.to_thread(entered.acquire, timeout=HOLD_LIMIT)
        second = asyncio.ensure_future(lane.read(lambda: "second"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert lane.running == 1 and not second.done()  # a thread is free, yet it waits
        contended = False
        released.set()
        assert await asyncio.wait_for(asyncio.gather(first, second), HOLD_LIMIT) == [
            "read",
            "second",
        ]
        # without the condition, both threads take reads at once
        released.clear()
        both = [asyncio.ensure_future(lane.read(held)) for _ in range(2)]
        for _ in range(2):
            assert await asyncio.to_thread(entered.acquire, timeout=HOLD_LIMIT)
        assert lane.running == 2
        released.set()
        await asyncio.wait_for(asyncio.gather(*both), HOLD_LIMIT)
        lane.close()

    asyncio.run(scenario())


def test_callers_count_as_contending_a_moment_after_they_did() -> None:
    in_flight = InFlight()
    in_flight.enter(("key", "a"))
    assert not in_flight.recently_contended()  # one caller: never contended
    in_flight.enter(("key", "b"))
    in_flight.leave(("key", "b"))  # a looping client, between an answer and its next request
    assert not in_flight.contended() and in_flight.recently_contended()
    in_flight.last_contended = time.monotonic() - CONTENTION_LINGERS  # as if that long ago
    assert not in_flight.recently_contended()
    in_flight.leave(("key", "a"))
    assert not in_flight


# --- the app: both policies while it runs, and a request waiting its turn times out -------------
@pytest.fixture
def switch_interval() -> Iterator[float]:
    before = sys.getswitchinterval()
    yield before
    sys.setswitchinterval(before)


def test_the_app_sets_the_switch_interval_and_narrows_its_lane_while_it_runs(
    tmp_path: Path, switch_interval: float
) -> None:
    lane = ReadLane(threads=2)
    store = EmbeddedStore(tmp_path / "graph.jsonl", lane=lane)
    settings = Settings(api_keys=DEMO_KEYS, loop_switch_interval=0.002, warm_analytics=False)
    with TestClient(create_app(settings, store=store)):
        assert sys.getswitchinterval() == pytest.approx(0.002)
        assert lane.narrow is not None and not lane.narrow()  # no caller in flight
    assert sys.getswitchinterval() == switch_interval
    assert lane.narrow is None
    off = Settings(api_keys=DEMO_KEYS, loop_switch_interval=0, warm_analytics=False)
    with TestClient(create_app(off, store=store)):
        assert sys.getswitchinterval() == switch_interval


def admission_of(app: Any) -> Admission:
    """The app's admission middleware (Starlette builds the stack on the first request)."""
    layer = app.middleware_stack
    while not isinstance(layer, Admission):
        layer = layer.app
    return layer


def test_a_request_waits_for_its_turn_without_reaching_the_store_while_another_caller_runs(
    tmp_path: Path,
) -> None:
    lane = HeldLane(threads=3)
    store = EmbeddedStore(tmp_path / "graph.jsonl", lane=lane)
    settings = Settings(
        api_keys=DEMO_KEYS,
        embedded_narrow_read_threads=3,  # the lane has room: only the fair share holds it back
        warm_analytics=False,
    )
    app = create_app(settings, store=store)
    with TestClient(app) as client, ThreadPoolExecutor(3) as pool:
        held = [
            pool.submit(client.post, "/graphql", json=LIST, headers=headers)
            for headers in (RESEARCHER, DEPARTMENT)
        ]
        lane.wait_entered(2)
        waiting = pool.submit(client.post, "/graphql", json=LIST, headers=RESEARCHER)
        fair = admission_of(app).fair
        while not fair.waiting(("key", "demo-researcher")):  # until it is in its queue
            assert not waiting.done(), waiting.result().text
            lane.entered.acquire(timeout=0.01)  # a short pause; a read entering would fail below
        assert lane.running == 2  # a thread is free, yet the researcher's second request waits
        assert client.get("/healthz").json() == {"status": "ok"}
        lane.released.set()
        assert [f.result().json() for f in held] == [LISTED, LISTED]
        assert waiting.result().json() == LISTED  # its turn came once the first answered
    assert not lane.overheld
