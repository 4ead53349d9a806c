"""Who links which bodies: cross-appointment (双向进入、交叉任职), people holding several posts,
conflicts of interest, interlocks between organizations, brokers and tie communities.

Every function reads one day (a projection cut to it, or the index's view of it) and takes a
``scope`` (a place id) restricting it to what sits under that place. The *tie graph* joins
people to the bodies they hold a post in or work for (:data:`TIE_LINKS`): undirected, weighted
by the number of ties, built in sorted order so that sampled and seeded algorithms answer the
same on every store. People are returned by id only (their names are personal data).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

import igraph as ig
import networkx as nx
import numpy as np
from numpy.typing import NDArray

from ..errors import NotFoundError
from .appointments import conflicts, cross_appointment, id_lists, represents
from .columns import (
    Block,
    Bools,
    Columns,
    DayView,
    Indexed,
    Int32s,
    day_of,
    distinct,
    groups,
    picked,
)
from .derived import Pairs, _join, place, posts, scope_number, under
from .projection import indexed_day

#: the links that tie a person to a body: a post in it, a job with it
TIE_LINKS = ("HOLDS_POST", "EMPLOYED_BY")


def _read(graph: Indexed, scope: str | None) -> tuple[DayView, Columns, int | None]:
    """The day ``graph`` stands for, its index and the number of ``scope`` (None: none)."""
    day = indexed_day(graph)
    return day, day.columns, scope_number(day.columns, scope)


def _node(cols: Columns, node: int) -> tuple[str, str, str | None]:
    """A node's id, kind and :meth:`~.columns.Columns.public_name`."""
    return cols.id(node), cols.kind_of(node), cols.public_name(node)


# --- cross-appointment per compound ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CompoundTies:
    """A compound's owners' committee seats against its Party branch's posts."""

    compound: str
    name: str | None
    branches: list[str]
    committees: list[str]
    seats: int
    #: committee members who hold a post on a covering branch's committee
    cross_appointed: list[str]
    #: cross_appointed / seats (None without seats)
    rate: float | None
    secretaries: list[str]
    chairs: list[str]
    #: whether a branch secretary chairs the committee (None without a secretary or a chair)
    secretary_chairs: bool | None


def cross_appointments(graph: Indexed, scope: str | None = None) -> list[CompoundTies]:
    """Per compound with a branch or a committee: the cross-appointment rate (committee seats
    held by branch committee members ÷ seats) and whether the branch secretary is the chair.

    Examples
    --------
    >>> (c1,) = cross_appointments(at(tiny_city(), AS_OF))
    >>> c1.compound, c1.seats, c1.cross_appointed, c1.rate, c1.secretary_chairs
    ('c1', 3, ['p1', 'p2'], 0.6666666666666666, True)
    """
    day, cols, s = _read(graph, scope)
    x = cross_appointment(day)
    branches, committees = x.covers.swapped(), represents(day).swapped()
    compounds = cols.of_kind("Compound")
    if s is not None:
        compounds = compounds[under(day, s)[compounds]]
    compounds = compounds[(branches.counts(compounds) > 0) | (committees.counts(compounds) > 0)]
    return [
        CompoundTies(
            compound=cols.id(c),
            name=cols.public_name(c),
            branches=b,
            committees=oc,
            seats=k,
            cross_appointed=cross,
            rate=len(cross) / k if k else None,
            secretaries=sec,
            chairs=ch,
            secretary_chairs=bool(x.secretary_chairs[c]) if sec and ch else None,
        )
        for c, b, oc, k, cross, sec, ch in zip(
            compounds.tolist(),
            id_lists(cols, branches, compounds),
            id_lists(cols, committees, compounds),
            x.seats.counts(compounds).tolist(),
            id_lists(cols, Pairs(x.cross, x.cross_people), compounds),
            id_lists(cols, x.secretaries, compounds),
            id_lists(cols, x.chairs, compounds),
            strict=True,
        )
    ]


# --- people holding several posts -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Post:
    """One tie of a person to a body: a post (HOLDS_POST) or a job (EMPLOYED_BY)."""

    body: str
    body_kind: str
    body_name: str | None
    role: str
    link: str
    since: dt.date | None
    until: dt.date | None


@dataclass(frozen=True, slots=True)
class MultiPostHolder:
    """A person tied to two or more bodies, with every tie."""

    person: str
    bodies: int
    posts: list[Post]


class _Ties(NamedTuple):
    """The tie links of a day, one row per link, in the order the analyses list them: by
    person, then link kind (sorted as given), then body, then link id."""

    person: Int32s
    body: Int32s
    #: the link kind, an index into ``kinds``
    link: NDArray[np.intp]
    since: Int32s
    until: Int32s
    #: the role, a code into ``roles[link]`` (-1: none)
    role: NDArray[np.int32]
    kinds: tuple[str, ...]
    roles: tuple[tuple[str, ...], ...]


def _ties(day: DayView, scope: int | None, link_kinds: Collection[str]) -> _Ties:
    """The tie links from people to bodies under ``scope`` (to anything without a scope). On
    the whole graph, with the default link kinds, it is kept on the day (the holders, the
    interlocks and the tie graph all read it)."""
    if scope is None and sorted(link_kinds) == sorted(TIE_LINKS):
        return day.memo(("ties", TIE_LINKS), lambda: _read_ties(day, None, TIE_LINKS))
    return _read_ties(day, scope, link_kinds)


def _read_ties(day: DayView, scope: int | None, link_kinds: Collection[str]) -> _Ties:
    cols = day.columns
    bodies: Bools | None = None
    if scope is not None:  # the bodies under the scope that roll up somewhere
        bodies = under(day, scope) & (place(day) >= 0).any(axis=1)
        bodies &= cols.kind != cols.kind_code("Person")
    kinds = tuple(sorted(link_kinds))  # a kind given twice is read twice
    # per block, its columns of _Ties; a first of empty ones for a day without ties
    parts: list[tuple[NDArray[Any], ...]] = [(np.empty(0, np.int32),) * 6]
    for i, kind in enumerate(kinds):
        for b, valid in day.rows(kind, source_kind="Person"):
            r = valid if bodies is None else valid[bodies[b.dst[valid]]]
            role = b.props["role"].codes[r] if "role" in b.props else np.full(len(r), -1, np.int32)
            parts.append((b.src[r], b.dst[r], np.full(len(r), i), b.since[r], b.until[r], role))
    columns = [np.concatenate(c) for c in zip(*parts, strict=True)]
    person, body, link = columns[:3]
    # within a (person, kind, body) the rows are one block's, in link id order: a stable sort
    order = np.lexsort((body, link, person))
    roles = tuple(_roles(cols, kind) for kind in kinds)
    return _Ties._make([*(c[order] for c in columns), kinds, roles])


def _roles(cols: Columns, kind: str) -> tuple[str, ...]:
    """The roles the codes of link ``kind`` stand for (one dictionary per link kind)."""
    return next((b.props["role"].values for b in cols.blocks(kind) if "role" in b.props), ())


def multi_post_holders(
    graph: Indexed,
    scope: str | None = None,
    *,
    min_bodies: int = 2,
    link_kinds: Collection[str] = TIE_LINKS,
) -> list[MultiPostHolder]:
    """Everyone tied to at least ``min_bodies`` bodies (a Party branch and an owners'
    committee, a committee and a property company, ...), most bodies first.

    Examples
    --------
    >>> for h in multi_post_holders(at(tiny_city(), AS_OF)):
    ...     print(h.person, [(p.body, p.role) for p in h.posts])
    p1 [('oc1', 'chair'), ('pb1', 'secretary')]
    p2 [('oc1', 'vice_chair'), ('pb1', 'committee_member')]
    p3 [('co1', '客服专员'), ('oc1', 'member')]
    """
    day, cols, s = _read(graph, scope)
    t = _ties(day, s, link_kinds)
    tied = Pairs.distinct(t.person, t.body)
    people, _, count = groups(tied.a)
    order = np.lexsort((people, -count))  # most bodies first
    order = order[count[order] >= min_bodies]
    people, count = people[order], count[order]
    lo = np.searchsorted(t.person, people, "left").tolist()
    hi = np.searchsorted(t.person, people, "right").tolist()
    out: list[MultiPostHolder] = []
    for person, bodies, a, b in zip(people.tolist(), count.tolist(), lo, hi, strict=True):
        rows = picked(slice(a, b), t.body, t.link, t.role, t.since, t.until)
        posts = [
            Post(
                *_node(cols, body),
                t.roles[link][role] if role >= 0 else "",
                t.kinds[link],
                day_of(since),
                day_of(until),
            )
            for body, link, role, since, until in rows
        ]
        posts.sort(key=lambda p: (p.body, p.link, p.since or dt.date.min, p.role))
        out.append(MultiPostHolder(cols.id(person), bodies, posts))
    return out


# --- conflicts of interest ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ConflictOfInterest:
    """An owners' committee member employed by the company managing the same compound."""

    person: str
    committee: str
    committee_name: str | None
    compound: str
    compound_name: str | None
    company: str
    company_name: str | None
    seat_role: str
    job_role: str


def conflicts_of_interest(graph: Indexed, scope: str | None = None) -> list[ConflictOfInterest]:
    """Committee members EMPLOYED_BY a company that MANAGES the compound their committee
    REPRESENTS (rule O5): the committee is meant to supervise that company.

    Examples
    --------
    >>> [(c.person, c.committee, c.company, c.job_role)
    ...  for c in conflicts_of_interest(at(tiny_city(), AS_OF))]
    [('p3', 'oc1', 'co1', '客服专员')]
    """
    day, cols, s = _read(graph, scope)
    seats = posts(day)
    found, jobs = conflicts(day)
    if s is not None:  # a committee representing a compound under the scope is near it
        found = found[under(day, s)[found[:, 2]]]
    return [
        ConflictOfInterest(
            person=cols.id(person),
            committee=cols.id(oc),
            committee_name=cols.public_name(oc),
            compound=cols.id(compound),
            compound_name=cols.public_name(compound),
            company=cols.id(company),
            company_name=cols.public_name(company),
            seat_role=seats.roles[r] if (r := int(seats.role[seat])) >= 0 else "",
            job_role=jobs[job] if job >= 0 else "",
        )
        for person, oc, compound, company, seat, job in found.tolist()
    ]


# --- interlocks -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Interlock:
    """Two bodies sharing people (an edge of the organization-to-organization graph)."""

    a: str
    a_kind: str
    a_name: str | None
    b: str
    b_kind: str
    b_name: str | None
    #: how many people are tied to both
    shared: int
    people: list[str]


def interlocks(
    graph: Indexed,
    scope: str | None = None,
    *,
    link_kinds: Collection[str] = TIE_LINKS,
    min_shared: int = 1,
) -> list[Interlock]:
    """The organization-to-organization graph: bodies linked by the people tied to both,
    weighted by how many; heaviest first.

    Examples
    --------
    >>> [(i.a, i.b, i.shared, i.people) for i in interlocks(at(tiny_city(), AS_OF))]
    [('oc1', 'pb1', 2, ['p1', 'p2']), ('co1', 'oc1', 1, ['p3'])]
    """
    day, cols, s = _read(graph, scope)
    t = _ties(day, s, link_kinds)
    tied = Pairs.distinct(t.person, t.body)
    # every two bodies of a person, the lower numbered (so the lower id) first
    left, right = _join(tied.a, tied.a)
    keep = tied.b[left] < tied.b[right]
    left, right = left[keep], right[keep]
    pair = (tied.b[left].astype(np.int64) << 32) | tied.b[right]
    order = np.lexsort((tied.a[left], pair))
    pair, person = pair[order], tied.a[left][order]
    keys, start, count = groups(pair)
    order = np.lexsort((keys, -count))  # heaviest first, then by the two ids
    order = order[count[order] >= min_shared]
    out: list[Interlock] = []
    for key, first, shared in picked(order, keys, start, count):
        a, b = key >> 32, key & 0xFFFFFFFF
        people = cols.ids_of(person[first : first + shared])
        out.append(Interlock(*_node(cols, a), *_node(cols, b), shared, people))
    return out


# --- the tie graph: brokers and communities -------------------------------------------------------
class _TieGraph(NamedTuple):
    """People and bodies numbered in id order, one edge per (person, body) weighted by its
    ties, sorted: sampling, seeds and tie-breaks agree across stores and libraries."""

    ids: list[str]
    #: the node number (the day's index) of each position
    nodes: Int32s
    #: each edge's ends (positions) and weight
    person: NDArray[np.intp]
    body: NDArray[np.intp]
    weight: NDArray[np.intp]


def _tie_graph(day: DayView, scope: int | None, link_kinds: Collection[str]) -> _TieGraph:
    cols = day.columns
    t = _ties(day, scope, link_kinds)
    # sorted by (person, body): ids sort as numbers do
    pairs, _, weight = groups((t.person.astype(np.int64) << 32) | t.body)
    person, body = (pairs >> 32).astype(np.int32), (pairs & 0xFFFFFFFF).astype(np.int32)
    nodes = distinct(np.r_[person, body])
    ends = np.searchsorted(nodes, person), np.searchsorted(nodes, body)
    return _TieGraph(cols.ids_of(nodes), nodes, *ends, weight)


def _nx_graph(t: _TieGraph) -> nx.Graph:
    """The tie graph in NetworkX, keyed by id, nodes and edges inserted in order."""
    g = nx.Graph()
    g.add_nodes_from(t.ids)
    g.add_weighted_edges_from(
        (t.ids[p], t.ids[b], w)
        for p, b, w in zip(t.person.tolist(), t.body.tolist(), t.weight.tolist(), strict=True)
    )
    return g


def _betweenness(h: ig.Graph, k: int | None, seed: int) -> list[float]:
    """What ``nx.betweenness_centrality(g, k=k, seed=seed)`` answers for ``h`` in NetworkX.

    NetworkX samples the sources with ``random.Random(seed).sample`` of its nodes and scales by
    (n-1)(n-2) ordered pairs, sampled sources by ``k-1``, the others by ``k`` (since 3.5; with
    ``k=1`` the source's is NaN); igraph counts each unordered pair once, hence the 2.
    """
    n = h.vcount()
    if n < 3:  # no node lies between two others
        return [0.0] * n
    if k is None or k >= n:
        scale = 2 / ((n - 1) * (n - 2))
        return [b * scale for b in h.betweenness(directed=False)]
    # random.sample picks positions by the population's length alone: the same as NetworkX's
    sources = random.Random(seed).sample(range(n), k)
    found = h.betweenness(directed=False, sources=sources)
    scale = [2 / (k * (n - 2))] * n
    for s in sources:
        scale[s] = 2 / ((k - 1) * (n - 2)) if k > 1 else math.nan
    return [b * f for b, f in zip(found, scale, strict=True)]


@dataclass(frozen=True, slots=True)
class Broker:
    """A node of the tie graph: normalized betweenness (high: on many shortest paths between
    others) and Burt's constraint (low: ties to otherwise unconnected groups; None: no ties)."""

    node: str
    kind: str
    name: str | None
    degree: int
    betweenness: float
    constraint: float | None


def brokers(
    graph: Indexed,
    scope: str | None = None,
    *,
    kinds: Collection[str] = ("Person",),
    k: int | None = None,
    seed: int = 0,
    top: int | None = None,
    link_kinds: Collection[str] = TIE_LINKS,
) -> list[Broker]:
    """The brokers of the tie graph (of ``kinds``), highest betweenness first: NetworkX's
    measures (``betweenness_centrality`` sampling ``k`` sources with ``seed``, None: exact;
    ``constraint`` weighted by the ties, for the ``top`` only) computed with igraph, the same
    values at 3,000 compounds in 0.05 s where NetworkX took 10 s (``bench/measures_bench.py``).

    Examples
    --------
    >>> [(b.node, b.degree, round(b.betweenness, 3), round(b.constraint or 0, 3))
    ...  for b in brokers(at(tiny_city(), AS_OF), top=2)]
    [('p3', 2, 0.533, 0.5), ('p1', 2, 0.133, 0.5)]
    """
    day, cols, s = _read(graph, scope)
    t = _tie_graph(day, s, link_kinds)
    h = ig.Graph(
        n=len(t.ids),
        edges=np.column_stack((t.person, t.body)).tolist(),
        edge_attrs={"weight": t.weight.tolist()},
    )
    between = _betweenness(h, k, seed)
    kept = np.isin(cols.kind[t.nodes], [cols.kind_code(kind) for kind in kinds])
    ranked = sorted(np.flatnonzero(kept).tolist(), key=lambda i: (-between[i], t.ids[i]))[:top]
    constraint: list[float] = h.constraint(ranked, weights="weight") if ranked else []
    return [
        Broker(
            node=t.ids[i],
            kind=cols.kind_of(t.nodes[i]),
            name=cols.public_name(t.nodes[i]),
            degree=d,
            betweenness=between[i],
            constraint=None if math.isnan(c) else c,  # NaN: no ties
        )
        for i, d, c in zip(ranked, h.degree(ranked), constraint, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class TieCommunity:
    """A community of the tie graph (Louvain): people and the bodies that bind them."""

    index: int
    size: int
    organizations: list[str]
    people: list[str]


def communities(
    graph: Indexed,
    scope: str | None = None,
    *,
    seed: int = 0,
    resolution: float = 1.0,
    link_kinds: Collection[str] = TIE_LINKS,
) -> list[TieCommunity]:
    """Louvain communities of the person-organization tie graph (networkx, seeded), largest
    first; ``resolution`` above 1 gives smaller communities.

    Examples
    --------
    >>> [(c.organizations, c.people) for c in communities(at(tiny_city(), AS_OF))]
    [(['oc1', 'pb1'], ['p1', 'p2']), (['co1'], ['p3', 'p9'])]
    """
    day, cols, s = _read(graph, scope)
    t = _tie_graph(day, s, link_kinds)
    if not t.ids:
        return []
    found: list[set[str]] = nx.community.louvain_communities(
        _nx_graph(t), weight="weight", resolution=resolution, seed=seed
    )
    groups = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
    person = cols.kind[t.nodes] == cols.kind_code("Person")
    is_person = dict(zip(t.ids, person.tolist(), strict=True))
    return [
        TieCommunity(
            index=i,
            size=len(members),
            organizations=[n for n in members if not is_person[n]],
            people=[n for n in members if is_person[n]],
        )
        for i, members in enumerate(groups)
    ]


# --- neighbourhoods and paths ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node as plain data (people without their name)."""

    id: str
    kind: str
    name: str | None
    #: links from the ego (ego networks) or the position on the path (paths)
    distance: int


@dataclass(frozen=True, slots=True)
class GraphLink:
    """A link as plain data."""

    id: str
    kind: str
    source: str
    target: str
    role: str | None
    since: dt.date | None
    until: dt.date | None


@dataclass(frozen=True, slots=True)
class EgoNetwork:
    """The nodes within ``depth`` links of ``center`` and the links among them."""

    center: str
    depth: int
    nodes: list[GraphNode]
    links: list[GraphLink]


class _Links(NamedTuple):
    """The links of a day of some kinds between nodes under a scope, block after block."""

    src: Int32s
    dst: Int32s
    #: the block of each link (an index into ``blocks``) and its row there
    block: NDArray[np.intp]
    row: Int32s
    blocks: list[Block]


def _links(day: DayView, link_kinds: Collection[str] | None, keep: Bools | None) -> _Links:
    """The day's links of ``link_kinds`` (all when None) with both ends in ``keep`` (all when
    None): the links of the undirected graph ego networks and paths follow."""
    blocks = [b for b in day.columns.all_blocks() if link_kinds is None or b.kind in link_kinds]
    # per block, its columns of _Links; a first of empty ones for a day without links
    parts: list[tuple[NDArray[Any], ...]] = [(np.empty(0, np.int32),) * 4]
    for i, b in enumerate(blocks):
        valid = day.valid(b) if keep is None else day.valid(b) & keep[b.src] & keep[b.dst]
        r = np.flatnonzero(valid).astype(np.int32)
        parts.append((b.src[r], b.dst[r], np.full(len(r), i), r))
    return _Links._make([*(np.concatenate(c) for c in zip(*parts, strict=True)), blocks])


def _link(cols: Columns, links: _Links, i: int) -> GraphLink:
    block, row = links.blocks[int(links.block[i])], int(links.row[i])
    roles = block.props.get("role")
    return GraphLink(
        id=cols.link_id(block, row),
        kind=block.kind,
        source=cols.id(int(block.src[row])),
        target=cols.id(int(block.dst[row])),
        role=None if roles is None else roles.value(int(roles.codes[row])),
        since=day_of(int(block.since[row])),
        until=day_of(int(block.until[row])),
    )


def _id_order(day: DayView, links: _Links) -> NDArray[np.intp]:
    """The links in the order of their ids (``source|KIND|target[|key]``) as text.

    Why not by numbers. Node numbers sort the ids, but an id followed by ``|`` sorts
    otherwise when it is the start of another id (``p1|`` after ``p10|``), and so does a
    target followed by a key: the order is read from ranks of those texts instead."""
    cols = day.columns
    kinds = sorted({b.kind for b in links.blocks}, key=lambda k: k + "|")
    kind_rank = np.array([kinds.index(b.kind) for b in links.blocks] + [0], np.intp)
    # the targets: a node id, or with a key ``target|key``, ranked among all of them
    target = links.dst.astype(np.int64)
    keyed: list[tuple[int, bytes]] = []  # (link, target|key) for the few links with a key
    for i, b in enumerate(links.blocks):
        if not b.keyed:
            continue
        lo, hi = np.searchsorted(links.block, [i, i + 1]).tolist()
        for r, key in b.keyed.items():
            j = lo + int(np.searchsorted(links.row[lo:hi], r))
            if j < hi and links.row[j] == r:
                keyed.append((j, f"{cols.id(int(b.dst[r]))}|{key}".encode()))
    if keyed:
        texts = np.unique(np.array([t for _, t in keyed], np.bytes_))
        target += np.searchsorted(texts, cols.ids)[links.dst]
        for j, t in keyed:
            target[j] = int(np.searchsorted(cols.ids, t)) + int(np.searchsorted(texts, t))
    return np.lexsort((target, kind_rank[links.block], _bar_rank(day)[links.src]))


def _bar_rank(day: DayView) -> NDArray[np.intp]:
    """Per node, the rank of its id followed by ``|`` among the others'."""

    def compute() -> NDArray[np.intp]:
        ids = day.columns.ids
        rank = np.arange(len(ids), dtype=np.intp)
        if len(ids) > 1 and np.strings.startswith(ids[1:], ids[:-1]).any():
            rank[np.argsort(np.strings.add(ids, b"|"), kind="stable")] = rank.copy()
        return rank

    return day.memo("ties.bar_rank", compute)


def _nodes(cols: Columns, ids: Sequence[str]) -> list[int]:
    """The numbers of ``ids``; NotFoundError naming those that are no node."""
    missing: list[str] = []
    out: list[int] = []
    for i in ids:
        try:
            out.append(cols.number(i))
        except KeyError:
            missing.append(i)
    if missing:
        raise NotFoundError("node", missing)
    return out


def ego_network(
    graph: Indexed,
    node_id: str,
    depth: int = 1,
    *,
    link_kinds: Collection[str] | None = None,
    scope: str | None = None,
) -> EgoNetwork:
    """Everything within ``depth`` links of ``node_id`` (links followed both ways, only
    ``link_kinds`` if given), and every such link among those nodes.

    Examples
    --------
    >>> ego = ego_network(at(tiny_city(), AS_OF), "p3", link_kinds=["HOLDS_POST", "EMPLOYED_BY"])
    >>> [(n.id, n.distance) for n in ego.nodes], [lk.kind for lk in ego.links]
    ([('p3', 0), ('co1', 1), ('oc1', 1)], ['EMPLOYED_BY', 'HOLDS_POST'])
    """
    day, cols, s = _read(graph, scope)
    (center,) = _nodes(cols, [node_id])
    keep = None if s is None else under(day, s)
    if keep is not None and not keep[center]:
        return EgoNetwork(node_id, depth, [], [])
    links = _links(day, link_kinds, keep)
    # breadth first, a level at a time over every link (followed both ways)
    dist = np.full(cols.size, -1, np.int32)
    dist[center] = 0
    frontier = cols.mask(np.array([center]))
    for level in range(1, depth + 1):
        reached = np.r_[links.dst[frontier[links.src]], links.src[frontier[links.dst]]]
        frontier = cols.mask(reached) & (dist < 0)
        if not frontier.any():
            break
        dist[frontier] = level
    inside = np.flatnonzero(dist >= 0)
    nodes = inside[np.lexsort((inside, dist[inside]))]
    among = np.flatnonzero((dist[links.src] >= 0) & (dist[links.dst] >= 0))
    found = sorted((_link(cols, links, i) for i in among.tolist()), key=lambda lk: lk.id)
    described = [GraphNode(*_node(cols, n), int(dist[n])) for n in nodes.tolist()]
    return EgoNetwork(node_id, depth, described, found)


@dataclass(frozen=True, slots=True)
class Path:
    """A shortest path: its nodes in order and the link taken between each two."""

    nodes: list[GraphNode]
    links: list[GraphLink]


def shortest_path(
    graph: Indexed,
    a: str,
    b: str,
    link_kinds: Collection[str] | None = None,
    *,
    scope: str | None = None,
) -> Path | None:
    """A shortest path from ``a`` to ``b`` following links both ways (only ``link_kinds`` if
    given); None when there is none. Between two equally short paths, the same one is
    returned on every store (the search runs in id order).

    Examples
    --------
    >>> path = shortest_path(at(tiny_city(), AS_OF), "pb1", "co1", ["HOLDS_POST", "EMPLOYED_BY"])
    >>> [n.id for n in path.nodes], [lk.kind for lk in path.links]
    (['pb1', 'p1', 'oc1', 'p3', 'co1'], ['HOLDS_POST', 'HOLDS_POST', 'HOLDS_POST', 'EMPLOYED_BY'])
    >>> shortest_path(at(tiny_city(), AS_OF), "pb1", "ss1", ["HOLDS_POST"]) is None
    True
    """
    day, cols, s = _read(graph, scope)
    ends = _nodes(cols, [a, b])
    keep = None if s is None else under(day, s)
    if keep is not None and not keep[ends].all():
        return None
    links = _links(day, link_kinds, keep)
    # the graph of the node numbers, each pair's first link in id order making the pair's
    # edge: the neighbours of a node come in the order they did in the multigraph of the
    # ids, so the search meets the same path
    order = _id_order(day, links)
    u, v = links.src[order], links.dst[order]
    pair = (np.minimum(u, v).astype(np.int64) << 32) | np.maximum(u, v)
    first = np.sort(groups(pair)[1])
    h = nx.Graph()
    h.add_nodes_from(ends)
    h.add_edges_from(zip(u[first].tolist(), v[first].tolist(), strict=True))
    try:
        hops: list[int] = nx.shortest_path(h, ends[0], ends[1])
    except nx.NetworkXNoPath:
        return None
    taken = []
    for x, y in pairwise(hops):
        # of the links between the two, the first in id order
        between = order[pair == ((min(x, y) << 32) | max(x, y))].tolist()
        taken.append(min((_link(cols, links, i) for i in between), key=lambda lk: lk.id))
    return Path([GraphNode(*_node(cols, n), i) for i, n in enumerate(hops)], taken)
