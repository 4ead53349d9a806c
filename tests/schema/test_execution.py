"""Plain fields completed directly (``schema/execution.py``) answer exactly as graphql-core does.

Every query of the corpus below runs, for each role, through two schemas on the same store:
one with :class:`FastExecution` (the default) and one with Strawberry's own execution context;
the data and the errors (messages, paths, locations, extensions) must be equal. The corpus
covers what the fast path handles (properties of every scalar type, enums, edges, the ``Node``
interface, ``pageInfo``, link fields answered from prefetched pages) and what it must hand back
(link pages not fetched yet, page sizes out of range, forbidden fields, nulls, aliases with other
arguments, fragments, ``@skip``/``@include``, ``__typename``, cursors, ``asOf``), and a count of
the fields that took the fast path shows the comparison is not vacuous.
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from typing import TYPE_CHECKING, Any

import pytest
import strawberry
from graphql import GraphQLObjectType, parse
from strawberry.types.base import get_object_definition

from govgraph.api.settings import Settings
from govgraph.graph.expand import EVERYTHING, EdgeSort, PageKey, cursor_of
from govgraph.graph.model import Link, Neighbour, Node
from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS, link_props, node_props
from govgraph.graph.privacy import Role
from govgraph.graph.query import Direction
from govgraph.schema import context as context_module
from govgraph.schema.build import Limits, build_schema
from govgraph.schema.context import Context
from govgraph.schema.execution import FastExecution, fast_plan_fields
from govgraph.schema.internals import graphql_schema
from govgraph.schema.prefetch import wanted_of
from govgraph.schema.types import EDGE_READERS, EDGE_TYPES, NODE_TYPES, edge_object, to_object

if TYPE_CHECKING:
    from conftest import Gql, Seed

ROLES = (Role.PUBLIC, Role.RESEARCHER, Role.DEPARTMENT)

NESTED = """query Nested($id: ID!, $day: Date, $n: Int = 10, $withPosts: Boolean = true) {
  node(id: $id) { __typename id ... on Community { entityId name
    parts(first: 20) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor linkId direction since until source
        node { __typename ... on Compound { entityId name isOld builtYear households
          coveredBy(first: 3, asOf: $day) { edges { since node { ... Branch } } }
          managedBy(first: 3) { edges { mode node { entityId ... on PropertyCompany { name } } } }
          parts(first: 1) { pageInfo { hasNextPage endCursor } edges { node { id } } }
        } } } } } }
}
fragment Branch on PartyBranch {
  entityId name form electedOn termYears
  postHolders(first: $n) @include(if: $withPosts) { totalCount edges { role since until
    node { ... on Person { entityId name phone birthYear gender } } } }
  members(first: 5) { edges { status category node { id } } }
}"""

#: the same without a directive: compiled once and walked (``schema/execution.py``)
COMPILED = NESTED.replace(", $withPosts: Boolean = true", "").replace(
    " @include(if: $withPosts)", ""
)

#: a root list with every argument from variables (``schema/execution.py`` keeps them converted)
LIST = """query List($old: Boolean, $n: Int = 2, $after: String, $day: Date, $kind: NodeKind) {
  compounds(first: $n, after: $after, asOf: $day, orderBy: [{field: NAME}],
    where: {isOld: {eq: $old}, has: [{kind: PART_OF, direction: OUT, neighbourKind: $kind}]}) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id name partOf(first: 2) { edges { node { id } } } } } }
}"""

CORPUS: list[tuple[str, dict[str, Any]]] = [
    (COMPILED, {"id": "Community:comm-qixiangjie"}),
    (COMPILED, {"id": "Community:comm-qixiangjie", "day": "2019-06-01"}),
    (COMPILED, {"id": "Community:comm-qixiangjie", "n": 1000}),  # the walk is abandoned
    (COMPILED, {"id": "Compound:cmp-yunbeiyuan"}),
    (NESTED, {"id": "Community:comm-qixiangjie"}),
    (NESTED, {"id": "Community:comm-qixiangjie", "day": "2019-06-01", "withPosts": False}),
    (NESTED, {"id": "Community:comm-qixiangjie", "n": 1000}),  # a page too big, nested
    (NESTED, {"id": "Compound:cmp-yunbeiyuan"}),  # not a community: only id and __typename
    (NESTED, {"id": "Community:nobody"}),  # null
    # the node field's id kept per query text and variables: a store id, a kind that is not
    # the node's, an id literal that is a number, an empty one, a person's private fields
    (
        """{ a: node(id: "cmp-yunbeiyuan") { id ... on Compound { name } }
          b: node(id: "Person:cmp-yunbeiyuan") { id } c: node(id: 12) { __typename id }
          d: node(id: "") { id }
          e: node(id: "Person:person-test-1") { ... on Person { name phone birthYear } } }""",
        {},
    ),
    # aliases of one link field with other arguments; a cursor; asOf given inline
    (
        """{ node(id: "PartyBranch:branch-yby") { ... on PartyBranch {
          a: postHolders(first: 1) { pageInfo { hasNextPage endCursor } edges { cursor role } }
          b: postHolders(first: 2, asOf: "2019-01-01") { edges { role node { id } } }
          c: postHolders(first: 1, after: "zzzz") { edges { role } }
          d: postHolders(first: 0) { edges { role } }
          coverage: covers { edges { node { ... on Compound { name
            representedBy { edges { node { ... on OwnersCommittee { name electedOn
              postHolders { edges { role node { ... on Person { name } } } } } } } } } } } }
        } } }""",
        {},
    ),
    # sorted link pages: their cursors hold the sort values, sent also when no field reads
    # them (a node's name here; answered from the page, types.py's EDGE_READERS); a page with
    # nothing on it; __typename on a connection, an edge
    (
        """{ node(id: "PartyBranch:branch-yby") { ... on PartyBranch {
          a: postHolders(first: 2, orderBy: [{edge: ROLE, direction: DESC}, {node: NAME}]) {
            __typename totalCount pageInfo { hasNextPage endCursor }
            edges { __typename cursor linkId direction role since node { id } } }
          b: postHolders(first: 1, asOf: "1900-01-01") { totalCount pageInfo { endCursor }
            edges { cursor } }
        } } }""",
        {},
    ),
    # many nodes at once, missing ones included, with @skip
    (
        """query Many($skip: Boolean!) { nodes(ids: ["Compound:cmp-yunbeiyuan", "Compound:none",
          "Person:person-test-1", "Building:bld-yby-1", "cmp-demo-garden"]) {
            __typename id
            ... on Compound { name households managedBy @skip(if: $skip) { totalCount } }
            ... on Person { name phone address holdsPost { edges { role node { __typename id } } } }
            ... on Building { name partOf { edges { node { ... on Compound { name } } } } }
        } }""",
        {"skip": True},
    ),
    # lists: filters, sorting, totalCount, cursors
    (
        """{ compounds(first: 2, where: {isOld: {eq: true}}, orderBy: [{field: NAME}]) {
          totalCount pageInfo { hasNextPage endCursor }
          edges { cursor node { id name builtYear coveredBy { totalCount } } } } }""",
        {},
    ),
    # a list's arguments are kept per query text and variables: other values, other answers
    (LIST, {"old": True}),
    (LIST, {"old": False, "n": 3}),
    (LIST, {"old": True}),
    (LIST, {"n": 0}),  # a page size the list refuses
    (LIST, {"after": "not a cursor"}),
    (LIST, {"day": "2019-06-01", "kind": "Community"}),
    (LIST, {"kind": "Person"}),  # no PART_OF link leads to a person: the store refuses
    (
        """{ a: compounds(first: 1) { edges { node { id } } }
          b: compounds(first: 2, orderBy: [{field: NAME, direction: DESC}]) {
            edges { node { id name } } }
          c: compounds(first: 1) @skip(if: true) { totalCount } }""",
        {},
    ),
    (
        """{ people(first: 3) { edges { node { id name birthYear
          holdsPost(first: 5) { edges { role since node { id } } } } } } }""",
        {},
    ),
    ("""{ search(text: "云北苑") { __typename id ... on Compound { name } } }""", {}),
    ("""{ counts { nodes { kind count } links { kind count } } }""", {}),
    ("""{ __typename a: __typename }""", {}),
]


class Counting(FastExecution):
    """Counts the values completed the fast way (so the comparison is not vacuous): one by one,
    and in compiled walks (``compiled``: the leaves of the objects a walk answered)."""

    completed = 0
    compiled = 0

    def _complete(self, *args: Any, **kwargs: Any) -> Any:
        Counting.completed += 1
        return super()._complete(*args, **kwargs)

    def _tree(self, *args: Any) -> Any:
        tree = super()._tree(*args)
        if tree is None:
            return None

        def counted(source: Any, ex: Any) -> Any:
            out = tree(source, ex)  # raises, uncounted, when the walk is abandoned
            Counting.completed += _leaves(out)
            Counting.compiled += _leaves(out)
            return out

        return counted


def _answer(result: Any) -> dict[str, Any]:
    errors = [e.formatted for e in result.errors or ()]
    for e in errors:
        assert "errorId" not in (e.get("extensions") or {}), e  # no unexpected error
    return {"data": result.data, "errors": errors}


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_fast_execution_answers_as_graphql_core_does(seeded: Gql, role: Role) -> None:
    fast, normal = build_schema(Limits()), build_schema(Limits(fast_execution=False))
    fast.execution_context_class = Counting
    secret = Settings().pseudonym_secret.get_secret_value().encode()
    app = seeded.app

    async def both(query: str, variables: dict[str, Any]) -> tuple[Any, Any]:
        answers = []
        for schema in (fast, normal):  # a fresh context each: nothing cached between them
            context = Context(app.state.store, role, secret, 100, analytics=app.state.analytics)
            answers.append(
                await schema.execute(query, variable_values=variables, context_value=context)
            )
        return answers[0], answers[1]

    Counting.completed = 0
    for query, variables in CORPUS:
        got, expected = seeded.call(both, query, variables)
        assert all(e.path for e in expected.errors or ()), expected.errors  # it ran
        assert _answer(got) == _answer(expected), (query, variables)
    if role is Role.PUBLIC:
        assert Counting.completed >= 2  # counts only; every other root field is forbidden
    else:
        assert Counting.completed > 100


def test_the_nested_corpus_query_mostly_takes_the_fast_path(seeded: Gql, seed: Seed) -> None:
    """On the first corpus query, nearly every value is completed the fast way: only the root
    field and link fields whose pages were not prefetched go through graphql-core."""
    schema = build_schema(Limits())
    schema.execution_context_class = Counting
    app = seeded.app
    context = Context(app.state.store, Role.DEPARTMENT, b"s", 100, analytics=app.state.analytics)
    query, variables = CORPUS[0]
    Counting.completed = 0
    result = seeded.call(lambda: schema.execute(query, variables, context_value=context))
    assert not result.errors
    leaves = _leaves(result.data)
    assert leaves > 50
    assert Counting.completed >= leaves


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.DEPARTMENT], ids=lambda r: r.value)
def test_a_query_without_directives_is_answered_by_compiled_walks(seeded: Gql, role: Role) -> None:
    """Every value below the root field comes from a compiled walk, the same on a second
    request of the same text (the compiled trees are kept), and not with a directive."""
    schema = build_schema(Limits())
    schema.execution_context_class = Counting
    app = seeded.app

    def run(query: str, variables: dict[str, Any]) -> Any:
        context = Context(app.state.store, role, b"s", 100, analytics=app.state.analytics)
        Counting.compiled = 0
        result = seeded.call(lambda: schema.execute(query, variables, context_value=context))
        assert not result.errors
        return result.data

    variables = {"id": "Community:comm-qixiangjie"}
    first = run(COMPILED, variables)
    assert _leaves(first) > 50
    assert Counting.compiled == _leaves(first["node"])
    assert run(COMPILED, variables) == first
    assert Counting.compiled == _leaves(first["node"])
    run(NESTED, variables)
    assert Counting.compiled == 0
    # a root list's connection too, its totalCount counted with the page
    listed = run(COUNTED_LIST, {})["compounds"]
    assert listed["totalCount"] > len(listed["edges"]) > 0
    assert Counting.compiled == _leaves(listed)


COUNTED_LIST = (
    "{ compounds(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id } } } }"
)


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 1


def test_the_plan_covers_plain_link_and_list_fields_only() -> None:
    schema = build_schema(Limits())
    plan = fast_plan_fields(graphql_schema(schema))
    assert {"name", "isOld", "builtYear", "parts", "coveredBy", "id", "entityId"} <= plan[
        "Compound"
    ]
    assert {"edges", "pageInfo"} <= plan["PartOfConnection"]
    # a root list converts its arguments once per query text (``_ListField``), and so does the
    # node field (``_NodeField``); other root fields have resolvers of their own
    assert {"compounds", "partyBranches", "people", "node"} <= plan["Query"]
    assert not {"nodes", "search", "counts", "aggregate"} & plan["Query"]
    compound = graphql_schema(schema).type_map["Compound"]
    assert isinstance(compound, GraphQLObjectType)
    for name in plan["Compound"]:
        assert name in compound.fields


# --- errors in plain fields, on a schema of its own ---------------------------------------------
@strawberry.type
class Thing:
    name: str  # non-null: a missing name is an error that nulls the nearest nullable parent
    note: str | None = None
    flag: bool = False
    count: int = 0


@strawberry.type
class Holder:
    things: list[Thing]  # non-null items in a non-null list
    maybe: list[Thing | None] | None = None


def _broken(name: Any) -> Thing:
    thing = Thing(name="x")
    thing.name = name  # what a store with bad data could hand back
    return thing


@strawberry.type
class BrokenQuery:
    @strawberry.field
    def holders(self) -> list[Holder | None]:
        good, bad = _broken("好"), _broken(None)
        wrong_type = _broken(12)  # a number where text is expected: String coerces it
        return [
            Holder(things=[good, wrong_type], maybe=[good, None]),
            Holder(things=[good, bad], maybe=[bad, good]),
            None,
        ]

    @strawberry.field
    def holder(self) -> Holder:
        return Holder(things=[_broken(None)])

    @strawberry.field
    def numbers(self) -> list[Thing | None]:
        """Int's edges: 32 bits, beyond them, and what Int coerces (a bool, a whole float)."""
        values = [7, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, True, 3.0, 2.5, "8"]
        things = [Thing(name="n") for _ in values]
        for thing, value in zip(things, values, strict=True):
            thing.count = value
        return list(things)


@pytest.mark.parametrize(
    "query",
    [
        "{ holders { things { name note flag count __typename } maybe { name flag } } }",
        "{ holders { maybe { note } things { count } } }",
        "{ holder { things { name } } }",  # the error climbs to the root: data is null
        "{ numbers { count } }",
        "{ a: holders { things { n: name } } b: holders { maybe { name @skip(if: true) flag } } }",
    ],
)
def test_errors_in_plain_fields_are_the_same_both_ways(query: str) -> None:
    """A null in a non-null field, a value the scalar must coerce: same data, same errors."""
    fast = strawberry.Schema(query=BrokenQuery, execution_context_class=Counting)
    normal = strawberry.Schema(query=BrokenQuery)
    Counting.completed = 0
    got, expected = fast.execute_sync(query), normal.execute_sync(query)
    assert expected.errors or "maybe { note }" in query  # the corpus has errors to compare
    assert _answer(got) == _answer(expected)
    assert Counting.completed > 0


# --- pages with only the properties the request reads -------------------------------------------
@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.DEPARTMENT], ids=lambda r: r.value)
def test_pages_with_only_the_wanted_properties_answer_as_with_all(
    seeded: Gql, role: Role, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus answered with the store sending only the properties the document names
    (``wanted_of``) equals the corpus answered with every property sent."""
    schema = build_schema(Limits())
    app = seeded.app

    async def answer(query: str, variables: dict[str, Any]) -> Any:
        context = Context(app.state.store, role, b"s", 100, analytics=app.state.analytics)
        return await schema.execute(query, variable_values=variables, context_value=context)

    def corpus() -> list[dict[str, Any]]:
        return [_answer(seeded.call(answer, q, v)) for q, v in CORPUS]

    some = corpus()
    monkeypatch.setattr(context_module, "wanted_in", lambda info: EVERYTHING)
    assert corpus() == some


def test_wanted_of_names_the_properties_a_document_reads() -> None:
    schema = graphql_schema(build_schema(Limits()))
    document = parse(COMPILED)
    operation = document.definitions[0]
    fragments = {d.name.value: d for d in document.definitions[1:]}
    wanted = wanted_of(schema, operation, fragments)
    assert wanted.node is not None and wanted.link is not None
    # node properties by their GraphQL names (builtYear: built_year), fragments included
    assert {"name", "is_old", "built_year", "households", "form", "elected_on"} <= wanted.node
    assert {"term_years", "phone", "birth_year", "gender"} <= wanted.node
    assert "address" not in wanted.node and "area_m2" not in wanted.node
    assert {"since", "until", "source", "role", "mode", "status", "category"} == wanted.link
    assert wanted_of(schema, operation, fragments) is wanted  # kept per operation


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.DEPARTMENT], ids=lambda r: r.value)
def test_a_request_is_freed_without_the_cyclic_collector(seeded: Gql, role: Role) -> None:
    """Once answered, a request's context, loaders and fetched pages are freed by reference
    counting: a cycle through them would keep every page of every request alive until the
    cyclic collector's next pause (tens of ms under load)."""
    schema = build_schema(Limits())
    app = seeded.app
    query, variables = CORPUS[0]

    async def answer() -> tuple[Any, weakref.ref[Any]]:
        context = Context(app.state.store, role, b"s", 100, analytics=app.state.analytics)
        result = await schema.execute(query, variables, context_value=context)
        return result, weakref.ref(context.loaders)

    gc.collect()
    gc.disable()  # only reference counting frees anything from here
    try:
        result, loaders = seeded.call(answer)
        assert not result.errors
        assert loaders() is None
    finally:
        gc.enable()


def test_a_property_a_node_or_link_lacks_reads_as_none() -> None:
    """``to_object`` and ``edge_object`` set only the properties a node or link has: every
    other declared one reads as its GraphQL class's default, None."""
    for kind, cls in NODE_TYPES.items():
        for p in node_props(NODE_KINDS[kind]):
            assert getattr(cls, p.name) is None, (kind, p.name)
        bare = to_object(Node("x", kind, {}))
        assert all(getattr(bare, p.name) is None for p in node_props(NODE_KINDS[kind]))
    for kind, cls in EDGE_TYPES.items():
        for p in link_props(LINK_KINDS[kind]):
            assert getattr(cls, p.name) is None, (kind, p.name)


def test_the_edge_readers_read_what_edge_object_sets() -> None:
    """A compiled walk answers edges from the page (``EDGE_READERS``, no edge object made):
    every field of every link kind's edge type reads as the edge object's attribute would,
    on a page sorted by a property (its cursor holds the sort values) and on one that is not."""
    day = dt.date(2024, 1, 1)
    for kind, lk in LINK_KINDS.items():
        fields = {
            f.python_name for f in get_object_definition(EDGE_TYPES[kind], strict=True).fields
        }
        readers = EDGE_READERS[kind]
        assert set(readers) == fields, kind
        props = {p.name: _sample(p.type.value) for p in link_props(lk)}
        target = lk.endpoints[0][1]
        for values in (props, {}):  # with every property, and with none
            nb = Neighbour(Link(kind, "a-1", "b-1", values, "k"), Node("b-1", target, {}))
            orders: list[tuple[EdgeSort, ...]] = [()]
            orders += [(EdgeSort(p.name, on_link=True, descending=True),) for p in link_props(lk)]
            for order in orders:
                key = PageKey(kind, Direction.OUT, day, 5, order=order)
                edge = edge_object(lk, nb.link, nb.node, Direction.OUT, day)
                if order:
                    edge.cursor = cursor_of(key, nb)  # as link_connection sets it
                for name, read in readers.items():
                    got, expected = read(nb, key), getattr(edge, name)
                    if name == "node":
                        assert type(got) is type(expected) and vars(got) == vars(expected)
                    else:
                        assert got == expected, (kind, name, order)


def _sample(prop_type: str) -> Any:
    values = {"date": dt.date(2021, 5, 20), "int": 3, "float": 1.5, "bool": True}
    return values.get(prop_type, "x")


PARTS = """query Parts($id: ID!, $n: Int!, $old: Boolean) { node(id: $id) { ... on Community {
  parts(first: $n, where: {node: {Compound: {isOld: {eq: $old}}}}) { totalCount
    edges { node { ... on Compound { entityId isOld } } } } } } }"""


def test_a_link_fields_arguments_follow_the_variables_and_the_largest_page(seeded: Gql) -> None:
    """A link field's page arguments are kept per query text and variables: a request with
    other variables, or with a smaller largest page, is answered as the normal way answers it.
    (A page looked up with the wrong arguments would be missed and the field resolved the
    normal way: the answer cannot tell, only the CPU a request costs.)"""
    fast, normal = build_schema(Limits()), build_schema(Limits(fast_execution=False))
    app = seeded.app

    def answer(schema: Any, max_page: int, **variables: Any) -> dict[str, Any]:
        async def one() -> Any:
            context = Context(
                app.state.store, Role.DEPARTMENT, b"s", max_page, analytics=app.state.analytics
            )
            return await schema.execute(PARTS, variables, context_value=context)

        return _answer(seeded.call(one))

    cases = [(100, 10, True), (100, 10, False), (100, 1, True), (2, 10, True), (100, 10, True)]
    seen = []
    for max_page, n, old in cases:
        variables = {"id": "Community:comm-qixiangjie", "n": n, "old": old}
        got = answer(fast, max_page, **variables)
        assert got == answer(normal, max_page, **variables), (max_page, n, old)
        seen.append(got)
    assert seen[0] != seen[1] and seen[0] == seen[4]  # the variables tell them apart
    assert not seen[0]["errors"] and seen[3]["errors"]  # 10 is over a largest page of 2
