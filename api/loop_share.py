"""The event loop's share of the interpreter beside the embedded store's read threads.

Why. Every request is served on one event loop, and the embedded store's heavy reads run in
threads (graph/read_lane.py) that hold the GIL in pure Python. A thread that wants the GIL
waits up to the interpreter's switch interval (5 ms by default) before the holder must let it
go, and the loop gives the GIL up at every poll for I/O: beside two busy read threads it held
the GIL a fifth of the time, and eight clients' lookups ran 3-4x slower while one client kept
heavy reads in flight (``bench/hostile_client.py``; py-spy, ``--gil``). Beside the researcher
client, 12 s: 564 lookups with two read threads and 5 ms, 1,017 at 1 ms, 1,371 with one thread,
1,715 with one thread at 1 ms (without the hostile client: ~140 a second). Two policies, each a
setting, set by the app's lifespan for as long as it runs:

* ``GOVGRAPH_LOOP_SWITCH_INTERVAL`` (0.001 s): the interpreter's switch interval
  (:func:`sys.setswitchinterval`) while the app runs, so the loop waits at most this long for
  the GIL after each poll; the previous value comes back when the app stops. Process-wide, so
  set here by the host, never by the library; 0 leaves the interpreter's own.
* ``GOVGRAPH_EMBEDDED_NARROW_READ_THREADS`` (1): while more than one caller has GraphQL requests
  in flight, or had in the last second (``CONTENTION_LINGERS`` in api/admission.py: a client
  looping lookups has none in flight between an answer and its next request, and a read that
  starts then holds the GIL for a second), the embedded store starts a read only if fewer than
  this many run (:meth:`~govgraph.graph.read_lane.ReadLane.narrow_when`); a caller alone keeps
  ``GOVGRAPH_EMBEDDED_READ_THREADS``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..graph.port import GraphStore
from ..graph.read_lane import ReadLane
from .admission import InFlight


@asynccontextmanager
async def loop_share(
    store: GraphStore, in_flight: InFlight, *, narrow_threads: int, switch_interval: float
) -> AsyncIterator[None]:
    """Apply both policies (module doc) until the block ends (``switch_interval`` 0: the
    interpreter's own)."""
    lane = getattr(store, "lane", None)  # the embedded store's; Neo4j has none
    if isinstance(lane, ReadLane):
        lane.narrow_when(in_flight.recently_contended, narrow_threads)
    before = sys.getswitchinterval()
    if switch_interval:
        sys.setswitchinterval(switch_interval)
    ours = sys.getswitchinterval()
    try:
        yield
    finally:
        if switch_interval and sys.getswitchinterval() == ours:
            sys.setswitchinterval(before)  # unless another host changed it meanwhile
        if isinstance(lane, ReadLane) and lane.narrow == in_flight.recently_contended:
            lane.narrow_when(None)
