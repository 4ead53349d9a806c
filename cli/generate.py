"""The ``generate`` command: write a synthetic data set of any size as CSV files.

Thin on purpose: it calls :func:`govgraph.loaders.synthetic.generate`, the function the tests
and the import benchmark use, and only adds a progress bar (compounds done, rows per second:
the numbers that tell whether a province-sized run of several minutes is on its way).
``cli/main.py`` adds it to its app with :func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..loaders.synthetic import GenerationProgress, generate


class _RowsPerSecond(ProgressColumn):
    """Rows written per second (the bar itself counts compounds)."""

    def render(self, task: Task) -> Text:
        rows = int(task.fields.get("rows", 0))
        elapsed = task.finished_time if task.finished else task.elapsed
        if not rows or not elapsed:
            return Text("… rows/s", style="cyan")
        return Text(f"{rows:,} rows, {rows / elapsed:,.0f} rows/s", style="cyan")


def generate_command(
    out_dir: Annotated[Path, typer.Argument(help="folder for the CSV files (one per kind)")],
    *,
    compounds: Annotated[
        int,
        typer.Option(
            "--compounds",
            "-n",
            min=1,
            help="how many compounds: ~50 is a city, ~20000 a province (~2M people)",
        ),
    ],
    seed: Annotated[int, typer.Option("--seed", help="the same seed gives the same files")] = 1,
) -> None:
    """Write a synthetic data set (obviously fake names) as CSV files `govgraph import` reads."""
    progress = Progress(
        TextColumn("compounds"),
        BarColumn(),
        MofNCompleteColumn(),
        _RowsPerSecond(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    task = progress.add_task("generate", total=compounds, rows=0)

    def tick(p: GenerationProgress) -> None:
        progress.update(task, completed=p.compounds_done, rows=p.rows)

    with progress:
        report = generate(out_dir, compounds=compounds, seed=seed, progress=tick)
    typer.echo(report.summary())
    typer.echo(f"import with: govgraph import {out_dir}")


def register(app: typer.Typer) -> None:
    """Add ``generate`` to the CLI app."""
    app.command("generate")(generate_command)
