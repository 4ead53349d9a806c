"""Per-request things: the caller's role, the store as that role sees it, and the DataLoaders."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.types import Info

from ..graph.analytics import AnalyticsCache
from ..graph.errors import ForbiddenError, GovGraphError, ValidationError
from ..graph.expand import (
    EVERYTHING,
    EdgeSort,
    Expansion,
    Hop,
    LinkMatch,
    LinkPage,
    PageKey,
    Wanted,
    lists_with_tree,
)
from ..graph.model import Node
from ..graph.port import GraphStore
from ..graph.privacy import Role, RoleView
from ..graph.query import Filter, Page, SortKey
from .internals import core_info
from .prefetch import list_hops, root_hops, selects, walk_of, wanted_in

EMPTY_PAGE = LinkPage(0, [], False)


class Loaders:
    """DataLoaders for one request: every id asked in one tick becomes one store call, and a
    link field fetches the levels below it with it (``expand``/``lookup``), so the number of
    round trips depends on the shape of a query, never on how many rows it returns."""

    def __init__(self, store: GraphStore, max_page: int) -> None:
        self._store = store
        self._max_page = max_page
        #: every page of links fetched so far, by what was asked and from which node
        self.pages: Expansion = {}
        self.nodes: DataLoader[str, Node | None] = DataLoader(load_fn=_nodes_of(store))
        self._expansions: dict[Hop, DataLoader[str, LinkPage]] = {}
        self._plans: dict[tuple[tuple[int, ...], PageKey], Hop] = {}
        self._roots: dict[tuple[int, ...], tuple[Hop, ...]] = {}
        self._lookups: dict[tuple[Hop, ...], DataLoader[str, Node | None]] = {}
        #: the properties the request reads (``schema/prefetch.py``): the pages carry those
        self.wanted: Wanted = EVERYTHING
        #: each link field's ``where`` and ``orderBy`` as a page's, by field nodes and kind
        #: (read once per field, not once per node: ``schema/types.py``)
        self.page_args: dict[
            tuple[tuple[int, ...], str], tuple[LinkMatch | None, tuple[EdgeSort, ...]]
        ] = {}

    def wanted_in(self, info: Info) -> Wanted:
        """The properties the request of ``info`` reads (kept for the loaders' store calls)."""
        self.wanted = wanted_in(info)
        return self.wanted

    def plan(self, info: Info, key: PageKey) -> Hop:
        """The hop of the link field being resolved, with the hops its selection follows
        (read once per field of the query, whichever sibling asks first)."""
        memo = (tuple(id(f) for f in core_info(info).field_nodes), key)
        hop = self._plans.get(memo)
        if hop is None:
            self.wanted_in(info)
            walk, selections = walk_of(info, self._max_page)
            hop = self._plans[memo] = walk.hop(key, selections)
        return hop

    def root_hops(self, info: Info) -> tuple[Hop, ...]:
        """The hops of the link fields selected on the nodes a root field looks up by id."""
        memo = tuple(id(f) for f in core_info(info).field_nodes)
        hops = self._roots.get(memo)
        if hops is None:
            self.wanted_in(info)
            hops = self._roots[memo] = root_hops(info, self._max_page)
        return hops

    async def list_page(
        self,
        info: Info,
        kind: str,
        *,
        where: Filter | None,
        order_by: Sequence[SortKey],
        first: int,
        after: str | None,
        as_of: dt.date | None,
    ) -> Page[Node]:
        """A page of a root list and every page the selection of its nodes follows, so the
        link fields below find their pages: one round trip for the page and the whole tree
        where the store can (:class:`~govgraph.graph.expand.ListsWithTree`), else one for the
        page and one ``expand`` for the tree. If the tree is refused (a role that may not
        follow links), the page comes alone and each field asks for itself, so its error
        comes where it would have."""
        hops = list_hops(info, self._max_page, as_of)
        wanted = self.wanted_in(info)
        args: dict[str, Any] = {
            "where": where,
            "order_by": order_by,
            "first": first,
            "after": after,
            "as_of": as_of,
            "with_total": selects(info, "totalCount"),
            "wanted": wanted,
        }
        store = self._store
        if hops and lists_with_tree(store):
            page, pages = await store.list_expanded(kind, hops, **args)
            self.pages.update(pages)
            return page
        page = await store.list_nodes(kind, **args)
        if hops and page.items:
            with contextlib.suppress(GovGraphError):  # each field below asks for itself
                self.pages.update(await store.expand([n.id for n in page.items], hops, wanted))
        return page

    def lookup(self, hops: tuple[Hop, ...]) -> DataLoader[str, Node | None]:
        """Nodes by id with the pages of ``hops`` below them, in one ``lookup`` call for the
        ids asked in one tick (just :attr:`nodes` when there are no hops)."""
        if not hops:
            return self.nodes
        loader = self._lookups.get(hops)
        if loader is None:
            load = _lookup_of(self._store, hops, self.wanted, self.pages)
            loader = self._lookups[hops] = DataLoader(load_fn=load)
        return loader

    def expansion(self, hop: Hop) -> DataLoader[str, LinkPage]:
        """Pages of ``hop`` for the nodes asked in one tick, in one ``expand`` call; the pages
        of the hops below land in :attr:`pages` for the fields below to find."""
        loader = self._expansions.get(hop)
        if loader is None:
            load = _expansion_of(self._store, hop, self.wanted, self.pages)
            loader = self._expansions[hop] = DataLoader(load_fn=load)
        return loader


# The load functions hold the store and the request's page cache, never the Loaders: a loader
# that held its owner (a bound method, a closure over ``self``) would make each request's
# loaders and every page they fetched a reference cycle, left for the cyclic garbage collector
# (~300 objects a request, collected in pauses of tens of ms) instead of freed when answered.
Load = Callable[[list[str]], Awaitable[list[Any]]]


def _nodes_of(store: GraphStore) -> Load:
    async def load(ids: list[str]) -> list[Node | None]:
        found = await store.get_nodes(ids)
        return [found.get(i) for i in ids]

    return load


def _lookup_of(store: GraphStore, hops: tuple[Hop, ...], wanted: Wanted, pages: Expansion) -> Load:
    async def load(ids: list[str]) -> list[Node | None]:
        try:
            found, got = await store.lookup(ids, hops, wanted)
        except (ForbiddenError, ValidationError):
            # a link field below refuses (a role's where, a cursor): the nodes alone, and that
            # field asks for itself, so its error comes at its own path
            found, got = await store.get_nodes(ids), {}
        pages.update(got)
        return [found.get(i) for i in ids]

    return load


def _expansion_of(store: GraphStore, hop: Hop, wanted: Wanted, pages: Expansion) -> Load:
    async def load(ids: list[str]) -> list[LinkPage]:
        found = await store.expand(ids, (hop,), wanted)
        pages.update(found)
        return [found.get((hop.page, i), EMPTY_PAGE) for i in ids]

    return load


class Context(BaseContext):
    def __init__(
        self,
        store: GraphStore,
        role: Role,
        secret: bytes,
        max_page: int,
        *,
        analytics: AnalyticsCache,
    ) -> None:
        super().__init__()
        self.role = role
        self.store = RoleView(store, role, secret)
        self.loaders = Loaders(self.store, max_page)
        self.max_page = max_page
        #: the projection cache of ``store``: the app's one, shared by every request (the
        #: analytics read the store's projection and apply the role to their results)
        self.analytics = analytics
