"""Helpers of the hostile-input corpus: one app per store kind with a small seed graph, and a
fingerprint of the whole graph to show that nothing a hostile request did changed it.

(A plain module, not a ``conftest.py``: other test folders import their ``conftest`` by name,
and a third one here could be the one they get.)

The app is built from settings and opens its own store in its lifespan, as in
``tests/schema/conftest.py`` (the Neo4j async driver is bound to the app's event loop); seeding
and fingerprinting go through the TestClient's portal. The ``service`` fixture in
``test_graphql_hostile.py`` serves every case from one app, so the corpus also shows that the
service keeps serving after each abusive request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from govgraph.graph.model import Link, Node, link, node
from govgraph.graph.port import GraphStore, WriteBatch
from govgraph.graph.privacy import Role

D = dt.date
DEPARTMENT_KEY = "hostile-department"
RESEARCHER_KEY = "hostile-researcher"
KEYS = {"department": DEPARTMENT_KEY, "researcher": RESEARCHER_KEY, "public": None}
API_KEYS = {DEPARTMENT_KEY: Role.DEPARTMENT, RESEARCHER_KEY: Role.RESEARCHER}


def seed_graph() -> tuple[list[Node], list[Link]]:
    """A community with two compounds, a branch, a committee and two synthetic people."""
    nodes = [
        node("Community", "comm-qixiangjie", name="气象街社区"),
        node("Compound", "cmp-yunbeiyuan", name="云北苑小区", households=420, is_old=True),
        node("Compound", "cmp-demo-garden", name="示例花园小区", investment_yuan=1850000.0),
        node("PartyBranch", "branch-yby", name="云北苑小区党支部", form="standalone"),
        node("OwnersCommittee", "oc-yby", name="云北苑小区业主委员会"),
        node("Person", "person-test-1", name="测试人员1", phone="000-0000-0001"),
        node("Person", "person-test-2", name="测试人员2", phone="000-0000-0002"),
    ]
    links = [
        link("PART_OF", "cmp-yunbeiyuan", "comm-qixiangjie"),
        link("PART_OF", "cmp-demo-garden", "comm-qixiangjie"),
        link("COVERS", "branch-yby", "cmp-yunbeiyuan", since=D(2021, 3, 1)),
        link("REPRESENTS", "oc-yby", "cmp-yunbeiyuan", since=D(2022, 5, 1)),
        link("HOLDS_POST", "person-test-1", "branch-yby", role="secretary", since=D(2021, 3, 1)),
        link("HOLDS_POST", "person-test-2", "oc-yby", role="chair", since=D(2022, 5, 1)),
    ]
    return nodes, links


async def fingerprint(store: GraphStore) -> str:
    """Every node and link with every property, as one comparable text."""
    g = await store.projection()
    nodes = sorted(
        (str(n), sorted((k, repr(v)) for k, v in d.items())) for n, d in g.nodes(data=True)
    )
    edges = sorted(
        (str(u), str(v), str(k), sorted((a, repr(b)) for a, b in d.items()))
        for u, v, k, d in g.edges(keys=True, data=True)
    )
    return repr((nodes, edges))


class Service:
    """The app on one store, with the fingerprint of its seeded graph."""

    def __init__(self, client: TestClient, store_kind: str) -> None:
        self.client = client
        self.store_kind = store_kind
        self.baseline = ""

    @property
    def store(self) -> GraphStore:
        store: GraphStore = self.client.app.state.store  # type: ignore[attr-defined]
        return store

    def call(self, fn: Any, *args: Any) -> Any:
        return self.client.portal.call(fn, *args)  # type: ignore[union-attr]

    def reseed(self) -> None:
        nodes, links = seed_graph()
        self.call(self.store.clear)
        self.call(self.store.apply, WriteBatch(nodes=nodes, links=links))
        self.baseline = self.fingerprint()

    def fingerprint(self) -> str:
        result: str = self.call(fingerprint, self.store)
        return result

    def headers(self, role: str) -> dict[str, str]:
        key = KEYS[role]
        return {"X-API-Key": key} if key else {}
