"""A leak scan over everything a researcher and the public can reach, driven by introspection.

The queries are built from the schema the running app describes: every root list, paged with
``first: 100`` and ``after`` through the whole demo data set, with each node type's scalar fields
and each of its link fields one level down; every analysis (findings with their details, tie
analytics, ego networks, paths, the rectification workbook, what-if); and the lookups a caller
could use as an oracle (a real person id, name or phone as an argument). Every string of every
answer (and every cell of the workbook) is searched for the data set's real person names, phones
and ids, and for the words of a Party membership status or category. For the public role any
person-level answer at all is a leak. Refusals (errors with a code) are fine.

``pytest -s`` prints how many requests and strings were scanned per role.
"""

from __future__ import annotations

import base64
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import graphql
import openpyxl
import pytest
from demo_service import live_schema, post, problems, serve
from fastapi.testclient import TestClient

from govgraph.graph.ontology import CHOICE_LABELS_ZH, MEMBER_CATEGORY, MEMBER_STATUS
from govgraph.loaders.demo import build_demo

SCANNED_ROLES = ("researcher", "public")
PAGE = 100
#: Person fields that only the department may read (the ontology's ``personal`` properties);
#: a researcher may see a birth year as its decade (graph/disclosure.py)
PERSONAL_FIELDS = ("name", "phone", "address")
PSEUDONYM = re.compile(r"anon-[0-9a-f]{16}")


def trie_pattern(words: set[str]) -> re.Pattern[str]:
    """One regular expression matching any of ``words``, built as a trie (thousands of
    alternatives, scanned in one pass)."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return re.compile(build(trie))


def _real_people() -> tuple[re.Pattern[str], list[str]]:
    nodes, _ = build_demo()
    people = [n for n in nodes if n.kind == "Person"]
    words = {n.id for n in people}
    words |= {str(n.props[p]) for n in people for p in ("name", "phone") if n.props.get(p)}
    # a longer id or name starting with one of these (person-00012) is not in the data set
    return trie_pattern(words), [p.id for p in people]


REAL_PERSON, PERSON_IDS = _real_people()
#: every word for a Party membership status or category, in Chinese and English
MEMBERSHIP_CODES = (*MEMBER_STATUS, *MEMBER_CATEGORY)
MEMBERSHIP_WORDS = {
    *(CHOICE_LABELS_ZH[v] for v in MEMBERSHIP_CODES),
    *(v.replace("_", sep) for v in MEMBERSHIP_CODES for sep in ("_", " ", "-", "")),
}
#: a value that is a status or category (the codes, with their underscores, anywhere); rule
#: titles such as 在职党员未报到 name a category without telling anyone's, so words count whole
MEMBERSHIP = re.compile(
    "|".join(
        [rf"^\s*(?:{'|'.join(sorted(map(re.escape, MEMBERSHIP_WORDS)))})\s*$"]
        + [re.escape(c) for c in MEMBERSHIP_CODES if "_" in c]
    ),
    re.IGNORECASE,
)
#: keys under which an analysis would list people by their status or category
MEMBERSHIP_KEYS = {"status", "category", "full_members", "probationary_members"}
#: answers that describe the vocabulary, not the data: they name every status and category
VOCABULARY_FIELDS = ("vocabulary",)


@dataclass
class Scan:
    """What one role was shown, and what in it should not have been."""

    role: str
    requests: int = 0
    strings: int = 0
    cells: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    leaks: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)

    def ask(
        self, client: TestClient, label: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        r = post(client, self.role, query, variables)
        self.requests += 1
        assert not problems(r), f"{self.role} {label}: {problems(r)}\n{query}"
        body: dict[str, Any] = r.json()
        for e in body.get("errors") or []:
            self.refused[e["extensions"]["code"]] += 1
        data = body.get("data") or {}
        self.answered.update(k for k, v in data.items() if v is not None)
        self.scan(label, data, membership=label not in VOCABULARY_FIELDS)
        return body

    def scan(self, label: str, value: Any, *, membership: bool = True, path: str = "") -> None:
        if isinstance(value, dict):
            if value.get("__typename") == "Person":
                self.person(label, value, path)
            for k, v in value.items():
                if membership and k in MEMBERSHIP_KEYS and v not in (None, "", [], {}):
                    self.leaks.append(f"{self.role} {label} {path}.{k}: {v!r}")
                self.scan(label, v, membership=membership, path=f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.scan(label, v, membership=membership, path=f"{path}[{i}]")
        elif isinstance(value, str):
            self.text(label, value, membership=membership, path=path)

    def text(self, label: str, s: str, *, membership: bool = True, path: str = "") -> None:
        self.strings += 1
        where = f"{self.role} {label} {path}"
        if m := REAL_PERSON.search(s):
            self.leaks.append(f"{where}: a real person's name, phone or id {m[0]!r} in {s[:200]!r}")
        if membership and (m := MEMBERSHIP.search(s)):
            self.leaks.append(f"{where}: a membership word {m[0]!r} in {s[:200]!r}")
        if self.role == "public" and (m := PSEUDONYM.search(s)):
            self.leaks.append(f"{where}: a person (pseudonym {m[0]}) shown to the public")

    def person(self, label: str, obj: dict[str, Any], path: str) -> None:
        where = f"{self.role} {label} {path}"
        if self.role == "public":
            self.leaks.append(f"{where}: a Person shown to the public: {obj}")
        shown = {f: obj[f] for f in PERSONAL_FIELDS if obj.get(f) is not None}
        if isinstance(obj.get("birthYear"), int) and obj["birthYear"] % 10:
            shown["birthYear"] = obj["birthYear"]
        if shown:
            self.leaks.append(f"{where}: personal fields of a Person: {shown}")

    def report(self) -> str:
        return (
            f"leak scan, {self.role}: {self.requests} requests, {self.strings} strings"
            f" and {self.cells} workbook cells scanned; root fields answered:"
            f" {len(self.answered)}; refusals {dict(self.refused.most_common())};"
            f" leaks {len(self.leaks)}"
        )


# -- building queries from the schema ----------------------------------------------------------
def named(t: graphql.GraphQLType) -> graphql.GraphQLNamedType:
    return graphql.get_named_type(t)  # type: ignore[return-value]  # never None for a field


def required_args(f: graphql.GraphQLField) -> set[str]:
    return {n for n, a in f.args.items() if graphql.is_required_argument(a)}


def is_connection(t: graphql.GraphQLType) -> bool:
    n = named(t)
    return isinstance(n, graphql.GraphQLObjectType) and {"edges", "pageInfo"} <= set(n.fields)


def scalars(t: graphql.GraphQLObjectType) -> list[str]:
    return [
        n
        for n, f in t.fields.items()
        if graphql.is_leaf_type(named(f.type)) and not required_args(f)
    ]


class Selections:
    """Selection sets written from the live schema."""

    def __init__(self, schema: graphql.GraphQLSchema) -> None:
        self.schema = schema
        node = schema.get_type("Node")
        assert isinstance(node, graphql.GraphQLInterfaceType)
        self.node_types = schema.get_possible_types(node)

    def node(self, kinds: tuple[str, ...] | None = None) -> str:
        """A node of any kind: its type and id, and the scalars of ``kinds`` (default: all)."""
        parts = ["__typename id entityId"]
        for t in self.node_types:
            if kinds is not None and t.name not in kinds:
                continue
            own = [f for f in scalars(t) if f not in ("id", "entityId")]
            if own:
                parts.append(f"... on {t.name} {{ {' '.join(own)} }}")
        return " ".join(parts)

    def everything(self, t: graphql.GraphQLNamedType, depth: int = 4) -> str:
        """Every field reachable without required arguments, ``depth`` objects down."""
        if graphql.is_leaf_type(t):
            return ""
        if isinstance(t, graphql.GraphQLInterfaceType | graphql.GraphQLUnionType):
            if t.name == "Node":
                return "{ " + self.node() + " }"
            inner = [
                f"... on {p.name} {self.everything(p, depth)}"
                for p in self.schema.get_possible_types(t)
            ]
            return "{ __typename " + " ".join(inner) + " }"
        assert isinstance(t, graphql.GraphQLObjectType)
        parts = ["__typename"]
        for name, f in t.fields.items():
            if required_args(f):
                continue
            sub = named(f.type)
            if graphql.is_leaf_type(sub):
                parts.append(name)
            elif depth > 1 and not is_connection(f.type):
                parts.append(f"{name} {self.everything(sub, depth - 1)}")
        return "{ " + " ".join(parts) + " }"


# -- the scan --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> Iterator[TestClient]:
    with serve() as client:
        yield client


@pytest.fixture(scope="module")
def schema(demo: TestClient) -> graphql.GraphQLSchema:
    return live_schema(demo)


def page_through(
    scan: Scan, client: TestClient, label: str, root: str, *, args: str, selection: str
) -> Iterator[dict[str, Any]]:
    """Every page of a root list (``pageInfo.endCursor`` as ``after``), until refused."""
    after: str | None = None
    while True:
        query = (
            f"query($after: String) {{ {root}({args}first: {PAGE}, after: $after)"
            f" {{ totalCount pageInfo {{ hasNextPage endCursor }} {selection} }} }}"
        )
        body = scan.ask(client, label, query, {"after": after})
        page = (body.get("data") or {}).get(root)
        if not page:
            return
        yield page
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


def scan_lists(scan: Scan, client: TestClient, schema: graphql.GraphQLSchema) -> list[str]:
    """Every root list, every node's scalars, every link field one level down; the ids of the
    places and bodies seen (for the analyses) are returned."""
    sel = Selections(schema)
    assert schema.query_type is not None
    ids: list[str] = []
    for root, f in schema.query_type.fields.items():
        if not is_connection(f.type) or "after" not in f.args:
            continue
        edge = named(f.type).fields["edges"].type  # type: ignore[union-attr]
        node_type = named(named(edge).fields["node"].type)  # type: ignore[union-attr]
        assert isinstance(node_type, graphql.GraphQLObjectType)
        own = " ".join(scalars(node_type))
        for page in page_through(
            scan, client, root, root, args="", selection=f"edges {{ node {{ {own} }} }}"
        ):
            ids.extend(e["node"]["id"] for e in page["edges"])
        for link, lf in node_type.fields.items():
            if not is_connection(lf.type):
                continue
            link_edge = named(named(lf.type).fields["edges"].type)  # type: ignore[union-attr]
            assert isinstance(link_edge, graphql.GraphQLObjectType)
            edge_scalars = " ".join(scalars(link_edge))
            person = sel.node(("Person",))
            linked = (
                f"edges {{ node {{ id {link}(first: {PAGE}) {{ totalCount"
                f" edges {{ {edge_scalars} node {{ {person} }} }} }} }} }}"
            )
            for _ in page_through(scan, client, f"{root}.{link}", root, args="", selection=linked):
                pass
    return ids


#: analyses paged through to the end, with the arguments that show the most
PAGED_ANALYSES = {
    "coverageGaps": "",
    "coverageSummary": "",
    "uncoveredCommunities": "",
    "crossAppointments": "",
    "multiPostHolders": "minBodies: 1, ",
    "conflictsOfInterest": "",
    "interlocks": "",
    "brokers": "",
    "tieCommunities": "",
}


def scan_analyses(
    scan: Scan, client: TestClient, schema: graphql.GraphQLSchema, ids: list[str]
) -> None:
    sel = Selections(schema)
    assert schema.query_type is not None
    fields = schema.query_type.fields
    for root, args in PAGED_ANALYSES.items():
        t = named(fields[root].type)
        assert isinstance(t, graphql.GraphQLObjectType)
        items = next(n for n in ("findings", "items") if n in t.fields)
        selection = f"{items} {sel.everything(named(t.fields[items].type))}"
        if "bySeverity" in t.fields:
            selection += " bySeverity { severity count }"
        for _ in page_through(scan, client, root, root, args=args, selection=selection):
            pass
    # whatever needs no arguments, whole
    for root, f in fields.items():
        if not required_args(f) and not is_connection(f.type) and root not in PAGED_ANALYSES:
            scan.ask(client, root, f"{{ {root} {sel.everything(named(f.type))} }}")
    ego = f"{{ center depth totalCount {sel.everything(named(fields['path'].type))[2:]}"
    path = sel.everything(named(fields["path"].type))
    places = [i for i in ids if i.split(":")[0] in ("City", "Township", "Community", "Compound")]
    bodies = [i for i in ids if i.split(":")[0] in ("PartyBranch", "OwnersCommittee")]
    centers = [*places[:2], *bodies[:4], *PERSON_IDS[:3], *(f"Person:{p}" for p in PERSON_IDS[:2])]
    for center in centers:
        for depth in (1, 2):
            scan.ask(
                client,
                "egoNetwork",
                f"query($id: ID!) {{ egoNetwork(id: $id, depth: {depth}, first: {PAGE}) {ego} }}",
                {"id": center},
            )
    for a, b in [(bodies[0], bodies[-1]), (PERSON_IDS[0], bodies[0]), (places[0], PERSON_IDS[1])]:
        scan.ask(
            client,
            "path",
            f"query($a: ID!, $b: ID!) {{ path(from: $a, to: $b) {path} }}",
            {"a": a, "b": b},
        )
    for scope in places[:3]:
        body = scan.ask(
            client,
            "rectificationList",
            "query($s: ID!) { rectificationList(scope: $s) { filename mediaType base64 rows } }",
            {"s": scope},
        )
        download = (body.get("data") or {}).get("rectificationList")
        if download:
            workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["base64"])))
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    for cell in row:
                        if cell is not None:
                            scan.cells += 1
                            scan.text("rectificationList.xlsx", str(cell), path=sheet.title)
    finding = sel.everything(schema.get_type("Finding"))  # type: ignore[arg-type]
    draft = {"deleteLinkIds": [], "deleteNodeIds": [bodies[0].split(":", 1)[1]]}
    scan.ask(
        client,
        "whatIf",
        f"query($d: DraftInput!) {{ whatIf(changes: $d) {{ before after closed {finding}"
        f" opened {finding} }} }}",
        {"d": draft},
    )


def scan_oracles(scan: Scan, client: TestClient, schema: graphql.GraphQLSchema) -> None:
    """Lookups by a real person's id, name or phone: nothing may come back that ties them to an
    answer (the id back, a pseudonym for it, their links)."""
    sel = Selections(schema)
    nodes, _ = build_demo()
    person = next(n for n in nodes if n.kind == "Person")
    for ident in (person.id, f"Person:{person.id}"):
        scan.ask(
            client, "node", "query($i: ID!) { node(id: $i) { " + sel.node() + " } }", {"i": ident}
        )
        scan.ask(
            client,
            "nodes",
            "query($i: [ID!]!) { nodes(ids: $i) { " + sel.node() + " } }",
            {"i": [ident]},
        )
    for text in (str(person.props["name"]), str(person.props["phone"]), person.id, "示例居民"):
        scan.ask(
            client,
            "search",
            "query($t: String!) { search(text: $t, first: 100) { " + sel.node() + " } }",
            {"t": text},
        )


@pytest.mark.parametrize("role", SCANNED_ROLES)
def test_nothing_personal_reaches(
    demo: TestClient, schema: graphql.GraphQLSchema, role: str
) -> None:
    scan = Scan(role)
    ids = scan_lists(scan, demo, schema)
    scan_analyses(scan, demo, schema, ids or _department_ids(demo))
    scan_oracles(scan, demo, schema)
    print("\n" + scan.report())
    assert scan.strings > 0
    assert not scan.leaks, "\n".join(scan.leaks[:40])


def _department_ids(client: TestClient) -> list[str]:
    """Ids of places and bodies for the roles that may not list them (the public)."""
    q = (
        "{ communities(first: 5) { edges { node { id } } } compounds(first: 5) { edges { node"
        " { id } } } partyBranches(first: 5) { edges { node { id } } } ownersCommittees(first: 5)"
        " { edges { node { id } } } }"
    )
    data = post(client, "department", q).json()["data"]
    return [e["node"]["id"] for v in data.values() for e in v["edges"]]
