"""What ``counts`` and ``search`` cost the Neo4j store, and that both stores still agree on them.

Under the load test (50 clients) these two were 10-20 times slower than a node lookup although
each costs little alone: every record the driver reads takes the API process a few event-loop
turns (a socket read wrapped in a task with a timeout), and under load each turn waits behind
every other request in flight. ``search`` streamed up to 100 candidate records and ``counts`` sent
two statements streaming 44, each a ``RETURN 'Kind' AS kind, count(n)`` that scanned every node
and relationship (the constant grouping key stops the count-store rewrite). Now each is one
statement answering one record, and the undated counts come from the count store.

No timings here: the tests count statements and records, and read the plans.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from builders import Run, city_graph, expected_counts, node_rows, paging_compounds, plain_counts

from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.model import Link, Node, link, node
from govgraph.graph.neo4j_store import Neo4jStore
from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS
from govgraph.graph.port import GraphStore
from govgraph.graph.search import rank_names

#: ``(statement, records)`` of every read the Neo4j store sent
Reads = list[tuple[str, int]]


def wide_graph() -> tuple[list[Node], list[Link]]:
    """The city graph plus 150 compounds and 150 buildings whose names share 示例 and 小区/楼,
    so a search finds more full-text candidates than the store asks the index for (100)."""
    nodes, links = city_graph()
    compounds = paging_compounds(150)
    buildings = [node("Building", f"bld-w-{i:03d}", name=f"示例楼{i:03d}") for i in range(150)]
    nodes = [*nodes, *compounds, *buildings]
    links = [
        *links,
        *(link("PART_OF", b.id, c.id) for b, c in zip(buildings, compounds, strict=True)),
    ]
    return nodes, links


@pytest.fixture
def neo4j(neo4j_store: GraphStore, run: Run) -> GraphStore:
    run(neo4j_store.clear())
    return neo4j_store


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Reads]:
    """Record each read statement the Neo4j store runs and how many records it answered."""
    seen: Reads = []
    original = Neo4jStore._run_read

    async def recording(self: Neo4jStore, text: str, params: dict[str, Any]) -> Any:
        rows = await original(self, text, params)
        seen.append((text, len(rows)))
        return rows

    monkeypatch.setattr(Neo4jStore, "_run_read", recording)
    yield seen


async def _plan(store: GraphStore, text: str, **params: Any) -> Counter[str]:
    """The operators of ``EXPLAIN text``, by name."""
    driver = store._driver  # type: ignore[attr-defined]  # the Neo4j adapter's driver
    async with driver.session() as s:
        summary = await (await s.run("EXPLAIN " + text, params)).consume()
    out: Counter[str] = Counter()
    todo = [summary.plan]
    while todo:
        op = todo.pop()
        out[op["operatorType"].split("@")[0]] += 1
        todo.extend(op.get("children", []))
    return out


# --- Neo4j: statements, records, plans -----------------------------------------------------------
@pytest.mark.neo4j
@pytest.mark.parametrize("as_of", [None, dt.date(2022, 6, 1)], ids=["undated", "dated"])
def test_counts_is_one_statement_answering_one_record(
    neo4j: GraphStore, run: Run, reads: Reads, as_of: dt.date | None
) -> None:
    nodes, links = wide_graph()
    run(neo4j.upsert(nodes, links))
    reads.clear()
    before = neo4j.stats.queries
    assert plain_counts(run(neo4j.counts(as_of=as_of))) == expected_counts(nodes, links, as_of)
    assert neo4j.stats.queries - before == 1
    assert [records for _, records in reads] == [1], reads


@pytest.mark.neo4j
@pytest.mark.parametrize("with_total", [False, True], ids=["page", "page+total"])
def test_a_list_page_is_one_statement_answering_one_record(
    neo4j: GraphStore, run: Run, reads: Reads, with_total: bool
) -> None:
    nodes, links = wide_graph()
    run(neo4j.upsert(nodes, links))
    reads.clear()
    page = run(neo4j.list_nodes("Compound", first=20, with_total=with_total))
    assert len(page.items) == 20 and page.has_next
    assert (page.total is not None) == with_total
    assert [records for _, records in reads] == [1], reads


@pytest.mark.neo4j
def test_undated_counts_come_from_the_count_store(
    neo4j: GraphStore, run: Run, reads: Reads
) -> None:
    """Every node and link count is one count-store read: nothing scans a label or a type
    (the statement before scanned all 8,039 nodes and 15,236 relationships of the demo set)."""
    run(neo4j.upsert(*wide_graph()))
    reads.clear()
    run(neo4j.counts())
    ((text, _),) = reads
    ops = run(_plan(neo4j, text))
    assert ops["NodeCountFromCountStore"] == len(NODE_KINDS), ops
    assert ops["RelationshipCountFromCountStore"] == len(LINK_KINDS), ops
    assert not [op for op in ops if "Scan" in op or "Aggregation" in op], ops


@pytest.mark.neo4j
@pytest.mark.parametrize("limit", [1, 5, 20])
def test_search_is_one_statement_answering_one_record(
    neo4j: GraphStore, run: Run, reads: Reads, limit: int
) -> None:
    run(neo4j.upsert(*wide_graph()))
    reads.clear()
    before = neo4j.stats.queries
    found = run(neo4j.search("示例", limit=limit))
    assert len(found) == limit
    assert neo4j.stats.queries - before == 1
    # one record however many candidates the full-text index gave (100 or more here)
    assert [records for _, records in reads] == [1], reads
    assert run(neo4j.search("Zzyzx")) == []
    assert [records for _, records in reads] == [1, 1], reads


@pytest.mark.neo4j
def test_search_asks_the_full_text_index_and_sorts_nothing(
    neo4j: GraphStore, run: Run, reads: Reads
) -> None:
    """The candidates come from the full-text procedure (no label or property scan) and are not
    sorted in Cypher: the store ranks them itself (``rank_names``)."""
    run(neo4j.upsert(*wide_graph()))
    reads.clear()
    run(neo4j.search("示例小区", kinds=["Compound"]))
    ((text, _),) = reads
    ops = run(_plan(neo4j, text, q="x", kinds=[], limit=100))
    assert ops["ProcedureCall"] == 1, ops
    assert not [op for op in ops if "Scan" in op or "Sort" in op or "Top" in op], ops


# --- both stores: the same answers ---------------------------------------------------------------
SEARCHES: list[tuple[str, tuple[str, ...], int]] = [
    ("云北苑", (), 20),
    ("云北苑", ("Compound",), 5),
    ("云北苑", ("PartyBranch", "OwnersCommittee"), 5),
    ("示例", (), 1),
    ("示例", (), 5),
    ("示例", (), 20),
    ("示例小区", ("Compound",), 5),
    ("示例小区1", (), 5),
    ("示例楼14", ("Building",), 20),
    ("小区 示例", (), 5),
    ("示例社区", ("Community",), 5),
    ("Sunshine", (), 5),
    ("property services", (), 5),
    ("Test Garden", (), 20),
    ("气象街", (), 5),
    ("Zzyzx", (), 5),
]


@pytest.mark.neo4j
def test_both_stores_give_the_same_search_and_counts(
    neo4j: GraphStore, run: Run, tmp_path: Any
) -> None:
    """A differential test on a graph with more full-text candidates than the index is asked
    for: the same nodes (ids, kinds, properties) in the same order from both stores, and the
    same as ranking every node (the embedded store's way); the same counts, dated or not."""
    nodes, links = wide_graph()
    embedded = EmbeddedStore(tmp_path / "graph.jsonl")
    try:
        for s in (embedded, neo4j):
            run(s.upsert(nodes, links))
        for text, kinds, limit in SEARCHES:
            want = rank_names(text, [n for n in nodes if not kinds or n.kind in kinds], limit)
            for s in (embedded, neo4j):
                got = run(s.search(text, kinds=kinds, limit=limit))
                assert [n.id for n in got] == [n.id for n in want], (type(s).__name__, text)
                assert node_rows(got) == node_rows(want), (type(s).__name__, text)
        for day in (None, dt.date(2021, 1, 1), dt.date(2022, 6, 15), dt.date(2024, 1, 1)):
            want_counts = expected_counts(nodes, links, day)
            assert plain_counts(run(embedded.counts(as_of=day))) == want_counts
            assert plain_counts(run(neo4j.counts(as_of=day))) == want_counts
            # the kinds in the same (sorted) order, zeros left out, as before
            got = run(neo4j.counts(as_of=day))
            assert list(got.nodes) == sorted(got.nodes) and all(got.nodes.values())
            assert list(got.links) == sorted(got.links) and all(got.links.values())
            assert got == run(embedded.counts(as_of=day))
    finally:
        run(embedded.close())
