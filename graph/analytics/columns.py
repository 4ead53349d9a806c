"""The columnar index of one store version: nodes and links as typed arrays, a day as masks.

Why. Held as dicts of Python objects (a NetworkX projection) a province costs gigabytes and
every whole-graph question a Python loop; as arrays it costs tens of bytes a link and a
question is a scan in native code (issue 15). :mod:`~.derived` computes the shared facts on a
day. The layout:

* **nodes** numbered in id order (sorting numbers sorts ids), a kind code each, the few
  properties the analytics read as typed columns per kind (:data:`NODE_COLUMNS`), names in
  one UTF-8 buffer;
* **links** in one :class:`Block` per (link kind, source kind, target kind), sorted by
  (source, target, key), ``since``/``until`` as day numbers, the properties the rules read as
  :class:`Codes` (:data:`LINK_COLUMNS`);
* **a day** (:class:`DayView`): a mask per block; the last few views asked are kept on the
  :class:`Columns` that owns them (no module-level cache).

An index never changes once built; a new store version is a new :class:`Columns`.

Examples
--------
>>> cols = columns_of(tiny_city())
>>> cols.size, cols.id(cols.number("pb1")), cols.kind_of(cols.number("pb1"))
(40, 'pb1', 'PartyBranch')
>>> day = cols.day(AS_OF)
>>> src, dst = day.links("MEMBER_OF", target_kind="PartyBranch")
>>> cols.ids_of(src)  # p10 left the branch in February
['p1', 'p2', 'p4', 'p5', 'p6', 'p7', 'p9']
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, TypeAlias, TypeVar, cast

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from ..model import parse_link_id
from ..scan import LinkColumns, NodeColumns, Rows, Scan, ScanSpec, row_numbers, rows_of
from ..scan import day_number as scan_day
from .kinds import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS

Int32s: TypeAlias = NDArray[np.int32]
Bools: TypeAlias = NDArray[np.bool_]
T = TypeVar("T")

#: a day number for "no since" (the link holds from the beginning) and "no until" (to the end);
#: the comparisons of a day's mask need no special case for them
NO_SINCE = int(np.iinfo(np.int32).min)
NO_UNTIL = int(np.iinfo(np.int32).max)
#: a date column's value for "no date"
NO_DAY = NO_SINCE
_EPOCH = dt.date(1970, 1, 1).toordinal()

#: the node properties the analytics read, per kind, and how they are held: ``day`` (int32 day
#: number, :data:`NO_DAY` for none), ``int`` (int32, -1 for none), ``float`` (float64, NaN for
#: none), ``bool`` (True only for True) or ``code`` (:class:`Codes`)
NODE_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "Compound": {"is_old": "bool", "delivered_area_ratio": "float"},
    "PartyBranch": {"form": "code", "elected_on": "day", "term_years": "int"},
    "OwnersCommittee": {"elected_on": "day", "term_years": "int", "filed_on": "day"},
    "Person": {"employer": "code"},
    "Meeting": {"meeting_type": "code", "date": "day"},
    "Appeal": {"appeal_type": "code", "received": "day", "replied": "day", "topic": "code"},
    "Evaluation": {"year": "int", "grade": "code"},
    "LeadershipGroup": {"level": "code"},
    "PartyCommittee": {"level": "code"},
}
#: the link properties the analytics read, per link kind (all held as :class:`Codes`)
LINK_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "MEMBER_OF": ("status", "category"),
    "HOLDS_POST": ("role",),
    "EMPLOYED_BY": ("role",),
    "MANAGES": ("mode",),
}
#: how many day views a :class:`Columns` keeps (the oldest asked goes first)
MAX_DAYS = 16

#: a node as the builder reads it: id, kind, properties
NodeRow: TypeAlias = tuple[str, str, Mapping[str, Any]]
#: a link as the builder reads it: source id, target id, kind, key ("" for none), properties
LinkRow: TypeAlias = tuple[str, str, str, str, Mapping[str, Any]]


def group_starts(*keys: NDArray[Any]) -> Bools:
    """Which rows of ``keys`` (sorted together) start a group: differ from the row before.

    >>> group_starts(np.array([1, 1, 2, 2]), np.array([5, 6, 6, 6])).tolist()
    [True, True, True, False]
    """
    first = np.ones(len(keys[0]), np.bool_)
    first[1:] = keys[0][1:] != keys[0][:-1]
    for key in keys[1:]:
        first[1:] |= key[1:] != key[:-1]
    return first


def distinct(values: NDArray[Any]) -> NDArray[Any]:
    """``np.unique`` of an integer array by a sort (numpy 2's hash-based one took ~40x longer
    on a million int64 keys).

    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    s = np.sort(values)
    return s[group_starts(s)]


def groups(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.intp], NDArray[np.intp]]:
    """``np.unique(values, return_index=True, return_counts=True)`` by a stable sort.

    >>> [a.tolist() for a in groups(np.array([3, 1, 3, 2]))]
    [[1, 2, 3], [1, 3, 0], [1, 1, 2]]
    """
    order = np.argsort(values, kind="stable")
    s = values[order]
    starts = np.flatnonzero(group_starts(s))
    counts = np.diff(np.r_[starts, len(s)]).astype(np.intp)
    return s[starts], order[starts], counts


def picked(keep: Any, *arrays: NDArray[Any]) -> Iterator[tuple[Any, ...]]:
    """The values of ``arrays`` at ``keep`` (a mask, indices or a slice), row by row.

    >>> list(picked(np.array([True, False, True]), np.array([1, 2, 3]), np.array([4, 5, 6])))
    [(1, 4), (3, 6)]
    """
    return zip(*(a[keep].tolist() for a in arrays), strict=True)


def day_number(value: object) -> int:
    """Days since 1970-01-01 of a date or an ISO text, else :data:`NO_DAY`.

    >>> day_number(dt.date(1970, 1, 2)), day_number("2021-05-31"), day_number(None) == NO_DAY
    (1, 18778, True)
    """
    found = scan_day(value)
    return NO_DAY if found is None else found


def day_of(number: int) -> dt.date | None:
    """The date of a day number (None for :data:`NO_DAY` and :data:`NO_UNTIL`)."""
    if number in (NO_SINCE, NO_UNTIL):
        return None
    return dt.date.fromordinal(number + _EPOCH)


class Codes(NamedTuple):
    """A text column as small integers: ``codes[i]`` indexes ``values`` (-1: no value); the
    rules group and filter on a handful of distinct texts (a status, a role).

    >>> c = Codes.of(["full", None, "probationary", "full"])
    >>> c.values, c.codes.tolist(), c.code("full"), c.code("unknown")
    (('full', 'probationary'), [0, -1, 1, 0], 0, -2)
    """

    codes: NDArray[np.int16] | NDArray[np.int32]
    values: tuple[str, ...]

    @classmethod
    def of(cls, values: Sequence[object]) -> Codes:
        distinct = sorted({str(v) for v in values if v is not None})
        lookup = {v: i for i, v in enumerate(distinct)}
        found = (-1 if v is None else lookup[str(v)] for v in values)
        return cls.typed(np.fromiter(found, np.int32, count=len(values)), tuple(distinct))

    @classmethod
    def typed(cls, codes: NDArray[np.integer[Any]], values: tuple[str, ...]) -> Codes:
        """``codes`` over ``values`` as the smallest type that holds them."""
        small = len(values) < 2**15
        return cls(codes.astype(np.int16) if small else codes.astype(np.int32), values)

    def code(self, value: str) -> int:
        """The code of ``value``; -2 (matching no row) when no row holds it."""
        try:
            return self.values.index(value)
        except ValueError:
            return -2

    def take(self, rows: NDArray[np.intp] | Int32s) -> Codes:
        """The codes of ``rows``, with the same dictionary."""
        return Codes(self.codes[rows], self.values)

    def value(self, code: int) -> str | None:
        return self.values[code] if code >= 0 else None


#: a node property column (see :data:`NODE_COLUMNS`)
Column: TypeAlias = Int32s | NDArray[np.float64] | Bools | Codes


class Block(NamedTuple):
    """The links of one (link kind, source kind, target kind), sorted by (source, target, key):
    ``keyed`` holds the key of the few rows with one (a link id is ``source|KIND|target[|key]``,
    not stored); ``by_dst`` the rows sorted by (target, source)."""

    kind: str
    source_kind: str
    target_kind: str
    src: Int32s
    dst: Int32s
    since: Int32s
    until: Int32s
    props: Mapping[str, Codes]
    keyed: Mapping[int, str]
    by_dst: Int32s

    def __len__(self) -> int:
        return len(self.src)

    def valid(self, day: int | None) -> Bools:
        """Which rows hold on day number ``day`` (both ends inclusive; None: every row)."""
        if day is None:
            return np.ones(len(self.src), np.bool_)
        return (self.since <= day) & (day <= self.until)

    def rows_from(self, nodes: Int32s) -> NDArray[np.intp]:
        """The rows leaving one of ``nodes`` (sorted; the rows are sorted by source)."""
        return rows_holding(self.src, nodes)


class Columns:
    """The columnar index of one store version (:func:`build_scanned`, :func:`columns_of`).

    Examples
    --------
    >>> cols = columns_of(tiny_city())
    >>> cols.ids_of(cols.of_kind("PartyBranch")), cols.name(cols.number("c1"))
    (['pb1'], '示例甲小区')
    >>> cols.column("PartyBranch", "term_years").tolist(), cols.column("Compound", "is_old")
    ([5], array([ True,  True]))
    >>> [(b.kind, b.source_kind, b.target_kind) for b in cols.blocks("HOLDS_POST")]
    [('HOLDS_POST', 'Person', 'OwnersCommittee'), ('HOLDS_POST', 'Person', 'PartyBranch')]
    """

    def __init__(
        self,
        ids: NDArray[np.bytes_],
        *,
        kinds: tuple[str, ...],
        kind: NDArray[np.int8],
        names: tuple[NDArray[np.uint8], NDArray[np.int64]],
        columns: Mapping[tuple[str, str], Column],
        blocks: Mapping[tuple[str, str, str], Block],
        kind_rows: tuple[Mapping[str, Int32s], Int32s] | None = None,
    ) -> None:
        self.ids = ids
        #: the node kinds present, sorted; ``kind`` holds an index into them per node
        self.kinds = kinds
        self.kind = kind
        self._kind_code = {k: i for i, k in enumerate(kinds)}
        self._of_kind: dict[str, Int32s]
        #: each node's number within its kind (a row of its kind's columns)
        self.local: Int32s
        if kind_rows is not None:
            # a patch's, from the index before it (a pass per kind is much of a province's)
            self._of_kind, self.local = dict(kind_rows[0]), kind_rows[1]
        else:
            self._of_kind = {
                k: np.flatnonzero(kind == i).astype(np.int32) for i, k in enumerate(kinds)
            }
            self.local = np.empty(len(ids), np.int32)
            for rows in self._of_kind.values():
                self.local[rows] = np.arange(len(rows), dtype=np.int32)
        self._name_buf, self._name_off = names
        self._columns = dict(columns)
        self._blocks = dict(blocks)
        self._by_kind: dict[str, list[Block]] = defaultdict(list)
        for key in sorted(self._blocks):
            self._by_kind[key[0]].append(self._blocks[key])
        self._days: OrderedDict[int | None, DayView] = OrderedDict()
        self._labels: dict[int, str] = {}

    # -- nodes -------------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """The number of nodes."""
        return len(self.ids)

    def number(self, node_id: str) -> int:
        """The number of the node ``node_id`` (KeyError if there is none)."""
        key = node_id.encode()
        i = int(np.searchsorted(self.ids, key))
        if i == len(self.ids) or self.ids[i] != key:
            raise KeyError(node_id)
        return i

    def numbers(self, node_ids: Iterable[str]) -> Int32s:
        return np.array([self.number(n) for n in node_ids], np.int32)

    def id(self, number: int) -> str:
        return self.ids[number].decode()  # type: ignore[no-any-return]

    def ids_of(self, numbers: Iterable[int] | NDArray[np.integer[Any]]) -> list[str]:
        """The ids of ``numbers``, in their order."""
        return [self.ids[int(i)].decode() for i in numbers]

    def kind_of(self, number: int) -> str:
        return self.kinds[int(self.kind[number])]

    def kind_code(self, kind: str) -> int:
        """The code of ``kind`` in :attr:`kind`; -1 when no node has it."""
        return self._kind_code.get(kind, -1)

    def of_kind(self, kind: str) -> Int32s:
        """The numbers of the nodes of ``kind``, sorted (so in id order)."""
        found = self._of_kind.get(kind)
        return found if found is not None else np.empty(0, np.int32)

    def label(self, number: int) -> str:
        """What a finding calls a node: its :meth:`public_name`, else its id."""
        found = self._labels.get(number)
        if found is None:  # kept: many findings name the same compound or organization
            found = self._labels[number] = self.public_name(number) or self.id(number)
        return found

    def public_name(self, number: int) -> str | None:
        """A node's name; None for a person (a name is personal data)."""
        return None if self.kind_of(number) == "Person" else self.name(number)

    def mask(self, numbers: NDArray[np.integer[Any]]) -> Bools:
        """A node mask: True at ``numbers``."""
        out = np.zeros(len(self.ids), np.bool_)
        out[numbers] = True
        return out

    def name(self, number: int) -> str | None:
        start, end = self._name_off[number], self._name_off[number + 1]
        return bytes(self._name_buf[start:end]).decode() if end > start else None

    def column(self, kind: str, prop: str) -> Column:
        """The column of ``prop`` (of :data:`NODE_COLUMNS`) over the nodes of ``kind``."""
        return self._columns[kind, prop]

    def array(self, kind: str, prop: str) -> NDArray[Any]:
        """A ``day``, ``int``, ``float`` or ``bool`` :meth:`column`."""
        found = self._columns[kind, prop]
        assert not isinstance(found, Codes)
        return found

    def codes(self, kind: str, prop: str) -> Codes:
        """A ``code`` :meth:`column`."""
        found = self._columns[kind, prop]
        assert isinstance(found, Codes)
        return found

    # -- links -------------------------------------------------------------------------------------
    def blocks(
        self, kind: str, source_kind: str | None = None, target_kind: str | None = None
    ) -> list[Block]:
        """The blocks of link ``kind`` (from ``source_kind``, to ``target_kind``), sorted."""
        return [
            b
            for b in self._by_kind.get(kind, ())
            if (source_kind is None or b.source_kind == source_kind)
            and (target_kind is None or b.target_kind == target_kind)
        ]

    def all_blocks(self) -> list[Block]:
        return [self._blocks[k] for k in sorted(self._blocks)]

    def link_id(self, block: Block, row: int) -> str:
        """The id of a link, derived from its ends, its kind and its key."""
        out = f"{self.id(int(block.src[row]))}|{block.kind}|{self.id(int(block.dst[row]))}"
        key = block.keyed.get(row)
        return f"{out}|{key}" if key else out

    # -- days --------------------------------------------------------------------------------------
    def day(self, as_of: dt.date | None) -> DayView:
        """The view of the index on ``as_of`` (None: the whole history), kept for the last
        :data:`MAX_DAYS` days asked."""
        key = None if as_of is None else day_number(as_of)
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = DayView(self, key)
            while len(self._days) > MAX_DAYS:
                self._days.popitem(last=False)
        else:
            self._days.move_to_end(key)
        return found

    def carry_days(
        self, old: Columns, delta: Delta, renumbering: Renumbering | None = None
    ) -> None:
        """Take over the day views of ``old``, the index this one was patched from by a write
        (``delta``; ``renumbering`` when it added or deleted nodes)."""
        for key, view in old._days.items():
            self._days[key] = view.carried(self, delta, renumbering)


class Delta(NamedTuple):
    """What a write changed: the link kinds and node columns (``Kind.prop``) it wrote, and the
    links it wrote or deleted as (link kind, source, target) after it (a deleted end: -1).

    >>> a = Delta(frozenset({"MEMBER_OF"}), (("MEMBER_OF", 3, 7),))
    >>> sorted((a | Delta(frozenset({"Person.employer"}), ())).names)
    ['MEMBER_OF', 'Person.employer']
    """

    names: frozenset[str]
    links: tuple[tuple[str, int, int], ...]

    def __or__(self, other: object) -> Delta:
        if not isinstance(other, Delta):
            return NotImplemented
        return Delta(self.names | other.names, self.links + other.links)

    def renumbered(self, renumbering: Renumbering | None) -> Delta:
        """The delta in the numbering after nodes were added or deleted (a deleted end -1)."""
        if renumbering is None or not self.links:
            return self
        ends = np.array([(s, t) for _, s, t in self.links], np.int64)
        kinds = (k for k, _, _ in self.links)
        moved = renumbering.numbers(ends).tolist()
        return Delta(self.names, tuple((k, s, t) for k, (s, t) in zip(kinds, moved, strict=True)))


def ranges(lo: NDArray[np.intp], hi: NDArray[np.intp]) -> NDArray[np.intp]:
    """The integers of every range ``lo[i]:hi[i]``, one range after another."""
    count = hi - lo
    return np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))


def rows_holding(ordered: Int32s, nodes: Int32s) -> NDArray[np.intp]:
    """The rows of ``ordered`` (sorted) holding one of ``nodes`` (sorted, distinct), in order."""
    return ranges(np.searchsorted(ordered, nodes, "left"), np.searchsorted(ordered, nodes, "right"))


Int64s: TypeAlias = NDArray[np.int64]


class Renumbering:
    """How node numbers move when a write adds or deletes nodes (numbers follow the ids): a
    write moves few runs of nodes, so arrays are copied a run at a time.

    >>> r = Renumbering(np.array([1]), np.array([2, 3]))  # old 1 deleted; new 2 and 4 added
    >>> r.numbers(np.array([3, 1, 0, -1], np.int32)).tolist()
    [3, -1, 0, -1]
    >>> r.rows(np.array([10, 11, 12, 13]), 0).tolist(), r.added.tolist(), r.first
    ([10, 12, 0, 13, 0], [2, 4], 1)
    """

    def __init__(self, deleted: Int64s, cuts: Int64s) -> None:
        #: the old numbers deleted, sorted
        self.deleted = deleted
        #: per node added, how many kept nodes come before it (sorted)
        self.cuts = cuts
        #: the new numbers of the nodes added
        self.added = cuts + np.arange(len(cuts))
        #: the lowest old number that moves (or goes): every number below it stays
        self.first = int(min([*deleted[:1].tolist(), *cuts[:1].tolist()], default=2**31))

    def runs(self, size: int) -> list[tuple[int, int, int]]:
        """(old number, new number, length) of each run of kept nodes, in order."""
        gaps = self.deleted - np.arange(len(self.deleted))  # the kept nodes before each deleted
        bounds = sorted({0, size - len(gaps), *gaps.tolist(), *self.cuts.tolist()})
        lo = np.array(bounds[:-1], np.int64)
        old = lo + np.searchsorted(gaps, lo, "right")
        new = lo + np.searchsorted(self.cuts, lo, "right")
        return list(zip(old.tolist(), new.tolist(), np.diff(bounds).tolist(), strict=True))

    def rows(self, values: NDArray[Any], blank: Any) -> NDArray[Any]:
        """A per-node answer in the new numbering (a new array), ``blank`` for nodes added."""
        size = len(values) - len(self.deleted) + len(self.cuts)
        out = np.empty((size, *values.shape[1:]), values.dtype)
        for old, new, n in self.runs(len(values)):
            out[new : new + n] = values[old : old + n]
        out[self.added] = blank
        return out

    def numbers(self, numbers: NDArray[Any], *, own: bool = False) -> NDArray[Any]:
        """Node numbers (-1: none) in the new numbering, a deleted node's -1; ``own``: overwrite
        ``numbers`` (no copy)."""
        out, deleted = (numbers if own else numbers.copy()), self.deleted
        gone = [np.isin(out, deleted)] if len(deleted) > 8 else [out == d for d in deleted.tolist()]
        # down by the nodes deleted below, then up by the nodes added at or below: a comparison
        # per node for a few (the highest first: a number moved by one is still above every
        # lower one it was above), else a binary search per number
        for points, move in ((deleted, np.subtract), (self.cuts - 1, np.add)):
            if len(points) > 8:
                move(out, np.searchsorted(points, out).astype(out.dtype), out=out)
            for p in points[::-1].tolist() if len(points) <= 8 else ():
                move(out, out > p, out=out)
        for mask in gone:
            out[mask] = -1
        return out


#: how a kept answer goes into the numbering of an index with nodes added or deleted
Renumber: TypeAlias = Callable[[Any, Renumbering], Any]
#: the renumberings waiting for an answer carried (one per write, in order)
_Pending: TypeAlias = "tuple[Renumbering, ...]"


#: how a kept answer is brought up to date after a write: (the answer before it, what the
#: write changed) -> the answer after it, or None to compute it again
Patch: TypeAlias = Callable[[Any, Delta], Any]


class DayView:
    """The index on one day: which links hold (a mask per block) and what was computed from
    them (:meth:`memo`); after a write, the answers whose inputs it left alone are kept, the
    others held until asked (:meth:`carried`)."""

    def __init__(self, columns: Columns, day: int | None) -> None:
        self.columns = columns
        #: the day number (None: the whole history)
        self.day = day
        self._valid: dict[tuple[str, str, str], Bools] = {}
        self._memo: dict[Hashable, Any] = {}
        #: per answer declared with ``reads``: the link kinds and node columns it read
        self._reads: dict[Hashable, frozenset[str]] = {}
        #: answers of an earlier index, each with what it read, what changed since and the
        #: renumbering of each write that added or deleted nodes since
        self._stale: dict[Hashable, tuple[Any, frozenset[str], Delta, _Pending]] = {}
        #: per answer that can go into a renumbered index, how
        self._renumber: dict[Hashable, Renumber] = {}

    def carried(
        self, columns: Columns, delta: Delta, renumbering: Renumbering | None = None
    ) -> DayView:
        """This view for ``columns``, one write later; when it added or deleted nodes, only
        the answers declared with a ``renumber`` are carried (renumbered when asked)."""
        out = DayView(columns, self.day)
        out._valid = {k: v for k, v in self._valid.items() if k[0] not in delta.names}
        out._renumber = dict(self._renumber)
        more: _Pending = () if renumbering is None else (renumbering,)
        same = renumbering is None
        for key, (value, reads, since, waiting) in self._stale.items():
            if same or key in self._renumber:
                moved = since.renumbered(renumbering)
                out._stale[key] = (value, reads, moved | delta, waiting + more)
        for key, reads in self._reads.items():
            if same and reads.isdisjoint(delta.names):
                out._memo[key], out._reads[key] = self._memo[key], reads
            elif same or key in self._renumber:
                out._stale[key] = (self._memo[key], reads, delta, more)
        return out

    def valid(self, block: Block) -> Bools:
        key = (block.kind, block.source_kind, block.target_kind)
        found = self._valid.get(key)
        if found is None:
            found = self._valid[key] = block.valid(self.day)
        return found

    def rows(
        self, kind: str, source_kind: str | None = None, target_kind: str | None = None
    ) -> list[tuple[Block, Int32s]]:
        """The blocks of ``kind`` (see :meth:`Columns.blocks`) with their rows valid today."""
        return [
            (b, np.flatnonzero(self.valid(b)).astype(np.int32))
            for b in self.columns.blocks(kind, source_kind, target_kind)
        ]

    def links(
        self,
        kind: str,
        source_kind: str | None = None,
        target_kind: str | None = None,
        where: tuple[str, Sequence[str | None]] | None = None,
        sources: Int32s | None = None,
    ) -> tuple[Int32s, Int32s]:
        """(sources, targets) of the links of ``kind`` valid today, block after block;
        ``where=(prop, values)`` keeps those whose ``prop`` is one of ``values`` (None: none),
        ``sources`` (sorted) those leaving one of them."""
        src: list[Int32s] = []
        dst: list[Int32s] = []
        for b in self.columns.blocks(kind, source_kind, target_kind):
            rows = slice(None) if sources is None else b.rows_from(sources)
            keep = self.valid(b)[rows]
            if where is not None:
                prop, values = where
                codes = b.props[prop]
                wanted = [-1 if v is None else codes.code(v) for v in values]
                keep = keep & np.isin(codes.codes[rows], wanted)
            src.append(b.src[rows][keep])
            dst.append(b.dst[rows][keep])
        if not src:
            return np.empty(0, np.int32), np.empty(0, np.int32)
        return np.concatenate(src), np.concatenate(dst)

    def links_with(
        self, kind: str, prop: str, source_kind: str | None = None
    ) -> tuple[Int32s, Int32s, Codes]:
        """(sources, targets, ``prop``) of the links of ``kind`` valid today, as :meth:`links`."""
        found = self.rows(kind, source_kind)
        codes = [b.props[prop].codes[rows] for b, rows in found]
        values = found[0][0].props[prop].values if found else ()  # one dictionary per link kind
        src, dst = self.links(kind, source_kind)
        return src, dst, Codes(np.concatenate([np.empty(0, np.int16), *codes]), values)

    def memo(
        self,
        key: Hashable,
        compute: Callable[[], T],
        reads: frozenset[str] | None = None,
        patch: Patch | None = None,
        renumber: Renumber | None = None,
    ) -> T:
        """``compute()``, once per view and ``key``.

        ``reads`` names every link kind and node column (``Kind.prop``) the answer depends on:
        a write changing none keeps it; after one that did, ``patch`` brings it up to date, else
        it is computed again. ``renumber`` carries it over a write adding or deleting nodes (a
        ``key`` holding a node number must have none)."""
        if renumber is not None:
            self._renumber[key] = renumber
        if key in self._memo:
            return cast(T, self._memo[key])
        stale = self._stale.pop(key, None)
        found = None
        if stale is not None and stale[1] == reads:
            value, _, since, waiting = stale
            for renumbering in waiting:
                value = self._renumber[key](value, renumbering)
            if reads is not None and reads.isdisjoint(since.names):
                found = value  # renumbered only: the writes since left its inputs alone
            elif patch is not None:
                found = patch(value, since)
        if found is None:
            found = compute()
        self._memo[key] = found
        if reads is not None:
            self._reads[key] = reads
        return found


#: what an analysis reads: a projection (whole history or cut to a day), an index (the whole
#: history) or a day's view of one
Indexed: TypeAlias = "nx.MultiDiGraph | Columns | DayView"


# -- building -------------------------------------------------------------------------------------
def index_spec() -> ScanSpec:
    """What the index reads of a store (:meth:`~govgraph.graph.port.GraphStore.scan`)."""
    return ScanSpec(
        nodes={k: ("name", *NODE_COLUMNS.get(k, {})) for k in ANALYTIC_NODE_KINDS},
        links={k: ("since", "until", *LINK_COLUMNS.get(k, ())) for k in ANALYTIC_LINK_KINDS},
    )


def build_columns(nodes: Iterable[NodeRow], links: Iterable[LinkRow]) -> Columns:
    """The index of ``nodes`` and ``links`` given as records.

    Examples
    --------
    >>> cols = build_columns(
    ...     [("c1", "Compound", {"name": "甲"}), ("b1", "Building", {})],
    ...     [("b1", "c1", "PART_OF", "", {"since": dt.date(2021, 1, 1)})],
    ... )
    >>> (b,) = cols.all_blocks()
    >>> b.kind, cols.ids_of(b.src), b.since.tolist(), b.valid(day_number("2020-12-31")).tolist()
    ('PART_OF', ['b1'], [18628], [False])
    """
    node_cols: dict[str, NodeColumns] = {}
    for nid, kind, props in nodes:
        found = node_cols.get(kind)
        if found is None:
            wanted = ("name", *NODE_COLUMNS.get(kind, {}))
            found = node_cols[kind] = NodeColumns([], {p: [] for p in wanted})
        found.ids.append(nid)
        for p, values in found.props.items():
            values.append(_scanned(p, NODE_COLUMNS.get(kind, {}).get(p) == "day", props))
    ends: dict[str, tuple[list[str], list[str]]] = {}
    link_cols: dict[str, LinkColumns] = {}
    for source, target, kind, key, props in links:
        found_l = link_cols.get(kind)
        if found_l is None:
            wanted = ("since", "until", *LINK_COLUMNS.get(kind, ()))
            found_l = link_cols[kind] = LinkColumns(_NO_ROWS, _NO_ROWS, [], {p: [] for p in wanted})
            ends[kind] = ([], [])
        ends[kind][0].append(source)
        ends[kind][1].append(target)
        found_l.keys.append(key)
        for p, values in found_l.props.items():
            values.append(_scanned(p, p in ("since", "until"), props))
    row = row_numbers(node_cols)
    for kind, (sources, targets) in ends.items():
        link_cols[kind] = link_cols[kind]._replace(
            sources=rows_of(sources, row), targets=rows_of(targets, row)
        )
    return build_scanned(Scan(node_cols, link_cols))


_NO_ROWS: Rows = np.empty(0, np.int64)


def _scanned(prop: str, is_day: bool, props: Mapping[str, Any]) -> Any:
    """A record's value as a scan reads it (a date as its day number)."""
    value = props.get(prop)
    return scan_day(value) if is_day else value


def build_scanned(scan: Scan) -> Columns:
    """The index of what a store's scan read (links whose ends were not read left out): no
    object per node or link in between, and the lists emptied as they are read, so a whole
    scan and a whole index are never held at once."""
    read_kinds = [k for k, c in scan.nodes.items() if c.ids]  # in the scan's row order
    kinds = tuple(sorted(read_kinds))
    sizes = [len(scan.nodes[k].ids) for k in read_kinds]
    read = _encoded([scan.nodes[k].ids for k in read_kinds], sum(sizes))
    order = np.argsort(read, kind="stable")
    ids = read[order]
    del read
    codes = np.array([kinds.index(k) for k in read_kinds], np.int8)
    kind = np.repeat(codes, sizes)[order]
    # where each kind's rows start among the rows as read
    starts = dict(zip(read_kinds, np.cumsum([0, *sizes])[:-1].tolist(), strict=True))
    names = [  # the strings as read, not copies
        name
        for k in read_kinds
        for name in scan.nodes[k].props.get("name") or [None] * len(scan.nodes[k].ids)
    ]
    name_buf, name_off = _name_buffer(names, order)
    del names
    columns: dict[tuple[str, str], Column] = {}
    for code, k in enumerate(kinds):
        # the kind's rows as read, in the order of their ids
        rows = (order[kind == code] - starts[k]).tolist()
        for prop, how in NODE_COLUMNS.get(k, {}).items():
            values = scan.nodes[k].props.get(prop) or [None] * len(rows)
            columns[k, prop] = _column([values[i] for i in rows], how)
    for k, props in NODE_COLUMNS.items():
        for prop, how in props.items():
            columns.setdefault((k, prop), _column([], how))
    for found_n in scan.nodes.values():
        found_n.ids.clear()
        for values in found_n.props.values():
            values.clear()
    # each node's number is the rank of its row as read: a link end's row turns into it
    number = np.empty(len(order), np.int64)
    number[order] = np.arange(len(order))
    blocks: dict[tuple[str, str, str], Block] = {}
    for link_kind, found in scan.links.items():
        blocks.update(_blocks(link_kind, found, number, kind, kinds))
        for values in (found.keys, *found.props.values()):
            values.clear()
    return Columns(
        ids, kinds=kinds, kind=kind, names=(name_buf, name_off), columns=columns, blocks=blocks
    )


#: rows encoded at a time: the build never holds an encoded copy of every id or name at once
_CHUNK = 1 << 16


def _encoded(lists: Sequence[Sequence[str]], size: int) -> NDArray[np.bytes_]:
    """The ids of ``lists``, one after another, as one array of UTF-8 bytes."""
    width = max((len(i.encode()) for ids in lists for i in ids), default=0) or 1
    out = np.empty(size, f"S{width}")
    at = 0
    for ids in lists:
        for start in range(0, len(ids), _CHUNK):
            part = [i.encode() for i in ids[start : start + _CHUNK]]
            out[at : at + len(part)] = part
            at += len(part)
    return out


def _name_buffer(
    names: Sequence[str | None], order: NDArray[np.intp]
) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """The names in ``order`` as one UTF-8 buffer and each one's offset in it."""
    buf = bytearray()
    lengths = np.zeros(len(order), np.int64)
    for start in range(0, len(order), _CHUNK):
        rows = order[start : start + _CHUNK].tolist()
        part = [n.encode() if isinstance(n := names[i], str) else b"" for i in rows]
        lengths[start : start + len(part)] = [len(b) for b in part]
        buf += b"".join(part)
    off = np.zeros(len(order) + 1, np.int64)
    np.cumsum(lengths, out=off[1:])
    return np.frombuffer(buf, np.uint8), off


def _numbered(rows: Rows, number: NDArray[np.int64]) -> Int32s:
    """The node numbers of link ends given as rows read (-1 stays -1)."""
    if not len(number):
        return np.full(len(rows), -1, np.int32)
    return np.where(rows >= 0, number[np.maximum(rows, 0)], -1).astype(np.int32)


def _column(values: Sequence[Any], how: str) -> Column:
    """A node column of scanned values (dates already day numbers)."""
    return _days(values, NO_DAY) if how == "day" else column_of(values, how)


def _days(values: Sequence[int | None], none: int) -> Int32s:
    return np.fromiter((none if v is None else v for v in values), np.int32, count=len(values))


def _blocks(
    link_kind: str,
    found: LinkColumns,
    number: NDArray[np.int64],
    kind: NDArray[np.int8],
    kinds: tuple[str, ...],
) -> dict[tuple[str, str, str], Block]:
    """The blocks of one link kind's scanned columns, split by the kinds of their ends."""
    n = len(found.sources)
    src, dst = _numbered(found.sources, number), _numbered(found.targets, number)
    read = np.flatnonzero((src >= 0) & (dst >= 0))
    if not len(read):
        return {}
    rows = read.tolist()
    src, dst = src[read], dst[read]

    def kept(values: Sequence[Any]) -> Sequence[Any]:
        return values if len(rows) == n else [values[i] for i in rows]

    since = _days(kept(found.props.get("since") or [None] * n), NO_SINCE)
    until = _days(kept(found.props.get("until") or [None] * n), NO_UNTIL)
    # one dictionary per link kind, so a code means the same in each of its blocks
    props = {
        p: Codes.of(kept(found.props.get(p) or [None] * n)) for p in LINK_COLUMNS.get(link_kind, ())
    }
    key_codes = Codes.of(kept(found.keys))  # "" sorts first: a link without a key comes first
    order = np.lexsort((key_codes.codes, dst, src))
    src, dst = src[order], dst[order]
    since, until = since[order], until[order]
    keys = key_codes.take(order)
    props = {p: c.take(order) for p, c in props.items()}
    pair = kind[src].astype(np.int32) * len(kinds) + kind[dst]
    out: dict[tuple[str, str, str], Block] = {}
    for code in distinct(pair).tolist():
        picked = np.flatnonzero(pair == code)
        b_dst = dst[picked]
        keyed = {
            i: keys.values[k] for i, k in enumerate(keys.codes[picked].tolist()) if keys.values[k]
        }
        source_kind, target_kind = kinds[code // len(kinds)], kinds[code % len(kinds)]
        out[link_kind, source_kind, target_kind] = Block(
            kind=link_kind,
            source_kind=source_kind,
            target_kind=target_kind,
            src=src[picked],
            dst=b_dst,
            since=since[picked],
            until=until[picked],
            props={p: c.take(picked) for p, c in props.items()},
            keyed=keyed,
            by_dst=np.lexsort((src[picked], b_dst)).astype(np.int32),
        )
    return out


#: the index of each frozen graph, built once however many analyses read it (the entry goes with
#: the graph): a caller holding a projection passes the graph to analysis after analysis
_KEPT: weakref.WeakKeyDictionary[nx.MultiDiGraph, Columns] = weakref.WeakKeyDictionary()


def columns_for(graph: nx.MultiDiGraph | Columns) -> Columns:
    """:func:`columns_of` ``graph``, shared for a frozen graph; an index is its own.

    >>> g = nx.freeze(tiny_city())
    >>> columns_for(g) is columns_for(g), columns_for(tiny_city()) is columns_for(tiny_city())
    (True, False)
    """
    if isinstance(graph, Columns):
        return graph
    if not nx.is_frozen(graph):
        return columns_of(graph)
    found = _KEPT.get(graph)
    if found is None:
        found = _KEPT[graph] = columns_of(graph)
    return found


def columns_of(graph: nx.MultiDiGraph) -> Columns:
    """The index of a projection (a researcher's, a test's hand-made city)."""
    nodes = ((n, str(d.get("kind", "")), d) for n, d in graph.nodes(data=True))

    def links() -> Iterable[LinkRow]:
        for u, v, lid, d in graph.edges(keys=True, data=True):
            # a link id has four parts only when the link has a key
            key = parse_link_id(lid)[3] if lid.count("|") > 2 else ""
            yield u, v, d["kind"], key, d

    return build_columns(nodes, links())


def column_of(values: Sequence[Any], how: str) -> Column:
    """A column of ``values`` held as ``how`` says (see :data:`NODE_COLUMNS`)."""
    n = len(values)
    if how == "day":
        return np.fromiter(map(day_number, values), np.int32, count=n)
    if how == "int":
        ints = (v if isinstance(v, int) and not isinstance(v, bool) else -1 for v in values)
        return np.fromiter(ints, np.int32, count=n)
    if how == "float":
        floats = (
            float(v) if isinstance(v, int | float) and not isinstance(v, bool) else np.nan
            for v in values
        )
        return np.fromiter(floats, np.float64, count=n)
    if how == "bool":
        return np.fromiter((v is True for v in values), np.bool_, count=n)
    return Codes.of(values)
