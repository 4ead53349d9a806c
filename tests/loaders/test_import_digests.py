"""The importer keeps ids as 64-bit digests; a digest that repeats is confirmed on the full ids.

These tests force collisions with tiny digest functions (every id the same digest, or one of
three) and check that nothing changes: no false duplicate, no endpoint found by mistake, the
same errors with the same rows, the same rows left out and the same graph written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

import pytest

from govgraph.graph.model import link, node
from govgraph.graph.ontology import NODE_KINDS
from govgraph.graph.port import GraphStore
from govgraph.loaders.importer import DataImportError, Digest, id_digest, import_tables
from govgraph.loaders.rows import NumberedRow, RowError, SourceError, Table, numbered, table

Run = Callable[[Awaitable[Any]], Any]


def everything_collides(_text: str) -> int:
    return 0


def three_digests(text: str) -> int:
    return len(text) % 3 - 1  # -1, 0 or 1: negative digests too


DIGESTS = [id_digest, everything_collides, three_digests]


def snapshot(store: GraphStore, run: Run) -> tuple[set[Any], set[Any]]:
    """Everything a store holds, as plain comparable data."""
    nodes = {
        (n.id, n.kind, tuple(sorted(n.props.items())))
        for kind in NODE_KINDS
        for n in run(store.list_nodes(kind, first=10_000)).items
    }
    links = {(lk.id, tuple(sorted(lk.props.items()))) for lk in run(store.list_links())}
    return nodes, links


def many_tables() -> list[Table]:
    """Distinct ids only, many of them: 40 buildings in two sheets, and their links."""
    return [
        table([{"id": "cmp-1", "name": "测试小区1"}], "Compound", file="a.xlsx", sheet="Compound"),
        table(
            [{"id": f"bld-{i}", "name": f"{i}号楼"} for i in range(20)],
            "Building",
            file="a.xlsx",
            sheet="Building",
        ),
        table(
            [{"id": f"bld-{i}", "name": f"{i}号楼"} for i in range(20, 40)],
            "Building",
            file="b.xlsx",
            sheet="Building",
        ),
        table(
            [{"source_id": f"bld-{i}", "target_id": "cmp-1"} for i in range(40)],
            "PART_OF",
            file="b.xlsx",
            sheet="PART_OF",
        ),
        table(  # the same tie twice, told apart by a key: two links, not a duplicate
            [
                {"source_id": "p-1", "target_id": "oc-stored", "role": "committee_member", "key": k}
                for k in ("2020", "2024")
            ],
            "HOLDS_POST",
            file="b.xlsx",
            sheet="HOLDS_POST",
        ),
        table([{"id": "p-1", "name": "测试人员1"}], "Person", file="b.xlsx", sheet="Person"),
    ]


@pytest.mark.parametrize("digest", DIGESTS)
def test_colliding_digests_give_no_false_duplicate(
    store: GraphStore, run: Run, digest: Digest
) -> None:
    run(store.upsert([node("OwnersCommittee", "oc-stored", name="测试业委会")]))
    report = run(import_tables(store, many_tables(), digest=digest, batch_size=30))
    assert report.ok, [str(e) for e in report.errors]
    assert (report.rows_read, report.nodes_written, report.links_written) == (84, 42, 42)
    assert report.batches == 4  # nodes, then links, 30 at a time
    nodes, links = snapshot(store, run)
    assert len(nodes) == 43 and len(links) == 42
    assert ("p-1|HOLDS_POST|oc-stored|2024", (("role", "committee_member"),)) in links


def mistaken_tables(broken: bool = False) -> list[Table]:
    """Real duplicates (nodes across sheets, links within and across sheets), an unknown end
    whose digest may collide with a real node, and, if ``broken``, a sheet that breaks on its
    fourth row after a duplicate and a new id."""
    tables = [
        table(
            [{"id": "cmp-1", "name": "测试小区1"}, {"id": "cmp-2", "name": "测试小区2"}],
            "Compound",
            file="a.xlsx",
            sheet="Compound",
        ),
        table(
            [{"id": "bld-1", "name": "1号楼"}, {"id": "bld-2", "name": "2号楼"}],
            "Building",
            file="a.xlsx",
            sheet="Building",
        ),
        table(
            [
                {"id": "bld-3", "name": "3号楼"},
                {"id": "bld-1", "name": "又一个1号楼"},  # a duplicate of a.xlsx:Building:2
                {"id": "bld-4", "name": "4号楼"},
            ],
            "Building",
            file="b.xlsx",
            sheet="Building",
        ),
        table(
            [
                {"source_id": "bld-1", "target_id": "cmp-1"},
                {"source_id": "bld-2", "target_id": "cmp-1"},
                {"source_id": "bld-1", "target_id": "cmp-1"},  # a duplicate of row 2
                {"source_id": "bld-9", "target_id": "cmp-2"},  # no such building
                {"source_id": "bld-3", "target_id": "cmp-3"},  # no such compound
            ],
            "PART_OF",
            file="a.xlsx",
            sheet="PART_OF",
        ),
        table(
            [
                {"source_id": "bld-2", "target_id": "cmp-1"},  # a duplicate of a.xlsx row 3
                {"source_id": "bld-4", "target_id": "cmp-2"},
                {"source_id": "cmp-2", "target_id": "bld-4"},  # the ends the wrong way round
            ],
            "PART_OF",
            file="b.xlsx",
            sheet="PART_OF",
        ),
    ]
    if broken:
        tables.append(
            Table("c.xlsx", "Building", "Building", breaking_rows, spreadsheet=True),
        )
    return tables


def breaking_rows() -> Iterator[NumberedRow]:
    yield from numbered([{"id": "bld-2", "name": "重复"}, {"id": "bld-5", "name": "5号楼"}])
    raise SourceError(RowError("c.xlsx", "Building", 4, "", None, "a readable worksheet"))


def outcome(
    store: GraphStore, run: Run, tables: list[Table], digest: Digest
) -> tuple[list[RowError], int, tuple[set[Any], set[Any]]]:
    run(store.clear())
    report = run(import_tables(store, tables, digest=digest, skip_invalid=True, batch_size=3))
    return report.errors, report.rows_rejected, snapshot(store, run)


@pytest.mark.parametrize("broken", [False, True])
def test_real_duplicates_are_reported_with_their_rows_whatever_the_digest(
    store: GraphStore, run: Run, broken: bool
) -> None:
    errors, rejected, graph = outcome(store, run, mistaken_tables(broken), id_digest)
    where = [(e.file, e.sheet, e.row, e.column) for e in errors]
    # bld-2 is also in the broken sheet: links to it are left out
    assert where == [
        *([("a.xlsx", "PART_OF", 3, "source_id")] if broken else []),
        ("a.xlsx", "PART_OF", 4, "target_id"),  # the same tie as row 2
        ("a.xlsx", "PART_OF", 5, "source_id"),
        ("a.xlsx", "PART_OF", 6, "target_id"),
        ("b.xlsx", "Building", 3, "id"),
        ("b.xlsx", "PART_OF", 2, "target_id"),
        *([("b.xlsx", "PART_OF", 2, "source_id")] if broken else []),
        ("b.xlsx", "PART_OF", 4, "target_id"),
        *([("c.xlsx", "Building", 2, "id"), ("c.xlsx", "Building", 4, "")] if broken else []),
    ]
    text = {w: str(e) for w, e in zip(where, errors, strict=False)}
    tie = text["a.xlsx", "PART_OF", 4, "target_id"]
    assert "(row a.xlsx:PART_OF:2 gives 'bld-1|PART_OF|cmp-1')" in tie
    assert "(row a.xlsx:Building:2 has it)" in text["b.xlsx", "Building", 3, "id"]
    assert "(row a.xlsx:PART_OF:3 gives" in text["b.xlsx", "PART_OF", 2, "target_id"]
    assert text["a.xlsx", "PART_OF", 5, "source_id"].endswith(
        "'bld-9' — expected the id of a node in this import or already stored"
    )
    assert "Compound cmp-2 -> Building bld-4" in text["b.xlsx", "PART_OF", 4, "target_id"]
    if broken:
        assert "(row a.xlsx:Building:3 has it)" in text["c.xlsx", "Building", 2, "id"]
    assert rejected == (9 if broken else 6)
    nodes, links = graph
    # the first row of each duplicate is the one written
    assert {n[0] for n in nodes} == {"cmp-1", "cmp-2", "bld-1", "bld-2", "bld-3", "bld-4"}
    assert ("bld-1", "Building", (("name", "1号楼"),)) in nodes
    assert {lk[0] for lk in links} == {"bld-1|PART_OF|cmp-1", "bld-4|PART_OF|cmp-2"} | (
        set() if broken else {"bld-2|PART_OF|cmp-1"}
    )

    for digest in (everything_collides, three_digests):
        assert outcome(store, run, mistaken_tables(broken), digest) == (errors, rejected, graph)


def test_an_unknown_end_is_an_error_even_when_its_digest_is_a_nodes(
    store: GraphStore, run: Run
) -> None:
    tables = [
        table([{"id": "cmp-1", "name": "测试小区1"}], "Compound"),
        table([{"source_id": "bld-1", "target_id": "cmp-1"}], "PART_OF"),
        table([{"id": "cmp-2", "name": "测试小区2", "built_year": "x"}], "Compound"),
    ]
    with pytest.raises(DataImportError) as caught:
        run(import_tables(store, tables, digest=everything_collides))
    assert [(e.row, e.column, e.value) for e in caught.value.errors] == [
        (2, "built_year", "x"),  # one file name for all three tables: the first pass first
        (2, "source_id", "bld-1"),
    ]
    assert snapshot(store, run) == (set(), set())


def counted(tables: Iterable[Table]) -> tuple[list[Table], Counter[str]]:
    """The same tables, counting how often each is read from the start."""
    opened: Counter[str] = Counter()

    def opener(t: Table) -> Callable[[], Iterable[NumberedRow]]:
        def open_() -> Iterable[NumberedRow]:
            opened[t.label] += 1
            return t.open()

        return open_

    return [
        Table(t.file, t.sheet, t.kind, opener(t), t.header_row, t.spreadsheet) for t in tables
    ], opened


def test_only_link_tables_holding_a_repeated_digest_are_read_again(
    store: GraphStore, run: Run
) -> None:
    # nothing kept between the passes, so every pass reads: the first pass, the endpoint pass,
    # the count of the write pass for the node tables and the write pass
    stored = node("OwnersCommittee", "oc-stored", name="测试业委会")
    run(store.upsert([stored]))
    tables, opened = counted(many_tables())
    run(import_tables(store, tables, keep_rows=0, batch_size=1000))
    plain = dict(opened)
    assert plain["b.xlsx:PART_OF"] == 3

    run(store.clear())
    run(store.upsert([stored]))
    tables, opened = counted(many_tables())
    run(import_tables(store, tables, keep_rows=0, batch_size=1000, digest=three_digests))
    # link ids collide: both link sheets are read once more to compare their ids; node ids are
    # compared in memory, so no node sheet is
    assert dict(opened) == plain | {"b.xlsx:PART_OF": 4, "b.xlsx:HOLDS_POST": 4}


def test_the_digest_of_an_id_fits_64_bits() -> None:
    # the digests live in arrays of signed 64-bit numbers
    for text in ("", "bld-1", "云北苑小区" * 50, "x" * 10_000):
        assert -(2**63) <= id_digest(text) < 2**63
    assert id_digest("bld-1") == id_digest("".join(["bld", "-1"]))
    assert link("PART_OF", "bld-1", "cmp-1").id == "bld-1|PART_OF|cmp-1"
