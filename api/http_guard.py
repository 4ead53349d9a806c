"""The HTTP edge: requests too big or too malformed for the GraphQL layer are refused here, with a
4xx status and a message, before anything is parsed further or the store is touched.

* :class:`BodyLimit` refuses a body (or a query string) over ``GOVGRAPH_MAX_REQUEST_BYTES`` with
  413, counting bytes as they arrive, so a 10 MB variable is never held in memory whole.
* :class:`GuardedGraphQLRouter` decodes JSON strictly: UTF-8 only, no ``NaN``/``Infinity`` (not
  JSON, and not GraphQL floats), no numbers that overflow to infinity, no unpaired surrogates
  (``"\\ud800"`` decodes to a string no store or UTF-8 encoder accepts), no nesting deep enough to
  exhaust the parser's recursion, no array of more than 10 000 items, and a body that is an
  object. Strawberry would otherwise answer
  some of these with a 500 or pass them on to the resolvers. It encodes answers with ``orjson``
  (UTF-8 text as it is, in native code rather than ``json.dumps``), and with ``json`` for what
  orjson refuses (an integer beyond 64 bits).
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from cross_web import HTTPException  # what Strawberry's views turn into a 4xx response
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.fastapi import GraphQLRouter

from .ide import LocalGraphiQL

#: how many JSON values :func:`check_json` looks at before it gives up looking (the body limit
#: bounds this anyway; this keeps the walk cheap)
_WALK_LIMIT = 1_000_000
#: items in one JSON array: as many as one mutation may write (``schema/mutation.py``); a longer
#: list would only be refused after GraphQL spent seconds coercing every item
MAX_JSON_ITEMS = 10_000


class _TooLargeError(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for a request body or query string over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_long = len(scope.get("query_string") or b"") > self.max_bytes
        if too_long or (
            declared is not None and declared.isdigit() and int(declared) > self.max_bytes
        ):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLargeError
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLargeError:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"request larger than {self.max_bytes} bytes (GOVGRAPH_MAX_REQUEST_BYTES)"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_json(value: Any) -> None:
    """``ValueError`` if any string (key or value) in ``value`` holds an unpaired surrogate, or
    an array holds more than :data:`MAX_JSON_ITEMS` items."""
    stack = [value]
    seen = 0
    while stack and seen < _WALK_LIMIT:
        item = stack.pop()
        seen += 1
        if isinstance(item, str):
            if not item.isascii() and _has_surrogate(item):
                raise ValueError(
                    "text holds an unpaired surrogate (\\ud800-\\udfff), not a character"
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            if len(item) > MAX_JSON_ITEMS:
                raise ValueError(f"an array of {len(item)} items; at most {MAX_JSON_ITEMS}")
            stack.extend(item)


def strict_json(data: str | bytes) -> object:
    """Decode a request body or the ``variables`` parameter, or raise a 400 saying why."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise HTTPException(400, "the request body is not UTF-8 text") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError:
        raise HTTPException(400, "Unable to parse request body as JSON") from None
    except RecursionError:
        raise HTTPException(400, "the JSON body is nested too deeply") from None
    except ValueError as exc:
        raise HTTPException(400, f"invalid JSON value: {exc}") from None
    if not isinstance(value, dict | list):
        raise HTTPException(400, 'the JSON body must be an object: {"query": "...", ...}')
    try:
        check_json(value)
    except ValueError as exc:
        raise HTTPException(400, f"refused JSON: {exc}") from None
    return value


class GuardedGraphQLRouter(GraphQLRouter[Any, Any]):
    """Strawberry's router with :func:`strict_json` as its JSON decoder, and with ``ide`` (the
    GraphiQL page from local files, api/ide.py) in place of Strawberry's CDN page."""

    def __init__(self, *args: Any, ide: LocalGraphiQL | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ide = ide

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        if self.ide is None:
            return await super().render_graphql_ide(request)
        return self.ide.response(request)

    def decode_json(self, data: str | bytes) -> object:
        return strict_json(data)

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
