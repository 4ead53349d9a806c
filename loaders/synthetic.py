"""A synthetic data set of any size, from one city to a province, streamed to CSV files.

Why it exists. The Huairen demo (:mod:`.demo`) is one small city held in memory, built to
reproduce the article's figures. Capacity work — the import benchmark, memory tests, query plans
at scale — needs the same *structure* (townships, communities, compounds, buildings, units,
people; branches standalone, joint and combined, with gaps; Party groups; owners' committees with
cross-appointments and a few conflicts of interest; property companies managing compounds in the
four modes; stations, meetings, appeals, disputes, evaluations) at sizes the demo cannot reach:
``compounds`` from about 50 (a city) to about 20,000 (a province: about two million people and
ten million links).

How it stays small. Nothing is held for the whole data set. The city is generated one
*community* at a time (4-8 compounds): the community's compounds, people and bodies are built,
every row is written to its kind's CSV file the moment it is made, and the community's state is
dropped before the next one. What lives longer is a few ids per township and city (their
officials and companies). So memory does not grow with ``compounds``; only the files do.

Determinism. Each part draws from its own ``random.Random``, seeded by a string naming the part
(``f"{seed}:compound:{i}"``, ``f"{seed}:community:{c}"``, ...), and only lists are iterated,
never sets: the same ``seed`` and ``compounds`` give the same bytes on every run and machine.

Synthetic, obviously. Every name starts with 合成 ("synthetic") and carries a number; phones are
``000-…``; credit codes start with ``SYNTH``. Nothing here describes a real place or person.

Layout. One CSV per kind in the importer's layout (``Compound.csv``, ``HOLDS_POST.csv``; the
English headers of :func:`.rows.columns`), UTF-8, so ``govgraph import OUT_DIR`` and
:func:`.importer.import_files` read it back, and Neo4j's ``LOAD CSV`` can read it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..graph.ontology import LINK_KINDS, NODE_KINDS
from .synthetic_community import community
from .synthetic_upper import open_city, open_township
from .synthetic_writer import SNAPSHOT, SOURCE, CsvSink, SyntheticWriter

__all__ = [
    "SNAPSHOT",
    "SOURCE",
    "GenerationProgress",
    "GenerationReport",
    "ProgressFn",
    "generate",
]

#: communities per township and townships per city
COMMUNITIES_PER_TOWNSHIP = 5
TOWNSHIPS_PER_CITY = 10


# --- report and progress ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GenerationProgress:
    """Where a generation is: compounds done of all, and rows written so far."""

    compounds_done: int
    compounds: int
    rows: int


ProgressFn = Callable[[GenerationProgress], None]


@dataclass(slots=True)
class GenerationReport:
    """What :func:`generate` wrote: the files (in name order) and the rows of each kind."""

    out_dir: Path
    compounds: int
    seed: int
    files: list[Path] = field(default_factory=list)
    rows_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def nodes(self) -> int:
        return sum(n for k, n in self.rows_by_kind.items() if k in NODE_KINDS)

    @property
    def links(self) -> int:
        return sum(n for k, n in self.rows_by_kind.items() if k in LINK_KINDS)

    @property
    def rows(self) -> int:
        return self.nodes + self.links

    def summary(self) -> str:
        return (
            f"{self.compounds} compounds: {self.nodes:,} nodes and {self.links:,} links "
            f"in {len(self.files)} files ({self.seconds:.1f} s)"
        )


def _run(w: SyntheticWriter, compounds: int, progress: ProgressFn | None) -> None:
    """Community after community (4-8 compounds each), opening a township or city as needed."""
    done = 0
    c = 0
    while done < compounds:
        n = min(compounds - done, w.rng("layout", c).randint(4, 8))
        t = c // COMMUNITIES_PER_TOWNSHIP
        y = t // TOWNSHIPS_PER_CITY
        if w.city is None or w.city.index != y:
            w.city = open_city(w, y)
        if w.township is None or w.township.index != t:
            w.township = open_township(w, t, w.city)
        community(w, c, done, n, w.township)
        done += n
        c += 1
        if progress is not None:
            progress(GenerationProgress(done, compounds, w.sink.rows))


def generate(
    out_dir: Path | str,
    *,
    compounds: int,
    seed: int = 1,
    progress: ProgressFn | None = None,
) -> GenerationReport:
    """Write a synthetic data set of ``compounds`` compounds to ``out_dir`` as one CSV per kind.

    ``progress`` is called after every community (4-8 compounds). Files of an earlier run with
    other sizes are overwritten or removed, so the folder holds exactly this data set.
    """
    if compounds < 1:
        raise ValueError(f"compounds must be at least 1, not {compounds}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for kind in (*NODE_KINDS, *LINK_KINDS):
        (out / f"{kind}.csv").unlink(missing_ok=True)
    start = time.perf_counter()
    sink = CsvSink(out)
    try:
        _run(SyntheticWriter(sink, seed), compounds, progress)
    finally:
        files = sink.close()
    report = GenerationReport(out, compounds, seed, files, dict(sorted(sink.counts.items())))
    report.seconds = time.perf_counter() - start
    return report
