"""The hostile GraphQL corpus, as data: abusive or malformed requests and what each must get back.

Every case is run against both stores by ``test_graphql_hostile.py``, which also checks that the
answer comes quickly, that no error is an unexpected (masked) one, that the service still answers
a normal query afterwards and that the graph is unchanged.

``outcome`` says what a correct answer looks like:

* ``http``: refused at the HTTP edge, with ``status`` and ``expect`` in the body;
* ``error``: a GraphQL response whose ``errors`` mention ``expect``;
* ``failure``: a mutation's union result naming the failure (``expect`` in the response);
* ``safe``: hostile text taken literally and answered normally (``expect`` in the response),
  e.g. a Cypher fragment in a filter that simply matches nothing.

The seed graph (``hostile_service.seed_graph``) has compounds 云北苑小区 and 示例花园小区, so a
literal-minded answer is easy to state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    expect: str
    outcome: str = "error"
    query: str | None = None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    #: a raw body sent instead of ``{"query", "variables"}`` (bytes are sent as they are)
    body: str | bytes | None = None
    content_type: str = "application/json"
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    role: str = "department"
    status: int = 200


COUNT = "{ compounds { totalCount } }"
CYPHER = '"}) DETACH DELETE n //'
MAX_DEPTH = "exceeds maximum operation depth of 12"
CURSOR = "a cursor returned by this list"


def _deep_selection(levels: int) -> str:
    inner = "entityId"
    for _ in range(levels):
        inner = f"partOf {{ edges {{ node {{ ... on Compound {{ {inner} }} }} }} }}"
    return f"{{ compounds(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


def _fragment_chain(levels: int) -> str:
    frags = [
        f"fragment F{i} on Compound {{ partOf {{ edges {{ node {{ ...F{i + 1} }} }} }} }}"
        for i in range(levels)
    ]
    frags.append(f"fragment F{levels} on Compound {{ entityId }}")
    return "{ compounds(first: 1) { edges { node { ...F0 } } } } " + " ".join(frags)


def _json(query: str, variables: dict[str, Any] | None = None, **raw: str) -> str:
    """A JSON body; ``raw`` values are spliced in unquoted (NaN, deep nesting, escapes)."""
    body = json.dumps({"query": query, "variables": variables or {}})
    for name, text in raw.items():
        body = body.replace(f'"@{name}"', text)
    return body


CASES: list[Case] = [
    # --- size and shape limits ------------------------------------------------------------------
    Case("deep nesting", MAX_DEPTH, query=_deep_selection(20)),
    Case("deep nesting through fragments", MAX_DEPTH, query=_fragment_chain(20)),
    Case(
        "alias flood",
        "aliases found. Allowed: 15",
        query="{ " + " ".join(f"a{i}: counts {{ nodes {{ kind }} }}" for i in range(200)) + " }",
    ),
    Case(
        "alias flood of big pages",
        "aliases found. Allowed: 15",
        query="{ "
        + " ".join(f"a{i}: compounds(first: 100) {{ totalCount }}" for i in range(16))
        + " }",
    ),
    Case(
        "huge first",
        "exceeds the limit of 250000",
        query="{ compounds(first: 1000000) { totalCount } }",
    ),
    Case(
        "first beyond 32 bits",
        "Int cannot represent non 32-bit signed integer value",
        query="{ compounds(first: 2147483648) { totalCount } }",
    ),
    Case("negative first", "expected 1 to 100", query="{ compounds(first: -1) { totalCount } }"),
    Case("first zero", "expected 1 to 100", query="{ compounds(first: 0) { totalCount } }"),
    Case(
        "first over the page size",
        "expected 1 to 100",
        query="{ compounds(first: 101) { totalCount } }",
    ),
    Case(
        "nested pages over the cost budget",
        "query cost",
        query="{ compounds(first: 100) { edges { node { partOf(first: 100) { edges { node {"
        " ... on Community { parts(first: 100) { totalCount } } } } } } } } }",
    ),
    Case(
        "search page too big",
        "expected 1 to 100",
        query='{ search(text: "云北苑", first: 5000) { id } }',
    ),
    Case(
        "link page too big",
        "expected 1 to 100",
        query='{ node(id: "Compound:cmp-yunbeiyuan") { ... on Compound {'
        " partOf(first: 101) { totalCount } } } }",
    ),
    Case(
        "too many tokens",
        "more than 2000 tokens",
        query="{ counts { nodes { " + "kind " * 5000 + "} } }",
    ),
    Case(
        "very long document of comments",
        '"totalCount":2',
        outcome="safe",
        query=("# " + "x" * 1000 + "\n") * 500 + COUNT,
    ),
    Case(
        "document over the body limit",
        "request larger than",
        outcome="http",
        status=413,
        query=("# " + "x" * 1000 + "\n") * 3000 + COUNT,
    ),
    Case("very long field name", "Cannot query field", query="{ " + "x" * 100_000 + " }"),
    Case(
        "very long search text",
        "at most 200 characters",
        query='{ search(text: "' + "云" * 100_000 + '") { id } }',
    ),
    Case(
        "search text of many words",
        "20 words",
        query='{ search(text: "' + "a " * 50_000 + '") { id } }',
    ),
    Case(
        "deeply nested list literal",
        "nested too deeply",
        query="{ compounds(where: {id: {in: "
        + "[" * 1500
        + '"a"'
        + "]" * 1500
        + "}}) { totalCount } }",
    ),
    Case(
        "deeply nested NOT",
        "nested too deeply",
        query="{ compounds(where: "
        + "{NOT: " * 600
        + '{id: {eq: "a"}}'
        + "}" * 600
        + ") { totalCount } }",
    ),
    Case(
        "variables nested beyond the JSON parser",
        "nested too deeply",
        outcome="http",
        status=400,
        body=_json(
            "query($w: CompoundWhere) { compounds(where: $w) { totalCount } }",
            {"w": "@w"},
            w='{"NOT": ' * 50_000 + "{}" + "}" * 50_000,
        ),
    ),
    Case(
        "variables nested 300 deep",
        "'AND/OR/NOT levels' = 11; expected at most 10",
        body=_json(
            "query($w: CompoundWhere) { compounds(where: $w) { totalCount } }",
            {"w": "@w"},
            w='{"NOT": ' * 300 + "{}" + "}" * 300,
        ),
    ),
    Case(
        "10 MB string variable",
        "request larger than",
        outcome="http",
        status=413,
        query="query($t: String!) { search(text: $t) { id } }",
        variables={"t": "云" * 10_000_000},
    ),
    Case(
        "100k ids",
        "at most 10000",
        outcome="http",
        status=400,
        query="query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        variables={"ids": [f"x{i}" for i in range(100_000)]},
    ),
    Case(
        "more ids than a page",
        "expected at most 100",
        query="query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        variables={"ids": [f"x{i}" for i in range(101)]},
    ),
    Case(
        "100k values in a filter",
        "at most 10000",
        outcome="http",
        status=400,
        query="query($v: [String!]) { compounds(where: {id: {in: $v}}) { totalCount } }",
        variables={"v": [f"x{i}" for i in range(100_000)]},
    ),
    Case(
        "too many values in a filter",
        "expected at most 500",
        query="query($v: [String!]) { compounds(where: {id: {in: $v}}) { totalCount } }",
        variables={"v": [f"x{i}" for i in range(501)]},
    ),
    Case(
        "15 aliases of a where at the caps",
        "split it into smaller requests",
        query="query($w: CompoundWhere) { "
        + " ".join(f"a{i}: compounds(where: $w) {{ totalCount }}" for i in range(15))
        + " }",
        variables={"w": {"OR": [{"id": {"eq": "a", "ne": "b", "contains": "c"}}] * 50}},
        role="public",
    ),
    Case(
        "30 fragments each spreading the next twice",
        "more than 5000",
        query="{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
        + " fragment F30 on Query { dataSpan { first } }",
        role="public",
    ),
    Case(
        "100k deletions in one mutation",
        "at most 10000",
        outcome="http",
        status=400,
        query="mutation($ids: [ID!]!) { deleteNodes(ids: $ids) { __typename } }",
        variables={"ids": [f"x{i}" for i in range(100_000)]},
    ),
    Case(
        "a batch over 10 000 records",
        "at most 10000 records in one mutation",
        outcome="failure",
        query="mutation($n: [NodeInput!], $d: [ID!]) { applyBatch(nodes: $n, deleteNodeIds: $d) {"
        " __typename ... on ValidationFailed { problems { expected } } } }",
        variables={
            "n": [{"kind": "Compound", "id": f"cmp-x{i}"} for i in range(5001)],
            "d": [f"x{i}" for i in range(5001)],
        },
    ),
    Case(
        "a lying Content-Length",
        "request larger than",
        outcome="http",
        status=413,
        body=_json(COUNT),
        headers={"content-length": str(50 * 1024 * 1024)},
    ),
    # --- batches and operations -----------------------------------------------------------------
    Case(
        "batched operations",
        "Batching is not enabled",
        outcome="http",
        status=400,
        body=json.dumps([{"query": COUNT}] * 50),
    ),
    Case(
        "two anonymous operations",
        "must be the only defined operation",
        query=COUNT + " " + COUNT,
    ),
    Case(
        "duplicate operation names",
        "There can be only one operation named 'A'",
        query="query A " + COUNT + " query A " + COUNT,
    ),
    Case(
        "unknown operation name",
        'Unknown operation named "Nope"',
        outcome="http",
        status=400,
        query="query A " + COUNT,
        operation_name="Nope",
    ),
    Case(
        "a subscription",
        "not supported by the schema",
        query="subscription { counts { nodes { kind } } }",
    ),
    # --- injection: text is always data ---------------------------------------------------------
    Case(
        "Cypher injection in eq",
        '"totalCount":0',
        outcome="safe",
        query="query($v: String) { compounds(where: {name: {eq: $v}}) { totalCount } }",
        variables={"v": CYPHER},
    ),
    Case(
        "Cypher injection in contains",
        '"totalCount":0',
        outcome="safe",
        query="query($v: String) { compounds(where: {name: {contains: $v}}) { totalCount } }",
        variables={"v": "') OR 1=1 WITH n MATCH (m) DETACH DELETE m //"},
    ),
    Case(
        "Cypher injection in startsWith",
        '"totalCount":0',
        outcome="safe",
        query="query($v: String) { compounds(where: {name: {startsWith: $v}}) { totalCount } }",
        variables={"v": "云北苑' }) MATCH (n) DETACH DELETE n RETURN 1 //"},
    ),
    Case(
        "Cypher injection in an id list",
        '"totalCount":0',
        outcome="safe",
        query="query($v: [String!]) { compounds(where: {id: {in: $v}}) { totalCount } }",
        variables={"v": [CYPHER, "cmp-yunbeiyuan'}) DETACH DELETE n //"]},
    ),
    Case(
        "Cypher injection in a node id",
        '"node":null',
        outcome="safe",
        query="query($id: ID!) { node(id: $id) { id } }",
        variables={"id": "Compound:" + CYPHER},
    ),
    Case(
        "Cypher injection as a property name",
        "one of the properties",
        outcome="failure",
        query='mutation($p: JSON) { createNode(input: {kind: Compound, id: "cmp-new", props: $p})'
        " { __typename ... on ValidationFailed { problems { expected } } } }",
        variables={"p": {"name`}) DETACH DELETE n //": "x"}},
    ),
    Case(
        "Cypher injection as a kind",
        "NodeKind",
        query='mutation { createNode(input: {kind: "Compound) DETACH DELETE n //", id: "x"})'
        " { __typename } }",
    ),
    Case(
        "Cypher injection in a link key",
        "without spaces",
        outcome="failure",
        query='mutation($k: String) { link(links: [{kind: PART_OF, source: "cmp-yunbeiyuan",'
        ' target: "comm-qixiangjie", key: $k}]) { __typename'
        " ... on ValidationFailed { problems { expected } } } }",
        variables={"k": "k}) DETACH DELETE n //"},
    ),
    Case(
        "Cypher injection in an update id",
        "NotFound",
        outcome="failure",
        query='mutation($id: ID!) { updateNode(id: $id, props: {name: "x"}) { __typename } }',
        variables={"id": CYPHER},
    ),
    Case(
        "Lucene field syntax in search",
        '"search":[]',
        outcome="safe",
        query='{ search(text: "name:*") { id } }',
    ),
    Case(
        "Lucene match-all in search",
        '"search":[]',
        outcome="safe",
        query='{ search(text: "*:*") { id } }',
    ),
    Case(
        "Lucene operators in search",
        '"search":[]',
        outcome="safe",
        query='{ search(text: "云北苑 OR *:* AND NOT x") { id } }',
    ),
    Case(
        "Lucene special characters in search",
        '"search":[]',
        outcome="safe",
        query="query($t: String!) { search(text: $t) { id } }",
        variables={"t": '+-&&||!(){}[]^"~*?:\\/'},
    ),
    Case(
        "Lucene fuzzy and boost in search",
        '"search":[]',
        outcome="safe",
        query='{ search(text: "云北苑~2 小区^10") { id } }',
    ),
    Case(
        "regex bomb in search",
        '"search":[]',
        outcome="safe",
        query="query($t: String!) { search(text: $t) { id } }",
        variables={"t": "/(a+)+$/ " + "a" * 100},
    ),
    Case(
        "regex bomb in contains",
        '"totalCount":0',
        outcome="safe",
        query="query($v: String) { compounds(where: {name: {contains: $v}}) { totalCount } }",
        variables={"v": "(.*a){25}" + "a" * 100},
    ),
    Case(
        "NUL in search",
        '"search":[]',
        outcome="safe",
        query='{ search(text: "\\u0000") { id } }',
    ),
    Case(
        "NUL in a filter",
        '"totalCount":0',
        outcome="safe",
        query='{ compounds(where: {name: {contains: "云北苑\\u0000"}}) { totalCount } }',
    ),
    Case(
        "unpaired surrogate in variables",
        "unpaired surrogate",
        outcome="http",
        status=400,
        body=_json("query($t: String!) { search(text: $t) { id } }", {"t": "@t"}, t='"\\ud800"'),
    ),
    Case(
        "unpaired surrogate in a literal",
        "Invalid Unicode escape sequence",
        query='{ search(text: "\\ud800") { id } }',
    ),
    Case(
        "control character in a name",
        "control characters",
        outcome="failure",
        query='mutation { createNode(input: {kind: Compound, id: "cmp-ctl",'
        ' props: {name: "a\\u0001b"}}) { __typename ... on ValidationFailed'
        " { problems { expected } } } }",
    ),
    # --- ids -------------------------------------------------------------------------------------
    Case(
        "empty and odd ids",
        '"nodes":[null,null,null,null,null]',
        outcome="safe",
        query='{ nodes(ids: ["", ":", "::", "Compound:", "Nope:cmp-yunbeiyuan"]) { id } }',
    ),
    Case(
        "very long id",
        '"node":null',
        outcome="safe",
        query="query($id: ID!) { node(id: $id) { id } }",
        variables={"id": "Compound:" + "c" * 100_000},
    ),
    Case("null id", "ID!", query="{ node(id: null) { id } }"),
    Case(
        "malformed link id",
        "ValidationFailed",
        outcome="failure",
        query='mutation { unlink(linkIds: ["garbage", "a|b"]) { __typename } }',
    ),
    Case(
        "id with spaces",
        "without spaces",
        outcome="failure",
        query='mutation { createNode(input: {kind: Compound, id: "a b"}) { __typename'
        " ... on ValidationFailed { problems { expected } } } }",
    ),
    Case(
        "id too long",
        "1-200 characters",
        outcome="failure",
        query='mutation { createNode(input: {kind: Compound, id: "' + "c" * 201 + '"}) {'
        " __typename ... on ValidationFailed { problems { expected } } } }",
    ),
    Case(
        "deleting through a foreign global id",
        '"nodesDeleted":0',
        outcome="safe",
        query='mutation { deleteNodes(ids: ["Nope:cmp-yunbeiyuan", "Compound:nope"]) {'
        " ... on WritePayload { nodesDeleted } } }",
    ),
    # --- wrong types and values -----------------------------------------------------------------
    Case(
        "first as text",
        "Int cannot represent non-integer value",
        query='{ compounds(first: "ten") { totalCount } }',
    ),
    Case("impossible date", "2021-13-45", query='{ compounds(asOf: "2021-13-45") { totalCount } }'),
    Case("date as a number", "Date", query="{ compounds(asOf: 20210101) { totalCount } }"),
    Case(
        "text for a whole number",
        "Int cannot represent non-integer value",
        query='{ compounds(where: {households: {eq: "many"}}) { totalCount } }',
    ),
    Case(
        "text for a boolean",
        "Boolean cannot represent a non boolean value",
        query='{ compounds(where: {isOld: {eq: "yes"}}) { totalCount } }',
    ),
    Case(
        "variable of the wrong type",
        "Variable '$f' has invalid value",
        query="query($f: Int) { compounds(first: $f) { totalCount } }",
        variables={"f": "abc"},
    ),
    Case(
        "undeclared variable",
        "Variable '$x' is not defined",
        query="{ compounds(first: $x) { totalCount } }",
    ),
    Case(
        "props that are not an object",
        "an object of property: value",
        outcome="failure",
        query='mutation { createNode(input: {kind: Compound, id: "cmp-list", props: [1, 2]})'
        " { __typename ... on ValidationFailed { problems { expected } } } }",
    ),
    Case(
        "an operator object as a value",
        '"expected":"text"',
        outcome="failure",
        query='mutation($p: JSON) { createNode(input: {kind: Compound, id: "cmp-op", props: $p})'
        " { __typename ... on ValidationFailed { problems { expected } } } }",
        variables={"p": {"name": {"$ne": None}}},
    ),
    Case(
        "huge whole number",
        "64-bit",
        outcome="failure",
        query='mutation { createNode(input: {kind: Compound, id: "cmp-big",'
        " props: {households: 99999999999999999999999999}}) { __typename"
        " ... on ValidationFailed { problems { expected } } } }",
    ),
    Case(
        "infinite number in props",
        "finite number",
        outcome="failure",
        query='mutation { createNode(input: {kind: Compound, id: "cmp-inf",'
        " props: {investment_yuan: 1e400}}) { __typename"
        " ... on ValidationFailed { problems { expected } } } }",
    ),
    Case(
        "infinite Float literal in a filter",
        "finite number",
        query="{ compounds(where: {investmentYuan: {gt: 1e400}}) { totalCount } }",
    ),
    Case(
        "NaN in JSON",
        "NaN is not JSON",
        outcome="http",
        status=400,
        body=_json(
            "query($f: Float) { compounds(where: {investmentYuan: {gt: $f}}) { totalCount } }",
            {"f": "@f"},
            f="NaN",
        ),
    ),
    Case(
        "Infinity in JSON",
        "Infinity is not JSON",
        outcome="http",
        status=400,
        body=_json(
            'mutation($p: JSON) { createNode(input: {kind: Compound, id: "x", props: $p})'
            " { __typename } }",
            {"p": "@p"},
            p='{"investment_yuan": -Infinity}',
        ),
    ),
    Case(
        "number overflowing to infinity in JSON",
        "too large",
        outcome="http",
        status=400,
        body=_json(
            "query($f: Float) { compounds(where: {investmentYuan: {gt: $f}}) { totalCount } }",
            {"f": "@f"},
            f="1e400",
        ),
    ),
    # --- enums -----------------------------------------------------------------------------------
    Case(
        "unknown sort field",
        "'BOGUS'",
        query="{ compounds(orderBy: [{field: BOGUS}]) { totalCount } }",
    ),
    Case(
        "enum as a string",
        "CompoundSortField",
        query='{ compounds(orderBy: [{field: "NAME"}]) { totalCount } }',
    ),
    Case("unknown kind", "'NotAKind'", query='{ search(text: "云", kinds: [NotAKind]) { id } }'),
    Case(
        "unknown link direction",
        "'SIDEWAYS'",
        query="{ compounds(where: {has: [{kind: COVERS, direction: SIDEWAYS}]}) { totalCount } }",
    ),
    # --- fragments -------------------------------------------------------------------------------
    Case(
        "fragment cycle",
        "Cannot spread fragment 'A' within itself via 'B'",
        query="{ compounds(first: 1) { edges { node { ...A } } } }"
        " fragment A on Compound { entityId ...B } fragment B on Compound { name ...A }",
    ),
    Case(
        "fragment spreading itself",
        "Cannot spread fragment 'A' within itself",
        query="{ compounds(first: 1) { edges { node { ...A } } } }"
        " fragment A on Compound { entityId ...A }",
    ),
    Case("unknown fragment", "Unknown fragment 'Nope'", query="{ compounds { ...Nope } }"),
    Case(
        "fragment on the wrong type",
        "cannot be spread here",
        query="{ compounds(first: 1) { edges { node { ...P } } } } fragment P on Person { name }",
    ),
    # --- introspection --------------------------------------------------------------------------
    Case(
        "deep introspection",
        "Maximum introspection depth exceeded",
        query="{ __schema { types { fields { type { fields { type { fields { type { fields {"
        " type { fields { name } } } } } } } } } } } }",
    ),
    Case(
        "introspection alias flood",
        "aliases found",
        query="{ "
        + " ".join(f't{i}: __type(name: "Compound") {{ name }}' for i in range(100))
        + " }",
    ),
    # --- roles -----------------------------------------------------------------------------------
    Case(
        "researcher writing",
        "Forbidden",
        outcome="failure",
        role="researcher",
        query='mutation { deleteNodes(ids: ["cmp-yunbeiyuan"]) { __typename } }',
    ),
    Case(
        "researcher listing people by name",
        "may not list people",
        role="researcher",
        query='{ people(where: {name: {eq: "测试人员1"}}) { totalCount } }',
    ),
    Case("public listing people", "public", role="public", query="{ people { totalCount } }"),
    # --- cursors ---------------------------------------------------------------------------------
    Case("garbage cursor", CURSOR, query='{ compounds(after: "!!!") { totalCount } }'),
    Case(
        "very long cursor",
        CURSOR,
        query="query($c: String) { compounds(after: $c) { totalCount } }",
        variables={"c": "A" * 100_000},
    ),
    Case(
        "cursor of another shape",
        CURSOR,
        query='{ compounds(after: "eyJkIjogMX0", orderBy: [{field: NAME}]) { totalCount } }',
    ),
    # --- HTTP ------------------------------------------------------------------------------------
    Case(
        "invalid JSON",
        "Unable to parse request body as JSON",
        outcome="http",
        status=400,
        body='{"query": ',
    ),
    Case("empty body", "Unable to parse", outcome="http", status=400, body=""),
    Case("JSON string body", "must be an object", outcome="http", status=400, body='"{ counts }"'),
    Case("JSON number body", "must be an object", outcome="http", status=400, body="42"),
    Case(
        "query that is not a string",
        "`query` must be a string",
        outcome="http",
        status=400,
        body='{"query": {"$gt": ""}}',
    ),
    Case(
        "variables that are not an object",
        "`variables` must be an object",
        outcome="http",
        status=400,
        body='{"query": "{ counts { nodes { kind } } }", "variables": "x"}',
    ),
    Case("no query", "No GraphQL query found", outcome="http", status=400, body="{}"),
    Case(
        "body in GB18030",
        "not UTF-8",
        outcome="http",
        status=400,
        body=json.dumps({"query": '{ search(text: "云北苑") { id } }'}, ensure_ascii=False).encode(
            "gb18030"
        ),
    ),
    Case(
        "text/plain body",
        "Unsupported content type",
        outcome="http",
        status=400,
        body=COUNT,
        content_type="text/plain",
    ),
    Case(
        "multipart body",
        "Unsupported content type",
        outcome="http",
        status=400,
        body='--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--\r\n',
        content_type="multipart/form-data; boundary=x",
    ),
    Case(
        "GET with a mutation",
        "mutations are not allowed when using GET",
        outcome="http",
        status=400,
        method="GET",
        params={"query": 'mutation { deleteNodes(ids: ["cmp-yunbeiyuan"]) { __typename } }'},
    ),
    Case(
        "GET with variables that are not JSON",
        "Unable to parse",
        outcome="http",
        status=400,
        method="GET",
        params={"query": COUNT, "variables": "{nope"},
    ),
    Case("PUT", "Method Not Allowed", outcome="http", status=405, method="PUT", body=_json(COUNT)),
]
