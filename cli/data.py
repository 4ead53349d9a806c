"""The data commands of the CLI: ``import``, ``template`` and ``export``.

They are thin: each calls the same loader functions a program would (``loaders.importer``,
``loaders.template``, ``loaders.exporters``) and only adds printing. ``cli/main.py`` adds them to
its app with :func:`register`; the store helpers come from ``cli/stores.py``.

``import --bulk`` is the one command that wires two rooms: the files come from
``loaders.bulk_files`` (the importer's own checks), neo4j-admin and the server's stop and start
from ``ops.neo4j_bulk``, the schema from the store (``init_schema``, as ``db init``).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

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

from ..api.settings import Settings
from ..graph.port import GraphStore
from ..graph.privacy import Role
from ..loaders import importer as imp
from ..loaders.bulk_files import ADMIN_OPTIONS, BulkFiles, write_bulk_files
from ..loaders.exporters import FORMATS, PUBLIC_FORMATS, export
from ..loaders.template import write_template
from ..ops import neo4j_bulk as nb
from ..ops.neo4j_local import Neo4jLocalError
from .db import HomeOpt
from .stores import StoreOpt, researcher_secret, settings_for, with_store

#: errors printed to the terminal; the rest go to --errors FILE
MAX_SHOWN = 200
PHASES = {"check": "checking rows", "links": "checking links", "write": "writing"}
BULK_PHASES = {**PHASES, "write": "writing files"}


class _RowsPerSecond(ProgressColumn):
    """Throughput, the number that tells whether a big import is healthy."""

    def render(self, task: Task) -> Text:
        if not task.fields.get("rate", True):
            return Text("")
        speed = task.finished_speed or task.speed
        if not speed and task.elapsed:
            speed = task.completed / task.elapsed  # too few samples yet for rich's estimate
        return Text(f"{speed:,.0f} rows/s" if speed else "… rows/s", style="cyan")


class _Bar:
    """A rich progress bar fed by the importer's progress callback, one line per phase."""

    def __init__(self, phases: dict[str, str] = PHASES) -> None:
        self.phases = phases
        self.progress = Progress(
            TextColumn("{task.description:<15}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RowsPerSecond(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.tasks: dict[str, TaskID] = {}
        #: seconds spent in each :meth:`step`, by its description
        self.seconds: dict[str, float] = {}

    def __call__(self, p: imp.Progress) -> None:
        task = self.tasks.get(p.phase)
        if task is None:
            task = self.tasks[p.phase] = self.progress.add_task(
                self.phases.get(p.phase, p.phase), total=p.total
            )
        self.progress.update(task, completed=p.done, total=p.total)

    @contextlib.contextmanager
    def step(self, description: str) -> Iterator[None]:
        """A step that tells no progress of its own (a pulsing bar until it is done)."""
        task = self.progress.add_task(description, total=None, rate=False)
        began = time.perf_counter()
        yield
        self.seconds[description] = self.seconds.get(description, 0.0) + time.perf_counter() - began
        self.progress.update(task, total=1, completed=1)

    def admin(self, records: int) -> nb.AdminProgressFn:
        """A callback for neo4j-admin's progress, shown in records (the stages counted alike)."""
        tasks: list[TaskID] = []  # added when the tool starts, after the server stopped

        def update(p: nb.AdminProgress) -> None:
            if not tasks:
                tasks.append(self.progress.add_task("neo4j-admin", total=records))
            self.progress.update(tasks[0], completed=round(records * p.fraction))

        return update

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
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="a first load into an EMPTY local Neo4j (govgraph neo4j start) through "
            "neo4j-admin: the same checks, no transactions (for big data sets); the server is "
            "stopped meanwhile and left running",
        ),
    ] = False,
    bulk_files: Annotated[
        Path | None,
        typer.Option(
            "--bulk-files",
            help="for a Neo4j on another machine: only check FILES, write neo4j-admin's files "
            "into this new folder and print the command to run there",
        ),
    ] = None,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Import files into the store: all rows or, if any is invalid, none (see --skip-invalid).
    --bulk loads an empty Neo4j through neo4j-admin instead of transactions."""

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

    if bulk or bulk_files is not None:
        _bulk_import(
            files,
            bulk_files,
            home,
            settings_for(store),
            skip_invalid=skip_invalid,
            rejects=rejects,
            errors=errors,
        )
        return
    with _Bar() as bar:
        outcome = with_store(settings_for(store), work)
    if isinstance(outcome, imp.DataImportError):
        _refused(outcome, errors)
    _print_errors(outcome.errors, errors)
    _left_out(outcome, rejects)
    typer.echo(outcome.summary())


def _refused(outcome: imp.DataImportError, errors: Path | None) -> NoReturn:
    """Print why an import wrote nothing and exit with 1."""
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


def _left_out(report: imp.ImportReport, rejects: Path | None) -> None:
    if report.errors:
        typer.secho(
            f"{len(report.errors)} problem(s); {report.rows_rejected} row(s) left out"
            + (f" (listed in {rejects})" if rejects else ""),
            fg=typer.colors.YELLOW,
            err=True,
        )


def _fail(message: object) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _bulk_import(
    files: list[Path],
    folder: Path | None,
    home: Path | None,
    settings: Settings,
    *,
    skip_invalid: bool,
    rejects: Path | None,
    errors: Path | None,
) -> None:
    """``import --bulk``: check FILES as ``import`` does, write neo4j-admin's files, and (without
    ``--bulk-files``) replace the empty local Neo4j with them and create the schema."""

    def write(out: Path, bar: _Bar) -> BulkFiles:
        try:
            written = asyncio.run(
                write_bulk_files(
                    files,
                    out,
                    skip_invalid=skip_invalid,
                    rejects_path=rejects,
                    errors_path=errors,
                    progress=bar,
                )
            )
        except imp.DataImportError as exc:
            bar.progress.stop()
            _refused(exc, errors)
        except OSError as exc:  # a full disk, a folder that cannot be written
            bar.progress.stop()
            _fail(f"could not write neo4j-admin's files in {out}: {exc}")
        if not written.sources:
            bar.progress.stop()
            _fail("没有可导入的记录 / nothing to load: the files hold no valid row")
        return written

    database = settings.neo4j_database or nb.DEFAULT_DATABASE
    if folder is not None:
        if folder.exists() and any(folder.iterdir()):
            _fail(f"--bulk-files {folder}: 应为空的或新的文件夹 / expected an empty or new folder")
        with _Bar(BULK_PHASES) as bar:
            written = write(folder, bar)
        _bulk_files_written(written, database, rejects)
        return
    if settings.store != "neo4j":
        _fail(
            "批量导入只用于 Neo4j / --bulk loads a Neo4j database: set GOVGRAPH_STORE=neo4j "
            "(or --store neo4j); the embedded store takes `govgraph import` without --bulk"
        )
    try:
        target = nb.local_target(home or settings.neo4j_home, settings.neo4j_uri, database)
    except Neo4jLocalError as exc:
        _fail(exc)
    start = time.perf_counter()
    with _Bar(BULK_PHASES) as bar:
        try:
            loaded = _replace(target, settings, write, bar)
        except Neo4jLocalError as exc:
            bar.progress.stop()
            _fail(exc)
    report = loaded.written.report
    _print_errors(report.errors, errors)
    _left_out(report, rejects)
    typer.echo(
        f"{report.rows_read} rows read and checked; {loaded.nodes} nodes and {loaded.links} "
        "links loaded by neo4j-admin; constraints and indexes created"
    )
    times = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in loaded.seconds.items())
    typer.echo(f"time: {times}; {time.perf_counter() - start:.1f} s in all")
    if (loaded.nodes, loaded.links) != (report.nodes_written, report.links_written):
        typer.secho(
            f"warning: {report.nodes_written} nodes and {report.links_written} links were "
            f"written to the files, the database holds {loaded.nodes} and {loaded.links}",
            fg=typer.colors.YELLOW,
            err=True,
        )
    typer.echo(f"Neo4j ready at {target.uri} (data in {target.home})")


@dataclass(frozen=True, slots=True)
class _Loaded:
    written: BulkFiles
    admin: nb.AdminResult
    #: what the database holds afterwards
    nodes: int
    links: int
    #: seconds by part: the checks and the files, neo4j-admin, the server, the schema
    seconds: dict[str, float]


def _replace(target: nb.LocalTarget, settings: Settings, write: Any, bar: _Bar) -> _Loaded:
    """Check that the database is empty, write the files, run neo4j-admin, create the schema."""
    password = settings.neo4j_password.get_secret_value()
    auth = (settings.neo4j_user, password) if password else None
    running = target.running
    if not running and target.has_database:
        with bar.step("starting Neo4j"):  # to look inside; a home without a database is empty
            nb.start(target)
        running = True
    if running:
        try:
            nodes = nb.count_nodes(target.uri, auth, settings.neo4j_database)
            nb.refuse_if_not_empty(nodes, target.uri)
        except BaseException:
            if not target.running:  # started only to look inside: as it was
                nb.stop(target)
            raise
    target.home.mkdir(parents=True, exist_ok=True)
    # the server stops while the files are checked: nobody writes after the count above
    meanwhile = (
        nb.stopped_meanwhile(target, restart_on_error=target.running, step=bar.step)
        if running
        else contextlib.nullcontext()
    )
    # beside the database: the same disk, and no /tmp too small for the province
    with tempfile.TemporaryDirectory(prefix="bulk-files-", dir=target.home) as tmp:
        began = time.perf_counter()
        with meanwhile:
            written = write(Path(tmp), bar)
        checks = time.perf_counter() - began
        admin = nb.load_and_start(
            target,
            _admin_arguments(written, target.staging),
            records=written.records,
            progress=bar.admin(written.records),
            step=bar.step,
        )
    with bar.step("creating the schema"):
        # building indexes over a whole province outlasts the per-query timeout
        unbounded = settings.model_copy(update={"neo4j_query_timeout": None})
        nodes, links = with_store(unbounded, _schema_and_totals)
    seconds = {
        "checks and files (server stopping meanwhile)": checks,
        "neo4j-admin": admin.seconds,
        "server start": bar.seconds.get("starting Neo4j", 0.0),
        "schema": bar.seconds["creating the schema"],
    }
    return _Loaded(written, admin, nodes, links, seconds)


async def _schema_and_totals(s: GraphStore) -> tuple[int, int]:
    """Create the schema, then count what the database holds (one connection for both)."""
    await s.init_schema()
    c = await s.counts()
    return sum(c.nodes.values()), sum(c.links.values())


def _admin_arguments(
    written: BulkFiles, database: str, relative_to: Path | None = None
) -> list[str]:
    return nb.admin_arguments(
        written.admin_sources,
        multiline=written.multiline,
        options=ADMIN_OPTIONS,
        database=database,
        relative_to=relative_to,
    )


def _bulk_files_written(written: BulkFiles, database: str, rejects: Path | None) -> None:
    """Say what ``--bulk-files`` wrote and how to load it on the database's machine."""
    _print_errors(written.report.errors, None)
    _left_out(written.report, rejects)
    folder = written.folder
    command = nb.shell_command(_admin_arguments(written, database, relative_to=folder))
    typer.echo(
        f"{written.report.rows_read} rows read; {written.report.nodes_written} nodes and "
        f"{written.report.links_written} links written to neo4j-admin's files in {folder}.\n"
        "On the database's machine, with Neo4j stopped and its database empty (the command "
        "replaces the whole database), run from inside the copied folder:\n\n"
        f"  {command}\n\n"
        "then start Neo4j and create the constraints and indexes: `govgraph db init`."
    )


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
