"""The ``govgraph`` command line: a thin shell over the same functions the API uses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ..graph.errors import GovGraphError
from ..graph.port import GraphStore
from ..graph.privacy import Role
from .settings import Settings
from .stores import open_store

T = TypeVar("T")

app = typer.Typer(
    help="governance-graph: the 党支部+业委会+物业 governance network as a knowledge graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="The configured store (GOVGRAPH_STORE=embedded|neo4j).", no_args_is_help=True
)
neo4j_app = typer.Typer(
    help="A local Neo4j Community 5.26 for development, from Maven Central jars (needs Java 17).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(neo4j_app, name="neo4j")

StoreOpt = Annotated[
    str | None, typer.Option("--store", help="embedded or neo4j (default: GOVGRAPH_STORE)")
]


def _settings(store: str | None = None) -> Settings:
    overrides: dict[str, Any] = {"store": store} if store else {}
    return Settings(**overrides)


def _with_store(settings: Settings, work: Callable[[GraphStore], Awaitable[T]]) -> T:
    async def go() -> T:
        s = await open_store(settings)
        try:
            return await work(s)
        finally:
            await s.close()

    try:
        return asyncio.run(go())
    except GovGraphError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc


DEMO_KEYS = {"demo-department": Role.DEPARTMENT, "demo-researcher": Role.RESEARCHER}


async def _load_demo(s: GraphStore, *, only_if_empty: bool) -> tuple[int, int] | None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ..loaders.demo import build_demo, load_demo

    if only_if_empty and (await s.counts()).nodes:
        return None
    nodes, links = build_demo()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("loading the Huairen demo", total=len(nodes) + len(links))
        return await load_demo(s, progress=lambda done: bar.update(task, completed=done))


@app.command()
def demo(store: StoreOpt = None) -> None:
    """Load the Huairen demo data set (deterministic; loading it again changes nothing)."""
    settings = _settings(store)

    async def work(s: GraphStore) -> tuple[int, int] | None:
        await s.init_schema()
        return await _load_demo(s, only_if_empty=False)

    written = _with_store(settings, work)
    assert written is not None
    typer.echo(
        f"demo loaded into the {settings.store} store: {written[0]} nodes, {written[1]} links"
    )


@app.command()
def serve(
    *,
    store: StoreOpt = None,
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    with_demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="load the Huairen demo data if the store is empty, and, when no API keys are "
            "set, accept the demo keys demo-department and demo-researcher",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="processes serving the one port (Neo4j store only; the API is stateless there)",
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="log every request")
    ] = True,
) -> None:
    """Run the web service (FastAPI with GraphQL at /graphql) on the configured store."""
    import uvicorn

    from .app import create_app

    settings = _settings(store)
    if workers > 1 and settings.store != "neo4j":
        raise typer.BadParameter(
            f"{workers} workers need the Neo4j store: the {settings.store} store's file belongs "
            "to one process (set GOVGRAPH_STORE=neo4j, or serve with one worker)",
            param_hint="--workers",
        )
    if with_demo:

        async def work(s: GraphStore) -> tuple[int, int] | None:
            await s.init_schema()
            return await _load_demo(s, only_if_empty=True)

        written = _with_store(settings, work)
        if written is not None:
            typer.echo(f"loaded the Huairen demo: {written[0]} nodes, {written[1]} links")
        if not settings.api_keys:
            settings = settings.model_copy(update={"api_keys": DEMO_KEYS})
            typer.echo(
                "demo API keys (local use only): X-API-Key: demo-department | demo-researcher"
            )
    if workers > 1:
        from .workers import serve_workers

        serve_workers(
            settings, host or settings.host, port or settings.port, workers, access_log=access_log
        )
        return
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        access_log=access_log,
    )


@app.command("schema")
def export_schema(
    out: Annotated[Path | None, typer.Option("--out", help="write here instead of stdout")] = None,
) -> None:
    """Print the GraphQL schema (SDL); the committed schema.graphql is this output."""
    from ..schema.build import sdl

    text = sdl()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


@db_app.command("init")
def db_init(store: StoreOpt = None) -> None:
    """Create constraints and indexes (Neo4j); safe to run again."""
    settings = _settings(store)
    _with_store(settings, lambda s: s.init_schema())
    typer.echo(f"schema ready on the {settings.store} store")


@db_app.command("counts")
def db_counts(store: StoreOpt = None) -> None:
    """Print node and link counts by kind as JSON."""

    async def work(s: GraphStore) -> dict[str, dict[str, int]]:
        c = await s.counts()
        return {"nodes": c.nodes, "links": c.links}

    typer.echo(json.dumps(_with_store(_settings(store), work), indent=2, ensure_ascii=False))


HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="data folder (default: GOVGRAPH_NEO4J_HOME)")
]


@neo4j_app.command("fetch")
def neo4j_fetch() -> None:
    """Download the Neo4j jars with Maven into the cache (once)."""
    from ..graph.neo4j_local import Neo4jLocalError, ensure_jars

    try:
        lib = ensure_jars()
    except Neo4jLocalError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"jars in {lib}")


@neo4j_app.command("start")
def neo4j_start(
    home: HomeOpt = None,
    port: Annotated[int | None, typer.Option(help="Bolt port (default: a free one)")] = None,
) -> None:
    """Start a local Neo4j in the background and print its Bolt URI."""
    from ..graph.neo4j_local import Neo4jLocalError, start_background

    folder = home or _settings().neo4j_home
    try:
        state = start_background(folder, port=port)
    except Neo4jLocalError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    uri = state["uri"]
    typer.echo(f"Neo4j ready at {uri} (data in {folder})")
    typer.echo(f"use it with: export GOVGRAPH_STORE=neo4j GOVGRAPH_NEO4J_URI={uri}")


@neo4j_app.command("stop")
def neo4j_stop(home: HomeOpt = None) -> None:
    """Stop the local Neo4j started by ``govgraph neo4j start``."""
    from ..graph.neo4j_local import stop_background

    folder = home or _settings().neo4j_home
    typer.echo("stopped" if stop_background(folder) else "not running")


@neo4j_app.command("status")
def neo4j_status(home: HomeOpt = None) -> None:
    """Say whether the local Neo4j runs, and where."""
    from ..graph.neo4j_local import status

    folder = home or _settings().neo4j_home
    state = status(folder)
    if state is None:
        typer.echo("not running")
        raise typer.Exit(3)
    typer.echo(json.dumps(state, indent=2, default=str))


def _register_data_commands() -> None:
    from .cli_analytics import register as register_analytics
    from .cli_auth import register as register_auth
    from .cli_data import register
    from .cli_generate import register as register_generate

    register(app)
    register_generate(app)
    register_auth(app)
    register_analytics(app)


_register_data_commands()


def main() -> None:
    app()
