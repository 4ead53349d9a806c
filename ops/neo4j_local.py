"""A real Neo4j Community server on this machine, for development and tests, without Docker.

Neo4j Community (:data:`NEO4J_VERSION`) and its Bolt server are fetched once from Maven Central
by ``mvn dependency:copy-dependencies`` (driven by ``ops/neo4j_launcher/pom.xml``, shipped in
the package) into ``<cache>/neo4j-<version>/lib``. A tiny JVM program of our own
(``ops/neo4j_launcher/Launcher.java``, compiled once into the same cache) starts the database
in-process with the Bolt connector on ``127.0.0.1:<port>``, authentication disabled, and prints
a ready line on stdout. The classes
a server loads are recorded once, in the same cache, as a JVM class archive that every later
server maps instead of loading them again (:func:`ensure_class_archive`).

Two ways to run it:

* :class:`LocalNeo4j` -- a server owned by this Python process (tests, scripts); it also stops
  by itself if this process dies, because the JVM watches its standard input pipe.
* :func:`start_background` / :func:`status` / :func:`stop_background` -- a detached server that
  outlives the Python process that started it; its pid and port are kept in
  ``<data_dir>/neo4j.json`` so a later, separate invocation can find and stop it.

In both cases the server's home is ``data_dir``: Neo4j keeps its stores in ``<data_dir>/data``
and its own logs in ``<data_dir>/logs``; the JVM's console output goes to ``<data_dir>/neo4j.log``.

Only the standard library is used; Java 17+ (``java`` and ``javac``) and Maven (``mvn``) must
be installed (``JAVA_HOME`` is honoured).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, Self

__all__ = [
    "FULL_JIT",
    "NEO4J_VERSION",
    "LocalNeo4j",
    "Neo4jLocalError",
    "default_cache_dir",
    "ensure_class_archive",
    "ensure_jars",
    "ensure_launcher",
    "free_port",
    "java_executable",
    "lib_dir",
    "port_answers",
    "start_background",
    "status",
    "stop_background",
]

NEO4J_VERSION: Final = "5.26.30"
"""Neo4j Community version fetched and run (newest 5.26 LTS patch release on Maven Central)."""

READY_MARKER: Final = "GOVGRAPH-NEO4J READY "
FAILED_MARKER: Final = "GOVGRAPH-NEO4J FAILED"
STATE_FILE: Final = "neo4j.json"
LOG_FILE: Final = "neo4j.log"

_LAUNCHER_DIR: Final = Path(__file__).resolve().parent / "neo4j_launcher"  # package data
_POM: Final = _LAUNCHER_DIR / "pom.xml"
_LAUNCHER_SOURCE: Final = _LAUNCHER_DIR / "Launcher.java"
_JAR_MARKER: Final = ".jars-complete.json"
_SIZE_RE: Final = re.compile(r"^[1-9][0-9]*[kKmMgG]?$")
_LOG_TAIL_LINES: Final = 40
_POLL_SECONDS: Final = 0.1
_START_ATTEMPTS: Final = 3

# Neo4j uses reflection into these JDK internals (page cache, direct buffers, netty).
JVM_ADD_OPENS: Final = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)
# C1 only: a test server starts sooner and runs a short workload faster without C2, whose
# warm-up never pays off for a short-lived server. To get C2 back, pass jvm_options=FULL_JIT
# (the last occurrence of a -XX flag wins).
FULL_JIT: Final = ("-XX:TieredStopAtLevel=4",)
"""The usual tiered JIT (C1, then C2). A background server lives long enough to repay C2's
warm-up: for bulk writes C1 alone costs the JVM far more CPU a record than C2 once warm
(figures in bench/README.md, import benchmark)."""
_JVM_FLAGS: Final = (
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "-Djava.awt.headless=true",
)

# Popen objects of background servers started by this process, kept so that they can be reaped
# (and are not reported as leaked) if this same process stops them later.
_BACKGROUND: dict[int, subprocess.Popen[bytes]] = {}


class Neo4jLocalError(RuntimeError):
    """The local Neo4j could not be fetched, started or stopped; the message says what to do."""


# --------------------------------------------------------------------------------------------
# Locations and tools


def default_cache_dir() -> Path:
    """Where downloaded jars live: ``$GOVGRAPH_CACHE_DIR``, else ``~/.cache/govgraph``."""
    env = os.environ.get("GOVGRAPH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "govgraph"


def _version_root(cache_dir: Path | None) -> Path:
    return (cache_dir if cache_dir is not None else default_cache_dir()) / f"neo4j-{NEO4J_VERSION}"


def lib_dir(cache_dir: Path | None = None) -> Path:
    """The folder holding Neo4j's jars, ``<cache>/neo4j-<version>/lib`` (may not exist yet)."""
    return _version_root(cache_dir) / "lib"


def _tool(name: str, hint: str) -> str:
    """Path of a JDK or build tool: ``$JAVA_HOME/bin/<name>`` first for JDK tools, then PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and name in ("java", "javac"):
        candidate = Path(java_home) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise Neo4jLocalError(f"`{name}` was not found on PATH (nor in $JAVA_HOME/bin). {hint}")
    return found


_JDK_HINT: Final = (
    "Neo4j 5.26 needs a Java 17 or 21 JDK: install one "
    "(e.g. `apt-get install openjdk-17-jdk-headless`) or set JAVA_HOME to it."
)
_MVN_HINT: Final = "Install Apache Maven (e.g. `apt-get install maven`) to fetch the Neo4j jars."


@functools.cache
def _java_version(java: str) -> str:
    """What ``java -version`` says (its exact build: a class archive is valid for it alone)."""
    try:
        proc = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise Neo4jLocalError(f"could not run `{java} -version`: {exc}. {_JDK_HINT}") from exc
    return proc.stderr + proc.stdout


def _java_major(java: str) -> int:
    match = re.search(r'version "(\d+)(?:\.(\d+))?', _java_version(java))
    if match is None:
        raise Neo4jLocalError(f"could not read the Java version from `{java} -version`.")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    return major


@functools.cache
def _java() -> str:
    """The ``java`` executable, checked once per process to be Java 17 or newer."""
    java = _tool("java", _JDK_HINT)
    major = _java_major(java)
    if major < 17:
        raise Neo4jLocalError(f"{java} is Java {major}; {_JDK_HINT}")
    return java


def java_executable() -> str:
    """The ``java`` that runs Neo4j and its tools (``$JAVA_HOME`` first; checked to be 17+).

    Raises:
        Neo4jLocalError: no Java, or one older than 17.
    """
    return _java()


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``root`` so concurrent processes do not fetch twice."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Fetching and compiling


def _jars_complete(lib: Path, marker: Path, pom_sha: str) -> bool:
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or info.get("neo4j_version") != NEO4J_VERSION:
        return False
    if info.get("pom_sha256") != pom_sha:
        return False
    jars = info.get("jars")
    if not isinstance(jars, list) or not jars:
        return False
    return all(isinstance(name, str) and (lib / name).is_file() for name in jars)


def ensure_jars(cache_dir: Path | None = None, *, quiet: bool = False) -> Path:
    """Fetch Neo4j Community and its Bolt server with all dependencies, once; return the lib dir.

    The jars go to ``<cache>/neo4j-<version>/lib``. A marker file written after a successful
    download (listing the jars and the POM's checksum) makes an interrupted or outdated download
    be redone. Progress goes to stderr unless ``quiet``.

    Raises:
        Neo4jLocalError: Maven or Java is missing, or the download failed.
    """
    if not _POM.is_file():
        raise Neo4jLocalError(f"the launcher POM is missing: {_POM} (is the repository complete?)")
    root = _version_root(cache_dir)
    lib = root / "lib"
    marker = root / _JAR_MARKER
    pom_sha = _sha256(_POM)
    if _jars_complete(lib, marker, pom_sha):
        return lib
    with _locked(root):
        if _jars_complete(lib, marker, pom_sha):  # another process finished meanwhile
            return lib
        mvn = _tool("mvn", _MVN_HINT)
        _java()
        partial = root / "lib.partial"
        shutil.rmtree(partial, ignore_errors=True)
        marker.unlink(missing_ok=True)
        cmd = [
            mvn,
            "-B",
            "-Dstyle.color=never",
            "-q" if quiet else "-ntp",
            "-f",
            str(_POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={partial}",
            f"-Dneo4j.version={NEO4J_VERSION}",
        ]
        if not quiet:
            print(
                f"govgraph: fetching Neo4j {NEO4J_VERSION} jars (about 125 MB, once) into {lib}",
                file=sys.stderr,
                flush=True,
            )
        tail: deque[str] = deque(maxlen=_LOG_TAIL_LINES)
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=str(root),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            raise Neo4jLocalError(f"could not run Maven ({mvn}): {exc}. {_MVN_HINT}") from exc
        assert proc.stdout is not None
        with proc:
            for line in proc.stdout:
                tail.append(line.rstrip("\n"))
                if not quiet:
                    sys.stderr.write(line)
            returncode = proc.wait()
        expected = {f"neo4j-{NEO4J_VERSION}.jar", f"neo4j-bolt-{NEO4J_VERSION}.jar"}
        jars = sorted(p.name for p in partial.glob("*.jar")) if partial.is_dir() else []
        missing = expected.difference(jars)
        if returncode != 0 or missing:
            shutil.rmtree(partial, ignore_errors=True)
            why = f"exit status {returncode}" if returncode != 0 else f"missing {sorted(missing)}"
            raise Neo4jLocalError(
                f"fetching Neo4j {NEO4J_VERSION} jars from Maven Central failed ({why}).\n"
                f"Command: {' '.join(cmd)}\n"
                "Check that Maven Central is reachable (and any proxy in ~/.m2/settings.xml), "
                "then try again.\nMaven output (last lines):\n" + "\n".join(tail)
            )
        shutil.rmtree(lib, ignore_errors=True)
        partial.rename(lib)
        info = {"neo4j_version": NEO4J_VERSION, "pom_sha256": pom_sha, "jars": jars}
        _write_json(marker, info)
        if not quiet:
            print(f"govgraph: {len(jars)} jars ready in {lib}", file=sys.stderr, flush=True)
        return lib


def ensure_launcher(cache_dir: Path | None = None, *, quiet: bool = False) -> Path:
    """Compile ``Launcher.java`` once against the jars, into a jar; return the jar's path.

    The jar is ``<cache>/neo4j-<version>/launcher-<checksum>/launcher.jar``, so an edited source
    is recompiled. Compiling once saves the few seconds that Java's source-launch mode would
    spend compiling on every start; a jar, not a folder of classes, because the JVM's class
    archive (:func:`ensure_class_archive`) refuses a class path that holds a folder.

    Raises:
        Neo4jLocalError: the JDK is missing or the source does not compile.
    """
    lib = ensure_jars(cache_dir, quiet=quiet)
    if not _LAUNCHER_SOURCE.is_file():
        raise Neo4jLocalError(f"the launcher source is missing: {_LAUNCHER_SOURCE}")
    root = _version_root(cache_dir)
    jar = root / f"launcher-{_sha256(_LAUNCHER_SOURCE)[:16]}" / "launcher.jar"
    if jar.is_file():
        return jar
    with _locked(root):
        if jar.is_file():
            return jar
        javac = _tool("javac", _JDK_HINT)
        partial = root / "launcher.partial"
        shutil.rmtree(partial, ignore_errors=True)
        classes = partial / "classes"
        cmd = [
            javac,
            "-nowarn",
            "-encoding",
            "UTF-8",
            "-cp",
            str(lib / "*"),
            "-d",
            str(classes),
            str(_LAUNCHER_SOURCE),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise Neo4jLocalError(f"could not run javac: {exc}. {_JDK_HINT}") from exc
        if proc.returncode != 0 or not (classes / "Launcher.class").is_file():
            shutil.rmtree(partial, ignore_errors=True)
            raise Neo4jLocalError(
                f"compiling {_LAUNCHER_SOURCE} failed (exit status {proc.returncode}):\n"
                + (proc.stdout + proc.stderr)[-4000:]
            )
        with zipfile.ZipFile(partial / jar.name, "w") as archive:
            for path in sorted(classes.rglob("*.class")):
                archive.write(path, path.relative_to(classes).as_posix())
        shutil.rmtree(classes)
        shutil.rmtree(jar.parent, ignore_errors=True)
        partial.rename(jar.parent)
        return jar


def _class_path(cache_dir: Path | None) -> str:
    return f"{ensure_launcher(cache_dir, quiet=True)}{os.pathsep}{lib_dir(cache_dir) / '*'}"


def ensure_class_archive(cache_dir: Path | None = None, *, quiet: bool = False) -> Path | None:
    """Record once which classes a server loads, as a JVM class archive; return its path.

    A server spends most of its start, and of its first queries, loading and verifying some
    twenty thousand classes from the jars; with the archive mapped (``-XX:SharedArchiveFile``)
    it starts in about two thirds of the time and answers its first queries several times
    sooner. The archive is recorded by a throwaway server that runs ``Launcher --warm-up``
    with ``-XX:ArchiveClassesAtExit`` (some 10-20 s, once), and lives in
    ``<cache>/neo4j-<version>/class-archive/``, named by a checksum of what it is only valid
    for: the ``java`` that wrote it, the launcher jar and the fetched jars (a JVM that finds the
    archive does not match runs without it, a little slower, and says so in its log). Returns
    ``None`` if this JVM cannot record one: the reason is kept beside it, in ``<checksum>.failed``,
    and no server tries again until that file is deleted.
    Progress goes to stderr unless ``quiet``.

    Raises:
        Neo4jLocalError: Java, Maven or the jars are missing (as :func:`ensure_launcher`).
    """
    class_path = _class_path(cache_dir)
    root = _version_root(cache_dir)
    folder = root / "class-archive"
    java = _java()
    jars = (root / _JAR_MARKER).stat().st_mtime_ns  # a fetch again: new jars, new archive
    key = f"{java}\n{_java_version(java)}\n{class_path}\n{jars}"
    name = hashlib.sha256(key.encode()).hexdigest()[:16]
    archive, failed = folder / f"{name}.jsa", folder / f"{name}.failed"
    if archive.is_file():
        return archive
    if failed.is_file():
        return None
    with _locked(root):
        if archive.is_file():
            return archive
        if failed.is_file():
            return None
        folder.mkdir(exist_ok=True)
        if not quiet:
            print(
                f"govgraph: recording the classes Neo4j loads, once, into {archive}",
                file=sys.stderr,
                flush=True,
            )
        partial = folder / f"{name}.partial"
        with tempfile.TemporaryDirectory(prefix="warm-up-", dir=folder) as home:
            cmd = [
                java,
                "-Xms1g",
                "-Xmx1g",
                *_JVM_FLAGS,
                *JVM_ADD_OPENS,
                f"-XX:ArchiveClassesAtExit={partial}",
                "-cp",
                class_path,
                "Launcher",
                home,
                str(free_port()),
                "--warm-up",
            ]
            try:
                proc = subprocess.run(cmd, capture_output=True, timeout=600, check=False)
                output = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
                ok = proc.returncode == 0 and partial.is_file()
            except (OSError, subprocess.SubprocessError) as exc:
                output, ok = str(exc), False
        if not ok:
            partial.unlink(missing_ok=True)
            failed.write_text(" ".join(cmd) + "\n" + output, encoding="utf-8")
            return None
        partial.rename(archive)
        return archive


# --------------------------------------------------------------------------------------------
# Small helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def port_answers(port: int) -> bool:
    """Whether something accepts connections on ``127.0.0.1:<port>`` right now."""
    return _port_open(port)


def _tail(path: Path, offset: int = 0, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except OSError:
        return "(no log)"
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process; reaps it if it is our exited child."""
    popen = _BACKGROUND.get(pid)
    if popen is not None:
        if popen.poll() is None:
            return True
        del _BACKGROUND[pid]
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0:1] != ["Z"]


def _is_our_server(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` runs our launcher on ``data_dir`` (guards against a reused pid)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return _pid_alive(pid)  # no /proc: best effort
    args = [a.decode("utf-8", errors="replace") for a in argv]
    return "Launcher" in args and str(data_dir) in args


def _check_size(name: str, value: str) -> str:
    if not _SIZE_RE.match(value):
        raise Neo4jLocalError(f"{name} must look like 512m or 1g, not {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# The server


class LocalNeo4j:
    """One local Neo4j Community server whose home (stores, logs, state) is ``data_dir``.

    ``port`` defaults to a free port chosen at :meth:`start`; ``heap`` and ``pagecache`` take
    JVM/Neo4j sizes such as ``"1g"`` or ``"256m"``; ``settings`` adds or overrides Neo4j
    settings (unknown keys make start-up fail); ``jvm_options`` are extra ``java`` flags.
    The JVM watches a pipe from this process and shuts down if this process dies (or drops
    this object while it runs). Use as a context manager to start and stop::

        with LocalNeo4j(tmp_path) as server:
            driver = GraphDatabase.driver(server.uri, auth=None)
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        cache_dir: Path | None = None,
        heap: str = "1g",
        pagecache: str = "256m",
        *,
        settings: Mapping[str, str] | None = None,
        jvm_options: Sequence[str] = (),
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.cache_dir = cache_dir
        self.heap = _check_size("heap", heap)
        self.pagecache = _check_size("pagecache", pagecache)
        self.settings: dict[str, str] = dict(settings or {})
        self.jvm_options: tuple[str, ...] = tuple(jvm_options)
        self._requested_port = port
        self._port: int | None = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin: IO[bytes] | None = None
        self._background = False

    # -- properties ------------------------------------------------------------------------

    @property
    def log_file(self) -> Path:
        """The JVM's console log, ``<data_dir>/neo4j.log`` (appended to on every start)."""
        return self.data_dir / LOG_FILE

    @property
    def state_file(self) -> Path:
        """The pid/port record, ``<data_dir>/neo4j.json``, present while the server runs."""
        return self.data_dir / STATE_FILE

    @property
    def port(self) -> int:
        """The Bolt port. Raises :class:`Neo4jLocalError` if none is chosen yet (not started)."""
        if self._port is None:
            raise Neo4jLocalError("no Bolt port yet: start() the server first")
        return self._port

    @property
    def uri(self) -> str:
        """The Bolt URI, ``bolt://127.0.0.1:<port>``."""
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it runs, else ``None``."""
        return self._proc.pid if self.is_running and self._proc is not None else None

    @property
    def is_running(self) -> bool:
        """Whether the JVM started by this object is still alive."""
        return self._proc is not None and self._proc.poll() is None

    # -- life cycle ------------------------------------------------------------------------

    def command(self, port: int, *, watch_stdin: bool = True) -> list[str]:
        """The full ``java`` command line that starts this server on ``port``."""
        archive = ensure_class_archive(self.cache_dir, quiet=True)
        shared = (f"-XX:SharedArchiveFile={archive}",) if archive is not None else ()
        cmd = [
            _java(),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *_JVM_FLAGS,
            *JVM_ADD_OPENS,
            *shared,
            *self.jvm_options,
            "-cp",
            _class_path(self.cache_dir),
            "Launcher",
            str(self.data_dir),
            str(port),
        ]
        if watch_stdin:
            cmd.append("--watch-stdin")
        merged = {"server.memory.pagecache.size": self.pagecache, **self.settings}
        cmd.extend(f"{key}={value}" for key, value in merged.items())
        return cmd

    def start(self, timeout: float = 120.0) -> str:
        """Start the server (fetching jars first if needed) and return its Bolt URI.

        Blocks until the default database is available. Does nothing but return the URI if this
        object's server already runs. The first start on a new machine also downloads about
        125 MB of jars, which is not counted in ``timeout``.

        Raises:
            Neo4jLocalError: the JVM exited, or was not ready within ``timeout`` seconds; the
                message includes the tail of ``neo4j.log``.
        """
        if self.is_running:
            return self.uri
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ensure_launcher(self.cache_dir)
        ensure_class_archive(self.cache_dir)
        running = status(self.data_dir)
        if running is not None:
            raise Neo4jLocalError(
                f"a Neo4j server already runs on {self.data_dir} (pid {running['pid']}, "
                f"{running['uri']}); stop it first (stop_background)."
            )
        attempts = 1 if self._requested_port is not None else _START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._requested_port if self._requested_port is not None else free_port()
            try:
                return self._start_once(port, timeout)
            except _PortTakenError as exc:
                if attempt == attempts:
                    raise Neo4jLocalError(str(exc)) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _start_once(self, port: int, timeout: float) -> str:
        if _port_open(port):
            raise _PortTakenError(
                f"port {port} on 127.0.0.1 is already in use; choose another port "
                "(or leave it unset to pick a free one)."
            )
        cmd = self.command(port, watch_stdin=not self._background)
        with self.log_file.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"\n=== govgraph: starting Neo4j {NEO4J_VERSION} at {stamp} ===\n".encode())
            log.write((" ".join(cmd) + "\n").encode())
            log.flush()
            offset = log.tell()
            try:
                proc = subprocess.Popen(
                    cmd,
                    cwd=str(self.data_dir),
                    stdin=subprocess.DEVNULL if self._background else subprocess.PIPE,
                    stdout=log,
                    stderr=log,
                    start_new_session=self._background,
                    close_fds=True,
                )
            except OSError as exc:
                raise Neo4jLocalError(f"could not start Java: {exc}. {_JDK_HINT}") from exc
        self._proc = proc
        self._stdin = proc.stdin
        self._port = port
        deadline = time.monotonic() + timeout
        while True:
            text = _tail(self.log_file, offset, lines=10_000)
            if READY_MARKER in text:
                break
            returncode = proc.poll()
            failed = FAILED_MARKER in text
            if returncode is not None or failed or time.monotonic() > deadline:
                self._kill()
                tail = _tail(self.log_file, offset)
                if "Address already in use" in text or "BindException" in text:
                    raise _PortTakenError(
                        f"Neo4j could not bind 127.0.0.1:{port} (already in use).\n{tail}"
                    )
                if returncode is not None:
                    why = f"the JVM exited with status {returncode}"
                elif failed:
                    why = "Neo4j failed to start"
                else:
                    why = f"Neo4j was not ready within {timeout:.0f} s"
                raise Neo4jLocalError(
                    f"{why} (data dir {self.data_dir}, log {self.log_file}). Last log lines:\n"
                    f"{tail}"
                )
            time.sleep(_POLL_SECONDS)
        if self._background:
            _BACKGROUND[proc.pid] = proc
        _write_json(self.state_file, self._state())
        return self.uri

    def _state(self) -> dict[str, Any]:
        assert self._proc is not None
        return {
            "pid": self._proc.pid,
            "port": self.port,
            "uri": self.uri,
            "neo4j_version": NEO4J_VERSION,
            "data_dir": str(self.data_dir),
            "log_file": str(self.log_file),
            "heap": self.heap,
            "pagecache": self.pagecache,
            "background": self._background,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server cleanly (SIGTERM, then SIGKILL after ``timeout`` seconds).

        Does nothing if it is not running. Removes ``neo4j.json``.
        """
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._kill()
            self._close_stdin()
            _BACKGROUND.pop(proc.pid, None)
            self._proc = None
        self._forget_state()

    def _kill(self) -> None:
        """Stop the JVM now: SIGTERM with a short grace period, then SIGKILL."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait()
        self._close_stdin()
        self._proc = None

    def _close_stdin(self) -> None:
        if self._stdin is not None:
            with contextlib.suppress(OSError):
                self._stdin.close()
            self._stdin = None

    def _forget_state(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
            if not isinstance(state, dict) or not _pid_alive(int(state.get("pid", 0))):
                self.state_file.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running pid={self.pid} {self.uri}" if self.is_running else "stopped"
        return f"LocalNeo4j({str(self.data_dir)!r}, {state})"


class _PortTakenError(Neo4jLocalError):
    """The Bolt port was taken (a retry on another free port may help)."""


# --------------------------------------------------------------------------------------------
# Background servers (for a CLI: start now, status/stop from a later invocation)


def start_background(
    data_dir: Path,
    port: int | None = None,
    *,
    cache_dir: Path | None = None,
    heap: str = "1g",
    pagecache: str = "256m",
    settings: Mapping[str, str] | None = None,
    jvm_options: Sequence[str] = (),
    timeout: float = 120.0,
) -> dict[str, Any]:
    """Start a detached server on ``data_dir`` that outlives this process; return its state.

    The state (``pid``, ``port``, ``uri``, ``neo4j_version``, ``data_dir``, ``log_file``,
    ``heap``, ``pagecache``, ``background``, ``started_at``) is also written to
    ``<data_dir>/neo4j.json``. If a server already runs there, its state is returned instead
    (with ``already_running`` true; otherwise false). Other arguments are as for
    :class:`LocalNeo4j`, except that the JIT is the full tiered one (:data:`FULL_JIT`; a
    ``-XX:TieredStopAtLevel`` in ``jvm_options`` still wins).

    Raises:
        Neo4jLocalError: as :meth:`LocalNeo4j.start`.
    """
    running = status(data_dir)
    if running is not None:
        return {**running, "already_running": True}
    server = LocalNeo4j(
        data_dir,
        port,
        cache_dir,
        heap,
        pagecache,
        settings=settings,
        jvm_options=(*FULL_JIT, *jvm_options),  # long-lived: the full JIT pays off
    )
    server._background = True
    server.start(timeout)
    return {**server._state(), "already_running": False}


def status(data_dir: Path) -> dict[str, Any] | None:
    """The state of the server running on ``data_dir``, or ``None`` if none runs.

    The returned dict holds what :func:`start_background` recorded plus ``running`` (true)
    and ``bolt_reachable`` (whether the port accepts connections right now). A stale
    ``neo4j.json`` (its process is gone) is removed.
    """
    home = Path(data_dir).expanduser().resolve()
    path = home / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not isinstance(state.get("pid"), int):
        return None
    pid: int = state["pid"]
    if not (_pid_alive(pid) and _is_our_server(pid, home)):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    port = state.get("port")
    reachable = isinstance(port, int) and _port_open(port)
    return {**state, "running": True, "bolt_reachable": reachable}


def stop_background(data_dir: Path, timeout: float = 30.0) -> bool:
    """Stop the server running on ``data_dir`` (SIGTERM, then SIGKILL after ``timeout``).

    Works from any process, using ``<data_dir>/neo4j.json``. Returns ``True`` if a server was
    running and is now stopped, ``False`` if none was running.
    """
    home = Path(data_dir).expanduser().resolve()
    state = status(home)
    if state is None:
        return False
    pid: int = state["pid"]
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        kill_deadline = time.monotonic() + 10
        while _pid_alive(pid) and time.monotonic() < kill_deadline:
            time.sleep(_POLL_SECONDS)
    _BACKGROUND.pop(pid, None)
    with contextlib.suppress(OSError):
        (home / STATE_FILE).unlink()
    return True
