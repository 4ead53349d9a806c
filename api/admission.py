"""At most so many GraphQL requests in flight per caller, so one client cannot starve the others.

A caller is its API key, or its bearer token's subject (read unverified: this only picks the
counter; the token is verified as the request runs, and a forged one is refused there), or, with
neither, the anonymous public role as a whole. A request over its caller's limit is answered at
once, without reading its body: HTTP 429, ``Retry-After``, and a GraphQL error whose
``extensions.code`` is ``TOO_MANY_REQUESTS``.
"""

from __future__ import annotations

import json
from collections import Counter

import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

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


class Admission:
    """ASGI middleware: a limit on GraphQL requests in flight per caller (module doc)."""

    def __init__(self, app: ASGIApp, *, path: str, per_key: int, anonymous: int) -> None:
        self.app = app
        self.path = path
        self.per_key = per_key
        self.anonymous = anonymous
        #: requests in flight by caller; a caller leaves it with its last request
        self.in_flight: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(self.path):
            await self.app(scope, receive, send)
            return
        caller = caller_of(scope)
        limit = self.anonymous if caller == ANONYMOUS else self.per_key
        if self.in_flight[caller] >= limit:
            await _refuse(send, limit, anonymous=caller == ANONYMOUS)
            return
        self.in_flight[caller] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[caller] -= 1
            if not self.in_flight[caller]:
                del self.in_flight[caller]


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
