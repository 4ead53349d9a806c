"""Per-request things: the caller's role, the store as that role sees it, and the DataLoaders."""

from __future__ import annotations

import datetime as dt

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from ..graph.analytics import AnalyticsCache
from ..graph.model import Node
from ..graph.port import GraphStore, Neighbour
from ..graph.privacy import Role, RoleView
from ..graph.query import Direction

NeighbourKey = tuple[str, Direction, dt.date | None]


class Loaders:
    """DataLoaders for one request: every id asked in one tick becomes one store call, so the
    number of round trips depends on the depth of a query, not on how many rows it returns."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.nodes: DataLoader[str, Node | None] = DataLoader(load_fn=self._load_nodes)
        self._neighbours: dict[NeighbourKey, DataLoader[str, list[Neighbour]]] = {}

    async def _load_nodes(self, ids: list[str]) -> list[Node | None]:
        found = await self._store.get_nodes(ids)
        return [found.get(i) for i in ids]

    def neighbours(
        self, link_kind: str, direction: Direction, as_of: dt.date | None
    ) -> DataLoader[str, list[Neighbour]]:
        key = (link_kind, direction, as_of)
        loader = self._neighbours.get(key)
        if loader is None:

            async def load(ids: list[str]) -> list[list[Neighbour]]:
                found = await self._store.neighbours(
                    ids, link_kind=link_kind, direction=direction, as_of=as_of
                )
                return [found.get(i, []) for i in ids]

            loader = self._neighbours[key] = DataLoader(load_fn=load)
        return loader


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
        self.loaders = Loaders(self.store)
        self.max_page = max_page
        #: the projection cache of ``store``: the app's one, shared by every request (the
        #: analytics read the store's projection and apply the role to their results)
        self.analytics = analytics
