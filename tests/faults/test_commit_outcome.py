"""A write whose outcome is unknown (``COMMIT_OUTCOME_UNKNOWN``), on both stores, through the
GraphQL schema: every mutation sent again as it was leaves what one clean write leaves and
answers with its payload, whether or not the lost attempt was applied; a write that committed
is answered as done even if the store goes away right after it.

The lost answer is made at the store port (its ``apply`` raises after or instead of writing);
``test_neo4j_commit_lost.py`` makes it for real, with a connection cut at COMMIT.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from harness import department_context

from govgraph.graph.errors import CommitOutcomeUnknownError, StoreUnavailableError
from govgraph.graph.model import link, node
from govgraph.graph.port import GraphStore, WriteBatch, WriteResult
from govgraph.schema.build import build_schema

Run = Callable[[Awaitable[Any]], Any]

SCHEMA = build_schema()
FAILURES = """__typename
  ... on ValidationFailed { problems { field value expected } }
  ... on Conflict { message }"""
#: what to ask of each mutation's answer, by the payload type it may return
PAYLOADS = {
    "node": "... on NodePayload { node { id ... on Compound { name households builtYear } } }",
    "write": "... on WritePayload { nodesWritten linksWritten linksDeleted nodesDeleted }",
}
#: one call of every mutation, each changing the seed graph
CALLS = {
    "createNode": 'createNode(input: {kind: Compound, id: "cmp-new", '
    'props: {name: "新建示例小区", households: "75"}})',
    "updateNode": 'updateNode(id: "Compound:cmp-r", props: {households: 120, built_year: null})',
    "deleteNodes": 'deleteNodes(ids: ["bld-r2"])',
    "link": 'link(links: [{kind: PART_OF, source: "cmp-r2", target: "comm-r", '
    'since: "2024-01-01", sourceRef: "测试台账"}])',
    "unlink": 'unlink(linkIds: ["bld-r1|PART_OF|cmp-r"])',
    "applyBatch": 'applyBatch(nodes: [{kind: Building, id: "bld-new", props: {name: "3号楼"}}], '
    'links: [{kind: PART_OF, source: "bld-new", target: "cmp-r"}], '
    'deleteLinkIds: ["bld-r1|PART_OF|cmp-r"], deleteNodeIds: ["bld-r2"])',
}


def _seed(store: GraphStore, run: Run) -> None:
    """The store emptied, then a community, two compounds and two buildings."""
    run(store.clear())
    nodes = [
        node("Community", "comm-r", name="示例社区"),
        node("Compound", "cmp-r", name="示例小区", households=100, built_year=1999),
        node("Compound", "cmp-r2", name="示例二小区"),
        node("Building", "bld-r1", name="1号楼"),
        node("Building", "bld-r2", name="2号楼"),
    ]
    links = [
        link("PART_OF", "cmp-r", "comm-r"),
        link("PART_OF", "bld-r1", "cmp-r"),
        link("PART_OF", "bld-r2", "cmp-r"),
    ]
    run(store.upsert(nodes, links))


def _contents(store: GraphStore, run: Run) -> tuple[dict[str, Any], dict[str, Any]]:
    counts = run(store.counts())
    nodes = {
        n.id: (n.kind, dict(n.props))
        for kind in counts.nodes
        for n in run(store.list_nodes(kind, first=100)).items
    }
    return nodes, {lk.id: dict(lk.props) for lk in run(store.list_links())}


def _mutate(store: GraphStore, run: Run, call: str) -> tuple[dict[str, Any] | None, list[Any]]:
    """The mutation's answer (None if it failed with an error) and its errors' codes."""
    field = call.partition("(")[0]
    payload = PAYLOADS["node" if field.endswith("Node") else "write"]
    document = f"mutation {{ {call} {{ {FAILURES} {payload} }} }}"
    result = run(SCHEMA.execute(document, context_value=department_context(store)))
    codes = [(e.extensions or {}).get("code") for e in result.errors or ()]
    answer: dict[str, Any] | None = (result.data or {}).get(field)
    return answer, codes


def _answer_lost(
    apply: Callable[[WriteBatch], Awaitable[WriteResult]], applied: bool
) -> Callable[[WriteBatch], Awaitable[WriteResult]]:
    """``apply`` whose answer is lost, after it wrote (``applied``) or before."""

    async def lost(batch: WriteBatch) -> WriteResult:
        if applied:
            await apply(batch)
        raise CommitOutcomeUnknownError("test: the store went away while committing")

    return lost


@pytest.mark.parametrize("call", CALLS.values(), ids=list(CALLS))
@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_every_mutation_may_be_sent_again_after_an_unknown_outcome(
    store: GraphStore, run: Run, monkeypatch: pytest.MonkeyPatch, call: str, applied: bool
) -> None:
    _seed(store, run)
    once, codes = _mutate(store, run, call)
    assert not codes and once is not None
    assert once["__typename"] in ("NodePayload", "WritePayload"), once
    expected = _contents(store, run)

    _seed(store, run)
    with monkeypatch.context() as m:
        m.setattr(store, "apply", _answer_lost(store.apply, applied))
        lost, codes = _mutate(store, run, call)
    assert (lost, codes) == (None, ["COMMIT_OUTCOME_UNKNOWN"])
    again, codes = _mutate(store, run, call)
    assert not codes
    assert _contents(store, run) == expected
    if applied and once["__typename"] == "WritePayload":
        # the deletions were made by the lost attempt; this one found nothing left to delete
        assert again == {**once, "linksDeleted": 0, "nodesDeleted": 0}
    else:
        assert again == once


@pytest.mark.parametrize("name", ["createNode", "updateNode"])
def test_a_committed_node_write_is_answered_though_the_store_goes_away_after_it(
    store: GraphStore, run: Run, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    _seed(store, run)
    once, codes = _mutate(store, run, CALLS[name])
    assert not codes
    expected = _contents(store, run)
    _seed(store, run)
    apply = store.apply

    async def commit_then_go_away(batch: WriteBatch) -> WriteResult:
        result = await apply(batch)

        async def gone(*_: Any, **__: Any) -> Any:
            raise StoreUnavailableError("test: gone right after the commit")

        monkeypatch.setattr(store, "get_nodes", gone)
        return result

    monkeypatch.setattr(store, "apply", commit_then_go_away)
    answer, codes = _mutate(store, run, CALLS[name])
    monkeypatch.undo()
    # the node as written, not "nothing was changed": it is stored
    assert (answer, codes) == (once, [])
    assert _contents(store, run) == expected


def test_create_node_sent_again_with_other_properties_or_kind_is_a_conflict(
    store: GraphStore, run: Run
) -> None:
    _seed(store, run)
    for other in (
        'createNode(input: {kind: Compound, id: "cmp-r2", props: {name: "别的名字"}})',
        'createNode(input: {kind: Building, id: "cmp-r2", props: {name: "示例二小区"}})',
    ):
        answer, codes = _mutate(store, run, other)
        assert not codes and answer is not None
        assert answer["__typename"] == "Conflict" and "cmp-r2" in answer["message"]
    assert run(store.get_nodes(["cmp-r2"]))["cmp-r2"].props == {"name": "示例二小区"}


def test_a_batch_may_not_link_to_a_node_it_deletes(store: GraphStore, run: Run) -> None:
    """Applied once, such a batch could not be sent again (the link's end would be gone)."""
    _seed(store, run)
    before = _contents(store, run)
    answer, codes = _mutate(
        store,
        run,
        'applyBatch(links: [{kind: PART_OF, source: "cmp-r2", target: "comm-r"}], '
        'deleteNodeIds: ["Community:comm-r"])',
    )
    assert not codes and answer is not None
    assert answer["problems"] == [
        {
            "field": "endpoint",
            "value": "comm-r",
            "expected": "a node this batch does not delete (deleteNodeIds)",
        }
    ]
    assert _contents(store, run) == before
