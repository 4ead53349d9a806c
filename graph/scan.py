"""A store's data in columns: what the analytics index is built from.

Why. Read record by record into a graph of Python objects, a province (millions of nodes and
links) costs minutes and gigabytes before its first analysis. Read in columns, each node kind
comes as a list of ids and one list per property asked for, each link kind as lists of ends,
keys and properties: a store sends few large messages, and the reader turns them into arrays
with no object per record (issue 15).

Two departures from the records: a date property (``PropType.DATE`` in the ontology, ``since``
and ``until`` included) comes as its **day number**, days since 1970-01-01 (None for none),
so a million dates cost a million small integers, not date objects; and a link's ends come as
the **rows** of their nodes among those read (:class:`LinkColumns`), not as ids.

Examples
--------
>>> spec = ScanSpec(nodes={"Compound": ("name", "built_year")}, links={"PART_OF": ("since",)})
>>> sorted(spec.nodes), is_date("PART_OF", "since"), is_date("Compound", "name")
(['Compound'], True, False)
>>> day_number(dt.date(1970, 1, 2)), day_number("2021-05-31"), day_number(None)
(1, 18778, None)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .ontology import LINK_KINDS, NODE_KINDS, PropType, link_props, node_props

_EPOCH = dt.date(1970, 1, 1).toordinal()

#: link ends as rows of the nodes read (:class:`LinkColumns`)
Rows = NDArray[np.int64]


class ScanSpec(NamedTuple):
    """What to read: node kind → the properties to read of it (``name`` is one like any
    other), link kind → the link properties to read. Kinds left out are not read."""

    nodes: Mapping[str, Sequence[str]]
    links: Mapping[str, Sequence[str]]


class NodeColumns(NamedTuple):
    """The nodes of one kind: their ids, and per property asked for its values (None where a
    node has none), in the order of ``ids`` (any order)."""

    ids: list[str]
    props: dict[str, list[Any]]


class LinkColumns(NamedTuple):
    """The links of one kind, whatever the kinds of their ends, in any order: their ends, their
    keys ("" for none) and per property asked for its values.

    An end is the **row** of its node among the nodes read (:meth:`Scan.row_ids`), -1 for a
    node of a kind not read: a million links cost two integer arrays, not two million strings
    to look up again."""

    sources: Rows
    targets: Rows
    keys: list[str]
    props: dict[str, list[Any]]


class Scan(NamedTuple):
    """A store's answer to a :class:`ScanSpec`: every kind asked for (empty when it has
    nothing)."""

    nodes: dict[str, NodeColumns]
    links: dict[str, LinkColumns]

    def row_ids(self) -> list[str]:
        """Every node id read, by row: the kinds in the order of :attr:`nodes`, each kind's ids
        in their order."""
        return [i for found in self.nodes.values() for i in found.ids]


def rows_of(ends: Sequence[str], row: Mapping[str, int]) -> Rows:
    """The rows of the nodes ``ends`` (ids), given each read node's ``row``; -1 for a node not
    read."""
    return np.fromiter((row.get(e, -1) for e in ends), np.int64, count=len(ends))


def row_numbers(nodes: Mapping[str, NodeColumns]) -> dict[str, int]:
    """Each node id of ``nodes`` → its row (see :class:`LinkColumns`)."""
    return {i: r for r, i in enumerate(i for found in nodes.values() for i in found.ids)}


@functools.cache
def is_date(kind: str, prop: str) -> bool:
    """Whether ``prop`` of the node or link kind ``kind`` is a date (read as a day number)."""
    found = NODE_KINDS.get(kind)
    props = node_props(found) if found is not None else link_props(LINK_KINDS[kind])
    return any(p.name == prop and p.type is PropType.DATE for p in props)


def day_number(value: object) -> int | None:
    """The day number of a date (an ISO text is read; a datetime counts its day), else None."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.toordinal() - _EPOCH
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value).toordinal() - _EPOCH
    return None
