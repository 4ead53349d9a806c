"""Heavy reads of the embedded store in worker threads, never beside one of its writes.

The embedded store answers from Python dicts: a filtered list, a sort by link counts, a count by
place is CPU work that would freeze the event loop (and ``/healthz`` with it) for as long as it
runs. :class:`ReadLane` runs such reads in threads, at most ``threads`` at a time; a thread whose
request was cancelled (the request deadline) keeps its slot until it ends, so abandoned work
cannot pile up: later reads wait for a slot, and after ``busy_after`` seconds are refused with
:class:`StoreBusyError`. Writes run on the event loop once no read thread is running, and no new
read starts while a write waits: a read never sees a half-applied write. Reads that stay on the
loop (a lookup by id) need no gate: a write applies without awaiting in between.

The read threads and the event loop share one GIL, and a thread in pure Python holds it for
the interpreter's switch interval before the loop gets it back: two busy read threads left the
loop a fifth of it, and the lookups beside them ran 3-4x slower. So the lane narrows while the
loop has other work: its host names the condition (:meth:`ReadLane.narrow_when`; the service's
is "more than one caller has requests in flight", api/loop_share.py), and while it holds, a read
starts only if fewer than its ``threads`` (1) run. Reads already running finish; a caller
alone still gets every thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .errors import GovGraphError

T = TypeVar("T")


class StoreBusyError(GovGraphError):
    """Every read slot of the store stayed taken while the request waited: retry shortly."""

    code = "STORE_BUSY"


class ReadLane:
    """The gate between the embedded store's read threads and its writes (module doc)."""

    def __init__(self, threads: int = 2, busy_after: float = 20.0) -> None:
        if threads < 1:
            raise ValueError("a read lane needs at least one thread")
        self.threads = threads
        self.busy_after = busy_after
        #: the host's condition for narrowing (:meth:`narrow_when`); None: never
        self.narrow: Callable[[], bool] | None = None
        #: reads at once while :attr:`narrow` holds
        self.narrow_threads = 1
        #: reads in threads, abandoned ones included until they end
        self.running = 0
        self._writers = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="govgraph-read")

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in a worker thread, once a slot is free and no write waits."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_after
        while self._writers or self.running >= self.open_threads():
            left = deadline - loop.time()
            if left <= 0:
                raise StoreBusyError(
                    f"the store is busy: {self.running} long reads hold every slot "
                    f"({self.threads}); retry in a moment (存储繁忙，请稍后重试)"
                )
            try:
                async with asyncio.timeout(left):
                    await self._changed()
            except TimeoutError:
                continue
        self.running += 1
        job = self._pool.submit(fn, *args)
        # the slot frees when the thread ends (or the job is dropped before it started), not
        # when its caller stops waiting
        job.add_done_callback(lambda _: _call_soon(loop, self._read_done))
        return await asyncio.wrap_future(job)

    def narrow_when(self, condition: Callable[[], bool] | None, threads: int = 1) -> None:
        """While ``condition()`` is true, start a read only if fewer than ``threads`` run
        (``condition`` None: always up to :attr:`threads`). A waiting read looks again whenever
        a read ends."""
        if threads < 1:
            raise ValueError("a read lane needs at least one thread")
        self.narrow = condition
        self.narrow_threads = threads

    def open_threads(self) -> int:
        """How many reads may run at once now."""
        if self.narrow is not None and self.narrow():
            return self.narrow_threads
        return self.threads

    async def write(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on the loop, once no read thread runs (none starts meanwhile)."""
        self._writers += 1
        try:
            while self.running:
                await self._changed()
        finally:
            self._writers -= 1
            self._wake()
        return fn(*args)  # no await until it returns: nothing reads a half-applied write

    def close(self) -> None:
        """Let the threads go once the reads they run end."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _read_done(self) -> None:
        self.running -= 1
        self._wake()

    async def _changed(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def _call_soon(loop: asyncio.AbstractEventLoop, fn: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for the slot
        loop.call_soon_threadsafe(fn)
