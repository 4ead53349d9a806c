"""The data commands of the CLI: ``import``, ``template`` and ``export``.

They are thin: each calls the same loader functions a program would (``loaders.importer``,
``loaders.template``, ``loaders.exporters``) and only adds printing. ``cli/main.py`` adds them to
its app with :func:`register`; the store helpers come from ``cli/stores.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ..graph.port import GraphStore
from ..graph.privacy import Role
from ..loaders import importer as imp
from ..loaders.exporters import FORMATS, PUBLIC_FORMATS, export
from ..loaders.template import write_template
from .stores import StoreOpt, researcher_secret, settings_for, with_store

#: errors printed to the terminal; the rest go to --errors FILE
MAX_SHOWN = 200
PHASES = {"check": "checking rows", "links": "checking links", "write": "writing"}


class _RowsPerSecond(ProgressColumn):
    """Throughput, the number that tells whether a big import is healthy."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed and task.elapsed:
            speed = task.completed / task.elapsed  # too few samples yet for rich's estimate
        return Text(f"{speed:,.0f} rows/s" if speed else "… rows/s", style="cyan")


class _Bar:
    """A rich progress bar fed by the importer's progress callback, one line per phase."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<15}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RowsPerSecond(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, p: imp.Progress) -> None:
        task = self.tasks.get(p.phase)
        if task is None:
            task = self.tasks[p.phase] = self.progress.add_task(
                PHASES.get(p.phase, p.phase), total=p.total
            )
        self.progress.update(task, completed=p.done, total=p.total)

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _print_errors(errors: list[Any], errors_file: Path | None) -> None:
    for e in errors[:MAX_SHOWN]:
        typer.echo(str(e), err=True)
    if len(errors) > MAX_SHOWN:
        where = f"see {errors_file}" if errors_file else "use --errors FILE to list them all"
        typer.echo(f"... and {len(errors) - MAX_SHOWN} more ({where})", err=True)


def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="CSV, .xlsx, .json or .jsonl snapshot files, or folders")
    ],
    *,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="write the valid rows and leave out the others"),
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="CSV of the rows left out and why")
    ] = None,
    errors: Annotated[
        Path | None, typer.Option("--errors", help="CSV of every problem found")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="records per transaction")
    ] = 5000,
    store: StoreOpt = None,
) -> None:
    """Import files into the store: all rows or, if any is invalid, none (see --skip-invalid)."""

    async def work(s: GraphStore) -> imp.ImportReport | imp.DataImportError:
        try:
            return await imp.import_files(
                s,
                files,
                skip_invalid=skip_invalid,
                batch_size=batch_size,
                rejects_path=rejects,
                errors_path=errors,
                progress=bar,
            )
        except imp.DataImportError as exc:
            return exc

    with _Bar() as bar:
        outcome = with_store(settings_for(store), work)
    if isinstance(outcome, imp.DataImportError):
        _print_errors(outcome.errors, errors)
        if outcome.errors:
            typer.secho(
                f"{len(outcome.errors)} problem(s) found; nothing was imported."
                " Fix them, or use --skip-invalid to write the valid rows.",
                fg=typer.colors.RED,
                err=True,
            )
        else:
            typer.secho(f"error: {outcome}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    _print_errors(outcome.errors, errors)
    if outcome.errors:
        typer.secho(
            f"{len(outcome.errors)} problem(s); {outcome.rows_rejected} row(s) left out"
            + (f" (listed in {rejects})" if rejects else ""),
            fg=typer.colors.YELLOW,
            err=True,
        )
    typer.echo(outcome.summary())


def template_command(
    path: Annotated[Path, typer.Argument(help="the .xlsx file to write")],
) -> None:
    """Write an empty Excel import template: one sheet per kind, help row, drop-down lists."""
    out = write_template(path)
    typer.echo(f"template written to {out}")


def export_command(
    out: Annotated[Path, typer.Argument(help="the file to write (a folder for csv)")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="one of: " + ", ".join(FORMATS))
    ] = "json",
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            help="what the export may hold, as the GraphQL API shows that role: department "
            "everything (the default: this command runs on the department's own machine, "
            "with its store); researcher people as the API's pseudonyms (needs "
            "GOVGRAPH_PSEUDONYM_SECRET outside demo mode) with birth years, dates and homes "
            "coarsened; public counts per kind and place only (csv or json)",
            case_sensitive=False,
        ),
    ] = Role.DEPARTMENT,
    store: StoreOpt = None,
) -> None:
    """Export the graph: graphml, gexf or cytoscape for graph tools; csv, json or snapshot to
    import again. --role researcher or public writes only what that role may see."""

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r}; expected one of: {', '.join(FORMATS)}", param_hint="--format"
        )
    if role is Role.PUBLIC and fmt not in PUBLIC_FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is a graph, and the public role has counts only;"
            f" use one of: {', '.join(PUBLIC_FORMATS)}",
            param_hint="--format",
        )
    settings = settings_for(store)
    secret = settings.pseudonym_secret.get_secret_value().encode()
    if role is Role.RESEARCHER:
        secret = researcher_secret(settings, "a researcher export")

    async def work(s: GraphStore) -> tuple[int, int]:
        await export(s, fmt, out, role=role, secret=secret)
        c = await s.counts()
        return sum(c.nodes.values()), sum(c.links.values())

    nodes, links = with_store(settings, work)
    what = {
        Role.DEPARTMENT: f"exported {nodes} nodes and {links} links",
        Role.RESEARCHER: f"exported {nodes} nodes and {links} links as a researcher sees them",
        Role.PUBLIC: f"exported the public counts of {nodes} nodes and {links} links",
    }[role]
    typer.echo(f"{what} as {fmt} to {out}")


def register(app: typer.Typer) -> None:
    """Add ``import``, ``template`` and ``export`` to the CLI app."""
    app.command("import")(import_command)
    app.command("template")(template_command)
    app.command("export")(export_command)
