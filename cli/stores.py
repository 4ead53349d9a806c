"""What every command that touches the store shares: the settings it reads and how it opens
and closes the store around one piece of work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from ..api.settings import Settings
from ..api.stores import open_store
from ..graph.errors import GovGraphError
from ..graph.port import GraphStore

T = TypeVar("T")

StoreOpt = Annotated[
    str | None, typer.Option("--store", help="embedded or neo4j (default: GOVGRAPH_STORE)")
]


def settings_for(store: str | None = None) -> Settings:
    """The settings from the environment, with ``--store`` over GOVGRAPH_STORE."""
    overrides: dict[str, Any] = {"store": store} if store else {}
    return Settings(**overrides)


def with_store(settings: Settings, work: Callable[[GraphStore], Awaitable[T]]) -> T:
    """Open the configured store, run ``work`` on it, close it; a store error exits with 1."""

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


def researcher_secret(settings: Settings, what: str) -> bytes:
    """The pseudonym secret for a researcher's file, or exit with 1 outside demo mode while it
    is the built-in or a short one (the API's own check: with a known secret anyone could
    recompute the pseudonyms). ``what`` names the file, for the message."""
    problems = settings.production_problems()
    if problems:
        typer.secho(
            f"refusing {what} outside demo mode: " + "; ".join(problems) + ".",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    return settings.pseudonym_secret.get_secret_value().encode()
