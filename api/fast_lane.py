"""The common GraphQL request answered by the router's own parts, without FastAPI's routing and
dependency solving and Strawberry's parsing of every kind of request.

Nearly every request a frontend or a script sends is the same shape: ``POST /graphql`` with a
JSON object holding ``query`` and perhaps ``variables`` and ``operationName``. For those,
:class:`FastLane` (ASGI middleware, inside the body limit and the deadline, inside CORS) answers
by the path the router takes, each step the router's or Strawberry's own:

* the body decoded by the router's strict decoder;
* the context: the app's context getter given the request, then Strawberry's router's own
  context dependency (``router.context_getter``) sets ``request``, ``background_tasks`` and
  ``response`` (the sub-response, built as FastAPI builds it) as it does for the router;
* the schema run as Strawberry's view runs it (the operation types a POST may run; the root
  value ``None``, the router's when no ``root_value_getter`` is given, as api/app.py gives none);
* the answer made as the view makes it: the router's ``process_result`` hook, the view's error
  hook and ``create_response`` (the sub-response's status and headers), then the router's
  :meth:`~.http_guard.GuardedGraphQLRouter.negotiated` (media type and status by the Accept
  header); the background tasks run once the answer is sent, as FastAPI runs them.

Anything else, and anything that fails before the operation runs (malformed JSON, a refused
token, an unknown ``operationName``, an Accept header that allows no answer: 406), goes the
normal way with the body replayed. Two steps mirror private code, in :func:`_sub_response`
(FastAPI's) and :func:`_view_answer` (Strawberry's), and the context dependency is called by its
parameters' names: :data:`TESTED` names the versions they were written for, and
``tests/api/test_fast_lane.py`` fails on others and sends the same requests both ways (a real
schema, and a small one whose resolver uses the request, the sub-response and a background
task), comparing status, headers and body. What a resolver could tell apart is the request's
scope: the routing's and FastAPI's entries (``route``, ``endpoint``, ``router``, FastAPI's
exit stacks and exception handlers) are not in it.

The lane exists because the steps it skips are a measurable share of the CPU a small query
costs; ``bench/fast_lane_bench.py`` measures it and ``bench/README.md`` has the figure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from .http_guard import GuardedGraphQLRouter, accept_header, answer_media_type

#: the versions whose private code :func:`_sub_response`, :func:`_view_answer` and the call of
#: the router's context dependency mirror (tests/api/test_fast_lane.py fails on others)
TESTED = {"strawberry-graphql": "0.341.2", "fastapi": "0.165.0"}

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
        if not self._common(scope):
            await self.app(scope, receive, send)
            return
        body, last = await _read(receive)
        try:
            if last is not None:  # the client went away mid-body: the normal way sees it
                raise _NormalWayError
            response = await self._answer(scope, body, receive)
        except _NormalWayError:
            await self.app(scope, _replay(body, last, receive), send)
            return
        await response(scope, receive, send)  # the answer, then its background tasks

    def _common(self, scope: Scope) -> bool:
        """Whether the request is the lane's to answer (by its method, path and headers)."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope["query_string"]:
            return False
        if scope["path"].rstrip("/") != self.path:
            return False
        content_type = b""
        accepts: list[str] = []
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"accept":
                accepts.append(value.decode("latin-1"))  # as Starlette decodes headers
        # a media type other than JSON: the view
        if content_type.split(b";", 1)[0].strip().lower() != b"application/json":
            return False
        accept = accept_header(accepts)
        if self.streams and any(kind in accept.lower() for kind in _STREAM_TYPES):
            return False
        return answer_media_type(accept) is not None  # None: the router's 406

    async def _answer(self, scope: Scope, body: bytes, receive: Receive) -> Response:
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
        # the body stays readable to a resolver, as it is through the router
        request = Request(scope, _replay(body, None, receive))
        try:
            custom = await self.context_getter(request)
        except Exception:  # a refused token, say: the normal way answers it (401)
            raise _NormalWayError from None
        sub_response, tasks = _sub_response(), BackgroundTasks()
        context = await self.router.context_getter(
            custom_context=custom, background_tasks=tasks, connection=request, response=sub_response
        )
        try:
            result = await self.schema.execute(
                query,
                root_value=None,
                variable_values=variables,
                context_value=context,
                operation_name=name,
                allowed_operation_types=_POST,
            )
        except (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError):
            raise _NormalWayError from None  # raised before the operation ran
        if not isinstance(result, ExecutionResult):  # an incremental result: never enabled here
            raise TypeError(f"unexpected result of a GraphQL request: {type(result).__name__}")
        response = self.router.negotiated(
            request, await _view_answer(self.router, request, result, sub_response)
        )
        if response.background is None:  # as FastAPI hands an endpoint's answer its tasks
            response.background = tasks
        return response


def _sub_response() -> Response:
    """The sub-response FastAPI (0.165, ``solve_dependencies``) gives a request's dependencies and
    Strawberry's view: no headers and no status until a resolver sets them."""
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]
    return response


async def _view_answer(
    router: GuardedGraphQLRouter, request: Request, result: ExecutionResult, sub_response: Response
) -> Response:
    """The answer Strawberry's view (0.341, ``AsyncBaseHTTPView.run``) makes of one result, by
    the router's hooks."""
    data = await router.process_result(request=request, result=result)
    if result.errors:
        router._handle_errors(result.errors, data)
    response: Response = router.create_response(response_data=data, sub_response=sub_response)
    return response


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
