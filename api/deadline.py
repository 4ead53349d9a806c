"""A deadline for every HTTP request, so no caller waits on the store longer than configured.

The Neo4j driver bounds connecting (``GOVGRAPH_NEO4J_CONNECTION_TIMEOUT``) and retrying
(``GOVGRAPH_NEO4J_MAX_RETRY_TIME``), but not waiting for an answer on a connection that is open:
a server in the middle of shutting down, stalled, or cut off by the network keeps the request
hanging. :class:`RequestDeadline` cancels the request after ``GOVGRAPH_REQUEST_TIMEOUT`` seconds
(the driver closes the connection it was waiting on) and answers 503: on ``/graphql`` a GraphQL
error with ``extensions.code`` ``TIMEOUT``, elsewhere ``{"status": "unavailable", "reason"}``
(the shape of ``/readyz``).
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TIMEOUT_CODE = "TIMEOUT"


class RequestDeadline:
    """ASGI middleware: cancel a request still running after ``seconds`` and answer 503."""

    def __init__(self, app: ASGIApp, seconds: float | None) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds is None:
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self.seconds):
                await self.app(scope, receive, tracked)
        except TimeoutError:
            if started:  # too late for another answer: the client sees the connection close
                raise
            await self._answer(scope, send)

    async def _answer(self, scope: Scope, send: Send) -> None:
        reason = (
            f"no answer within {self.seconds:g} s (GOVGRAPH_REQUEST_TIMEOUT), so the request was "
            "cancelled: the store may be unreachable or overloaded. A write in this request may "
            "or may not have been applied; every mutation may be sent again as it was "
            "(docs/graphql.md, Retrying a write)."
        )
        body: object
        if str(scope.get("path", "")).startswith("/graphql"):
            body = {
                "data": None,
                "errors": [{"message": reason, "extensions": {"code": TIMEOUT_CODE}}],
            }
        else:
            body = {"status": "unavailable", "reason": reason}
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"retry-after", b"1"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
