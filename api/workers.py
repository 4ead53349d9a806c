"""Several API processes behind one port, for the Neo4j store (the API keeps no state between
requests there; the embedded store's file belongs to one process).

uvicorn's own ``--workers`` binds the listening socket with ``proto`` 0; accepted connections
inherit it, and asyncio turns ``TCP_NODELAY`` on only for sockets that say ``IPPROTO_TCP``. Nagle's
algorithm then holds every keep-alive response's body until the client's delayed ACK, a wait
added to every request on Linux (uvicorn issue 3149; figures in bench/README.md).
:func:`listening_socket` makes the socket the way asyncio would for a host and port.
"""

from __future__ import annotations

import json
import os
import socket

from .settings import Settings

APP = "govgraph.api.app:create_app"


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket (``proto`` IPPROTO_TCP, so accepted connections get TCP_NODELAY)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve_workers(
    settings: Settings, host: str, port: int, workers: int, *, access_log: bool = True
) -> None:
    """Run ``workers`` processes of the app on one port until interrupted."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    # every worker builds its app from the environment (create_app() reads Settings()), so
    # what the command line changed goes there
    os.environ["GOVGRAPH_STORE"] = settings.store
    os.environ["GOVGRAPH_DEMO"] = "true" if settings.demo else "false"
    os.environ["GOVGRAPH_API_KEYS"] = json.dumps({k: r.value for k, r in settings.api_keys.items()})
    config = uvicorn.Config(
        APP, factory=True, host=host, port=port, workers=workers, access_log=access_log
    )
    Multiprocess(config, sockets=[listening_socket(host, port)]).run()
