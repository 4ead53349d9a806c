"""All settings, read once at start from ``GOVGRAPH_*`` environment variables (or a ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..graph.errors import GovGraphError
from ..graph.privacy import Role

#: the pseudonym secret of a checkout that set none: fine for the demo, never for real data
DEV_PSEUDONYM_SECRET = "dev-only-pseudonym-secret"
#: the shortest secret accepted outside demo mode (RFC 7518 §3.2 for HMAC keys)
MIN_SECRET_BYTES = 32
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'


class UnsafeSettingsError(GovGraphError, ValueError):
    """Settings that would serve real data with a known or guessable secret (raised when the
    app is built, so no entry point can start with them)."""

    code = "UNSAFE_SETTINGS"


class Settings(BaseSettings):
    """One settings object; the app, the CLI and the store factory take it, nothing else reads
    the environment."""

    model_config = SettingsConfigDict(env_prefix="GOVGRAPH_", env_file=".env", extra="ignore")

    demo: bool = Field(
        False,
        description="demo mode (govgraph serve --demo): the built-in pseudonym secret is "
        "accepted; outside it the service refuses to start without secrets of its own",
    )
    store: Literal["embedded", "neo4j"] = Field(
        "embedded", description="which storage adapter to use"
    )
    data_path: Path = Field(
        Path(".govgraph/graph.jsonl"), description="the embedded store's snapshot file"
    )
    neo4j_uri: str = Field(
        "bolt://127.0.0.1:7687",
        description="bolt:// for one server, neo4j:// for a cluster with routing",
    )
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str | None = Field(None, description="database name; empty = the default")
    neo4j_connection_timeout: float = Field(5.0, description="seconds to wait for a connection")
    neo4j_max_connections: int = Field(
        32,
        ge=1,
        description="the driver's connection pool per API process; statements beyond it wait for "
        "a connection in the API instead of being refused by a server with fewer Bolt threads "
        "than statements in flight (govgraph neo4j start: 64)",
    )
    neo4j_query_timeout: float | None = Field(30.0, description="seconds before a query is cut")
    neo4j_max_retry_time: float = Field(
        5.0,
        description="seconds the driver keeps retrying on transient errors and while Neo4j "
        "cannot be reached; a request then fails with STORE_UNAVAILABLE (the back-off, 1 s "
        "doubling, makes that at most about 2x this + 1 s)",
    )
    neo4j_home: Path = Field(
        Path(".govgraph/neo4j"), description="data folder of the local Neo4j (govgraph neo4j)"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    request_timeout: float | None = Field(
        30.0,
        description="seconds an HTTP request may take; past it, it is cancelled and answers 503 "
        "(GraphQL code TIMEOUT), so a store that hangs never holds a caller longer; null: none",
    )
    cors_origins: list[str] = Field(default_factory=list)

    # -- bounded work per request (api/admission.py, graph/read_lane.py) --
    max_requests_per_key: int = Field(
        8, ge=1, description="GraphQL requests in flight per API key or token subject; more: 429"
    )
    max_anonymous_requests: int = Field(
        16, ge=1, description="GraphQL requests in flight without a key, all callers together"
    )
    fair_share: int = Field(
        1,
        ge=0,
        description="while other callers have requests in flight, a caller's requests running at "
        "once; its others wait in its own queue, under the request deadline (api/fair_share.py); "
        "0: off",
    )
    fair_share_alone_bytes: int = Field(
        16384,
        ge=0,
        description="a caller alone runs its requests at once while their bodies weigh together "
        "at most this many bytes (one runs whatever its size); the rest wait their turn, so a "
        "burst of large requests on an idle service does not hold the event loop "
        "(api/fair_share.py); 0: no bound",
    )
    embedded_read_threads: int = Field(
        2,
        ge=1,
        description="the embedded store's heavy reads at once, each in a thread (abandoned ones "
        "count until they end): the event loop keeps a share of the CPU for everyone else",
    )
    embedded_narrow_read_threads: int = Field(
        1,
        ge=1,
        description="the embedded store's reads at once while more than one caller has requests "
        "in flight (or had in the last second), so the event loop keeps its share of the GIL "
        "(api/loop_share.py)",
    )
    loop_switch_interval: float = Field(
        0.001,
        ge=0,
        description="seconds, the interpreter's switch interval while the app runs "
        "(sys.setswitchinterval; Python's is 0.005): how long the event loop may wait for the "
        "GIL beside a busy read thread (api/loop_share.py); 0: Python's own",
    )
    embedded_busy_after: float = Field(
        20.0,
        description="seconds a read waits for a thread before STORE_BUSY (retry): under "
        "GOVGRAPH_REQUEST_TIMEOUT, so a full lane says so rather than TIMEOUT",
    )

    # -- who sees what (GraphQL) --
    api_keys: dict[str, Role] = Field(
        default_factory=dict,
        description='API key → role, as JSON: {"key": "department", "other": "researcher"}',
    )
    anonymous_role: Role = Field(Role.PUBLIC, description="the role of a request with no key")
    pseudonym_secret: SecretStr = Field(
        SecretStr(DEV_PSEUDONYM_SECRET),
        description="key of the researcher pseudonyms; set your own, keep it stable",
    )
    # JWT bearer tokens (api/auth.py): accepted once a secret or a public key is set
    jwt_secret: SecretStr | None = Field(
        None, description="HS256/384/512 shared secret, at least 32 bytes"
    )
    jwt_public_key: str | None = Field(
        None, description="PEM public key, as text or a file path, for RS*/PS*/ES*/EdDSA tokens"
    )
    jwt_algorithms: list[str] = Field(
        default_factory=lambda: ["HS256", "RS256", "ES256"],
        description="accepted signature algorithms ('none' never is)",
    )
    jwt_audience: str | None = Field(None, description="required aud claim, if set")
    jwt_issuer: str | None = Field(None, description="required iss claim, if set")
    jwt_role_claim: str = Field("role", description="the claim holding the role; a.b for nested")
    jwt_leeway: float = Field(30.0, description="seconds of clock skew allowed on exp/nbf/iat")

    # -- analytics (GraphQL) --
    analytics_ttl: float | None = Field(
        60.0,
        description="seconds the analytics projection of a Neo4j store stays valid (writes by "
        "other processes show after this; writes through this one at once); null: no limit",
    )
    warm_analytics: bool = Field(
        True,
        description="at start, work out in the background what the console's first page asks "
        "(the projection, every rule on the data's last day, the 24-month trend; api/warm.py)",
    )
    # -- the garbage-collector policy of the process (api/gc_policy.py; the library sets none) --
    gc_freeze_at_start: bool = Field(
        True,
        description="once the app is up, move what exists out of the garbage collector's scans "
        "(gc.freeze, once per process): full collections then take milliseconds, not 100+",
    )
    analytics_gc_freeze: bool = Field(
        True,
        description="each time the analytics cache holds a new version, move what exists out of "
        "the garbage collector's scans (gc.freeze; unfrozen and collected every 8 versions)",
    )
    gc_young_threshold: int = Field(
        50_000,
        ge=0,
        description="allocations between two collections of the garbage collector's youngest "
        "generation (gc.set_threshold; Python's own is 700): short-lived objects die before "
        "they are scanned, and fewer full collections follow; 0: left as Python has it",
    )

    # -- GraphQL limits --
    max_depth: int = 12
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_cost: int = 250_000
    max_page_size: int = 100
    max_request_bytes: int = Field(
        2 * 1024 * 1024, description="larger request bodies or query strings get 413"
    )
    graphql_introspection: bool = True
    graphql_fast_execution: bool = Field(
        True, description="complete plain data fields without graphql-core's per-field work"
    )
    opentelemetry: bool = Field(
        False,
        description="FastAPI's OpenTelemetry spans, metrics and logs (exception messages "
        "included) once a provider is configured; off: the service's personal data never goes "
        "to a collector unless the deployment says so, and no request asks for a provider",
    )
    graphql_prepared_queries: bool = Field(
        True,
        description="run a query text seen before and found valid without Strawberry's "
        "per-request extension stages (schema/prepared.py)",
    )
    graphql_fast_lane: bool = Field(
        True,
        description="answer POST /graphql with a JSON body without FastAPI's routing and "
        "Strawberry's HTTP view (api/fast_lane.py); anything else goes the normal way",
    )

    def production_problems(self) -> list[str]:
        """What keeps these settings from serving real data (nothing in demo mode): a built-in
        or short pseudonym secret (researchers' pseudonyms could be recomputed from person
        ids), a short JWT secret (tokens could be forged)."""
        if self.demo:
            return []
        problems = []
        pseudonym = self.pseudonym_secret.get_secret_value()
        if pseudonym == DEV_PSEUDONYM_SECRET:
            problems.append("GOVGRAPH_PSEUDONYM_SECRET is not set (the built-in one is public)")
        elif len(pseudonym.encode()) < MIN_SECRET_BYTES:
            problems.append(f"GOVGRAPH_PSEUDONYM_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
        jwt = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else ""
        if jwt and len(jwt.encode()) < MIN_SECRET_BYTES:
            problems.append(f"GOVGRAPH_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
        return problems

    def refuse_unsafe(self) -> None:
        """:class:`UnsafeSettingsError` listing :meth:`production_problems` and how to fix them."""
        problems = self.production_problems()
        if problems:
            raise UnsafeSettingsError(
                "refusing to start outside demo mode: "
                + "; ".join(problems)
                + f". Set each to a secret of your own, for example the output of {MAKE_SECRET}"
                " (keep the pseudonym secret stable: changing it changes every pseudonym), or"
                " run the demo with govgraph serve --demo (GOVGRAPH_DEMO=true)."
            )
