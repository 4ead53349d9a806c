"""The common GraphQL request answered without the web framework's per-request work.

Nearly every request a frontend or a script sends is the same shape: ``POST /graphql`` with a
JSON object holding ``query`` and perhaps ``variables`` and ``operationName``. For those,
:class:`FastLane` (ASGI middleware, inside the body limit and the deadline, inside CORS) reads the
body, decodes it with the router's strict decoder, builds the request's context with the app's
own context getter, runs the same schema and answers as the router would: the media type the
Accept header asks for and its status, by the functions the router uses
(:func:`~.http_guard.answer_media_type`, :func:`~.http_guard.graphql_answer`), encoded by the
router's encoder. FastAPI's routing and dependency solving and Strawberry's HTTP view (batches,
multipart, GET, GraphiQL, streams) are skipped: about a millisecond of CPU a request.

Anything else, and anything that fails before the operation runs (malformed JSON, a refused
token, an unknown ``operationName``, an Accept header that allows no answer: 406), goes the
normal way with the body replayed, so every answer but the common one still comes from
Strawberry and FastAPI: ``tests/api/test_fast_lane.py`` sends the same requests both ways and
compares status, headers and body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from .http_guard import (
    CONTENT_TYPES,
    GuardedGraphQLRouter,
    accept_header,
    answer_media_type,
    graphql_answer,
)

#: what a POST may run (Strawberry's view allows the same)
_POST = OperationType.from_http("POST")
_KEYS = frozenset({"query", "variables", "operationName"})
#: the router's HTTP streams (subscriptions over multipart or SSE), chosen by the Accept header
_HTTP_STREAMS = frozenset({MULTIPART_SUBSCRIPTION_PROTOCOL, GRAPHQL_SSE_PROTOCOL})
#: Accept headers' media types that ask for a stream
_STREAM_TYPES = ("multipart/mixed", "text/event-stream")


class _NormalWayError(Exception):
    """Not the common request, or it failed before running: the app answers it."""


class FastLane:
    """ASGI middleware: the common GraphQL request answered directly (module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        schema: BaseSchema,
        router: GuardedGraphQLRouter,
        context_getter: Callable[[Request], Awaitable[Any]],
    ) -> None:
        self.app = app
        self.path = path
        self.schema = schema
        self.router = router
        self.context_getter = context_getter
        # with a stream configured, an Accept header naming one is the view's to answer
        self.streams = bool(_HTTP_STREAMS & set(router.protocols)) if router else False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        media_type = self._common(scope)
        if media_type is None:
            await self.app(scope, receive, send)
            return
        body, last = await _read(receive)
        try:
            if last is not None:  # the client went away mid-body: the normal way sees it
                raise _NormalWayError
            status, answer = await self._answer(scope, body, media_type)
        except _NormalWayError:
            await self.app(scope, _replay(body, last, receive), send)
            return
        headers = [
            (b"content-length", str(len(answer)).encode()),
            (b"content-type", CONTENT_TYPES[media_type].encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    def _common(self, scope: Scope) -> str | None:
        """The media type of the answer when the lane answers the request, else ``None``."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope["query_string"]:
            return None
        if scope["path"].rstrip("/") != self.path:
            return None
        content_type = b""
        accepts: list[str] = []
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"accept":
                accepts.append(value.decode("latin-1"))  # as Starlette decodes headers
        # a media type other than JSON: the view
        if content_type.split(b";", 1)[0].strip().lower() != b"application/json":
            return None
        accept = accept_header(accepts)
        if self.streams and any(kind in accept.lower() for kind in _STREAM_TYPES):
            return None
        return answer_media_type(accept)  # None: neither media type, the view's 406

    async def _answer(self, scope: Scope, body: bytes, media_type: str) -> tuple[int, bytes]:
        try:
            data = self.router.decode_json(body)
        except Exception:
            raise _NormalWayError from None
        if not isinstance(data, dict) or not data.keys() <= _KEYS:
            raise _NormalWayError
        query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict | None):
            raise _NormalWayError
        if not isinstance(name, str | None):
            raise _NormalWayError
        try:
            context = await self.context_getter(Request(scope))
        except Exception:  # a refused token, say: the normal way answers it (401)
            raise _NormalWayError from None
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=name,
                allowed_operation_types=_POST,
            )
        except (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError):
            raise _NormalWayError from None  # raised before the operation ran
        if not isinstance(result, ExecutionResult):  # an incremental result: never enabled here
            raise TypeError(f"unexpected result of a GraphQL request: {type(result).__name__}")
        status, answer = graphql_answer(result, media_type)
        return status, self.router.encode_json(answer)


async def _read(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body (the body limit outside bounds it), and the message that cut it short
    if one did (a disconnect)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that hands back what was read as one message, then the rest as it comes."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": last is not None}]
    if last is not None:
        pending.append(last)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
