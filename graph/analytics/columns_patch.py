"""The columnar index one write later, made from the index before it rather than rebuilt (which
reads every node and link again: about a minute at the province). The new index shares every
array the write leaves alone with the old one, which readers may still hold; when nodes come or
go, one pass renumbers the link arrays. :func:`patched` answers exactly what
:func:`~.columns.columns_of` answers for the changed projection, or None for a node changing
kind (a rebuild then).

Examples
--------
>>> from govgraph.graph.model import link, node
>>> from govgraph.graph.port import WriteBatch
>>> old = columns_of(tiny_city())
>>> joined = link("MEMBER_OF", "p0", "pb1", status="full")
>>> batch = WriteBatch(nodes=[node("Person", "p0")], links=[joined])
>>> new = patched(old, Changes.of(batch))
>>> new.size - old.size, new.ids_of(new.of_kind("Person"))[:2]
(1, ['p0', 'p1'])
>>> [new.ids_of(b.src) for b in new.blocks("MEMBER_OF", target_kind="PartyBranch")][0][:2]
['p0', 'p1']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import Problem
from ..model import check_link, check_node, parse_link_id
from ..port import WriteBatch
from .columns import (
    LINK_COLUMNS,
    NO_DAY,
    NO_UNTIL,
    NODE_COLUMNS,
    Block,
    Codes,
    Column,
    Columns,
    Delta,
    Int32s,
    Renumbering,
    column_of,
    day_number,
)
from .kinds import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS, SELF_PLACED_KINDS

_BlockKey = tuple[str, str, str]
Attrs = dict[str, Any]
_NODE_KINDS = frozenset(ANALYTIC_NODE_KINDS)
_LINK_KINDS = frozenset(ANALYTIC_LINK_KINDS)


@dataclass(slots=True)
class Changes:
    """One write as the index sees it: kinds the analytics do not read left out, values
    coerced as the stores coerce them."""

    nodes: list[tuple[str, Attrs]] = field(default_factory=list)
    links: list[tuple[str, str, str, Attrs]] = field(default_factory=list)
    delete_links: list[tuple[str, str, str]] = field(default_factory=list)
    delete_nodes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, batch: WriteBatch) -> Changes:
        """The changes of one batch (batches are not merged: a later batch's upsert must not
        overtake an earlier batch's delete)."""
        out = cls()
        problems: list[Problem] = []
        for n in batch.nodes:
            clean = check_node(n, problems)  # the store checked it; this coerces raw values
            if clean is not None and clean.kind in _NODE_KINDS:
                out.nodes.append((clean.id, {"kind": clean.kind, **clean.props}))
        for lk in batch.links:
            c = check_link(lk, problems)
            if c is not None and c.kind in _LINK_KINDS:
                out.links.append((c.source, c.target, c.id, {"kind": c.kind, **c.props}))
        for lid in batch.delete_links:
            source, _, target, _ = parse_link_id(lid)
            out.delete_links.append((source, target, lid))
        out.delete_nodes.extend(batch.delete_nodes)
        return out


def patched(cols: Columns, changes: Changes) -> Columns | None:
    """``cols`` with ``changes`` applied as the stores apply them (node upserts, link upserts,
    link deletes, node deletes); None when a node would change kind (rebuild then)."""
    upserts = dict(changes.nodes)  # a later upsert of the same node replaces an earlier one
    known = {n: _number(cols, n) for n in upserts}
    if any(i >= 0 and cols.kind_of(i) != upserts[n].get("kind") for n, i in known.items()):
        return None
    gone = {n for n in changes.delete_nodes if n in upserts or _number(cols, n) >= 0}
    nodes = _Nodes(cols, {n: a for n, a in upserts.items() if n not in gone}, known, gone)
    blocks, written, cut = _links(cols, nodes, changes)
    new = Columns(
        nodes.ids,
        kinds=nodes.kinds,
        kind=nodes.kind,
        names=nodes.names(),
        columns=nodes.columns(),
        blocks=blocks,
        kind_rows=nodes.kind_rows,
    )
    if nodes.carries():
        new.carry_days(cols, _delta(nodes, written, cut), nodes.renumbering)
    return new


def _delta(
    nodes: _Nodes,
    written: Mapping[_BlockKey, Mapping[tuple[int, int, str], Any]],
    cut: Sequence[tuple[str, int, int]],
) -> Delta:
    """What the write changed, for the day views (:class:`~.columns.Delta`): ``cut`` the links
    that went with the nodes it deleted."""
    names = {kind for kind, _, _ in written} | {kind for kind, _, _ in cut}
    for kind in {str(a["kind"]) for a in nodes.upserts.values()} | nodes.deleted_kinds:
        names.update(f"{kind}.{prop}" for prop in NODE_COLUMNS.get(kind, ()))
    rows = tuple((key[0], s, t) for key, found in written.items() for s, t, _ in found)
    return Delta(frozenset(names), rows + tuple(cut))


def _number(cols: Columns, node_id: str) -> int:
    try:
        return cols.number(node_id)
    except KeyError:
        return -1


class _Nodes:
    """The node arrays of the new index, and how old numbers map to new ones."""

    def __init__(
        self, cols: Columns, upserts: Mapping[str, Attrs], known: Mapping[str, int], gone: set[str]
    ) -> None:
        self.old, self.upserts, self.known = cols, upserts, known
        added = sorted(n for n in upserts if known[n] < 0)
        dropped = np.array(sorted(i for n in gone if (i := _number(cols, n)) >= 0), np.int64)
        self.added_kinds = {str(upserts[n]["kind"]) for n in added}
        self.kinds = tuple(sorted(set(cols.kinds) | self.added_kinds))
        self.deleted_kinds = {cols.kinds[k] for k in np.unique(cols.kind[dropped]).tolist()}
        #: None while the numbering is unchanged
        self.renumbering: Renumbering | None = None
        #: per kind whose nodes came or went, how its rows (a node's number within its kind) move
        self.within: dict[str, Renumbering] = {}
        if not added and not len(dropped):
            self.ids, self.kind = cols.ids, cols.kind  # no node added: no kind either
            self.kind_rows = cols._of_kind, cols.local
        else:
            width = max([cols.ids.dtype.itemsize, *(len(n.encode()) for n in added)])
            ids = cols.ids if width == cols.ids.dtype.itemsize else cols.ids.astype(f"S{width}")
            fresh = np.array([n.encode() for n in added], f"S{width}")
            at = np.searchsorted(ids, fresh)  # the old nodes before each node added
            r = self.renumbering = Renumbering(dropped, at - np.searchsorted(dropped, at))
            self.ids = r.rows(ids, fresh)
            codes = np.array([self.kinds.index(str(upserts[n]["kind"])) for n in added], np.int8)
            kind = cols.kind
            if self.kinds != cols.kinds:  # a kind new to the index: the codes move
                kind = np.array([self.kinds.index(k) for k in cols.kinds], np.int8)[kind]
            self.kind = r.rows(kind, codes)
            self.kind_rows = self._kind_rows(r, at, codes)
        # the new number of every upserted node (its values come from the write)
        self.written = {n: int(np.searchsorted(self.ids, n.encode())) for n in upserts}

    def _kind_rows(
        self, r: Renumbering, at: NDArray[np.int64], codes: NDArray[np.int8]
    ) -> tuple[dict[str, Int32s], Int32s]:
        """The nodes of each kind and each node's row within its kind, from the old index's:
        a kind no node of which came or went keeps its rows (renumbered)."""
        old, local = self.old, r.rows(self.old.local, 0)
        of_kind: dict[str, Int32s] = {}
        gone_kind = old.kind[r.deleted]
        for code, kind in enumerate(self.kinds):
            rows = old.of_kind(kind)
            mine = r.added[codes == code]
            gone = r.deleted[gone_kind == old.kind_code(kind)]
            if not len(mine) and not len(gone):
                of_kind[kind] = rows if not len(rows) or rows[-1] < r.first else r.numbers(rows)
                continue
            # the kind's old rows before each node added, less those deleted
            before = at[codes == code]
            cuts = np.searchsorted(rows, before) - np.searchsorted(gone, before)
            within = self.within[kind] = Renumbering(old.local[gone].astype(np.int64), cuts)
            of_kind[kind] = moved = r.numbers(within.rows(rows, 0), own=True)
            moved[within.added] = mine
            start = min(within.first, len(moved))
            local[moved[start:]] = np.arange(start, len(moved), dtype=np.int32)
        return of_kind, local

    def carries(self) -> bool:
        """The day views can be carried: numbers still mean the same nodes, or the write added
        nodes of kinds the index had and deleted nodes, none of them placed by kind (they are
        carried renumbered; :data:`~.kinds.SELF_PLACED_KINDS` move everything in them)."""
        if self.renumbering is None:
            return True
        moved = self.added_kinds | self.deleted_kinds
        return self.kinds == self.old.kinds and moved.isdisjoint(SELF_PLACED_KINDS)

    def names(self) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
        """The name buffer and offsets: runs of unchanged names copied as slices of the old
        buffer (a write makes few runs), the written names in between."""
        buf, off, r = self.old._name_buf, self.old._name_off, self.renumbering
        written = {
            self.written[n]: (v.encode() if isinstance(v := a.get("name"), str) else b"")
            for n, a in self.upserts.items()
        }
        if r is None and all(bytes(buf[off[i] : off[i + 1]]) == b for i, b in written.items()):
            return buf, off  # no node came or went, and the names written are those held
        # the names as a renumbering of their own: a node written goes and comes back
        again = [i for n in self.upserts if (i := self.known[n]) >= 0]
        at = np.array(sorted(written), np.int64)
        deleted = np.union1d(again, r.deleted if r else []).astype(np.int64)
        names = Renumbering(deleted, at - np.arange(len(at)))
        new_off = np.zeros(len(self.ids) + 1, np.int64)
        parts: list[NDArray[np.uint8]] = []
        runs = [*names.runs(self.old.size), *((-1, i, 1) for i in written)]
        for o, new, length in sorted(runs, key=lambda run: run[1]):
            end = int(new_off[new])  # the new buffer's length so far
            part = np.frombuffer(written[new], np.uint8) if o < 0 else buf[off[o] : off[o + length]]
            if o < 0:
                new_off[new + 1] = end + len(part)
            else:  # one pass: the offsets moved as a whole
                moved = new_off[new + 1 : new + length + 1]
                np.add(off[o + 1 : o + length + 1], end - off[o], out=moved)
            parts.append(part)
        return (np.concatenate(parts) if parts else buf[:0]), new_off

    def columns(self) -> dict[tuple[str, str], Column]:
        """The property columns; a kind's are made again only when one of its nodes was
        written, added or deleted."""
        cols = self.old
        out: dict[tuple[str, str], Column] = {}
        touched = {str(a["kind"]) for a in self.upserts.values()} | self.deleted_kinds
        local = self.kind_rows[1]
        for kind, props in NODE_COLUMNS.items():
            if kind not in touched:
                out.update({(kind, p): cols.column(kind, p) for p in props})
                continue
            within = self.within.get(kind)
            mine = [
                (int(local[i]), self.upserts[n])
                for n, i in self.written.items()
                if str(self.upserts[n]["kind"]) == kind
            ]
            at = [i for i, _ in mine]
            for prop, how in props.items():
                column = cols.column(kind, prop)
                values = [a.get(prop) for _, a in mine]
                if isinstance(column, Codes):
                    merged, new_codes = _merged(column, values)
                    codes = merged.codes.copy() if within is None else within.rows(merged.codes, -1)
                    codes[at] = new_codes
                    out[kind, prop] = Codes(codes, merged.values)
                else:
                    taken = column.copy() if within is None else within.rows(column, 0)
                    taken[at] = column_of(values, how)
                    out[kind, prop] = taken
        return out


def _merged(codes: Codes, values: Sequence[object]) -> tuple[Codes, NDArray[np.integer[Any]]]:
    """``codes`` over a dictionary holding ``values`` too (kept sorted, so codes order as
    their texts do), and the codes of ``values``."""
    extra = {str(v) for v in values if v is not None} - set(codes.values)
    merged = _recode(codes, tuple(sorted({*codes.values, *extra}))) if extra else codes
    found = np.array([-1 if v is None else merged.values.index(str(v)) for v in values], np.int32)
    return merged, found


# -- links ----------------------------------------------------------------------------------------
_Written = dict[_BlockKey, dict[tuple[int, int, str], Attrs | None]]


def _links(
    cols: Columns, nodes: _Nodes, changes: Changes
) -> tuple[dict[_BlockKey, Block], _Written, list[tuple[str, int, int]]]:
    """The blocks after the write, the rows it wrote (None: deleted) per block, and the links
    that went with the nodes it deleted (link kind, source, target; a deleted end -1)."""
    number, gone, r = nodes.written, set(changes.delete_nodes), nodes.renumbering

    def find(node_id: str) -> int:
        found = number.get(node_id)
        if found is None and node_id not in gone and (old := _number(cols, node_id)) >= 0:
            found = old if r is None else int(r.numbers(np.array([old]))[0])
        return -1 if found is None else found

    writes: _Written = defaultdict(dict)
    deletes = ((u, v, lid, None) for u, v, lid in changes.delete_links)
    for u, v, lid, attrs in [*changes.links, *deletes]:  # upserts first, as the stores do
        if (s := find(u)) >= 0 and (t := find(v)) >= 0:
            _, kind, _, k = parse_link_id(lid)
            key = (kind, nodes.kinds[int(nodes.kind[s])], nodes.kinds[int(nodes.kind[t])])
            writes[key][s, t, k] = attrs
    out: dict[_BlockKey, Block] = {}
    cut: list[tuple[str, int, int]] = []
    dictionaries = _dictionaries(cols, writes)
    held = {(b.kind, b.source_kind, b.target_kind) for b in cols.all_blocks()}
    for key in sorted({*held, *writes}):
        found = cols.blocks(*key)
        block = found[0] if found else _empty(cols, key)
        if nodes.renumbering is not None:
            block, ends = _renumbered(block, nodes.renumbering)
            cut.extend((key[0], s, t) for s, t in ends)
        block = _recoded(block, dictionaries.get(key[0], {}))
        if key in writes:
            block = _written(block, writes[key], dictionaries.get(key[0], {}))
        if len(block):
            out[key] = block
    return out, writes, cut


def _empty(cols: Columns, key: _BlockKey) -> Block:
    """A block with no rows, its dictionaries those its kind's other blocks share."""
    none = np.empty(0, np.int32)
    shared = next((b.props for b in cols.blocks(key[0])), {})
    props = {
        p: Codes(np.empty(0, np.int16), shared[p].values if p in shared else ())
        for p in LINK_COLUMNS.get(key[0], ())
    }
    return Block(*key, none, none, none, none, props, {}, none)


def _dictionaries(
    cols: Columns, writes: Mapping[_BlockKey, Mapping[Any, Attrs | None]]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per link kind and property, the dictionary its blocks share after the write (one per
    kind, as :func:`~.columns.build_columns` makes them), when the write brings a new value."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for (kind, _, _), rows in writes.items():
        for prop in LINK_COLUMNS.get(kind, ()):
            have = next((b.props[prop].values for b in cols.blocks(kind)), ())
            have = out.get(kind, {}).get(prop, have)
            new = {str(a[prop]) for a in rows.values() if a is not None and a.get(prop) is not None}
            if new - set(have):
                out.setdefault(kind, {})[prop] = tuple(sorted({*have, *new}))
    return out


def _recoded(block: Block, dictionaries: Mapping[str, tuple[str, ...]]) -> Block:
    props = dict(block.props)
    for prop, values in dictionaries.items():
        if props[prop].values != values:
            props[prop] = _recode(props[prop], values)
    return _with(block, props=props)


def _recode(codes: Codes, values: tuple[str, ...]) -> Codes:
    """``codes`` over the dictionary ``values`` (which holds every value of ``codes``)."""
    lookup = np.array([values.index(v) for v in codes.values] + [-1], np.int32)
    return Codes.typed(lookup[codes.codes], values)


def _with(block: Block, **fields: Any) -> Block:
    """``block`` with ``fields`` replaced (``Block._replace`` would read its ``len``, the rows)."""
    return Block(**{**block._asdict(), **fields})


def _renumbered(block: Block, renumbering: Renumbering) -> tuple[Block, list[tuple[int, int]]]:
    """The block in the new numbering (order kept: the numbering is monotone), without the
    links of deleted nodes; and those links' ends (-1: deleted)."""
    if not len(block) or max(block.src[-1], block.dst[block.by_dst[-1]]) < renumbering.first:
        return block, []  # every end below the first node that moves (src, dst sorted)
    src, dst = renumbering.numbers(block.src), renumbering.numbers(block.dst)
    moved = _with(block, src=src, dst=dst)
    lost = np.flatnonzero((src < 0) | (dst < 0)) if len(renumbering.deleted) else src[:0]
    if not len(lost):
        return moved, []
    return _rows(moved, lost), list(zip(src[lost].tolist(), dst[lost].tolist(), strict=True))


def _rows(block: Block, gone: NDArray[np.integer[Any]]) -> Block:
    """The block without the rows ``gone`` (sorted; a write removes few): the rows after each
    move down as the nodes after a deleted one do."""
    drop = Renumbering(gone.astype(np.int64), np.empty(0, np.int64))
    by_dst = drop.numbers(block.by_dst[~np.isin(block.by_dst, gone)], own=True)
    keyed = drop.numbers(np.array(list(block.keyed), np.int64)).tolist()
    return _with(
        block,
        src=drop.rows(block.src, 0),
        dst=drop.rows(block.dst, 0),
        since=drop.rows(block.since, 0),
        until=drop.rows(block.until, 0),
        props={p: c._replace(codes=drop.rows(c.codes, 0)) for p, c in block.props.items()},
        keyed={r: k for r, k in zip(keyed, block.keyed.values(), strict=True) if r >= 0},
        by_dst=by_dst,
    )


def _written(
    block: Block,
    rows: Mapping[tuple[int, int, str], Attrs | None],
    dictionaries: Mapping[str, tuple[str, ...]],
) -> Block:
    """The block with ``rows`` written: an upsert replaces the row of the same ends and key or
    adds one (in (source, target, key) order), None deletes it."""
    gone: set[int] = set()
    for (s, t, k), _ in rows.items():  # every written row replaces the one it names
        lo, hi = _span(block, s, t)
        gone.update(r for r in range(lo, hi) if block.keyed.get(r, "") == k)
    base = _rows(block, np.array(sorted(gone), np.int64)) if gone else block
    added = sorted((s, t, k, a) for (s, t, k), a in rows.items() if a is not None)
    if not added:
        return base
    at = []
    for s, t, k, _ in added:  # after the rows of the same ends whose key sorts first
        lo, hi = _span(base, s, t)
        at.append(lo + sum(base.keyed.get(r, "") < k for r in range(lo, hi)))
    grow = Renumbering(np.empty(0, np.int64), np.array(at, np.int64))  # the rows move up
    put = grow.rows
    src, dst = put(base.src, [a[0] for a in added]), put(base.dst, [a[1] for a in added])
    ends = [day_number(a[3].get("until")) for a in added]
    props = {}
    for p, c in base.props.items():
        values = dictionaries.get(p, c.values)
        codes = [-1 if (v := a[3].get(p)) is None else values.index(str(v)) for a in added]
        props[p] = Codes.typed(put(c.codes, codes), c.values)
    moved = grow.numbers(np.array([*base.keyed], np.int64)).tolist()
    keyed = dict(zip(moved, base.keyed.values(), strict=True))
    keyed.update({int(r): a[2] for r, a in zip(grow.added.tolist(), added, strict=True) if a[2]})
    return _with(
        base,
        src=src,
        dst=dst,
        since=put(base.since, [day_number(a[3].get("since")) for a in added]),
        until=put(base.until, [NO_UNTIL if e == NO_DAY else e for e in ends]),
        props=props,
        keyed=keyed,
        by_dst=np.lexsort((src, dst)).astype(np.int32),
    )


def _span(block: Block, s: int, t: int) -> tuple[int, int]:
    """The rows from ``s`` to ``t`` (binary searches: the rows are sorted by source, target)."""
    lo, hi = np.searchsorted(block.src, [s, s + 1]).tolist()
    first, end = np.searchsorted(block.dst[lo:hi], [t, t + 1]).tolist()
    return lo + first, lo + end
