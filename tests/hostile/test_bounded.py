"""Bounded work per request: input lists capped before the store is asked, per input and over the
whole request, documents whose fragments expand too far refused, heavy reads of the embedded store
off the event loop, the request deadline, and requests in flight per caller.

Through public interfaces only: GraphQL over HTTP against apps built by ``create_app``. No test
measures time; the deadline tests hold a read open on an event until the test lets it go.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.cli.service import DEMO_KEYS
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.read_lane import ReadLane
from govgraph.loaders.demo import load_demo
from govgraph.schema.limits import (
    MAX_BRANCHES,
    MAX_CONDITIONS,
    MAX_EXPANDED_FIELDS,
    MAX_FILTER_DEPTH,
    MAX_IDS,
    MAX_IN,
    MAX_REQUEST_CONDITIONS,
    MAX_REQUEST_SORT_KEYS,
    MAX_REQUEST_VALUES,
    MAX_SORT_KEYS,
)

T = TypeVar("T")
DEPARTMENT = {"x-api-key": "demo-department"}
RESEARCHER = {"x-api-key": "demo-researcher"}
PUBLIC: dict[str, str] = {}
#: a safety net against a hung test, never a measurement
HOLD_LIMIT = 60.0

UNPLACED = "query($w: UnitWhere) { aggregate(groupBy: COMPOUND) { units(where: $w) { unplaced } } }"
NO_OWNER = {"has": [{"kind": "OWNS", "direction": "IN", "exists": False}]}
UNITS_SORTED = "query($o: [UnitOrder!]) { units(orderBy: $o, first: 5) { totalCount } }"
BY_OWNERS = {"linkCount": {"kind": "OWNS", "direction": "IN"}}
COMPOUNDS = "query($w: CompoundWhere) { compounds(where: $w) { totalCount } }"


@pytest.fixture(scope="module", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The demo on the embedded store; an (empty) Neo4j store: the refusals never reach it."""
    if request.param == "embedded":
        store = EmbeddedStore()
        asyncio.run(load_demo(store))
        with TestClient(create_app(Settings(api_keys=DEMO_KEYS), store=store)) as c:
            yield c
        return
    uri: str = request.getfixturevalue("neo4j_uri")
    settings = Settings(store="neo4j", neo4j_uri=uri, api_keys=DEMO_KEYS)
    with TestClient(create_app(settings)) as c:
        yield c


def ask(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] = PUBLIC,
) -> dict[str, Any]:
    r = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert r.status_code == 200, r.text[:500]
    answer: dict[str, Any] = r.json()
    return answer


def refused(answer: dict[str, Any]) -> str:
    """The code of the one error of a refused request (which ran nothing)."""
    (error,) = answer["errors"]
    assert answer.get("data") is None, answer
    assert "Unexpected error" not in error["message"]
    code: str = error["extensions"]["code"]
    return code


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert not answer.get("errors"), answer["errors"]
    data: dict[str, Any] = answer["data"]
    return data


# --- 1. every list of the input is capped before any store work ------------------------------
def test_the_issue_s_public_or_of_8000_branches_is_refused(client: TestClient) -> None:
    answer = ask(client, UNPLACED, {"w": {"OR": [NO_OWNER] * 8000}})
    assert refused(answer) == "FILTER_TOO_LARGE"
    message = answer["errors"][0]["message"]
    assert f"at most {MAX_BRANCHES}" in message and "上限" in message


@pytest.mark.parametrize("key", [BY_OWNERS, {"field": "NAME"}], ids=["linkCount", "name"])
def test_the_issue_s_researcher_sort_of_thousands_of_keys_is_refused(
    client: TestClient, key: dict[str, Any]
) -> None:
    count = 8000 if "linkCount" in key else 9000
    answer = ask(client, UNITS_SORTED, {"o": [key] * count}, RESEARCHER)
    assert refused(answer) == "TOO_MANY_SORT_KEYS"


def _nested_not(levels: int) -> dict[str, Any]:
    where: dict[str, Any] = {"id": {"ne": "x"}}
    for _ in range(levels - 1):
        where = {"NOT": where}
    return where


def _ids(count: int) -> list[str]:
    return [f"x{i}" for i in range(count)]


def _conditions(count: int) -> dict[str, Any]:
    """A where of ``count`` conditions: OR branches of four property conditions each, plus
    single ones on top."""
    branches, rest = divmod(count, 5)
    branch = {"name": {"eq": "a", "ne": "b", "contains": "c", "startsWith": "d"}}
    ops = ["eq", "ne", "contains", "startsWith"][:rest]
    return {"OR": [branch] * branches, "id": {op: "x" for op in ops}}


class Cap(NamedTuple):
    name: str
    query: str
    variables: Callable[[int], dict[str, Any]]  # the variables for a list of this length
    cap: int
    code: str


ONE_ID = [{"id": {"ne": "x"}}]
LARGE, DEEP = "FILTER_TOO_LARGE", "FILTER_TOO_DEEP"
CAPS = [
    Cap("OR", UNPLACED, lambda n: {"w": {"OR": [NO_OWNER] * n}}, MAX_BRANCHES, LARGE),
    Cap("AND", COMPOUNDS, lambda n: {"w": {"AND": ONE_ID * n}}, MAX_BRANCHES, LARGE),
    Cap("has", UNPLACED, lambda n: {"w": {"has": [NO_OWNER["has"][0]] * n}}, MAX_BRANCHES, LARGE),
    Cap("nesting", COMPOUNDS, lambda n: {"w": _nested_not(n)}, MAX_FILTER_DEPTH, DEEP),
    Cap("conditions", COMPOUNDS, lambda n: {"w": _conditions(n)}, MAX_CONDITIONS, LARGE),
    Cap("in", COMPOUNDS, lambda n: {"w": {"id": {"in": _ids(n)}}}, MAX_IN, "TOO_MANY_VALUES"),
    Cap(
        "orderBy",
        UNITS_SORTED,
        lambda n: {"o": [BY_OWNERS] * n},
        MAX_SORT_KEYS,
        "TOO_MANY_SORT_KEYS",
    ),
    Cap(
        "an OR list in a variable",
        "query($b: [CompoundWhere!]) { compounds(where: {OR: $b}) { totalCount } }",
        lambda n: {"b": ONE_ID * n},
        MAX_BRANCHES,
        "FILTER_TOO_LARGE",
    ),
    Cap(
        "an in list in a variable",
        "query($v: [String!]) { compounds(where: {id: {in: $v}}) { totalCount } }",
        lambda n: {"v": _ids(n)},
        MAX_IN,
        "TOO_MANY_VALUES",
    ),
]


@pytest.mark.parametrize("cap", CAPS, ids=[c.name for c in CAPS])
def test_a_list_at_its_cap_works_and_one_more_is_refused(client: TestClient, cap: Cap) -> None:
    ok(ask(client, cap.query, cap.variables(cap.cap), RESEARCHER))
    assert refused(ask(client, cap.query, cap.variables(cap.cap + 1), RESEARCHER)) == cap.code


def test_variables_once_within_budget_do_not_let_others_through(client: TestClient) -> None:
    """A query text's variables found within the budgets are kept as such (not counted again);
    other variables of the same text are counted, and refused when over."""
    query = "query($w: CompoundWhere, $n: Int) { compounds(where: $w, first: $n) { totalCount } }"
    for _ in range(2):
        assert ok(ask(client, query, {"w": None, "n": 5}, RESEARCHER))
    over = ask(client, query, {"w": _conditions(MAX_CONDITIONS + 1), "n": 5}, RESEARCHER)
    assert refused(over) == LARGE


@pytest.mark.parametrize("count", [MAX_IN, MAX_IN + 1])
def test_literals_are_counted_too(client: TestClient, count: int) -> None:
    values = ", ".join(f'"x{i}"' for i in range(count))
    query = f"{{ compounds(where: {{id: {{in: [{values}]}}}}) {{ totalCount }} }}"
    answer = ask(client, query, headers=RESEARCHER)
    if count > MAX_IN:
        assert refused(answer) == "TOO_MANY_VALUES"
    else:
        assert ok(answer)["compounds"]["totalCount"] == 0


@pytest.mark.parametrize(("mutation", "argument"), [("deleteNodes", "ids"), ("unlink", "linkIds")])
def test_id_lists_of_mutations_are_capped(client: TestClient, mutation: str, argument: str) -> None:
    query = f"mutation($i: [ID!]!) {{ {mutation}({argument}: $i) {{ __typename }} }}"
    ids = [f"nobody-{i}|HOLDS_POST|nothing-{i}" for i in range(MAX_IDS + 1)]
    assert refused(ask(client, query, {"i": ids}, DEPARTMENT)) == "TOO_MANY_IDS"
    assert ok(ask(client, query, {"i": ids[:MAX_IDS]}, DEPARTMENT))  # unknown ids: nothing changes


def test_nodes_takes_at_most_a_page_of_ids(client: TestClient) -> None:
    query = "query($i: [ID!]!) { nodes(ids: $i) { id } }"
    over = ask(client, query, {"i": _ids(101)}, RESEARCHER)
    assert refused(over) == "TOO_MANY_IDS"
    assert ok(ask(client, query, {"i": _ids(100)}, RESEARCHER))["nodes"] == [None] * 100


# --- 1b. the budgets of a whole request -------------------------------------------------------
#: a ``UnitWhere`` at the caps: 50 OR branches of three link conditions (200 conditions)
FULL_WHERE = {
    "OR": [
        {
            "has": [
                {"kind": kind, "direction": "IN", "exists": i % 2 == 0}
                for kind in ("OWNS", "PART_OF", "RESIDES_IN")
            ]
        }
        for i in range(MAX_BRANCHES)
    ]
}


def _unplaced(aliases: int) -> str:
    """``aliases`` aggregates of units, each with the same ``where`` (the issue's request)."""
    fields = " ".join(
        f"a{i}: aggregate(groupBy: COMPOUND) {{ units(where: $w) {{ unplaced }} }}"
        for i in range(aliases)
    )
    return f"query($w: UnitWhere) {{ {fields} }}"


class CountingLane(ReadLane):
    """A read lane that counts the reads it runs: every heavy read of the embedded store."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        self.reads += 1
        return await super().read(fn, *args)


def test_the_issue_s_15_aliases_at_the_caps_are_refused_before_any_store_work(
    tmp_path: Path,
) -> None:
    """Each ``where`` is within every cap, and the cost estimate cannot see variables: the
    request is refused on the sum, and the store never reads a node for it."""
    lane = CountingLane()
    with lane_app(tmp_path, lane) as client:
        before = lane.reads
        answer = ask(client, _unplaced(15), {"w": FULL_WHERE})
        assert refused(answer) == "REQUEST_TOO_LARGE"
        message = answer["errors"][0]["message"]
        assert f"= {15 * MAX_CONDITIONS}" in message
        assert f"at most {MAX_REQUEST_CONDITIONS}" in message and "上限" in message
        assert lane.reads == before
        # the lane does count reads: the most aliases the budget allows run, one read each
        most = MAX_REQUEST_CONDITIONS // MAX_CONDITIONS
        assert ok(ask(client, _unplaced(most), {"w": FULL_WHERE}))
        assert lane.reads == before + most


class Budget(NamedTuple):
    name: str
    query: str
    #: the variables: the first two aliases at one input's cap, the third with ``n`` more
    variables: Callable[[int], dict[str, Any]]
    cap: int


THREE_WHERES = (
    "query($a: CompoundWhere, $b: CompoundWhere, $c: CompoundWhere) {"
    " a: compounds(where: $a) { totalCount } b: compounds(where: $b) { totalCount }"
    " c: compounds(where: $c) { totalCount } }"
)
THREE_SORTS = (
    "query($a: [UnitOrder!], $b: [UnitOrder!], $c: [UnitOrder!]) {"
    " a: units(orderBy: $a, first: 1) { totalCount } b: units(orderBy: $b, first: 1) "
    "{ totalCount } c: units(orderBy: $c, first: 1) { totalCount } }"
)
BUDGETS = [
    Budget(
        "conditions",
        THREE_WHERES,
        lambda n: {
            "a": _conditions(MAX_CONDITIONS),
            "b": _conditions(MAX_CONDITIONS),
            "c": _conditions(n),
        },
        MAX_REQUEST_CONDITIONS,
    ),
    Budget(
        "in values",
        THREE_WHERES,
        lambda n: {k: {"id": {"in": _ids(MAX_IN if k != "c" else n)}} for k in "abc"},
        MAX_REQUEST_VALUES,
    ),
    Budget(
        "sort keys",
        THREE_SORTS,
        lambda n: {k: [BY_OWNERS] * (MAX_SORT_KEYS if k != "c" else n) for k in "abc"},
        MAX_REQUEST_SORT_KEYS,
    ),
]


@pytest.mark.parametrize("budget", BUDGETS, ids=[b.name for b in BUDGETS])
def test_a_request_at_its_budget_works_and_one_more_is_refused(
    client: TestClient, budget: Budget
) -> None:
    """Two inputs at their caps fill a budget; one more condition, value or key in a third
    field is refused, though every input is within its own cap."""
    at_budget = ask(client, budget.query, budget.variables(0), RESEARCHER)
    assert ok(at_budget)
    over = ask(client, budget.query, budget.variables(1), RESEARCHER)
    assert refused(over) == "REQUEST_TOO_LARGE"
    assert f"= {budget.cap + 1};" in over["errors"][0]["message"]


def test_a_fragment_counts_wherever_it_is_spread(client: TestClient) -> None:
    """A fragment's ``where`` runs once per aliased field it is spread in, and counts so."""

    def spread(aliases: int) -> str:
        fields = " ".join(f"a{i}: aggregate(groupBy: COMPOUND) {{ ...U }}" for i in range(aliases))
        return (
            f"query($w: UnitWhere) {{ {fields} }} "
            "fragment U on Aggregates { units(where: $w) { unplaced } }"
        )

    most = MAX_REQUEST_CONDITIONS // MAX_CONDITIONS
    assert ok(ask(client, spread(most), {"w": FULL_WHERE}))
    assert refused(ask(client, spread(most + 1), {"w": FULL_WHERE})) == "REQUEST_TOO_LARGE"


def test_conditions_written_in_the_document_count_too(client: TestClient) -> None:
    literal = 'aggregate(groupBy: COMPOUND) { units(where: {id: {eq: "x"}}) { unplaced } }'
    query = _unplaced(2).removesuffix(" }") + f" literal: {literal} }}"
    answer = ask(client, query, {"w": FULL_WHERE}, RESEARCHER)
    assert refused(answer) == "REQUEST_TOO_LARGE"
    assert f"= {MAX_REQUEST_CONDITIONS + 1};" in answer["errors"][0]["message"]


def test_fragments_that_expand_to_millions_of_fields_are_refused(client: TestClient) -> None:
    """40 fragments, each spreading the next twice: 2**41 fields (the last fragment has two)
    in 400 tokens. Refused from counts kept per fragment; walking every spread would take
    hours."""
    levels = 40
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    query = f"{{ ...F0 }} {chain} fragment F{levels} on Query {{ dataSpan {{ first }} }}"
    answer = ask(client, query)
    assert refused(answer) == "QUERY_TOO_LARGE"
    assert f"{2 ** (levels + 1)} fields" in answer["errors"][0]["message"]
    assert str(MAX_EXPANDED_FIELDS) in answer["errors"][0]["message"]


# --- 2-4. the event loop, the deadline, requests in flight -----------------------------------
class HeldLane(ReadLane):
    """A read lane whose reads wait, in their thread, until the test releases them."""

    def __init__(self, threads: int, busy_after: float = 5.0) -> None:
        super().__init__(threads, busy_after)
        self.entered = threading.Semaphore(0)
        self.released = threading.Event()
        self.overheld = False  # a read waited out HOLD_LIMIT: the test did not release it

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        def held() -> T:
            self.entered.release()
            self.overheld = self.overheld or not self.released.wait(HOLD_LIMIT)
            return fn(*args)

        return await super().read(held)

    def wait_entered(self, count: int = 1) -> None:
        for _ in range(count):
            assert self.entered.acquire(timeout=HOLD_LIMIT), "the read never started"


def lane_app(tmp_path: Path, lane: ReadLane, **settings: Any) -> TestClient:
    """The app on an (empty) embedded store whose heavy reads go through ``lane``."""
    store = EmbeddedStore(tmp_path / "graph.jsonl", lane=lane)
    return TestClient(create_app(Settings(api_keys=DEMO_KEYS, **settings), store=store))


#: a read in the lane that every role may send (the public role sees aggregates only)
LIST = {"query": "{ aggregate(groupBy: COMMUNITY) { compounds { unplaced } } }"}
LISTED = {"data": {"aggregate": {"compounds": {"unplaced": 0}}}}
LOOKUP = {"query": '{ node(id: "Compound:nothing") { id } }'}


def test_healthz_answers_while_a_heavy_read_runs(tmp_path: Path) -> None:
    lane = HeldLane(threads=1)
    with lane_app(tmp_path, lane) as client, ThreadPoolExecutor(1) as pool:
        heavy: Future[httpx.Response] = pool.submit(client.post, "/graphql", json=LIST)
        lane.wait_entered()  # the read is in its thread, waiting for the event
        assert client.get("/healthz").json() == {"status": "ok"}
        looked_up = client.post("/graphql", json=LOOKUP, headers=RESEARCHER)
        assert looked_up.json() == {"data": {"node": None}}
        lane.released.set()
        assert heavy.result().json() == LISTED
    assert not lane.overheld, "/healthz waited for the read: it ran on the event loop"


@pytest.mark.parametrize("way", ["fast lane", "view"])
def test_the_deadline_ends_a_request_and_abandoned_reads_keep_their_slot(
    tmp_path: Path, way: str
) -> None:
    lane = HeldLane(threads=1, busy_after=0.0)
    with lane_app(tmp_path, lane, request_timeout=0.5) as client:

        def send() -> httpx.Response:
            if way == "fast lane":  # POST with a JSON body
                r: httpx.Response = client.post("/graphql", json=LIST)
            else:  # GET: Strawberry's view
                r = client.get("/graphql", params=LIST, headers={"accept": "application/json"})
            return r

        timed_out = send()  # its read waits in the thread until released
        assert timed_out.status_code == 503
        assert timed_out.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        # the abandoned read still holds the only slot: the next heavy read is refused at once
        busy = send()
        assert busy.status_code == 200
        assert busy.json()["errors"][0]["extensions"]["code"] == "STORE_BUSY"
        assert client.get("/healthz").status_code == 200
        lane.released.set()
        lane.wait_entered()
        while lane.running:  # the abandoned read ends and gives its slot back
            lane.entered.acquire(timeout=0.01)
        assert send().json() == LISTED


@pytest.mark.parametrize(
    ("headers", "limit_setting"),
    [(RESEARCHER, "max_requests_per_key"), (PUBLIC, "max_anonymous_requests")],
    ids=["per key", "anonymous"],
)
def test_requests_in_flight_are_limited_per_caller(
    tmp_path: Path, headers: dict[str, str], limit_setting: str
) -> None:
    limit = 2
    lane = HeldLane(threads=limit)
    with (
        lane_app(tmp_path, lane, **{limit_setting: limit}) as client,
        ThreadPoolExecutor(limit) as pool,
    ):
        held = [
            pool.submit(client.post, "/graphql", json=LIST, headers=headers) for _ in range(limit)
        ]
        lane.wait_entered(limit)
        over = client.post("/graphql", json=LOOKUP, headers=headers)
        assert over.status_code == 429
        assert over.headers["retry-after"] == "1"
        assert over.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_REQUESTS"
        # another caller is not held up
        other = DEPARTMENT if headers is not DEPARTMENT else RESEARCHER
        assert client.post("/graphql", json=LOOKUP, headers=other).json() == {
            "data": {"node": None}
        }
        lane.released.set()
        for f in held:
            assert f.result().status_code == 200
        assert client.post("/graphql", json=LOOKUP, headers=headers).status_code == 200
