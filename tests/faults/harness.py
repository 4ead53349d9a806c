"""What the fault and load tests share: the API as its own process and the load generator, both
from ``bench/load_test.py`` (the benchmark and its CI version run the same code), and a client
that sorts every answer into acknowledged, "store unavailable" or wrong, and sends a write again
as docs/graphql.md tells a client to."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from bench_scripts import bench_script  # tests/bench_scripts.py

from govgraph.graph.analytics import AnalyticsCache
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.port import GraphStore
from govgraph.graph.privacy import Role
from govgraph.schema.context import Context

load_test = bench_script("load_test")
ApiProcess = load_test.ApiProcess
DEPARTMENT_KEY: str = load_test.DEPARTMENT_KEY
wait_ready = load_test.wait_ready

UNAVAILABLE = "STORE_UNAVAILABLE"  # the store said no (schema/build.py ErrorCodes)
UNKNOWN = "COMMIT_OUTCOME_UNKNOWN"  # the store went away while committing
TIMEOUT = "TIMEOUT"  # the request outlived GOVGRAPH_REQUEST_TIMEOUT (api/deadline.py)
TYPED = {UNAVAILABLE, UNKNOWN, TIMEOUT}

WRITE = """mutation($id: String!, $source: ID!, $parent: ID!) {
  applyBatch(nodes: [{kind: Building, id: $id, props: {name: "故障测试楼"}}],
             links: [{kind: PART_OF, source: $source, target: $parent}]) {
    __typename ... on WritePayload { nodesWritten linksWritten }
  }
}"""
CREATE_NODE = """mutation($id: String!) {
  createNode(input: {kind: Building, id: $id, props: {name: "故障测试楼"}}) {
    __typename ... on NodePayload { node { id } }
  }
}"""
READ = """query($id: ID!) {
  node(id: $id) { id ... on Compound { name parts(first: 5) { totalCount } } }
  buildings(first: 5) { totalCount edges { node { entityId } } }
}"""
#: the payload type that acknowledges each mutation
ACK = {"applyBatch": "WritePayload", "createNode": "NodePayload"}


@dataclass
class Outcome:
    """One request: when it ran, how long it took, and what came back."""

    op: str
    started: float
    seconds: float
    kind: str  # "ok", "unavailable" (a typed error, one of TYPED) or "wrong"
    detail: str = ""
    code: str | None = None
    written_id: str | None = None  # an acknowledged write
    sent_id: str | None = None  # the id a write sent, acknowledged or not


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    @property
    def acknowledged(self) -> list[str]:
        return [o.written_id for o in self.outcomes if o.written_id is not None]


def classify(
    op: str, started: float, r: httpx.Response | Exception, write_id: str | None
) -> Outcome:
    """Sort one answer: acknowledged or fine, a typed "store unavailable" error, or wrong."""
    seconds = time.monotonic() - started
    if isinstance(r, Exception):
        return Outcome(
            op, started, seconds, "wrong", f"{r.__class__.__name__}: {r}", sent_id=write_id
        )
    try:
        body: dict[str, Any] = r.json()
    except ValueError:
        body = {}
    errors = body.get("errors") or []
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    if errors and codes <= TYPED and r.status_code in (200, 503):
        code = next(c for c in (TIMEOUT, UNKNOWN, UNAVAILABLE) if c in codes)
        message = errors[0]["message"]
        return Outcome(op, started, seconds, "unavailable", message, code, sent_id=write_id)
    if r.status_code != 200 or errors:
        detail = f"HTTP {r.status_code}: {r.text[:500]}"
        return Outcome(op, started, seconds, "wrong", detail, sent_id=write_id)
    if op in ACK:
        typename = body["data"][op]["__typename"]
        if typename != ACK[op]:
            detail = str(body["data"])[:300]
            return Outcome(op, started, seconds, "wrong", detail, sent_id=write_id)
        return Outcome(op, started, seconds, "ok", written_id=write_id, sent_id=write_id)
    return Outcome(op, started, seconds, "ok")


async def graphql(
    http: httpx.AsyncClient, op: str, query: str, variables: dict[str, Any], write_id: str | None
) -> Outcome:
    started = time.monotonic()
    try:
        r = await http.post("/graphql", json={"query": query, "variables": variables})
    except httpx.HTTPError as exc:
        return classify(op, started, exc, write_id)
    return classify(op, started, r, write_id)


async def send_write(http: httpx.AsyncClient, op: str, wid: str, parent: str) -> Outcome:
    """Write Building ``wid``: by ``createNode``, or by ``applyBatch`` with its PART_OF link to
    ``parent``. The same call again is the retry docs/graphql.md describes: it must be
    acknowledged whether or not an earlier one was applied."""
    if op == "createNode":
        return await graphql(http, op, CREATE_NODE, {"id": wid}, wid)
    return await graphql(http, op, WRITE, {"id": wid, "source": wid, "parent": parent}, wid)


def department_context(store: GraphStore) -> Context:
    """The department's GraphQL context on ``store``, to run the schema without the app (for
    the tests that change the store under a mutation). Mutations never read the analytics: a
    cache of an empty store keeps ``store`` free of its write listener."""
    analytics = AnalyticsCache(EmbeddedStore())
    return Context(store, Role.DEPARTMENT, b"test-secret", 100, analytics=analytics)
