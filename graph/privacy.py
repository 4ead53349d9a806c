"""What each role may see, enforced on the storage port itself.

:class:`RoleView` wraps a store and is a store, so every consumer above it (GraphQL resolvers,
DataLoaders, analytics) gets the same protection whatever query shape it builds:

* ``department`` sees everything and may write.
* ``researcher`` sees the whole structure, but people are pseudonymized: a Person's id becomes a
  stable keyed hash (the same person has the same pseudonym in every request), and the
  quasi-identifier policy of :mod:`.disclosure` applies to people and the links about them
  (names and phones dropped, birth years as decades, dates as years, homes as compounds, ...).
  Filters and sorts on any Person property not kept as it is are refused, so they cannot be
  used as an oracle. No writes.
* ``public`` sees aggregates only: counts by kind and by place, without filters on people.
  No writes.

For both, ``asOf`` is read as the last day of its year (:func:`.disclosure.year_of_day`): dates
about people are shown by year, and asking day by day must not tell the day.

Sorting by a count of links is structure (how many buildings, posts or members), so whoever may
list a kind may sort it by any count of its links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import networkx as nx

from . import disclosure as dis
from .errors import ForbiddenError, GovGraphError
from .expand import (
    EVERYTHING,
    Expansion,
    Hop,
    Wanted,
    expand_by_level,
    lists_with_tree,
    matching_ids,
    other_kinds,
)
from .model import Link, Neighbour, Node, Value, parse_link_id
from .ontology import LINK_KINDS, NODE_KINDS, link_props, node_props
from .places import Aggregate
from .port import GraphStore, WriteBatch, WriteResult
from .query import (
    MAX_PAGE,
    And,
    Cmp,
    Counts,
    Direction,
    Filter,
    HasLink,
    Not,
    Or,
    Page,
    Quantifier,
    Related,
    SortKey,
)
from .scan import Scan, ScanSpec

PERSON = dis.PERSON
_HOMES = ("Unit", "Building")


class Role(StrEnum):
    PUBLIC = "public"
    RESEARCHER = "researcher"
    DEPARTMENT = "department"


_PERSONAL_NODE = {k: {p.name for p in node_props(s) if p.personal} for k, s in NODE_KINDS.items()}
_PERSONAL_LINK = {k: {p.name for p in link_props(s) if p.personal} for k, s in LINK_KINDS.items()}


def _hidden_fields(kind: str) -> set[str]:
    """Fields a researcher may neither filter nor sort on (personal or not kept as they are)."""
    return _PERSONAL_NODE.get(kind, set()) | dis.unfilterable(kind)


#: link kinds about people a researcher does not see as stored (OWNS dropped, RESIDES_IN moved
#: to the compound): filtering through them would tell what the view hides
_UNFILTERABLE_LINKS = frozenset(
    k for k, r in dis.PERSON_LINKS.items() if r.treatment is not dis.Treatment.KEEP
)


def _hidden_link_fields(kind: str) -> set[str]:
    """Properties of links of ``kind`` a researcher may not filter on: on links about people,
    all but those kept as they are (a day of joining would tell what the year hides)."""
    if kind in dis.PERSON_LINK_KINDS:
        kept = {n for n, r in dis.PERSON_LINK_PROPS.items() if r.treatment is dis.Treatment.KEEP}
        return {p.name for p in link_props(LINK_KINDS[kind])} - kept
    return _PERSONAL_LINK.get(kind, set())


def _filter_fields(f: Filter | None) -> list[str]:
    """The property names a filter on a link's properties reads."""
    if f is None:
        return []
    if isinstance(f, And | Or):
        return [name for item in f.items for name in _filter_fields(item)]
    if isinstance(f, Not):
        return _filter_fields(f.item)
    return [f.field] if isinstance(f, Cmp) else []


def pseudonym(secret: bytes, person_id: str) -> str:
    """The researcher's stable name for a person: a keyed hash, the same in the API and in
    exports made with the same secret."""
    digest = hmac.new(secret, person_id.encode(), hashlib.sha256).hexdigest()
    return "anon-" + digest[:16]


def reading_day(role: Role, day: dt.date | None, last: dt.date | None = None) -> dt.date | None:
    """The day ``role`` reads ``day`` as: the department's own; a researcher's or the public's
    the end of its year, or the data's ``last`` day in the year the data ends
    (:func:`.disclosure.year_of_day`, 年末口径)."""
    return day if role is Role.DEPARTMENT else dis.year_of_day(day, last)


class RoleView(GraphStore):
    """A store as one role sees it."""

    def __init__(self, store: GraphStore, role: Role, secret: bytes) -> None:
        self.inner = store
        self.role = role
        self.stats = store.stats
        self._secret = secret
        #: pseudonyms this view has handed out, so the caller can follow links from them;
        #: a view lives for one request, so this never grows beyond what it returned
        self._real: dict[str, str] = {}

    # -- the transformations ----------------------------------------------------------------------
    def pseudonym(self, person_id: str) -> str:
        return pseudonym(self._secret, person_id)

    def _id(self, node_id: str, kind: str) -> str:
        if kind != PERSON or self.role is Role.DEPARTMENT:
            return node_id
        alias = self.pseudonym(node_id)
        self._real[alias] = node_id
        return alias

    def real_id(self, node_id: str) -> str:
        """The real id behind a pseudonym this view handed out (other ids pass unchanged)."""
        return self._real.get(node_id, node_id)

    def _day(self, as_of: dt.date | None) -> dt.date | None:
        return reading_day(self.role, as_of)

    def _node(self, n: Node) -> Node:
        if self.role is Role.DEPARTMENT:
            return n
        if n.kind == PERSON:
            return Node(self._id(n.id, n.kind), n.kind, dis.person_props(n.props))
        hidden = _PERSONAL_NODE[n.kind]
        return Node(n.id, n.kind, {k: v for k, v in n.props.items() if k not in hidden})

    def _link(self, lk: Link, home: dict[str, str]) -> Link | None:
        """The link as this role sees it; None when the policy drops it. ``home`` maps the
        units and buildings people reside in to their compounds."""
        if self.role is Role.DEPARTMENT:
            return lk
        if lk.kind in dis.PERSON_LINK_KINDS:
            return dis.shown_link(lk, home, lambda person: self._id(person, PERSON))
        hidden = _PERSONAL_LINK[lk.kind]
        props: dict[str, Value] = {k: v for k, v in lk.props.items() if k not in hidden}
        return Link(lk.kind, lk.source, lk.target, props, lk.key)

    def _need(self, *allowed: Role) -> None:
        if self.role not in allowed:
            what = "aggregates only" if self.role is Role.PUBLIC else "no changes"
            raise ForbiddenError(f"the {self.role.value} role may see {what}")

    def _check_filter(self, kind: str, f: Filter | None) -> None:
        if f is None or self.role is Role.DEPARTMENT:
            return
        if isinstance(f, And | Or):
            for item in f.items:
                self._check_filter(kind, item)
        elif isinstance(f, Not):
            self._check_filter(kind, f.item)
        elif isinstance(f, Cmp) and f.field in _hidden_fields(kind):
            raise ForbiddenError(f"the {self.role.value} role may not filter on {kind}.{f.field}")
        elif isinstance(f, HasLink) and _PERSONAL_LINK.get(f.kind):
            # the existence of a link is structure, not personal data; its properties are hidden
            pass
        elif isinstance(f, Related):
            self._check_related(kind, f)

    def _check_related(self, kind: str, f: Related) -> None:
        """A link filter reads the links, their properties and the neighbours, at any depth:
        each only as far as the role reads it (else the answer is an oracle for what is hidden)."""
        who = f"the {self.role.value} role"
        if self.role is Role.PUBLIC:
            raise ForbiddenError(
                f"{who} sees no links: filters through links are for the researcher and the "
                "department (has: [...] still counts nodes with or without a link)"
            )
        if f.kind in _UNFILTERABLE_LINKS:
            raise ForbiddenError(f"{who} may not filter through {f.kind} links (not shown as kept)")
        for name in _filter_fields(f.link):
            if name in _hidden_link_fields(f.kind):
                raise ForbiddenError(f"{who} may not filter on {f.kind}.{name}")
        for alt in f.node or ():
            self._check_filter(alt.kind, alt.where)

    # -- writes -----------------------------------------------------------------------------------
    def ensure_can_write(self) -> None:
        """Raise ForbiddenError unless this role may write (check before reading for a write,
        so the answer never depends on what the role cannot see)."""
        self._need(Role.DEPARTMENT)

    async def apply(self, batch: WriteBatch) -> WriteResult:
        self._need(Role.DEPARTMENT)
        return await self.inner.apply(batch)

    # -- reads ------------------------------------------------------------------------------------
    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        self._need(Role.RESEARCHER, Role.DEPARTMENT)
        found = await self.inner.get_nodes(ids)
        if self.role is Role.DEPARTMENT:
            return found
        # a researcher cannot address a person by real id; pseudonyms are resolved by the caller
        return {i: self._node(n) for i, n in found.items() if n.kind != PERSON}

    async def get_links(self, ids: Sequence[str]) -> dict[str, Link]:
        self._need(Role.DEPARTMENT)
        return await self.inner.get_links(ids)

    async def list_nodes(
        self,
        kind: str,
        *,
        where: Filter | None = None,
        order_by: Sequence[SortKey] = (),
        first: int = 100,
        after: str | None = None,
        as_of: dt.date | None = None,
        with_total: bool = False,
        wanted: Wanted = EVERYTHING,
    ) -> Page[Node]:
        self._need(Role.RESEARCHER, Role.DEPARTMENT)
        if kind == PERSON and self.role is not Role.DEPARTMENT:
            # cursors of a person list carry real ids; researchers reach people through links
            raise ForbiddenError("the researcher role may not list people; follow links instead")
        self._check_filter(kind, where)
        if self.role is not Role.DEPARTMENT:
            hidden = _hidden_fields(kind)
            if any(isinstance(k.field, str) and k.field in hidden for k in order_by):
                raise ForbiddenError(f"the {self.role.value} role may not sort on personal data")
        page = await self.inner.list_nodes(
            kind,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            as_of=self._day(as_of),
            with_total=with_total,
            wanted=wanted,
        )
        items = [self._node(n) for n in page.items]
        return Page(items, page.has_next, page.end_cursor, page.cursors, page.total)

    async def list_expanded(
        self,
        kind: str,
        hops: Sequence[Hop],
        *,
        where: Filter | None = None,
        order_by: Sequence[SortKey] = (),
        first: int = 100,
        after: str | None = None,
        as_of: dt.date | None = None,
        with_total: bool = False,
        wanted: Wanted = EVERYTHING,
    ) -> tuple[Page[Node], Expansion]:
        """:meth:`list_nodes` and the tree of ``hops`` below the page
        (:class:`~.expand.ListsWithTree`): the department's in one call where the store can;
        others' through this view's :meth:`list_nodes` and :meth:`expand`. The tree is fetched
        ahead of the link fields that read it: if it is refused, the page comes without it,
        and each of those fields asks for itself (so its error comes at its own path)."""
        args: dict[str, Any] = {
            "where": where,
            "order_by": order_by,
            "first": first,
            "after": after,
            "as_of": as_of,
            "with_total": with_total,
            "wanted": wanted,
        }
        if self.role is Role.DEPARTMENT and lists_with_tree(self.inner):
            return await self.inner.list_expanded(kind, hops, **args)
        page = await self.list_nodes(kind, **args)
        if not hops or not page.items:
            return page, {}
        try:
            return page, await self.expand([n.id for n in page.items], hops, wanted)
        except GovGraphError:
            return page, {}

    async def count_nodes(
        self, kind: str, *, where: Filter | None = None, as_of: dt.date | None = None
    ) -> int:
        if self.role is Role.PUBLIC and where is not None and kind == PERSON:
            raise ForbiddenError("the public role may count people only without filters")
        self._check_filter(kind, where)
        return await self.inner.count_nodes(kind, where=where, as_of=self._day(as_of))

    async def counts(self, *, as_of: dt.date | None = None) -> Counts:
        return await self.inner.counts(as_of=self._day(as_of))

    async def aggregate(
        self,
        kind: str,
        *,
        group_by: str,
        where: Filter | None = None,
        as_of: dt.date | None = None,
        first: int = 100,
    ) -> Aggregate:
        # every role may aggregate: counts by place are what the public role is for; the
        # filters obey the same rules as counting (no personal fields, no filtered people for
        # the public), and the answer names places, never people
        if self.role is Role.PUBLIC and where is not None and kind == PERSON:
            raise ForbiddenError("the public role may aggregate people only without filters")
        self._check_filter(kind, where)
        return await self.inner.aggregate(
            kind, group_by=group_by, where=where, as_of=self._day(as_of), first=first
        )

    async def neighbours(
        self,
        ids: Sequence[str],
        *,
        link_kind: str | None = None,
        direction: Direction = Direction.OUT,
        neighbour_kind: str | None = None,
        as_of: dt.date | None = None,
    ) -> dict[str, list[Neighbour]]:
        self._need(Role.RESEARCHER, Role.DEPARTMENT)
        if self.role is Role.DEPARTMENT:
            return await self.inner.neighbours(
                ids,
                link_kind=link_kind,
                direction=direction,
                neighbour_kind=neighbour_kind,
                as_of=as_of,
            )
        real = {i: self.real_id(i) for i in ids}
        day = self._day(as_of)
        found = await self.inner.neighbours(
            list(real.values()),
            link_kind=link_kind,
            direction=direction,
            neighbour_kind=neighbour_kind,
            as_of=day,
        )
        places = [x for x in real.values() if x not in self._real.values()]
        homes_asked = link_kind in (None, "RESIDES_IN") and neighbour_kind in (None, PERSON)
        place_kinds: dict[str, str] = {}
        extra: dict[str, list[Neighbour]] = {}
        if homes_asked and direction is not Direction.OUT and places:
            place_kinds = {i: n.kind for i, n in (await self.inner.get_nodes(places)).items()}
            compounds = [i for i, k in place_kinds.items() if k == dis.HOME_LEVEL]
            extra = await self._residents_below(compounds, day)
        home = await self._homes([*found.values(), *extra.values()])
        # a person's home unit or building is shown as its compound, which is then the neighbour
        moved = {home[p] for p in home if home[p] != p}
        home_nodes = await self.inner.get_nodes(sorted(moved)) if moved else {}
        out: dict[str, list[Neighbour]] = {}
        for asked, real_id in real.items():
            shown: dict[str, Neighbour] = {}
            for nb in [*found.get(real_id, []), *extra.get(real_id, [])]:
                if nb.link.kind == "RESIDES_IN" and place_kinds.get(real_id) in _HOMES:
                    continue  # who lives in one unit or building is not for researchers
                lk = self._link(nb.link, home)
                if lk is None:
                    continue
                node = nb.node
                if lk.target not in (nb.link.target, real_id):
                    node = home_nodes[lk.target]
                before = shown.get(lk.id)
                if before is not None:
                    lk = dis.merge_links([before.link, lk])[0]
                shown[lk.id] = Neighbour(lk, self._node(node))
            out[asked] = sorted(shown.values(), key=lambda nb: nb.link.id)
        return out

    async def _homes(self, found: Sequence[list[Neighbour]]) -> dict[str, str]:
        """The compound of every unit, building or compound reached by a RESIDES_IN link."""
        places = {nb.link.target for nbs in found for nb in nbs if nb.link.kind == "RESIDES_IN"}
        if not places:
            return {}
        home = await dis.compounds_of(self.inner, sorted(places))
        # a compound is its own home; a compound has no compound above it
        stranded = [p for p in places if p not in home]
        for i, n in (await self.inner.get_nodes(stranded)).items():
            if n.kind == dis.HOME_LEVEL:
                home[i] = i
        return home

    async def _residents_below(
        self, compounds: list[str], day: dt.date | None
    ) -> dict[str, list[Neighbour]]:
        """The RESIDES_IN links into the buildings and units of each compound: a researcher sees
        those people as residents of the compound."""
        if not compounds:
            return {}
        below: dict[str, str] = {}  # building or unit → compound
        buildings = await self.inner.neighbours(
            compounds, link_kind="PART_OF", direction=Direction.IN, neighbour_kind="Building"
        )
        for c, nbs in buildings.items():
            below.update({nb.node.id: c for nb in nbs})
        units = await self.inner.neighbours(
            sorted(below), link_kind="PART_OF", direction=Direction.IN, neighbour_kind="Unit"
        )
        for b, nbs in units.items():
            below.update({nb.node.id: below[b] for nb in nbs})
        if not below:
            return {}
        residents = await self.inner.neighbours(
            sorted(below), link_kind="RESIDES_IN", direction=Direction.IN, as_of=day
        )
        out: dict[str, list[Neighbour]] = {}
        for place, nbs in residents.items():
            out.setdefault(below[place], []).extend(nbs)
        return out

    async def expand(
        self, ids: Sequence[str], hops: Sequence[Hop], wanted: Wanted = EVERYTHING
    ) -> Expansion:
        """The department sees the inner store's tree (one round trip where it can). Others go
        level by level through :meth:`neighbours`: pseudonyms change link ids, so pages must
        be cut by the ids this view shows, which the inner store does not know. A page's
        ``where`` and ``order`` are checked first, at every level, as a root list's are."""
        self._need(Role.RESEARCHER, Role.DEPARTMENT)
        if self.role is Role.DEPARTMENT:
            return await self.inner.expand(ids, hops, wanted)
        self._check_hops(hops)
        return await expand_by_level(self, ids, hops, self._matching_nodes)

    async def lookup(
        self, ids: Sequence[str], hops: Sequence[Hop] = (), wanted: Wanted = EVERYTHING
    ) -> tuple[dict[str, Node], Expansion]:
        """The department's in one statement where the store can; others through this view's
        own get_nodes and expand (the default)."""
        self._need(Role.RESEARCHER, Role.DEPARTMENT)
        if self.role is Role.DEPARTMENT:
            return await self.inner.lookup(ids, hops, wanted)
        self._check_hops(hops)  # before anything is read, whatever the ids find
        return await super().lookup(ids, hops)

    def _check_hops(self, hops: Sequence[Hop]) -> None:
        """A link field's ``where`` reads what a link filter does (:meth:`_check_related`),
        and its ``orderBy`` may sort only on what the role may filter on."""
        for hop in hops:
            key = hop.page
            where = key.where
            if where is not None:
                some = Related(key.kind, key.direction, Quantifier.SOME, where.link, where.node)
                self._check_related(key.kind, some)
            who = f"the {self.role.value} role"
            for s in key.order:
                if key.kind in _UNFILTERABLE_LINKS:
                    raise ForbiddenError(f"{who} may not sort {key.kind} links (not shown as kept)")
                if s.on_link and s.field in _hidden_link_fields(key.kind):
                    raise ForbiddenError(f"{who} may not sort on {key.kind}.{s.field}")
                for other in other_kinds(key.kind, key.direction):
                    if not s.on_link and s.field in _hidden_fields(other):
                        raise ForbiddenError(f"{who} may not sort on {other}.{s.field}")
            self._check_hops(hop.below)

    async def _matching_nodes(
        self, kind: str, nodes: Sequence[Node], where: Filter, as_of: dt.date | None
    ) -> set[str]:
        """Which of the nodes this view shows match a checked ``where`` with link conditions:
        the inner store answers for their real ids (as it answers a root list's ``where``), one
        ``list_nodes`` call per page of them."""
        real = {self.real_id(n.id): n.id for n in nodes}
        asked = sorted(real)
        found: set[str] = set()
        for start in range(0, len(asked), MAX_PAGE):
            chunk = asked[start : start + MAX_PAGE]
            page = await self.inner.list_nodes(
                kind,
                where=matching_ids(where, chunk),
                first=len(chunk),
                as_of=self._day(as_of),
                wanted=Wanted(frozenset(), frozenset()),
            )
            found.update(real[n.id] for n in page.items)
        return found

    async def list_links(
        self, *, kind: str | None = None, as_of: dt.date | None = None
    ) -> list[Link]:
        self._need(Role.DEPARTMENT)
        return await self.inner.list_links(kind=kind, as_of=as_of)

    async def search(self, text: str, *, kinds: Sequence[str] = (), limit: int = 20) -> list[Node]:
        self._need(Role.RESEARCHER, Role.DEPARTMENT)
        if self.role is Role.RESEARCHER:
            if kinds and PERSON in kinds:
                raise ForbiddenError("the researcher role may not search people by name")
            kinds = list(kinds) or [k for k in NODE_KINDS if k != PERSON]
        return [self._node(n) for n in await self.inner.search(text, kinds=kinds, limit=limit)]

    async def scan(self, spec: ScanSpec) -> Scan:
        # the raw columns, unmasked: the analytics index behind the department's findings
        if self.role is not Role.DEPARTMENT:
            raise ForbiddenError(
                f"the {self.role.value} role may not read the store in columns; the analytics "
                "answer it through its own view"
            )
        return await self.inner.scan(spec)

    async def projection(
        self,
        *,
        node_kinds: Sequence[str] = (),
        link_kinds: Sequence[str] = (),
        as_of: dt.date | None = None,
    ) -> nx.MultiDiGraph:
        self._need(Role.RESEARCHER, Role.DEPARTMENT)
        day = self._day(as_of)
        g = await self.inner.projection(node_kinds=node_kinds, link_kinds=link_kinds, as_of=day)
        if self.role is Role.DEPARTMENT:
            return g
        nodes = [
            Node(n, d["kind"], {k: v for k, v in d.items() if k != "kind"})
            for n, d in g.nodes(data=True)
        ]
        links = [
            Link(
                d["kind"], u, v, {k: x for k, x in d.items() if k != "kind"}, parse_link_id(key)[3]
            )
            for u, v, key, d in g.edges(keys=True, data=True)
        ]
        places = sorted({lk.target for lk in links if lk.kind == "RESIDES_IN"})
        home = await dis.compounds_of(self.inner, places) if places else {}
        home.update({p: p for p in places if g.nodes[p]["kind"] == dis.HOME_LEVEL})
        shown_nodes, shown_links = dis.researcher_records(
            nodes, links, home, lambda person: self._id(person, PERSON)
        )
        out = nx.MultiDiGraph()
        for n in shown_nodes:
            hidden = _PERSONAL_NODE[n.kind] if n.kind != PERSON else set()
            out.add_node(n.id, kind=n.kind, **{k: v for k, v in n.props.items() if k not in hidden})
        for lk in shown_links:
            if lk.source in out and lk.target in out:
                out.add_edge(lk.source, lk.target, key=lk.id, kind=lk.kind, **lk.props)
        return out

    # -- lifecycle --------------------------------------------------------------------------------
    async def init_schema(self) -> None:
        self._need(Role.DEPARTMENT)
        await self.inner.init_schema()

    async def ping(self) -> None:
        await self.inner.ping()

    async def clear(self) -> None:
        self._need(Role.DEPARTMENT)
        await self.inner.clear()

    async def close(self) -> None:
        """The view does not own the store."""
