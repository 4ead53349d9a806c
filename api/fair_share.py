"""A fair share of the service between callers: while others wait, a caller runs one request at a
time.

Why. The limit on requests in flight (api/admission.py) stops one caller from taking every
connection, but not from taking the event loop: each request is parsed, validated, has its
variables coerced and its filters built on the loop before its store work goes to a thread, and
for a request at the input caps that is 50-100 ms of CPU. A client that keeps its 16 requests in
flight and sends them together held the loop for 1.8 s at a time (measured with a watchdog on
the loop, ``bench/hostile_client.py``), and every other caller's lookups and ``/healthz`` waited
behind it.

So, while more than one caller has requests in flight, each caller has at most
``GOVGRAPH_FAIR_SHARE`` (1) request running past the admission; its others wait, unread, in the
caller's own queue, first come first served, and start as its running ones answer. Other
callers do not queue behind them. A caller alone keeps every slot its limit gives it (the share
binds only when callers contend), and a waiting request is still under the request deadline
(api/deadline.py, outside): it answers 503 ``TIMEOUT`` if its turn does not come in time.
``GOVGRAPH_FAIR_SHARE=0`` switches the policy off.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager, suppress


class FairShare:
    """Running requests per caller while callers contend (module doc).

    ``contended(caller)`` tells whether another caller has requests in flight (the admission's
    count, which includes requests waiting here).
    """

    def __init__(self, share: int, contended: Callable[[Hashable], bool]) -> None:
        if share < 0:
            raise ValueError("a fair share is a number of requests, 0 for none")
        self.share = share
        self.contended = contended
        #: requests running past the fair share, by caller (granted turns included)
        self.running: Counter[Hashable] = Counter()
        #: each caller's requests waiting for their turn, oldest first
        self._queues: dict[Hashable, deque[asyncio.Future[None]]] = {}

    def waiting(self, caller: Hashable) -> int:
        """How many of ``caller``'s requests wait for their turn."""
        return len(self._queues.get(caller, ()))

    @asynccontextmanager
    async def turn(self, caller: Hashable) -> AsyncIterator[None]:
        """Wait for ``caller``'s turn, then hold one of its running slots."""
        if self.waiting(caller) or not self._may_start(caller):
            await self._wait(caller)  # on return the slot is counted in ``running``
        else:
            self.running[caller] += 1
        try:
            yield
        finally:
            self._release(caller)

    def changed(self) -> None:
        """Something outside changed who contends (a caller left): start who may start."""
        for caller in list(self._queues):
            self._start_waiting(caller)

    def _may_start(self, caller: Hashable) -> bool:
        if not self.share or self.running[caller] < self.share:
            return True
        return not self.contended(caller)

    async def _wait(self, caller: Hashable) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(caller, deque()).append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release(caller)  # granted, then cancelled before it ran: pass it on
            else:
                self._forget(caller, waiter)
            raise

    def _release(self, caller: Hashable) -> None:
        self.running[caller] -= 1
        if self.running[caller] <= 0:
            del self.running[caller]
        # this caller's next, and any other caller held only because this one contended
        self.changed()

    def _start_waiting(self, caller: Hashable) -> None:
        queue = self._queues.get(caller)
        while queue and self._may_start(caller):
            waiter = queue.popleft()
            if waiter.done():  # cancelled meanwhile
                continue
            self.running[caller] += 1  # granted now, so no one else takes it meanwhile
            waiter.set_result(None)
        if queue is not None and not queue:
            del self._queues[caller]

    def _forget(self, caller: Hashable, waiter: asyncio.Future[None]) -> None:
        queue = self._queues.get(caller)
        if queue is None:
            return
        with suppress(ValueError):
            queue.remove(waiter)
        if not queue:
            del self._queues[caller]
