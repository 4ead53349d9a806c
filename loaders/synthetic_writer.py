"""Where the synthetic generator's rows go, and what it holds while it builds one community.

:class:`SyntheticWriter` is the generator's :class:`.records.Recorder`: each row goes to its
kind's CSV file the moment it is made (one open file per kind, in the importer's layout), and
each part of the data set draws from its own ``random.Random`` seeded by a string naming the
part. The drafts below hold a community's people and bodies until the next community starts.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import records
from .exporters import csv_cell
from .rows import columns

#: the ``source`` (provenance) of every row
SOURCE = "synthetic"
#: the day the data set describes; no date is later
SNAPSHOT = dt.date(2021, 12, 31)
YEAR_START = dt.date(2021, 1, 1)
_EMPLOYERS = tuple(f"合成单位{i:02d}" for i in range(1, 21))


class CsvSink:
    """One open CSV file per kind, opened at its first row; rows are written at once.

    Generated text never starts with ``= + - @``, so the formula escaping of ``csv_cell`` never
    changes a value here; the importer reads every cell back to the value written.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._files: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        self._fields: dict[str, tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}
        self.rows = 0

    def _writer(self, kind: str) -> Any:
        w = self._writers.get(kind)
        if w is None:
            fields = tuple(c.field for c in columns(kind))
            fh = (self.out_dir / f"{kind}.csv").open("w", encoding="utf-8", newline="")
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(fields)
            self._files[kind], self._writers[kind], self._fields[kind] = fh, w, fields
            self.counts[kind] = 0
        return w

    def write(self, kind: str, row: dict[str, Any]) -> None:
        w = self._writer(kind)
        w.writerow([csv_cell(row.get(f)) for f in self._fields[kind]])
        self.counts[kind] += 1
        self.rows += 1

    def close(self) -> list[Path]:
        for fh in self._files.values():
            fh.close()
        return sorted(self.out_dir / f"{k}.csv" for k in self._files)


# --- people and places under construction (one community at a time) -------------------------
@dataclass(slots=True, eq=False)
class ResidentDraft:
    id: str
    unit: str = ""
    building: str = ""
    compound: str = ""
    owner_occupier: bool = False
    moved_in: dt.date = YEAR_START
    status: str = ""  # Party status; "" for non-members
    category: str = ""


@dataclass(slots=True, eq=False)
class CompoundDraft:
    index: int
    id: str
    name: str
    is_old: bool
    built: int
    rng: random.Random
    buildings: list[str] = field(default_factory=list)
    people: list[ResidentDraft] = field(default_factory=list)
    branch: BranchDraft | None = None
    oc: str = ""
    oc_chair: str = ""
    manager: str = ""  # the company (or committee) managing it now
    staff: list[str] = field(default_factory=list)  # the managing company's staff
    conflicted: str = ""  # an owners' committee member employed by the managing company

    def owners(self, exclude: Sequence[str] = ()) -> list[ResidentDraft]:
        return [p for p in self.people if p.owner_occupier and p.id not in exclude]


@dataclass(slots=True, eq=False)
class BranchDraft:
    id: str
    form: str
    compounds: list[CompoundDraft]
    founded: dt.date
    name: str = ""
    members: list[ResidentDraft] = field(default_factory=list)
    committee: list[str] = field(default_factory=list)  # secretary first


@dataclass(slots=True)
class TownshipDraft:
    index: int
    id: str
    officials: list[str]
    companies: list[str]  # the last one is a community company
    lg: str


@dataclass(slots=True)
class CityDraft:
    index: int
    id: str
    lg: str
    officials: list[str]
    departments: list[tuple[str, str]]  # (id, powers)


class SyntheticWriter:
    """Writes rows through the sink; see the module docstring."""

    def __init__(self, sink: CsvSink, seed: int) -> None:
        self.sink = sink
        self.seed = seed
        self.city: CityDraft | None = None
        self.township: TownshipDraft | None = None

    def rng(self, *scope: object) -> random.Random:
        """The random source of one part of the data set, e.g. ``rng("compound", 12)``."""
        return random.Random(":".join(str(s) for s in (self.seed, *scope)))

    def node(self, kind: str, nid: str, /, **props: Any) -> str:
        self.sink.write(kind, {"id": nid, "source": SOURCE, **props})
        return nid

    def link(self, kind: str, source: str, target: str, /, **props: Any) -> None:
        self.sink.write(kind, {"source_id": source, "target_id": target, "source": SOURCE, **props})

    def post(self, person: str, body: str, role: str, since: dt.date, /, **extra: Any) -> None:
        self.link("HOLDS_POST", person, body, role=role, since=since, **extra)

    def person(
        self,
        rng: random.Random,
        pid: str,
        *,
        staff: bool = False,
        born: tuple[int, int] = (1940, 2003),
        member: tuple[str, str] | None = None,
        address: str | None = None,
    ) -> str:
        """A person row: 合成居民… or 合成工作人员… (the id's digits), phone ``000-…``."""
        digits = "".join(ch for ch in pid if ch.isdigit())
        name = records.person_label("合成", staff) + pid.split("-", 1)[1].upper()
        props = records.person_props(rng, name, f"000-{digits[-12:]:0>12}", born)
        props["address"] = address
        if member is not None:
            props.update(records.member_props(rng, member[1], _EMPLOYERS))
        return self.node("Person", pid, **props)

    def meeting(
        self,
        rng: random.Random,
        mid: str,
        kind: str,
        host: str,
        day: dt.date,
        *,
        who: Sequence[str] = (),
    ) -> None:
        records.meeting(self, rng, mid, kind, host, day=day, who=who)
