"""Who sits where across bodies, for the whole day: the committees and their compounds,
cross-appointment (双向进入、交叉任职) and conflicts of interest, which rules O5 and O7, the
roll-ups and the tie analyses all read (kept on the :class:`~.columns.DayView`).

Examples
--------
>>> cols = columns_of(tiny_city())
>>> x = cross_appointment(cols.day(AS_OF))
>>> cols.ids_of(x.cross), cols.ids_of(x.seats.of(cols.number("c1")))
(['c1', 'c1'], ['p1', 'p2', 'p3'])
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .columns import Bools, Columns, DayView, Int32s, rows_holding
from .derived import Pairs, _join, linked, posts
from .kinds import BRANCH_COMMITTEE_ROLES


def represents(day: DayView) -> Pairs:
    """(committee, what it REPRESENTS) today, for every owners' committee: the compounds
    (the only kind the ontology lets a committee REPRESENT)."""
    return linked(day, "REPRESENTS", "OwnersCommittee")


def conflicts(day: DayView) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    """Every committee member employed by a company that manages the committee's compound
    (rule O5): rows of (person, committee, compound, company, the row of the seat in
    :func:`~.derived.posts`, the code of the job's role, -1 for none), one per EMPLOYED_BY
    link, by committee, compound and person, then the person's links by company and key; and
    the roles the codes stand for (kept on the day: rule O5 and the tie analyses ask)."""
    reads = frozenset({"REPRESENTS", "HOLDS_POST", "MANAGES", "EMPLOYED_BY"})
    return day.memo("conflicts", lambda: _conflicts(day), reads)


def _conflicts(day: DayView) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    rep, seats = represents(day), posts(day)
    seat, at = _join(seats.body, rep.a)  # each seat with each compound of its committee
    managers = linked(day, "MANAGES", "PropertyCompany")
    i, m = _join(rep.b[at], managers.b)
    seat, at, company = seat[i], at[i], managers.a[m]
    person, employer, job = day.links_with("EMPLOYED_BY", "role")
    links = (person.astype(np.int64) << 32) | employer
    k, e = _join((seats.person[seat].astype(np.int64) << 32) | company, links)
    seat, at = seat[k], at[k]
    columns = (seats.person[seat], rep.a[at], rep.b[at], company[k], seat, job.codes[e])
    out = np.stack(columns, axis=1).astype(np.int64)
    # committee, compound, person, then the person's links (rows: by company, then key)
    order = np.lexsort((e, out[:, 0], out[:, 2], out[:, 1]))
    return out[order], job.values


class CrossAppointment(NamedTuple):
    """Who sits on each compound's owners' committees and holds a post on the committee of a
    branch covering it, for every compound at once: (compound, person) pairs."""

    #: (branch, compound) of the COVERS links from Party branches
    covers: Pairs
    #: the people holding a post in a committee representing the compound
    seats: Pairs
    #: per cross-appointed seat (a seat holder also on a covering branch's committee), its
    #: compound
    cross: Int32s
    #: the secretaries of the branches covering the compound
    secretaries: Pairs
    #: the chairs of the committees representing the compound
    chairs: Pairs
    #: per node: a compound one of whose secretaries chairs one of its committees
    secretary_chairs: Bools
    #: per cross-appointed seat, its holder (the seats are (``cross``, ``cross_people``), sorted)
    cross_people: Int32s


def cross_appointment(day: DayView) -> CrossAppointment:
    """:class:`CrossAppointment` on the day (kept on it: rule O7, the roll-ups and the tie
    analyses ask)."""
    reads = frozenset({"REPRESENTS", "HOLDS_POST", "COVERS"})
    return day.memo("cross_appointment", lambda: _cross(day), reads)


def _cross(day: DayView) -> CrossAppointment:
    n = day.columns.size
    p = posts(day)
    rep = represents(day)
    covers = linked(day, "COVERS", "PartyBranch", "Compound")
    post, at = _join(p.body, rep.a)
    seats = Pairs.distinct(rep.b[at], p.person[post])
    # the branch committee: the senior post held in the branch is a committee role
    roles = [p.roles.index(r) for r in BRANCH_COMMITTEE_ROLES if r in p.roles]
    on = np.isin(p.role, roles)
    post, at = _join(p.body[on], covers.a)
    holders = Pairs.distinct(covers.b[at], p.person[on][post])
    crossed = np.intersect1d(seats.keys(), holders.keys(), assume_unique=True)
    cross = crossed >> 32
    secretary, chair = p.holders("secretary", n)[covers.a], p.holders("chair", n)[rep.a]
    secretaries = Pairs.distinct(covers.b[secretary >= 0], secretary[secretary >= 0])
    chairs = Pairs.distinct(rep.b[chair >= 0], chair[chair >= 0])
    both = np.intersect1d(secretaries.keys(), chairs.keys(), assume_unique=True) >> 32
    return CrossAppointment(
        covers,
        seats,
        cross.astype(np.int32),
        secretaries,
        chairs,
        day.columns.mask(both),
        (crossed & 0xFFFFFFFF).astype(np.int32),
    )


def id_lists(cols: Columns, pairs: Pairs, nodes: Int32s) -> list[list[str]]:
    """Per node of ``nodes``, the ids of its ``b`` in ``pairs`` (sorted): ``Pairs.of`` for
    every finding at once (two binary searches and one id lookup in all)."""
    return [cols.ids_of(b) for b in per_node(pairs, nodes)]


def per_node(pairs: Pairs, nodes: Int32s) -> list[list[int]]:
    """Per node of ``nodes``, the ``b`` of its pairs (sorted): one gather for all the findings,
    not a search each."""
    flat: list[int] = pairs.b[rows_holding(pairs.a, nodes)].tolist()
    bounds = [0, *np.cumsum(pairs.counts(nodes)).tolist()]
    return [flat[a:b] for a, b in itertools.pairwise(bounds)]
