"""Who links which bodies: cross-appointment (双向进入、交叉任职), people holding several posts,
conflicts of interest, interlocks between organizations, brokers and tie communities.

Every function reads a projection made as of one day (:func:`project` with that ``as_of``, or
:func:`~govgraph.graph.analytics.projection.at` on a history projection) and takes a ``scope``
(a city, township, community or compound id) restricting it to what sits under that place.

The *tie graph* behind the network measures joins people to the bodies they hold a post in
(HOLDS_POST) or work for (EMPLOYED_BY), by default; it is undirected, weighted by the number of
ties, and built in sorted order so that sampled and seeded algorithms give the same answer on
every store. People are returned by id only: their names are personal data, and a pseudonymized
(researcher) projection gives pseudonymous ids.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Any

import networkx as nx

from ..errors import NotFoundError
from ._facts import Facts, conflicts, cross_appointment, facts_of
from .projection import project

__all__ = [
    "TIE_LINKS",
    "Broker",
    "CompoundTies",
    "ConflictOfInterest",
    "EgoNetwork",
    "GraphLink",
    "GraphNode",
    "Interlock",
    "MultiPostHolder",
    "Path",
    "Post",
    "TieCommunity",
    "brokers",
    "communities",
    "conflicts_of_interest",
    "cross_appointments",
    "ego_network",
    "interlocks",
    "multi_post_holders",
    "project",
    "shortest_path",
]

#: the links that tie a person to a body: a post in it, a job with it
TIE_LINKS = ("HOLDS_POST", "EMPLOYED_BY")


def _date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


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


def cross_appointments(graph: nx.MultiDiGraph, scope: str | None = None) -> list[CompoundTies]:
    """Per compound with a branch or a committee: the cross-appointment rate (committee seats
    held by branch committee members ÷ seats) and whether the branch secretary is the chair.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> (c1,) = cross_appointments(at(tiny_city(), AS_OF))
    >>> c1.compound, c1.seats, c1.cross_appointed, c1.rate, c1.secretary_chairs
    ('c1', 3, ['p1', 'p2'], 0.6666666666666666, True)
    """
    f = facts_of(graph)
    f.check_scope(scope)
    out: list[CompoundTies] = []
    for c in f.compounds(scope):
        x = cross_appointment(f, c)
        if not x.branches and not x.committees:
            continue
        out.append(
            CompoundTies(
                compound=c,
                name=f.name(c),
                branches=x.branches,
                committees=x.committees,
                seats=len(x.seats),
                cross_appointed=x.cross,
                rate=x.rate,
                secretaries=x.secretaries,
                chairs=x.chairs,
                secretary_chairs=x.secretary_chairs if x.secretaries and x.chairs else None,
            )
        )
    return out


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


def _bodies_in_scope(f: Facts, scope: str | None) -> set[str]:
    nodes = f.graph.nodes if scope is None else f.under(scope)
    return {n for n in nodes if f.kind(n) != "Person" and f.place(n).ids()}


def _ties(
    f: Facts, scope: str | None, link_kinds: Collection[str]
) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """person → [(body, link id, link data)] for the tie links to bodies in scope, sorted.
    On the whole graph, with the default link kinds, it is kept with the index (the holders,
    the interlocks and the tie graph all read it): not to be modified."""
    if scope is None and set(link_kinds) == set(TIE_LINKS):  # a bounded few kept: the default
        found: dict[str, list[tuple[str, str, dict[str, Any]]]] = f.memo(
            ("ties", TIE_LINKS), lambda: dict(_read_ties(f, None, link_kinds))
        )
        return found
    return _read_ties(f, scope, link_kinds)


def _read_ties(
    f: Facts, scope: str | None, link_kinds: Collection[str]
) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    bodies = _bodies_in_scope(f, scope) if scope else None
    out: dict[str, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    if scope is None:  # the people with a tie link, read from the link kinds' tables
        people: Sequence[str] = sorted({p for lk in link_kinds for p in f.having("Person", lk)})
    else:  # whoever is tied to a body under the scope is near it
        people = f.subjects("Person", scope)
    for p in people:
        for link in sorted(link_kinds):
            for e in f.out_edges(p, link):
                if bodies is None or e.other in bodies:
                    out[p].append((e.other, e.id, dict(e.data)))
    return out


def multi_post_holders(
    graph: nx.MultiDiGraph,
    scope: str | None = None,
    *,
    min_bodies: int = 2,
    link_kinds: Collection[str] = TIE_LINKS,
) -> list[MultiPostHolder]:
    """Everyone tied to at least ``min_bodies`` bodies (a Party branch and an owners'
    committee, a committee and a property company, ...), most bodies first.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> for h in multi_post_holders(at(tiny_city(), AS_OF)):
    ...     print(h.person, [(p.body, p.role) for p in h.posts])
    p1 [('oc1', 'chair'), ('pb1', 'secretary')]
    p2 [('oc1', 'vice_chair'), ('pb1', 'committee_member')]
    p3 [('co1', '客服专员'), ('oc1', 'member')]
    """
    f = facts_of(graph)
    f.check_scope(scope)
    out: list[MultiPostHolder] = []
    for person, ties in _ties(f, scope, link_kinds).items():
        bodies = {body for body, _, _ in ties}
        if len(bodies) < min_bodies:
            continue
        posts = sorted(
            (
                Post(
                    body=body,
                    body_kind=f.kind(body),
                    body_name=f.name(body),
                    role=str(data.get("role", "")),
                    link=str(data["kind"]),
                    since=_date(data.get("since")),
                    until=_date(data.get("until")),
                )
                for body, _, data in ties
            ),
            key=lambda p: (p.body, p.link, p.since or dt.date.min, p.role),
        )
        out.append(MultiPostHolder(person, len(bodies), posts))
    out.sort(key=lambda h: (-h.bodies, h.person))
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


def conflicts_of_interest(
    graph: nx.MultiDiGraph, scope: str | None = None
) -> list[ConflictOfInterest]:
    """Committee members EMPLOYED_BY a company that MANAGES the compound their committee
    REPRESENTS (rule O5): the committee is meant to supervise that company.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> [(c.person, c.committee, c.company, c.job_role)
    ...  for c in conflicts_of_interest(at(tiny_city(), AS_OF))]
    [('p3', 'oc1', 'co1', '客服专员')]
    """
    f = facts_of(graph)
    f.check_scope(scope)
    return [
        ConflictOfInterest(
            person=c.person,
            committee=c.committee,
            committee_name=f.name(c.committee),
            compound=c.compound,
            compound_name=f.name(c.compound),
            company=c.company,
            company_name=f.name(c.company),
            seat_role=c.seat_role,
            job_role=c.job_role,
        )
        # a committee representing a compound under the scope is near it
        for c in conflicts(f, f.subjects("OwnersCommittee", scope))
        if f.in_scope(c.compound, scope)
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
    graph: nx.MultiDiGraph,
    scope: str | None = None,
    *,
    link_kinds: Collection[str] = TIE_LINKS,
    min_shared: int = 1,
) -> list[Interlock]:
    """The organization-to-organization graph: bodies linked by the people tied to both,
    weighted by how many; heaviest first.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> [(i.a, i.b, i.shared, i.people) for i in interlocks(at(tiny_city(), AS_OF))]
    [('oc1', 'pb1', 2, ['p1', 'p2']), ('co1', 'oc1', 1, ['p3'])]
    """
    f = facts_of(graph)
    f.check_scope(scope)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for person, ties in _ties(f, scope, link_kinds).items():
        for a, b in combinations(sorted({body for body, _, _ in ties}), 2):
            shared[(a, b)].append(person)
    out = [
        Interlock(a, f.kind(a), f.name(a), b, f.kind(b), f.name(b), len(people), people)
        for (a, b), people in shared.items()
        if len(people) >= min_shared
    ]
    out.sort(key=lambda i: (-i.shared, i.a, i.b))
    return out


# --- the tie graph: brokers and communities -------------------------------------------------------
def _tie_graph(f: Facts, scope: str | None, link_kinds: Collection[str]) -> nx.Graph:
    """People and bodies, an edge weighted by the number of ties; nodes and edges inserted in
    sorted order (sampling, seeds and tie-breaks then agree across stores)."""
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for person, ties in _ties(f, scope, link_kinds).items():
        for body, _, _ in ties:
            weights[(person, body)] += 1
    g = nx.Graph()
    g.add_nodes_from(sorted({n for pair in weights for n in pair}))
    g.add_weighted_edges_from((p, b, w) for (p, b), w in sorted(weights.items()))
    return g


@dataclass(frozen=True, slots=True)
class Broker:
    """A node of the tie graph with its brokerage measures.

    ``betweenness`` is normalized betweenness centrality (high: on many shortest paths between
    others); ``constraint`` is Burt's constraint (low: ties to otherwise unconnected groups, a
    structural hole; None for a node without ties).
    """

    node: str
    kind: str
    name: str | None
    degree: int
    betweenness: float
    constraint: float | None


def brokers(
    graph: nx.MultiDiGraph,
    scope: str | None = None,
    *,
    kinds: Collection[str] = ("Person",),
    k: int | None = None,
    seed: int = 0,
    top: int | None = None,
    link_kinds: Collection[str] = TIE_LINKS,
) -> list[Broker]:
    """The brokers of the person-organization tie graph: highest betweenness first.

    Parameters
    ----------
    graph
        A projection as of one day.
    scope
        A city, township, community or compound id.
    kinds
        The node kinds to return (people by default; add body kinds to rank bodies too).
    k
        Sample ``k`` source nodes for betweenness (faster on large graphs, approximate);
        None computes it exactly.
    seed
        The seed of the sample.
    top
        Return only the first ``top`` (Burt's constraint is computed for those only).
    link_kinds
        The links that make a tie.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> [(b.node, b.degree, round(b.betweenness, 3), round(b.constraint or 0, 3))
    ...  for b in brokers(at(tiny_city(), AS_OF), top=2)]
    [('p3', 2, 0.533, 0.5), ('p1', 2, 0.133, 0.5)]
    """
    f = facts_of(graph)
    f.check_scope(scope)
    g = _tie_graph(f, scope, link_kinds)
    sample = k if k is not None and k < g.number_of_nodes() else None
    between: dict[str, float] = nx.betweenness_centrality(g, k=sample, seed=seed)
    ranked = sorted((n for n in g.nodes if f.kind(n) in kinds), key=lambda n: (-between[n], n))[
        :top
    ]
    constraint: dict[str, float] = nx.constraint(g, nodes=ranked, weight="weight") if ranked else {}
    return [
        Broker(
            node=n,
            kind=f.kind(n),
            name=f.name(n),
            degree=int(g.degree(n)),
            betweenness=between[n],
            constraint=None if constraint[n] != constraint[n] else constraint[n],  # NaN: no ties
        )
        for n in ranked
    ]


@dataclass(frozen=True, slots=True)
class TieCommunity:
    """A community of the tie graph (Louvain): people and the bodies that bind them."""

    index: int
    size: int
    organizations: list[str]
    people: list[str]


def communities(
    graph: nx.MultiDiGraph,
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
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> [(c.organizations, c.people) for c in communities(at(tiny_city(), AS_OF))]
    [(['oc1', 'pb1'], ['p1', 'p2']), (['co1'], ['p3', 'p9'])]
    """
    f = facts_of(graph)
    f.check_scope(scope)
    g = _tie_graph(f, scope, link_kinds)
    if g.number_of_nodes() == 0:
        return []
    found: list[set[str]] = nx.community.louvain_communities(
        g, weight="weight", resolution=resolution, seed=seed
    )
    groups = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
    return [
        TieCommunity(
            index=i,
            size=len(members),
            organizations=[n for n in members if f.kind(n) != "Person"],
            people=[n for n in members if f.kind(n) == "Person"],
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


def _undirected(f: Facts, link_kinds: Collection[str] | None, scope: str | None) -> nx.MultiGraph:
    """The projection as an undirected multigraph over ``link_kinds`` (all when None) and the
    nodes under ``scope``, built in sorted order."""
    keep = {n for n in f.graph.nodes if f.in_scope(n, scope)}
    h = nx.MultiGraph()
    h.add_nodes_from(sorted(keep))
    edges = sorted(
        (key, u, v)
        for u, v, key, d in f.graph.edges(keys=True, data=True)
        if (link_kinds is None or d["kind"] in link_kinds) and u in keep and v in keep
    )
    h.add_edges_from((u, v, key) for key, u, v in edges)
    return h


def _link(f: Facts, u: str, v: str, key: str) -> GraphLink:
    d = f.graph.edges[u, v, key]
    role = d.get("role")
    return GraphLink(
        id=key,
        kind=str(d["kind"]),
        source=u,
        target=v,
        role=role if isinstance(role, str) else None,
        since=_date(d.get("since")),
        until=_date(d.get("until")),
    )


def _endpoints(f: Facts, key: str, a: str, b: str) -> tuple[str, str]:
    return (a, b) if f.graph.has_edge(a, b, key) else (b, a)


def _need(f: Facts, ids: Sequence[str]) -> None:
    missing = [i for i in ids if i not in f]
    if missing:
        raise NotFoundError("node", missing)


def ego_network(
    graph: nx.MultiDiGraph,
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
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> ego = ego_network(at(tiny_city(), AS_OF), "p3", link_kinds=["HOLDS_POST", "EMPLOYED_BY"])
    >>> [(n.id, n.distance) for n in ego.nodes], [lk.kind for lk in ego.links]
    ([('p3', 0), ('co1', 1), ('oc1', 1)], ['EMPLOYED_BY', 'HOLDS_POST'])
    """
    f = facts_of(graph)
    f.check_scope(scope)
    _need(f, [node_id])
    h = _undirected(f, link_kinds, scope)
    if node_id not in h:
        return EgoNetwork(node_id, depth, [], [])
    dist: dict[str, int] = nx.single_source_shortest_path_length(h, node_id, cutoff=depth)
    nodes = sorted(dist, key=lambda n: (dist[n], n))
    links = sorted(
        {key: _endpoints(f, key, u, v) for u, v, key in h.subgraph(nodes).edges(keys=True)}.items()
    )
    return EgoNetwork(
        center=node_id,
        depth=depth,
        nodes=[GraphNode(n, f.kind(n), f.name(n), dist[n]) for n in nodes],
        links=[_link(f, u, v, key) for key, (u, v) in links],
    )


@dataclass(frozen=True, slots=True)
class Path:
    """A shortest path: its nodes in order and the link taken between each two."""

    nodes: list[GraphNode]
    links: list[GraphLink]


def shortest_path(
    graph: nx.MultiDiGraph,
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
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.projection import at
    >>> path = shortest_path(at(tiny_city(), AS_OF), "pb1", "co1", ["HOLDS_POST", "EMPLOYED_BY"])
    >>> [n.id for n in path.nodes], [lk.kind for lk in path.links]
    (['pb1', 'p1', 'oc1', 'p3', 'co1'], ['HOLDS_POST', 'HOLDS_POST', 'HOLDS_POST', 'EMPLOYED_BY'])
    >>> shortest_path(at(tiny_city(), AS_OF), "pb1", "ss1", ["HOLDS_POST"]) is None
    True
    """
    f = facts_of(graph)
    f.check_scope(scope)
    _need(f, [a, b])
    h = _undirected(f, link_kinds, scope)
    try:
        hops: list[str] = nx.shortest_path(h, a, b)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    links = []
    for u, v in pairwise(hops):
        key = min(h[u][v])
        s, t = _endpoints(f, key, u, v)
        links.append(_link(f, s, t, key))
    return Path(
        nodes=[GraphNode(n, f.kind(n), f.name(n), i) for i, n in enumerate(hops)],
        links=links,
    )
