"""The FastAPI application, built by :func:`create_app` from one settings object.

Nothing connects at import time: the store is opened in the app's lifespan (or passed in, for
tests and embedding), so the same code serves the embedded store and a Neo4j cluster, and any
number of stateless API processes can run side by side against Neo4j.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig

from .. import __version__
from ..graph.errors import GovGraphError
from ..graph.port import GraphStore
from ..schema.analytics import analytics_cache
from ..schema.build import Limits, build_schema
from ..schema.context import Context
from .admission import Admission, InFlight
from .auth import Authenticator
from .console_page import console_html
from .deadline import RequestDeadline
from .fast_lane import FastLane
from .gc_policy import GcPolicy
from .http_guard import BodyLimit, GuardedGraphQLRouter
from .ide import STATIC_DIR, STATIC_URL, LocalGraphiQL
from .loop_share import loop_share
from .settings import Settings
from .stores import open_store
from .warm import Warm, Warming, warming

#: the console may load and ask only this origin (data: for its icon and PNG export)
CONSOLE_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


#: FastAPI's native telemetry, every part off (settings.opentelemetry)
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the app. With ``store`` given the app uses it and leaves closing it to the caller."""
    settings = settings or Settings()
    settings.refuse_unsafe()  # a built-in or short secret outside demo mode (api/settings.py)
    gc_policy = GcPolicy.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        app.state.store = store if store is not None else await open_store(settings)
        # one projection cache per store, shared by every request (schema/analytics.py)
        app.state.analytics = analytics_cache(app.state.store, settings.analytics_ttl)
        # the process's garbage-collector policy, set here and nowhere else (api/gc_policy.py)
        gc_policy.watch(app.state.analytics)
        gc_policy.started()
        try:
            # the console's first page, worked out before it is asked (api/warm.py)
            async with (
                warming(
                    settings.warm_analytics,
                    Warm(schema, app.state.store, app.state.analytics, settings.max_page_size),
                    status,
                ),
                # the loop's share beside the read threads, while serving (api/loop_share.py)
                loop_share(
                    app.state.store,
                    in_flight,
                    narrow_threads=settings.embedded_narrow_read_threads,
                    switch_interval=settings.loop_switch_interval,
                ),
            ):
                yield
        finally:
            if owned:
                await app.state.store.close()

    app = FastAPI(
        title="governance-graph",
        version=__version__,
        description="The governance network of residential compounds (党支部+业委会+物业).",
        lifespan=lifespan,
        # Swagger UI and ReDoc load from a CDN; the API is GraphQL, whose IDE is at /graphql
        docs_url=None,
        redoc_url=None,
        # FastAPI's native OpenTelemetry: None keeps its defaults (on once a provider exists)
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
    )
    app.state.settings = settings
    status = app.state.warming = Warming()
    schema = build_schema(
        Limits(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
            max_page=settings.max_page_size,
            introspection=settings.graphql_introspection,
            fast_execution=settings.graphql_fast_execution,
            prepared_queries=settings.graphql_prepared_queries,
        )
    )
    authenticator = Authenticator.from_settings(settings)  # API keys and JWT: api/auth.py
    secret = settings.pseudonym_secret.get_secret_value().encode()

    async def context_getter(request: Request) -> Context:
        role = authenticator.request_role(request)
        return Context(
            request.app.state.store,
            role,
            secret,
            settings.max_page_size,
            analytics=request.app.state.analytics,
        )

    router = GuardedGraphQLRouter(  # api/http_guard.py
        schema, context_getter=context_getter, ide=LocalGraphiQL.from_settings(settings)
    )
    app.include_router(router, prefix="/graphql")
    # GraphiQL's files (api/ide.py), from this origin: the IDE works without internet
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    if settings.graphql_fast_lane:  # added first: innermost, so CORS and the limits wrap it
        app.add_middleware(
            FastLane, path="/graphql", schema=schema, router=router, context_getter=context_getter
        )
    # around the fast lane and the router: one caller cannot take every request slot
    app.add_middleware(
        Admission,
        path="/graphql",
        per_key=settings.max_requests_per_key,
        anonymous=settings.max_anonymous_requests,
        fair_share=settings.fair_share,  # api/fair_share.py
        alone_bytes=settings.fair_share_alone_bytes,
        # by caller, also what narrows the read lane (the lifespan's loop_share)
        in_flight=(in_flight := InFlight()),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
        )

    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    # outermost: a request hanging on the store anywhere inside is cut off (api/deadline.py)
    app.add_middleware(RequestDeadline, seconds=settings.request_timeout)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive (does not touch the store)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """The store answers: 200 (with how far the analytics warm-up is), or 503 with the
        reason."""
        s: GraphStore = request.app.state.store
        try:
            await s.ping()
        except GovGraphError as exc:
            return JSONResponse(
                {"status": "unavailable", "reason": str(exc), "analytics": status.as_dict()},
                status_code=503,
            )
        return JSONResponse(
            {"status": "ready", "store": settings.store, "analytics": status.as_dict()}
        )

    console_page = console_html()  # every module preloaded (api/console_page.py)

    @app.get("/", include_in_schema=False)
    async def console() -> Response:
        """The department's console (api/static/console/): a GraphQL client like any other."""
        return Response(
            console_page, media_type="text/html; charset=utf-8", headers=CONSOLE_HEADERS
        )

    @app.get("/api/counts")
    async def counts(request: Request) -> dict[str, Any]:
        """The service, its store and its node and link counts, as JSON."""
        s: GraphStore = request.app.state.store
        counts = await s.counts()
        return {
            "service": "governance-graph",
            "version": __version__,
            "store": settings.store,
            "nodes": counts.nodes,
            "links": counts.links,
        }

    return app
