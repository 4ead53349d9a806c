"""The ``db`` commands (the configured store) and the ``neo4j`` commands (a local server for
development)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..graph.port import GraphStore
from ..ops.neo4j_local import (
    Neo4jLocalError,
    ensure_jars,
    start_background,
    status,
    stop_background,
)
from .app import db_app, neo4j_app
from .stores import StoreOpt, settings_for, with_store


@db_app.command("init")
def db_init(store: StoreOpt = None) -> None:
    """Create constraints and indexes (Neo4j); safe to run again."""
    settings = settings_for(store)
    with_store(settings, lambda s: s.init_schema())
    typer.echo(f"schema ready on the {settings.store} store")


@db_app.command("counts")
def db_counts(store: StoreOpt = None) -> None:
    """Print node and link counts by kind as JSON."""

    async def work(s: GraphStore) -> dict[str, dict[str, int]]:
        c = await s.counts()
        return {"nodes": c.nodes, "links": c.links}

    typer.echo(json.dumps(with_store(settings_for(store), work), indent=2, ensure_ascii=False))


HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="data folder (default: GOVGRAPH_NEO4J_HOME)")
]


@neo4j_app.command("fetch")
def neo4j_fetch() -> None:
    """Download the Neo4j jars with Maven into the cache (once)."""

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

    folder = home or settings_for().neo4j_home
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

    folder = home or settings_for().neo4j_home
    typer.echo("stopped" if stop_background(folder) else "not running")


@neo4j_app.command("status")
def neo4j_status(home: HomeOpt = None) -> None:
    """Say whether the local Neo4j runs, and where."""

    folder = home or settings_for().neo4j_home
    state = status(folder)
    if state is None:
        typer.echo("not running")
        raise typer.Exit(3)
    typer.echo(json.dumps(state, indent=2, default=str))
