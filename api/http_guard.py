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
* :func:`answer_media_type` and :func:`graphql_answer` are the GraphQL-over-HTTP rules of the
  answer's media type and status (``application/graphql-response+json`` or ``application/json``;
  406, 400 or 200), one decision that the router and the fast lane (api/fast_lane.py) both make.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

import orjson
from cross_web import HTTPException  # what Strawberry's views turn into a 4xx response
from fastapi import Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from .ide import LocalGraphiQL

#: how many JSON values :func:`check_json` looks at before it gives up looking (the body limit
#: bounds this anyway; this keeps the walk cheap)
_WALK_LIMIT = 1_000_000
#: items in one JSON array: as many as one mutation may write (``schema/mutation.py``); a longer
#: list would only be refused after GraphQL spent seconds coercing every item
MAX_JSON_ITEMS = 10_000


#: the GraphQL-over-HTTP media type of an answer: its status tells a request error from a result
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
#: the legacy media type: every answer that ran (or tried to) is 200
APPLICATION_JSON = "application/json"
#: the Content-Type header of each (the spec's examples name the charset of the new one;
#: ``application/json`` has no charset parameter, RFC 8259, and stays as it always was)
CONTENT_TYPES = {
    GRAPHQL_RESPONSE_JSON: "application/graphql-response+json; charset=utf-8",
    APPLICATION_JSON: "application/json",
}
NOT_ACCEPTABLE = (
    f"Not Acceptable: the answer is {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}; "
    "send an Accept header that allows one of them"
)
#: an HTTP qvalue (RFC 9110 §12.4.2); a media range with another is ignored
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


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


#: one decoder for every body: json.loads given these hooks builds a new decoder on each call
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def _loads(text: str) -> Any:
    """``json.loads(text, parse_constant=..., parse_float=...)`` with the decoder made once."""
    if text.startswith("\ufeff"):  # as json.loads refuses text
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _DECODER.decode(text)


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
        value = _loads(text)
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


def accept_header(values: Iterable[str]) -> str:
    """The request's Accept headers as one (several headers are one comma-separated list)."""
    return ", ".join(values)


def _quality(ranges: list[tuple[str, float]], media_type: str) -> tuple[float, bool]:
    """The qvalue the client gives ``media_type`` (its most specific matching range's), and
    whether a range names it exactly."""
    kind = media_type.split("/", 1)[0]
    best, quality = -1, 0.0
    for media_range, q in ranges:
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best or (specificity == best and q > quality):
            best, quality = specificity, q
    return quality, best == 2


def answer_media_type(accept: str) -> str | None:
    """The media type of a GraphQL answer to a request with this ``Accept`` header, or ``None``
    for neither (406 Not Acceptable), by the GraphQL-over-HTTP spec's rules.

    The type the client values more (its ``q``) wins; at equal value
    ``application/graphql-response+json`` when the client names it, ``application/json``
    otherwise: no Accept header, ``*/*`` and ``application/*`` keep the legacy answer, as the
    spec asks of servers that served ``application/json`` before it.

    >>> answer_media_type("application/graphql-response+json, application/json;q=0.9")
    'application/graphql-response+json'
    >>> answer_media_type("*/*"), answer_media_type("")
    ('application/json', 'application/json')
    >>> answer_media_type("text/html") is None
    True
    """
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media_range, *params = part.split(";")
        media_range = media_range.strip().lower()
        if not media_range:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else -1.0
                break  # what follows q is accept-ext, not the media type's
        if q >= 0:
            ranges.append((media_range, q))
    if not ranges:
        return APPLICATION_JSON
    graphql_q, named = _quality(ranges, GRAPHQL_RESPONSE_JSON)
    json_q, _ = _quality(ranges, APPLICATION_JSON)
    if graphql_q > json_q or (graphql_q == json_q > 0 and named):
        return GRAPHQL_RESPONSE_JSON
    return APPLICATION_JSON if json_q > 0 else None


def _request_error(errors: list[GraphQLError]) -> bool:
    """No error lies on a field: the operation never ran (the document did not parse or
    validate, the variables did not coerce, a limit refused it)."""
    return all(error.path is None for error in errors)


def graphql_answer(result: ExecutionResult, media_type: str) -> tuple[int, GraphQLHTTPResponse]:
    """The status and body of the answer to ``result`` in ``media_type``.

    ``application/json``: 200 and ``{"data", "errors", "extensions"}`` as Strawberry answers.
    ``application/graphql-response+json``: a request error has no ``data`` entry and a 4xx
    status (400; 500 for an unexpected error, one the schema masked with an ``errorId``,
    schema/build.py); a result, partial or null, is 200.
    """
    body = process_result(result)
    if media_type != GRAPHQL_RESPONSE_JSON or result.data is not None or not result.errors:
        return 200, body
    if not _request_error(result.errors):
        return 200, body
    del body["data"]
    masked = any("errorId" in (error.extensions or {}) for error in result.errors)
    return (500 if masked else 400), body


class GuardedGraphQLRouter(GraphQLRouter[Any, Any]):
    """Strawberry's router with :func:`strict_json` as its JSON decoder, with ``ide`` (the
    GraphiQL page from local files, api/ide.py) in place of Strawberry's CDN page, and with the
    answer's media type and status negotiated (:func:`answer_media_type`,
    :func:`graphql_answer`; Strawberry 0.341 answers ``application/json`` only)."""

    def __init__(self, *args: Any, ide: LocalGraphiQL | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ide = ide

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        if self.ide is None:
            return await super().render_graphql_ide(request)
        return self.ide.response(request)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's ``run``, with 406 for an Accept header that allows no answer (before
        the body is read; the IDE page and WebSockets aside), and, for an answer in
        ``application/graphql-response+json``, its Content-Type and the status
        :meth:`process_result` decided (an ``application/json`` answer is Strawberry's own)."""
        if self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        if not self.should_render_graphql_ide(self.request_adapter_class(request)):
            accept = accept_header(request.headers.getlist("accept"))
            if answer_media_type(accept) is None:
                raise HTTPException(406, NOT_ACCEPTABLE)
        return self.negotiated(request, await super().run(request, context, root_value))

    def negotiated(self, request: Request, response: Response) -> Response:
        """``response`` (the view's) with the Content-Type and status :meth:`process_result`
        decided for an answer in ``application/graphql-response+json``; the fast lane's answers
        pass here too."""
        decided: list[tuple[int, str]] = getattr(request.state, "graphql_answers", [])
        # one JSON answer: a stream keeps its own status and type
        single = isinstance(response, Response) and not isinstance(response, StreamingResponse)
        if single and decided and decided[0][1] == GRAPHQL_RESPONSE_JSON:
            response.headers["content-type"] = CONTENT_TYPES[GRAPHQL_RESPONSE_JSON]
            if len(decided) == 1:  # a batch's answers are 200 together
                response.status_code = decided[0][0]
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        accept = accept_header(request.headers.getlist("accept"))
        media_type = answer_media_type(accept) or APPLICATION_JSON  # None: refused in run
        status, body = graphql_answer(result, media_type)
        if not hasattr(request.state, "graphql_answers"):
            request.state.graphql_answers = []
        request.state.graphql_answers.append((status, media_type))
        return body

    def decode_json(self, data: str | bytes) -> object:
        return strict_json(data)

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
