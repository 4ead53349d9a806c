"""Who is asking: the caller's role, from an API key or from a signed JWT bearer token.

* ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``: the role configured for that key
  (``GOVGRAPH_API_KEYS``).
* ``Authorization: Bearer <JWT>``: a token signed with ``GOVGRAPH_JWT_SECRET`` (HS256/384/512)
  or with the private half of ``GOVGRAPH_JWT_PUBLIC_KEY`` (RS*, PS*, ES*, EdDSA), carrying the
  role in a claim (``role`` by default). It must have ``exp``; ``aud`` and ``iss`` must match
  when they are configured. The ``none`` algorithm is never accepted, and each algorithm is
  verified only with the key of its own family, so a public key can never serve as an HMAC
  secret (the classic algorithm-confusion attack).
* nothing: ``GOVGRAPH_ANONYMOUS_ROLE``.

Anything else is refused with 401 and a message saying what was wrong; the token itself is never
echoed back or logged.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from fastapi import HTTPException, Request

from ..graph.errors import GovGraphError
from ..graph.privacy import Role
from .settings import Settings

HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
KEY_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
#: RFC 7518 §3.2: an HMAC key at least as long as the hash
MIN_SECRET_BYTES = 32
#: a bearer value longer than this is refused before any parsing
MAX_TOKEN_CHARS = 8192
ROLES = ", ".join(r.value for r in Role)
_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")


class AuthError(GovGraphError):
    """The credentials of a request are not acceptable (HTTP 401). The message never holds
    the token."""


class AuthConfigError(GovGraphError, ValueError):
    """The JWT settings cannot work (raised when the app is built, not per request)."""


@dataclass(frozen=True)
class JwtVerifier:
    """Verifies tokens with the configured keys: one prepared key per accepted algorithm."""

    keys: Mapping[str, Any]
    audience: str | None = None
    issuer: str | None = None
    role_claim: str = "role"
    leeway: float = 30.0
    required: tuple[str, ...] = field(default=("exp",))

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtVerifier | None:
        """None when neither a secret nor a public key is set (JWTs are then not accepted)."""
        secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
        public = _pem(settings.jwt_public_key)
        if not secret and not public:
            return None
        wanted = list(dict.fromkeys(settings.jwt_algorithms))
        unknown = [a for a in wanted if a not in HMAC_ALGORITHMS + KEY_ALGORITHMS]
        if unknown:
            raise AuthConfigError(
                f"GOVGRAPH_JWT_ALGORITHMS: {', '.join(map(repr, unknown))} not supported; use"
                f" some of {', '.join(HMAC_ALGORITHMS + KEY_ALGORITHMS)} ('none' never)"
            )
        if secret and len(secret.encode()) < MIN_SECRET_BYTES:
            raise AuthConfigError(
                f"GOVGRAPH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes; make one with"
                " python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        keys: dict[str, Any] = {}
        for alg in wanted:
            if alg in HMAC_ALGORITHMS:
                if secret:
                    keys[alg] = secret.encode()
                continue
            if not public:
                continue
            # an algorithm whose family does not fit the key (ES256 for an RSA key) is left out
            try:
                keys[alg] = jwt.get_algorithm_by_name(alg).prepare_key(public)
            except (jwt.InvalidKeyError, ValueError, TypeError):
                continue
        if not keys:
            raise AuthConfigError(
                "GOVGRAPH_JWT_ALGORITHMS accepts none of the configured keys: HS* need"
                " GOVGRAPH_JWT_SECRET, RS*/PS*/ES*/EdDSA a matching GOVGRAPH_JWT_PUBLIC_KEY (PEM)"
            )
        required = ["exp"] + (["aud"] if settings.jwt_audience else [])
        required += ["iss"] if settings.jwt_issuer else []
        return cls(
            keys=keys,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            role_claim=settings.jwt_role_claim,
            leeway=settings.jwt_leeway,
            required=tuple(required),
        )

    def role(self, token: str) -> Role:
        """The role a valid token carries; :class:`AuthError` saying why otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            msg = "malformed bearer token: not a JWT (header.payload.signature)"
            raise AuthError(msg) from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.keys:
            shown = _short(alg)
            raise AuthError(
                f"token algorithm {shown} is not accepted here (accepted: {', '.join(self.keys)})"
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.keys[alg],
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(self.required)},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired: ask for a new one") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("token not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature does not verify (signed with another key?)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"token lacks the required {exc.claim!r} claim") from None
        except jwt.InvalidAudienceError:
            raise AuthError(
                f"token audience is not this API's (expected {self.audience!r})"
                if self.audience
                else "token has an audience (aud) but this API expects none:"
                " set GOVGRAPH_JWT_AUDIENCE"
            ) from None
        except jwt.InvalidIssuerError:
            raise AuthError(f"token issuer is not {self.issuer!r}") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token ({type(exc).__name__})") from None
        return self._role_claim(claims)

    def _role_claim(self, claims: Mapping[str, Any]) -> Role:
        value: Any = claims
        for part in self.role_claim.split("."):  # "realm.role" reaches nested claims
            value = value.get(part) if isinstance(value, Mapping) else None
        try:
            return Role(value)
        except (ValueError, TypeError):
            raise AuthError(
                f"token claim {self.role_claim!r} is {_short(value)}; expected one of {ROLES}"
            ) from None


class Authenticator:
    """The caller's role from a request's headers (see the module docstring)."""

    def __init__(
        self,
        api_keys: Mapping[str, Role],
        anonymous_role: Role = Role.PUBLIC,
        verifier: JwtVerifier | None = None,
    ) -> None:
        self._keys = [(k.encode(), r) for k, r in api_keys.items()]
        self.anonymous_role = anonymous_role
        self.verifier = verifier

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        return cls(settings.api_keys, settings.anonymous_role, JwtVerifier.from_settings(settings))

    def _api_key_role(self, key: str) -> Role | None:
        raw = key.encode()
        found = None
        for k, role in self._keys:  # every key compared in constant time
            if hmac.compare_digest(k, raw):
                found = role
        return found

    def role_of(self, headers: Mapping[str, str]) -> Role:
        """The role for these (case-insensitive) headers; :class:`AuthError` when refused."""
        key = headers.get("x-api-key")
        if key is not None:
            if len(key) > MAX_TOKEN_CHARS:
                raise AuthError("unknown API key")
            role = self._api_key_role(key)
            if role is None:
                raise AuthError("unknown API key")
            return role
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return self.anonymous_role
        token = auth[7:].strip()
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthError(f"bearer token longer than {MAX_TOKEN_CHARS} characters")
        role = self._api_key_role(token)
        if role is not None:
            return role
        if not _JWT_SHAPE.match(token):
            raise AuthError("unknown API key")
        if self.verifier is None:
            raise AuthError(
                "this API accepts no JWT bearer tokens (no GOVGRAPH_JWT_SECRET or"
                " GOVGRAPH_JWT_PUBLIC_KEY is set); use an API key"
            )
        return self.verifier.role(token)

    def request_role(self, request: Request) -> Role:
        """:meth:`role_of` for FastAPI: a refusal becomes 401 with ``WWW-Authenticate``."""
        try:
            return self.role_of(request.headers)
        except AuthError as exc:
            reason = str(exc).replace('"', "'")
            challenge = f'Bearer error="invalid_token", error_description="{reason}"'
            raise HTTPException(
                status_code=401, detail=str(exc), headers={"WWW-Authenticate": challenge}
            ) from None


def mint_token(
    role: Role,
    secret: str,
    *,
    ttl: dt.timedelta = dt.timedelta(hours=8),
    subject: str | None = None,
    audience: str | None = None,
    issuer: str | None = None,
    role_claim: str = "role",
    algorithm: str = "HS256",
    now: dt.datetime | None = None,
) -> str:
    """A token for ``role`` signed with the shared secret (what ``govgraph token`` prints).

    >>> from govgraph.graph.privacy import Role
    >>> t = mint_token(Role.RESEARCHER, "x" * 32)
    >>> jwt.decode(t, "x" * 32, algorithms=["HS256"])["role"]
    'researcher'
    """
    if algorithm not in HMAC_ALGORITHMS:
        raise AuthConfigError(f"minting needs an HMAC algorithm ({', '.join(HMAC_ALGORITHMS)})")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise AuthConfigError(f"the secret must be at least {MIN_SECRET_BYTES} bytes")
    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {"iat": issued, "exp": issued + ttl}
    target: dict[str, Any] = claims
    *parents, last = role_claim.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = role.value
    if subject:
        claims["sub"] = subject
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm=algorithm)


def _pem(value: str | None) -> str:
    """The PEM text of a setting that holds either the text or the path of a PEM file."""
    if not value or not value.strip():
        return ""
    if value.lstrip().startswith("-----BEGIN"):
        return value.replace("\\n", "\n")  # one-line environment variables
    path = Path(value).expanduser()
    if not path.is_file():
        raise AuthConfigError(
            "GOVGRAPH_JWT_PUBLIC_KEY must be PEM text (-----BEGIN PUBLIC KEY-----...) or the"
            f" path of a PEM file; no file at {str(path)!r}"
        )
    return path.read_text(encoding="ascii")


def _short(value: object, limit: int = 40) -> str:
    text = ascii(value)  # ASCII: it may end up in the WWW-Authenticate header
    return text if len(text) <= limit else text[: limit - 1] + "…"
