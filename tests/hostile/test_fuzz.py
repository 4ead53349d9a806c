"""Generated requests against the demo data set, for every role and every root field.

The queries and mutations come from the schema the running app describes (introspection), by
hypothesis-graphql: valid operations with arbitrary arguments (strings with NULs, huge pages,
dates far out, deep selections), and invalid ones (one schema violation each). Every answer
must be a GraphQL answer whose errors all carry ``extensions.code``: no masked "Unexpected
error", no 5xx, and none cut off by the app's own request deadline (``REQUEST_TIMEOUT``).

Examples are derandomized, so a CI run repeats the last one; ``pytest -s`` prints how many
requests each role sent and how many of them were answered with data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import graphql
import pytest
from demo_service import ROLES, error_codes, live_schema, post, problems, serve
from fastapi.testclient import TestClient
from hostile_service import seed_graph
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries
from hypothesis_graphql import nodes as gql

from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.port import WriteBatch
from govgraph.schema.build import Limits, build_schema

#: root fields as the code declares them, for the test ids (the live schema must agree:
#: test_every_root_field_is_fuzzed)
_CODE_SCHEMA = graphql.build_schema(build_schema(Limits()).as_str())
QUERY_FIELDS = sorted(_CODE_SCHEMA.query_type.fields) if _CODE_SCHEMA.query_type else []
MUTATION_FIELDS = sorted(_CODE_SCHEMA.mutation_type.fields) if _CODE_SCHEMA.mutation_type else []

#: examples per (role, root field): every root field reached for every role, in about a minute
QUERY_EXAMPLES = 4
#: examples per mutation field: the department's writes, the refusals of the others
MUTATION_EXAMPLES = {"department": 5, "researcher": 2, "public": 2}
NEGATIVE_EXAMPLES = 20

FUZZ = settings(
    deadline=None,  # the app's own request deadline is the limit under test
    derandomize=True,  # the same examples on every run, so CI is reproducible
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

# -- values of the custom scalars --------------------------------------------------------------
DATES = st.one_of(
    st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31)),  # where the demo data lies
    st.dates(),  # anything from year 1 to 9999
).map(lambda d: gql.String(d.isoformat()))
BAD_DATES = st.text(max_size=12).map(gql.String)
#: property names the ontology uses, so a generated JSON object sometimes hits a real one
PROP_NAMES = (
    "name", "phone", "address", "households", "is_old", "investment_yuan", "form", "status",
    "category", "role", "since", "until", "elected_on", "term_years", "source", "birth_year",
    "gender", "meeting_type", "grade", "level", "score", "held_on", "channel", "appeal_type",
)  # fmt: skip
KEYS = st.sampled_from(PROP_NAMES) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
)
LEAVES |= st.text(max_size=20) | st.dates().map(dt.date.isoformat)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=8,
)


def literal(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal (what the JSON scalar parses)."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return gql.Boolean(value)
    if isinstance(value, int):
        return gql.Int(value)
    if isinstance(value, float):
        return gql.Float(value)
    if isinstance(value, str):
        return gql.String(value)
    if isinstance(value, list):
        return gql.List([literal(v) for v in value])
    return gql.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=literal(v))
            for k, v in value.items()
        ]
    )


SCALARS = {
    "Date": DATES | BAD_DATES,
    "JSON": st.dictionaries(KEYS, JSON_VALUES, max_size=5).map(literal) | JSON_VALUES.map(literal),
}

#: after every generated mutation the analytics run over what it wrote
ANALYTICS_CANARY = (
    "{ counts { nodes { kind count } } coverageGaps(first: 5) { totalCount findings { details } }"
    " coverageSummary(first: 5) { totalCount } brokers(first: 5) { totalCount }"
    " multiPostHolders(first: 5) { totalCount } interlocks(first: 5) { totalCount } }"
)


class Tally:
    """Requests sent per role, and how they were answered (printed at the end: pytest -s)."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.with_data: Counter[str] = Counter()
        self.codes: dict[str, Counter[str]] = {r: Counter() for r in ROLES}
        self.fields: dict[str, set[str]] = {r: set() for r in ROLES}

    def add(self, role: str, field: str, answer: Any) -> None:
        self.sent[role] += 1
        if not field.startswith("("):
            self.fields[role].add(field)
        body = answer.json()
        if isinstance(body, dict) and body.get("data"):
            self.with_data[role] += 1
        self.codes[role].update(error_codes(answer))

    def report(self) -> str:
        lines = ["fuzz: requests per role (answered with data), root fields, error codes"]
        for role in ROLES:
            lines.append(
                f"  {role}: {self.sent[role]} ({self.with_data[role]}), "
                f"{len(self.fields[role])} fields, {dict(self.codes[role].most_common())}"
            )
        return "\n".join(lines)


TALLY = Tally()


@pytest.fixture(scope="module")
def demo() -> Iterator[TestClient]:
    with serve() as client:
        yield client
    print("\n" + TALLY.report())


@pytest.fixture(scope="module")
def schema(demo: TestClient) -> graphql.GraphQLSchema:
    return live_schema(demo)


def check(client: TestClient, role: str, field: str, query: str) -> None:
    r = post(client, role, query)
    TALLY.add(role, field, r)
    found = problems(r)
    assert not found, f"{role} asked:\n{query}\nand got: {found}"


def test_every_root_field_is_fuzzed(schema: graphql.GraphQLSchema) -> None:
    assert schema.query_type is not None and schema.mutation_type is not None
    assert sorted(schema.query_type.fields) == QUERY_FIELDS
    assert sorted(schema.mutation_type.fields) == MUTATION_FIELDS


@pytest.mark.parametrize("field", QUERY_FIELDS)
@pytest.mark.parametrize("role", ROLES)
def test_generated_queries(
    demo: TestClient, schema: graphql.GraphQLSchema, role: str, field: str
) -> None:
    @settings(FUZZ, max_examples=QUERY_EXAMPLES)
    @given(queries(schema, fields=[field], custom_scalars=SCALARS))
    def one(query: str) -> None:
        check(demo, role, field, query)

    one()


@pytest.mark.parametrize("role", ROLES)
def test_generated_invalid_operations(
    demo: TestClient, schema: graphql.GraphQLSchema, role: str
) -> None:
    """Operations with one schema violation each: refused with a code, never unexpected."""

    @settings(FUZZ, max_examples=NEGATIVE_EXAMPLES)
    @given(
        st.one_of(
            queries(schema, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
            mutations(schema, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
        )
    )
    def one(query: str) -> None:
        r = post(demo, role, query)
        TALLY.add(role, "(invalid)", r)
        assert not problems(r), f"{role} asked:\n{query}\nand got: {problems(r)}"
        assert r.json().get("errors"), f"an invalid operation was answered: {query}"

    one()


# -- mutations: on a small graph of their own, put back before every example ------------------
class Scratch:
    """An app on a small embedded store (hostile_service.seed_graph), reset on demand."""

    def __init__(self, client: TestClient, store: EmbeddedStore) -> None:
        self.client = client
        self.store = store

    def reset(self) -> None:
        nodes, links = seed_graph()
        portal = self.client.portal
        assert portal is not None
        portal.call(self.store.clear)
        portal.call(self.store.apply, WriteBatch(nodes=nodes, links=links))


@pytest.fixture(scope="module")
def scratch() -> Iterator[Scratch]:
    store = EmbeddedStore()
    asyncio.run(store.apply(WriteBatch(*seed_graph())))
    # every example writes, and each write rebuilds the analytics projection: without this the
    # gc.freeze cycle before each rebuild walks the whole test process (~0.4 s an example)
    with serve(store, analytics_gc_freeze=False) as client:
        yield Scratch(client, store)


def _counts(client: TestClient) -> str:
    r = post(client, "department", "{ counts { nodes { kind count } links { kind count } } }")
    return json.dumps(r.json(), sort_keys=True)


@pytest.mark.parametrize("field", MUTATION_FIELDS)
@pytest.mark.parametrize("role", ROLES)
def test_generated_mutations(
    scratch: Scratch, schema: graphql.GraphQLSchema, role: str, field: str
) -> None:
    """Every mutation, for every role, on a fresh copy of the small graph; then the analytics
    over whatever it wrote. Only the department may change anything."""

    @settings(FUZZ, max_examples=MUTATION_EXAMPLES[role])
    @given(mutations(schema, fields=[field], custom_scalars=SCALARS))
    def one(mutation: str) -> None:
        scratch.reset()
        before = _counts(scratch.client)
        check(scratch.client, role, field, mutation)
        if role != "department":
            assert _counts(scratch.client) == before, f"{role} changed the graph: {mutation}"
        check(scratch.client, "department", "(analytics after a write)", ANALYTICS_CANARY)

    one()
