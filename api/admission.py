"""At most so many GraphQL requests in flight per caller, so one client cannot starve the others.

A caller is its API key, or its bearer token's subject (read unverified: this only picks the
counter; the token is verified as the request runs, and a forged one is refused there), or, with
neither, the anonymous public role as a whole. A request over its caller's limit is answered at
once, without reading its body: HTTP 429, ``Retry-After``, and a GraphQL error whose
``extensions.code`` is ``TOO_MANY_REQUESTS``.

Within its limit, a caller's requests take turns while other callers have requests in flight:
``GOVGRAPH_FAIR_SHARE`` (1) of them run at a time, the rest wait in the caller's own queue
(api/fair_share.py); a caller alone runs as many as its limit allows while their bodies weigh
together at most ``GOVGRAPH_FAIR_SHARE_ALONE_BYTES``.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter

import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from .fair_share import FairShare

TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
#: the counter of every request with neither an API key nor a bearer token
ANONYMOUS = ("anonymous", "")


def caller_of(scope: Scope) -> tuple[str, str]:
    """Whose counter a request counts on: ``("key", k)``, ``("subject", s)`` or anonymous."""
    key = authorization = None
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            key = value.decode("latin-1")
        elif name == b"authorization":
            authorization = value.decode("latin-1")
    if key:
        return ("key", key)
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ANONYMOUS
    token = token.strip()
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return ("token", token)  # refused later; counted on its own meanwhile
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return ("subject", str(subject)) if subject else ("token", token)


#: seconds the read lane still counts callers as contending after the last moment they did:
#: a client looping requests has none in flight between an answer and its next request
CONTENTION_LINGERS = 1.0


class InFlight(Counter[tuple[str, str]]):
    """GraphQL requests in flight by caller; a caller leaves it with its last request."""

    def __init__(self) -> None:
        super().__init__()
        #: when more than one caller last had requests in flight (monotonic seconds)
        self.last_contended = -math.inf

    def enter(self, caller: tuple[str, str]) -> None:
        self[caller] += 1
        self._note()

    def leave(self, caller: tuple[str, str]) -> None:
        self._note()
        self[caller] -= 1
        if not self[caller]:
            del self[caller]

    def contended(self) -> bool:
        """Whether more than one caller has requests in flight."""
        return len(self) > 1

    def recently_contended(self) -> bool:
        """:meth:`contended`, or was in the last :data:`CONTENTION_LINGERS` seconds."""
        return self.contended() or time.monotonic() - self.last_contended < CONTENTION_LINGERS

    def _note(self) -> None:
        if len(self) > 1:
            self.last_contended = time.monotonic()


class Admission:
    """ASGI middleware: a limit on GraphQL requests in flight per caller (module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        per_key: int,
        anonymous: int,
        fair_share: int = 0,
        alone_bytes: int = 0,
        in_flight: InFlight | None = None,
    ) -> None:
        self.app = app
        self.path = path
        self.per_key = per_key
        self.anonymous = anonymous
        #: requests in flight by caller (the app shares it with the read lane: api/loop_share.py)
        self.in_flight = in_flight if in_flight is not None else InFlight()
        #: whose turn it is while callers contend (0: every admitted request runs at once)
        self.fair = FairShare(
            fair_share, lambda _caller: self.in_flight.contended(), alone_weight=alone_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(self.path):
            await self.app(scope, receive, send)
            return
        caller = caller_of(scope)
        limit = self.anonymous if caller == ANONYMOUS else self.per_key
        if self.in_flight[caller] >= limit:
            await _refuse(send, limit, anonymous=caller == ANONYMOUS)
            return
        self.in_flight.enter(caller)
        try:
            async with self.fair.turn(caller, self._weight(scope)):
                await self.app(scope, receive, send)
        finally:
            self.in_flight.leave(caller)
            if caller not in self.in_flight:
                self.fair.changed()  # one caller fewer: those it held back may start

    def _weight(self, scope: Scope) -> int:
        """What a request weighs in the fair share: its body's or query string's bytes.

        A body of unknown length (chunked) weighs the whole budget: it runs on its own."""
        if scope.get("method") == "GET":
            return len(scope.get("query_string", b""))
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit():
                return int(value)
        return self.fair.alone_weight


async def _refuse(send: Send, limit: int, *, anonymous: bool) -> None:
    who = "requests without a key, together," if anonymous else "one key or token"
    message = (
        f"too many requests in flight: {who} may have {limit} at a time; retry when one has "
        f"answered (同时进行的请求过多，上限为 {limit} 个，请稍后重试)"
    )
    payload = json.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": TOO_MANY_REQUESTS}}]},
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"retry-after", b"1"),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
