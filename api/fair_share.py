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

A caller alone is bounded too, by what its running requests weigh: their bodies together may
be at most ``GOVGRAPH_FAIR_SHARE_ALONE_BYTES`` (16 KiB; a request runs whatever it weighs when
the caller has none running). Why: a client that sends its whole limit of requests at the
input caps while the service is idle had them all admitted at once, and the normal callers
arriving a moment later waited behind 16 of those loop-bound conversions (``/healthz`` 850 ms,
``bench/hostile_client.py``). The work a request does on the loop grows with its input, so its
size is the weight; a console page's or a lookup's requests (0.2-2 KiB) still run together.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager, suppress


class FairShare:
    """Running requests per caller while callers contend (module doc).

    ``contended(caller)`` tells whether another caller has requests in flight (the admission's
    count, which includes requests waiting here); ``alone_weight`` bounds what a caller's running
    requests weigh together while it is alone (0: no bound).
    """

    def __init__(
        self, share: int, contended: Callable[[Hashable], bool], alone_weight: int = 0
    ) -> None:
        if share < 0 or alone_weight < 0:
            raise ValueError("a fair share is a number of requests, 0 for none")
        self.share = share
        self.contended = contended
        self.alone_weight = alone_weight
        #: requests running past the fair share, by caller (granted turns included)
        self.running: Counter[Hashable] = Counter()
        #: what they weigh together, by caller
        self.weight: Counter[Hashable] = Counter()
        #: each caller's requests waiting for their turn, oldest first, with their weights
        self._queues: dict[Hashable, deque[tuple[asyncio.Future[None], int]]] = {}

    def waiting(self, caller: Hashable) -> int:
        """How many of ``caller``'s requests wait for their turn."""
        return len(self._queues.get(caller, ()))

    @asynccontextmanager
    async def turn(self, caller: Hashable, weight: int = 0) -> AsyncIterator[None]:
        """Wait for ``caller``'s turn, then hold one of its running slots (of ``weight``)."""
        if self.waiting(caller) or not self._may_start(caller, weight):
            await self._wait(caller, weight)  # on return the slot is counted in ``running``
        else:
            self._hold(caller, weight)
        try:
            yield
        finally:
            self._release(caller, weight)

    def changed(self) -> None:
        """Something outside changed who contends (a caller left): start who may start."""
        for caller in list(self._queues):
            self._start_waiting(caller)

    def _may_start(self, caller: Hashable, weight: int) -> bool:
        if not self.share or not self.running[caller]:
            return True
        if self.contended(caller):
            return self.running[caller] < self.share
        return not self.alone_weight or self.weight[caller] + weight <= self.alone_weight

    def _hold(self, caller: Hashable, weight: int) -> None:
        self.running[caller] += 1
        self.weight[caller] += weight

    async def _wait(self, caller: Hashable, weight: int) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (waiter, weight)
        self._queues.setdefault(caller, deque()).append(entry)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release(caller, weight)  # granted, then cancelled before it ran: pass it on
            else:
                self._forget(caller, entry)
            raise

    def _release(self, caller: Hashable, weight: int) -> None:
        self.running[caller] -= 1
        self.weight[caller] -= weight
        if self.running[caller] <= 0:
            del self.running[caller], self.weight[caller]
        # this caller's next, and any other caller held only because this one contended
        self.changed()

    def _start_waiting(self, caller: Hashable) -> None:
        queue = self._queues.get(caller)
        while queue and self._may_start(caller, queue[0][1]):
            waiter, weight = queue.popleft()
            if waiter.done():  # cancelled meanwhile
                continue
            self._hold(caller, weight)  # granted now, so no one else takes it meanwhile
            waiter.set_result(None)
        if queue is not None and not queue:
            del self._queues[caller]

    def _forget(self, caller: Hashable, entry: tuple[asyncio.Future[None], int]) -> None:
        queue = self._queues.get(caller)
        if queue is None:
            return
        with suppress(ValueError):
            queue.remove(entry)
        if not queue:
            del self._queues[caller]
