"""Fixtures for the GraphQL tests: the app on each store behind one client object, a seed graph,
and a graph generator of any size for the round-trip bounds.

FastAPI's TestClient runs the app in its own thread and event loop, and the Neo4j async driver is
bound to the loop that created it, so the app always opens its own store in its lifespan (built
from settings, never the session's ``neo4j_store``); seeding and clearing go through the
TestClient's portal, which runs coroutines on the app's loop.

Only the places named in the source article (怀仁市, 气象街社区, 云北苑小区) are real; every other
name is synthetic and looks it (示例…, 测试人员…), phone numbers included.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.graph.model import Link, Node, link, node
from govgraph.graph.port import GraphStore, StoreStats, WriteBatch
from govgraph.graph.privacy import Role

T = TypeVar("T")
D = dt.date

DEPARTMENT_KEY = "test-key-department"
RESEARCHER_KEY = "test-key-researcher"
API_KEYS: dict[str, Role] = {DEPARTMENT_KEY: Role.DEPARTMENT, RESEARCHER_KEY: Role.RESEARCHER}
#: the key each role sends (the public role sends none)
ROLE_KEYS: dict[str, str | None] = {
    "public": None,
    "researcher": RESEARCHER_KEY,
    "department": DEPARTMENT_KEY,
}
ROLES = tuple(ROLE_KEYS)


# --- the client ----------------------------------------------------------------------------------
class Gql:
    """A GraphQL client on one running app (and so on one store)."""

    def __init__(self, client: TestClient, store_kind: str) -> None:
        self.client = client
        self.store_kind = store_kind
        self.keys = dict(ROLE_KEYS)

    def nested_ops(self, hops: int) -> dict[str, int]:
        """The store operations of ``hops`` nested link fields below one root field: the Neo4j
        store compiles the whole tree into one statement, the embedded store walks it one hop
        at a time (``GraphStore.expand``)."""
        return {"expand": 1} if self.store_kind == "neo4j" else {"neighbours": hops}

    def list_ops(self, hops: int) -> dict[str, int]:
        """The store operations of a root list with ``hops`` nested link fields below it: on
        Neo4j the page and the whole tree are one statement (``list_nodes``), the embedded
        store lists the page and then walks the tree one hop at a time."""
        if self.store_kind == "neo4j":
            return {"list_nodes": 1}
        return {"list_nodes": 1, "neighbours": hops} if hops else {"list_nodes": 1}

    @property
    def app(self) -> FastAPI:
        app: FastAPI = self.client.app  # type: ignore[assignment]
        return app

    @property
    def store(self) -> GraphStore:
        """The app's own store (opened in its lifespan, on its event loop)."""
        store: GraphStore = self.app.state.store
        return store

    @property
    def stats(self) -> StoreStats:
        return self.store.stats

    def post(
        self,
        q: str,
        variables: dict[str, Any] | None = None,
        key: str | None = DEPARTMENT_KEY,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = dict(headers or {})
        if key is not None:
            h["X-API-Key"] = key
        body: dict[str, Any] = {"query": q}
        if variables is not None:
            body["variables"] = variables
        r: httpx.Response = self.client.post("/graphql", json=body, headers=h)
        return r

    def query(
        self, q: str, variables: dict[str, Any] | None = None, key: str | None = DEPARTMENT_KEY
    ) -> dict[str, Any]:
        """The JSON answer (``data`` and ``errors``). ``key=None`` asks anonymously (public);
        the default is the department key."""
        r = self.post(q, variables, key)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def as_role(self, role: str, q: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.query(q, variables, key=self.keys[role])

    def data(
        self, q: str, variables: dict[str, Any] | None = None, key: str | None = DEPARTMENT_KEY
    ) -> dict[str, Any]:
        """The ``data`` of an answer that must have no errors."""
        body = self.query(q, variables, key)
        assert not body.get("errors"), body
        data: dict[str, Any] = body["data"]
        return data

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run a coroutine function on the app's event loop."""
        return self.client.portal.call(fn, *args)  # type: ignore[union-attr]

    def seed(self, nodes: Sequence[Node], links: Sequence[Link] = ()) -> None:
        self.call(self.store.apply, WriteBatch(nodes=list(nodes), links=list(links)))

    def clear(self) -> None:
        self.call(self.store.clear)


MakeGql = Callable[..., Gql]


@dataclass
class _SchemaState:
    ready: set[str] = field(default_factory=set)
    #: what the shared Neo4j database held right after the seed graph was written
    seeded: object = None


@pytest.fixture(scope="session")
def _neo4j_schema_state() -> _SchemaState:
    return _SchemaState()


#: everything a Neo4j database holds: every node with its labels and properties, and every
#: relationship with its type, ends and properties
_CONTENT = (
    "MATCH (n) OPTIONAL MATCH (n)-[r]->(m) "
    "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props, "
    "collect(CASE WHEN r IS NULL THEN null ELSE [type(r), m.id, properties(r)] END) AS out"
)


def _neo4j_content(request: pytest.FixtureRequest) -> list[str]:
    """The shared Neo4j database's content, in a canonical form that compares equal exactly
    when the content is the same (read through the session's driver, not the app's store, so
    the app's store statistics do not count it)."""
    driver = request.getfixturevalue("neo4j_driver")
    run = request.getfixturevalue("run")
    records, _, _ = run(driver.execute_query(_CONTENT))
    return sorted(
        repr(
            (
                r["id"],
                sorted(r["labels"]),
                sorted(r["props"].items()),
                sorted(repr((kind, end, sorted(props.items()))) for kind, end, props in r["out"]),
            )
        )
        for r in records
    )


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def make_gql(
    store_kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _neo4j_schema_state: _SchemaState,
) -> Iterator[MakeGql]:
    """Start an app on the test's store kind with these settings (overrides of the defaults).

    Each embedded app gets its own empty file; every Neo4j app shares the test database, which
    is emptied when the app starts (so make every client first, then seed).

    ``with_seed=True`` starts it on the seed graph instead. On Neo4j a database that holds
    exactly what the seed graph wrote (a test before read it, or undid its writes) is kept as it
    is, the same content the app would get by writing the seed graph again; anything else is
    emptied and seeded.
    """
    counter = itertools.count()
    state = _neo4j_schema_state
    with ExitStack() as stack:

        def make(*, with_seed: bool = False, **overrides: Any) -> Gql:
            values: dict[str, Any] = {"api_keys": API_KEYS, **overrides}
            uri = ""
            if store_kind == "embedded":
                settings = Settings(
                    store="embedded", data_path=tmp_path / f"graph-{next(counter)}.jsonl", **values
                )
            else:
                uri = request.getfixturevalue("neo4j_uri")
                settings = Settings(store="neo4j", neo4j_uri=uri, **values)
            client = stack.enter_context(TestClient(create_app(settings)))
            gql = Gql(client, store_kind)
            if store_kind == "neo4j":
                if uri not in state.ready:
                    gql.call(gql.store.init_schema)  # constraints and the full-text index
                    state.ready.add(uri)
                seeded_before = with_seed and state.seeded is not None
                if seeded_before and _neo4j_content(request) == state.seeded:
                    return gql
                gql.clear()
            if with_seed:
                gql.seed(*seed_graph())
                if store_kind == "neo4j":
                    state.seeded = _neo4j_content(request)
            return gql

        yield make


@pytest.fixture
def gql(make_gql: MakeGql) -> Gql:
    """An app with default settings on an empty store, once per store kind."""
    return make_gql()


@pytest.fixture
def seeded(make_gql: MakeGql) -> Gql:
    """An app with default settings on the seed graph, once per store kind."""
    return make_gql(with_seed=True)


# --- the seed graph ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seed:
    """Ids and values of the seed graph, for assertions."""

    city: str = "city-huairen"
    town: str = "town-test"
    community: str = "comm-qixiangjie"
    yby: str = "cmp-yunbeiyuan"
    garden: str = "cmp-demo-garden"
    test_garden: str = "cmp-test-garden"
    village: str = "cmp-demo-village"
    building1: str = "bld-yby-1"
    building2: str = "bld-yby-2"
    branch: str = "branch-yby"
    committee: str = "oc-yby"
    company: str = "pc-test"
    meetings: tuple[str, ...] = ("mtg-test-1", "mtg-test-2", "mtg-test-3")
    persons: tuple[str, ...] = ("person-test-1", "person-test-2", "person-test-3", "person-test-4")
    names: tuple[str, ...] = ("测试人员1", "测试人员2", "测试人员3", "测试人员4")
    phones: tuple[str, ...] = ("000-0000-0001", "000-0000-0002", "000-0000-0003", "000-0000-0004")
    addresses: tuple[str, ...] = ("示例路1号", "示例路2号", "示例路3号", "示例路4号")
    birth_years: tuple[int, ...] = (1968, 1975, 1982, 1990)

    @property
    def compounds(self) -> tuple[str, ...]:
        return (self.yby, self.garden, self.test_garden, self.village)

    def personal_values(self) -> list[str]:
        """Every real person id and personal value, as text (none may reach a researcher)."""
        return [
            *self.persons,
            *self.names,
            *self.phones,
            *self.addresses,
            *(str(y) for y in self.birth_years),
        ]


SEED = Seed()


@pytest.fixture
def seed() -> Seed:
    return SEED


def seed_graph() -> tuple[list[Node], list[Link]]:
    """A small city: 怀仁市 → 示例街道 → 气象街社区 → four compounds.

    * 云北苑小区 (two buildings) is covered by the one Party branch, represented by the owners'
      committee and managed by the property company; 示例花园小区 is managed by the company too;
      测试家园 and 示例新村 have neither branch nor company. 示例新村 has no built_year.
    * Posts (HOLDS_POST): person 1 is branch secretary since 2021-03-01 and committee member
      since 2022-05-01 (a cross-appointment); person 2 was deputy secretary 2018-01-01 to
      2020-12-31 (ended); person 3 chairs the owners' committee since 2022-05-01; person 4 holds
      no post.
    * Party membership (MEMBER_OF, personal status and category): persons 1 and 2.
    * Three branch meetings in 2023-2024, attended by person 1 (the first).
    """
    s = SEED
    p1, p2, p3, p4 = s.persons
    people = [
        node(
            "Person",
            pid,
            name=s.names[i],
            phone=s.phones[i],
            address=s.addresses[i],
            birth_year=s.birth_years[i],
            gender=("female", "male")[i % 2],
        )
        for i, pid in enumerate(s.persons)
    ]
    nodes = [
        node("City", s.city, name="怀仁市"),
        node("Township", s.town, name="示例街道"),
        node("Community", s.community, name="气象街社区"),
        node("Compound", s.yby, name="云北苑小区", is_old=True, built_year=1998, households=420),
        node(
            "Compound", s.garden, name="示例花园小区", is_old=False, built_year=2005, households=300
        ),
        node(
            "Compound",
            s.test_garden,
            name="测试家园",
            is_old=False,
            built_year=2012,
            households=120,
        ),
        # built_year deliberately absent
        node("Compound", s.village, name="示例新村", is_old=True, households=80),
        node("Building", s.building1, name="1号楼"),
        node("Building", s.building2, name="2号楼"),
        node(
            "PartyBranch",
            s.branch,
            name="云北苑小区党支部",
            form="standalone",
            elected_on=D(2021, 3, 1),
            term_years=5,
        ),
        node("OwnersCommittee", s.committee, name="云北苑小区业主委员会", elected_on=D(2022, 5, 1)),
        node("PropertyCompany", s.company, name="示例物业服务有限公司", credit_code="TEST0001"),
        node("Meeting", s.meetings[0], meeting_type="branch_assembly", date=D(2023, 1, 10)),
        node("Meeting", s.meetings[1], meeting_type="branch_committee", date=D(2023, 6, 15)),
        node("Meeting", s.meetings[2], meeting_type="theme_party_day", date=D(2024, 2, 1)),
        *people,
    ]
    links = [
        link("PART_OF", s.town, s.city),
        link("PART_OF", s.community, s.town),
        *(link("PART_OF", c, s.community) for c in s.compounds),
        link("PART_OF", s.building1, s.yby),
        link("PART_OF", s.building2, s.yby),
        link("COVERS", s.branch, s.yby, since=D(2021, 3, 1)),
        link("REPRESENTS", s.committee, s.yby, since=D(2022, 5, 1)),
        link("MANAGES", s.company, s.yby, mode="recruited_company", since=D(2020, 1, 1)),
        link("MANAGES", s.company, s.garden, mode="existing_company", since=D(2019, 1, 1)),
        link("HOLDS_POST", p1, s.branch, role="secretary", since=D(2021, 3, 1)),
        link(
            "HOLDS_POST",
            p2,
            s.branch,
            role="deputy_secretary",
            since=D(2018, 1, 1),
            until=D(2020, 12, 31),
        ),
        link("HOLDS_POST", p1, s.committee, role="member", since=D(2022, 5, 1)),
        link("HOLDS_POST", p3, s.committee, role="chair", since=D(2022, 5, 1)),
        link("MEMBER_OF", p1, s.branch, status="full", category="retired", since=D(2000, 7, 1)),
        link(
            "MEMBER_OF",
            p2,
            s.branch,
            status="probationary",
            category="in_service",
            since=D(2020, 1, 1),
        ),
        *(link("HELD_BY", m, s.branch) for m in s.meetings),
        link("ATTENDED", p1, s.meetings[0]),
    ]
    assert p4 not in {lk.source for lk in links}  # person 4 holds nothing
    return nodes, links


# --- graphs of any size, for the round-trip bounds ------------------------------------------------
#: the sizes (compounds) the round-trip test compares
SIZES = (5, 20, 60)


def scaled_graph(compounds: int) -> tuple[list[Node], list[Link]]:
    """``compounds`` compounds in one community, each with a building, a Party branch covering it
    and two synthetic people holding its posts (one of them also a member), so every level of a
    compounds → coveredBy → postHolders → node query grows with the size."""
    nodes: list[Node] = [node("Community", "comm-scaled", name="示例社区")]
    links: list[Link] = []
    for i in range(compounds):
        c, b, pb = f"cmp-s{i:03d}", f"bld-s{i:03d}", f"branch-s{i:03d}"
        secretary, member = f"person-s{i:03d}-a", f"person-s{i:03d}-b"
        nodes += [
            node("Compound", c, name=f"示例小区{i:03d}", households=100 + i),
            node("Building", b, name=f"示例楼{i:03d}"),
            node("PartyBranch", pb, name=f"示例党支部{i:03d}"),
            node("Person", secretary, name=f"测试人员{2 * i}", phone=f"000-{i:04d}-0000"),
            node("Person", member, name=f"测试人员{2 * i + 1}", phone=f"000-{i:04d}-0001"),
        ]
        links += [
            link("PART_OF", c, "comm-scaled"),
            link("PART_OF", b, c),
            link("COVERS", pb, c, since=D(2021, 1, 1)),
            link("HOLDS_POST", secretary, pb, role="secretary", since=D(2021, 1, 1)),
            link("HOLDS_POST", member, pb, role="committee_member", since=D(2021, 1, 1)),
            link("MEMBER_OF", member, pb, status="full"),
        ]
    return nodes, links


@pytest.fixture(params=SIZES, ids=[f"{n}-compounds" for n in SIZES])
def graph_size(request: pytest.FixtureRequest) -> int:
    """One size of the scaled graph (for tests that run once per size)."""
    size: int = request.param
    return size


@pytest.fixture
def sizes() -> tuple[int, ...]:
    """All sizes, for tests that compare them within one run."""
    return SIZES


ScaledGraph = Callable[[int], tuple[list[Node], list[Link]]]


@pytest.fixture
def scaled() -> ScaledGraph:
    """The generator: ``scaled(n)`` is the graph with ``n`` compounds."""
    return scaled_graph


# --- the Huairen demo, once per store and module ----------------------------------------------
@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def demo_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gql]:
    """The app on each store, shared by a module's tests (they read, or undo what they write).

    On Neo4j the demo stays in the session's database for the next module that reads it: those
    tests run one after the other (tests/conftest.py), so it is loaded once (``demo``)."""
    kind: str = request.param
    if kind == "embedded":
        path = tmp_path_factory.mktemp("demo") / "graph.jsonl"
        settings = Settings(store="embedded", data_path=path, api_keys=API_KEYS)
    else:
        uri = request.getfixturevalue("neo4j_uri")
        settings = Settings(store="neo4j", neo4j_uri=uri, api_keys=API_KEYS)
    with TestClient(create_app(settings)) as client:
        gql = Gql(client, kind)
        if kind == "neo4j":
            gql.call(gql.store.init_schema)
        yield gql


@pytest.fixture
def demo(demo_app: Gql) -> Gql:
    """The app with the demo loaded (again, if a test on the shared Neo4j emptied or changed it:
    tests/shared_neo4j.py)."""
    from shared_neo4j import hold_demo

    demo_app.call(hold_demo, demo_app.store)
    return demo_app
