"""``counts`` and ``search`` through GraphQL: one store round trip each, on both stores, for every
role allowed to ask (see ``tests/graph/test_store_search_counts.py`` for the statements and the
records behind them). The Neo4j store sent two statements for ``counts`` before."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Gql

COUNTS = """query ($day: Date) { counts(asOf: $day) {
  nodes { kind count } links { kind count } } }"""
SEARCH = """query ($text: String!, $first: Int) {
  search(text: $text, first: $first) { __typename id ... on Compound { name } } }"""


@pytest.mark.parametrize("role", ["public", "researcher", "department"])
@pytest.mark.parametrize("day", [None, "2022-01-01"])
def test_counts_is_one_store_round_trip(seeded: Gql, role: str, day: str | None) -> None:
    before = dict(seeded.stats.by_operation)
    body = seeded.as_role(role, COUNTS, {"day": day})
    assert not body.get("errors"), body
    after = seeded.stats.by_operation
    spent = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    assert spent == {"counts": 1}


@pytest.mark.parametrize("role", ["researcher", "department"])
def test_search_is_one_store_round_trip(seeded: Gql, role: str) -> None:
    for text, first in (("云北苑", 20), ("示例", 1), ("不存在的名称", 5)):
        before = dict(seeded.stats.by_operation)
        body = seeded.as_role(role, SEARCH, {"text": text, "first": first})
        assert not body.get("errors"), body
        after = seeded.stats.by_operation
        spent = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
        assert spent == {"search": 1}, (text, spent)
