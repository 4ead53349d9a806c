"""Neo4j's offline importer, ``neo4j-admin database import full``, on a local Neo4j's home.

The admin tool is the class ``org.neo4j.cli.AdminTool`` (jar ``neo4j-command-line``; its
``database import`` command comes from ``neo4j-import-tool``), both among the jars
:func:`~.neo4j_local.ensure_jars` fetches, so no Neo4j distribution is installed. It finds the
home in ``$NEO4J_HOME`` and, with no ``conf/neo4j.conf`` there, keeps the default layout, which is
the one the launcher's server uses: the database in ``<home>/data/databases/<name>``.

A bulk load replaces the whole database, so it goes only into the local Neo4j that
``govgraph neo4j start`` manages (:func:`local_target`) and only when that database is empty
(:func:`count_nodes`). :func:`stopped_meanwhile` stops the server while the files are checked and
written (a stopped server takes no writes, and leaves the cores to the checks);
:func:`load_and_start` runs the tool into a staging database, which replaces the empty one only
once complete (a failed tool leaves the database as it was), and starts the server again on its
port. Infrastructure only: processes, folders and one Bolt count; the files and what they mean
come from ``loaders/bulk_files.py``, and ``cli/data.py`` wires the two.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from .neo4j_local import (
    JVM_ADD_OPENS,
    Neo4jLocalError,
    ensure_jars,
    java_executable,
    port_answers,
    start_background,
    status,
    stop_background,
)

__all__ = [
    "ADMIN_LOG",
    "C1_ONLY",
    "C1_UP_TO",
    "DEFAULT_DATABASE",
    "STAGING_SUFFIX",
    "AdminProgress",
    "AdminProgressFn",
    "AdminResult",
    "BulkLoadRefusedError",
    "LocalTarget",
    "Step",
    "admin_arguments",
    "admin_java_command",
    "count_nodes",
    "jvm_options_for",
    "load_and_start",
    "local_target",
    "refuse_if_not_empty",
    "run_admin_import",
    "shell_command",
    "start",
    "stop",
    "stopped_meanwhile",
]

ADMIN_MAIN: Final = "org.neo4j.cli.AdminTool"
DEFAULT_DATABASE: Final = "neo4j"
#: the tool's own output, kept in the home for when something goes wrong
ADMIN_LOG: Final = "neo4j-admin-import.log"
LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
#: the name a load is written under before it replaces the database (a valid database name: the
#: tool checks it)
STAGING_SUFFIX: Final = "-bulk"
#: every node, whatever its labels (a database holding anything at all is not replaced); the
#: planner answers it from the count store, one read
COUNT_NODES: Final = "MATCH (n) RETURN count(n) AS n"
#: up to this many records the tool runs with the JIT's C1 alone: measured as fast or faster
#: than the full tiered JIT at 212,793 records (1.34x) and at 1,429,501 (1.0-1.2x), the
#: machine loaded; bigger loads, unmeasured, keep the full JIT, whose C2 a long run repays
C1_UP_TO: Final = 2_000_000
C1_ONLY: Final = ("-XX:TieredStopAtLevel=1",)
_TAIL_LINES: Final = 40
_STAGE: Final = re.compile(r"^\((\d+)/(\d+)\) (.+?) \d{4}-\d\d-\d\d")
_PERCENT: Final = re.compile(r"\s(\d{1,3})% ∆")
_IMPORTED: Final = re.compile(r"^\s+(\d+) (nodes|relationships)\s*$")


class BulkLoadRefusedError(Neo4jLocalError):
    """A bulk load that would replace data, or that cannot run here; nothing was changed."""


# --------------------------------------------------------------------------------------------
# The command line


Source = tuple[str, str, Sequence[Path]]
"""One ``--nodes`` or ``--relationships`` argument: the group (``nodes`` or ``relationships``),
the labels (``Entity:Compound``) or relationship type, and the files (header first)."""


def admin_arguments(
    sources: Sequence[Source],
    *,
    multiline: Sequence[Path] = (),
    options: Sequence[str] = (),
    database: str = DEFAULT_DATABASE,
    relative_to: Path | None = None,
) -> list[str]:
    """The arguments of ``neo4j-admin`` that import ``sources`` into ``database``, replacing it.

    ``multiline`` names the data files with a line break in some value (only those are parsed
    the slower way); ``options`` are more of the tool's options. With ``relative_to`` the paths
    are written relative to that folder, for a command run from inside it on another machine.
    """

    def path(p: Path) -> str:
        return str(p.relative_to(relative_to)) if relative_to is not None else str(p)

    # the database first: the list-valued options take every argument that follows them
    args = ["database", "import", "full", database, "--overwrite-destination=true", *options]
    if multiline:
        args += ["--multiline-fields-format=v2", "--multiline-fields=" + _files(multiline, path)]
    for group, labels, files in sources:
        args.append(f"--{group}={labels}={_files(files, path)}")
    return args


def _files(files: Sequence[Path], path: Callable[[Path], str]) -> str:
    names = [path(f) for f in files]
    for name in names:
        if "," in name:  # the tool splits its file lists on commas
            raise Neo4jLocalError(
                f"neo4j-admin cannot take a file whose path has a comma ({name!r}): use a home "
                "or folder without one"
            )
    return ",".join(names)


def shell_command(arguments: Sequence[str]) -> str:
    """The command as a person types it where Neo4j is installed."""
    return "neo4j-admin " + shlex.join(arguments)


# --------------------------------------------------------------------------------------------
# Which database, and is it empty


@dataclass(frozen=True, slots=True)
class LocalTarget:
    """The local Neo4j a bulk load replaces: its home, its Bolt port, whether it runs, and the
    memory it was started with (None: :func:`~.neo4j_local.start_background`'s defaults)."""

    home: Path
    port: int
    running: bool
    heap: str | None = None
    pagecache: str | None = None
    database: str = DEFAULT_DATABASE

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def has_database(self) -> bool:
        """Whether the database's store exists (a home never started has none: it is empty)."""
        return self.folders(self.database)[0].is_dir()

    @property
    def staging(self) -> str:
        """The database neo4j-admin writes: it takes the target's place only once complete."""
        return f"{self.database}{STAGING_SUFFIX}"

    def folders(self, database: str) -> tuple[Path, Path]:
        """A database's store and its transaction logs, in the default layout."""
        data = self.home / "data"
        return data / "databases" / database, data / "transactions" / database


def _remote(uri: str, why: str) -> BulkLoadRefusedError:
    return BulkLoadRefusedError(
        f"批量导入须在数据库所在的机器上运行 neo4j-admin / a bulk load runs neo4j-admin on the "
        f"database's own machine, with the database stopped: {why}. Write the files here with "
        "`govgraph import --bulk-files DIR FILES...`, copy DIR to that machine and run there the "
        "neo4j-admin command it prints; or load through Bolt with `govgraph import FILES...` "
        f"(without --bulk). Nothing was changed. (GOVGRAPH_NEO4J_URI={uri})"
    )


def local_target(home: Path, uri: str, database: str | None = None) -> LocalTarget:
    """The local Neo4j in ``home`` if it is the one ``uri`` names (running or stopped).

    Raises:
        BulkLoadRefusedError: ``uri`` names another machine, or a server on this one that
            ``govgraph neo4j start`` did not start in ``home``.
    """
    parts = urlsplit(uri)
    port = parts.port or 7687
    db = database or DEFAULT_DATABASE
    if parts.hostname not in LOOPBACK:
        raise _remote(uri, f"{parts.hostname or uri} is not this machine")
    folder = Path(home).expanduser().resolve()
    state = status(folder)
    if state is not None:
        if state.get("port") != port:
            raise _remote(
                uri,
                f"the local Neo4j in {folder} listens on {state.get('uri')}, not on port {port}",
            )
        return LocalTarget(
            folder, port, True, state.get("heap"), state.get("pagecache"), database=db
        )
    if port_answers(port):
        raise _remote(uri, f"the Neo4j on port {port} was not started in {folder} by govgraph")
    return LocalTarget(folder, port, False, database=db)


def count_nodes(uri: str, auth: tuple[str, str] | None = None, database: str | None = None) -> int:
    """How many nodes the database holds, asked over Bolt (of any label, ours or not)."""
    from neo4j import GraphDatabase  # the driver only for this one question
    from neo4j.exceptions import DriverError, Neo4jError

    try:
        with GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF") as driver:
            records, _, _ = driver.execute_query(COUNT_NODES, database_=database)
            return int(records[0]["n"])
    except (DriverError, Neo4jError, OSError) as exc:
        raise Neo4jLocalError(
            f"could not ask {uri} whether its database is empty ({exc.__class__.__name__}: "
            f"{exc}); nothing was changed"
        ) from exc


def refuse_if_not_empty(nodes: int, uri: str) -> None:
    """Raise :class:`BulkLoadRefusedError` when ``nodes`` (of :func:`count_nodes`) is not 0."""
    if nodes:
        raise BulkLoadRefusedError(
            f"数据库不是空的（已有 {nodes} 个节点）：批量导入会替换整个数据库，只用于首次导入 / "
            f"the database at {uri} is not empty ({nodes} nodes): a bulk load replaces the whole "
            "database, so it only loads into an empty one. Add to it with `govgraph import "
            "FILES...` (without --bulk). Nothing was changed."
        )


# --------------------------------------------------------------------------------------------
# Running the tool


@dataclass(frozen=True, slots=True)
class AdminProgress:
    """Where the tool is: stage ``stage`` of ``stages`` (``name``), ``percent`` through it."""

    stage: int
    stages: int
    name: str
    percent: int

    @property
    def fraction(self) -> float:
        """How far the whole import is, 0 to 1 (each stage counted alike)."""
        return min(1.0, ((self.stage - 1) + self.percent / 100) / max(1, self.stages))


@dataclass(frozen=True, slots=True)
class AdminResult:
    """What the tool said it imported, and how long it ran (the JVM's start included)."""

    nodes: int
    relationships: int
    seconds: float
    log: Path


AdminProgressFn = Callable[[AdminProgress], None]


def admin_java_command(
    arguments: Sequence[str], *, cache_dir: Path | None = None, jvm_options: Sequence[str] = ()
) -> list[str]:
    """The ``java`` command line that runs ``neo4j-admin <arguments>`` from the jars."""
    lib = ensure_jars(cache_dir, quiet=True)
    classpath = str(lib / "*")
    return [
        java_executable(),
        *JVM_ADD_OPENS,
        *jvm_options,
        "-cp",
        classpath,
        ADMIN_MAIN,
        *arguments,
    ]


def run_admin_import(
    home: Path,
    arguments: Sequence[str],
    *,
    progress: AdminProgressFn | None = None,
    cache_dir: Path | None = None,
    jvm_options: Sequence[str] = (),
) -> AdminResult:
    """Run ``neo4j-admin <arguments>`` on ``home`` (the server must be stopped); its output goes
    to ``<home>/neo4j-admin-import.log`` and, parsed, to ``progress``.

    Raises:
        Neo4jLocalError: the tool failed; the message holds the last lines of its output.
    """
    home = Path(home)
    cmd = admin_java_command(arguments, cache_dir=cache_dir, jvm_options=jvm_options)
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_CONF"}
    env["NEO4J_HOME"] = str(home)  # no conf/ there: the defaults, the launcher's layout
    log = home / ADMIN_LOG
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    counts = {"nodes": 0, "relationships": 0}
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        out.write(" ".join(cmd) + "\n")
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=str(home),  # where the tool writes its import.report
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as exc:
            raise Neo4jLocalError(f"could not run neo4j-admin ({cmd[0]}): {exc}") from exc
        assert proc.stdout is not None
        with proc:
            for stage, line in _lines(proc.stdout, out, tail):
                found = _IMPORTED.match(line)
                if found:
                    counts[found.group(2)] = int(found.group(1))
                if progress is not None and stage is not None:
                    progress(stage)
            returncode = proc.wait()
    if returncode != 0:
        raise Neo4jLocalError(
            f"neo4j-admin database import failed (exit status {returncode}). Full output in "
            f"{log}; its last lines:\n" + "\n".join(tail)
        )
    return AdminResult(counts["nodes"], counts["relationships"], time.perf_counter() - start, log)


def _lines(stream: Any, out: Any, tail: deque[str]) -> Iterator[tuple[AdminProgress | None, str]]:
    """The tool's output lines, each logged, with the progress it shows (if it changed)."""
    stage = AdminProgress(0, 1, "starting", 0)
    for raw in stream:
        out.write(raw)
        line = raw.rstrip("\n")
        tail.append(line)
        found = _STAGE.match(line)
        if found:
            stage = AdminProgress(int(found.group(1)), int(found.group(2)), found.group(3), 0)
            yield stage, line
            continue
        pct = _PERCENT.search(line)
        if pct and stage.stage:
            stage = AdminProgress(stage.stage, stage.stages, stage.name, int(pct.group(1)))
            yield stage, line
            continue
        yield None, line


# --------------------------------------------------------------------------------------------
# Replacing the database


def start(target: LocalTarget) -> dict[str, Any]:
    """Start the target's server in the background on its port (as ``govgraph neo4j start``)."""
    memory: dict[str, Any] = {
        k: v for k, v in (("heap", target.heap), ("pagecache", target.pagecache)) if v
    }
    return start_background(target.home, port=target.port, **memory)


def stop(target: LocalTarget) -> None:
    """Stop the target's server (nothing happens if it is not running)."""
    stop_background(target.home)


#: a step that shows no progress of its own, by its name
Step = Callable[[str], contextlib.AbstractContextManager[None]]


def _unseen(_name: str) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def jvm_options_for(records: int) -> tuple[str, ...]:
    """The JIT for a load of ``records`` (see :data:`C1_UP_TO`)."""
    return C1_ONLY if records <= C1_UP_TO else ()


@contextlib.contextmanager
def stopped_meanwhile(
    target: LocalTarget, *, restart_on_error: bool, step: Step = _unseen
) -> Iterator[None]:
    """Stop the target's server in the background while the body runs; leave with it stopped.

    The stop (a checkpoint and the JVM's exit, seconds) then costs no time of its own, and
    nothing can write to the database between its emptiness check and neo4j-admin. If the body
    fails, the server is started again when ``restart_on_error`` (it ran before the command).
    """
    with ThreadPoolExecutor(1, thread_name_prefix="neo4j-stop") as pool:

        def stopping() -> None:
            with step("stopping Neo4j"):
                stop(target)

        stopped = pool.submit(stopping)
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                stopped.result()
            if restart_on_error:
                with contextlib.suppress(Neo4jLocalError):
                    start(target)
            raise
        stopped.result()


def load_and_start(
    target: LocalTarget,
    arguments: Sequence[str],
    *,
    records: int,
    progress: AdminProgressFn | None = None,
    step: Step = _unseen,
    cache_dir: Path | None = None,
) -> AdminResult:
    """Run ``neo4j-admin <arguments>`` (an import into ``target.staging``) on the stopped
    target (``records`` nodes and relationships, to choose its JIT), put the staged database in
    the place of the target's empty one, and start the server again on its port.

    When the tool fails, what it left is deleted, the server is started again on the database as
    it was, and then the tool's error is raised.
    """
    try:
        result = run_admin_import(
            target.home,
            arguments,
            progress=progress,
            cache_dir=cache_dir,
            jvm_options=jvm_options_for(records),
        )
    except BaseException as exc:
        for folder in target.folders(target.staging):
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(Neo4jLocalError):
            start(target)
        if isinstance(exc, Neo4jLocalError):
            raise Neo4jLocalError(
                "批量导入失败，数据库未改变 / the bulk load failed and changed nothing (the "
                f"database is as it was): fix the cause and run it again. {exc}"
            ) from exc
        raise
    _swap_in(target)
    with step("starting Neo4j"):
        start(target)
    return result


def _swap_in(target: LocalTarget) -> None:
    """Put the staged database's folders where the target's are (it was checked empty, or had
    none yet); a rename each, on one disk."""
    for staged, live in zip(
        target.folders(target.staging), target.folders(target.database), strict=True
    ):
        if live.exists():
            shutil.rmtree(live)
        live.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(live)
