"""The service commands: ``serve`` (the web app), ``demo`` (load the demo data) and ``schema``
(the GraphQL SDL).

The web app, its server and the GraphQL schema are imported by the commands that use them: they
are most of the CLI's start (~2 s of CPU), which every other command would pay for nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from ..api.settings import MAKE_SECRET
from ..graph.port import GraphStore
from ..graph.privacy import Role
from ..loaders.demo import build_demo, load_demo
from .app import app
from .stores import StoreOpt, settings_for, with_store

DEMO_KEYS = {"demo-department": Role.DEPARTMENT, "demo-researcher": Role.RESEARCHER}


async def _load_demo(s: GraphStore, *, only_if_empty: bool) -> tuple[int, int] | None:

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
    settings = settings_for(store)

    async def work(s: GraphStore) -> tuple[int, int] | None:
        await s.init_schema()
        return await _load_demo(s, only_if_empty=False)

    written = with_store(settings, work)
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

    from ..api.app import create_app
    from ..api.workers import serve_workers

    settings = settings_for(store)
    if with_demo:
        settings = settings.model_copy(update={"demo": True})
    if problems := settings.production_problems():
        raise typer.BadParameter(
            "; ".join(problems) + f". Set each to a secret of your own ({MAKE_SECRET}), or "
            "serve the demo with --demo",
            param_hint="GOVGRAPH_PSEUDONYM_SECRET / GOVGRAPH_JWT_SECRET",
        )
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

        written = with_store(settings, work)
        if written is not None:
            typer.echo(f"loaded the Huairen demo: {written[0]} nodes, {written[1]} links")
        if not settings.api_keys:
            settings = settings.model_copy(update={"api_keys": DEMO_KEYS})
            typer.echo(
                "demo API keys (local use only): X-API-Key: demo-department | demo-researcher"
            )
    if workers > 1:
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
