"""The embedded store sorts a list page with one key sort per sort key (``_sort_rows``); the
order must be the one its row comparison (``_compare_values``, also used for cursors) defines:
nulls last in either direction, ties left to the next key."""

from __future__ import annotations

import functools
import random

import pytest

from govgraph.graph.embedded import _compare_values, _sort_rows
from govgraph.graph.model import Node, Value
from govgraph.graph.query import SortKey

#: a list page's row in the embedded store: the sort values and the node
Row = tuple[list[Value | None], Node]


@pytest.mark.parametrize("seed", range(40))
def test_key_sorts_order_rows_as_the_comparison_does(seed: int) -> None:
    rnd = random.Random(seed)
    keys = [SortKey(f"k{i}", descending=rnd.random() < 0.5) for i in range(rnd.randint(1, 3))]
    keys.append(SortKey("id", descending=rnd.random() < 0.5))
    pools: list[list[Value | None]] = [
        [None, 1, 2, 2.5, 3],
        [None, "a", "b", "云北苑", "示例"],
        [None, True, False],
    ]
    typed = [rnd.choice(pools) for _ in keys[:-1]]  # one property type per key
    rows: list[Row] = []
    for n in range(rnd.randint(0, 60)):
        values = [rnd.choice(pool) for pool in typed]
        rows.append(([*values, f"n{n:03d}"], Node(f"n{n:03d}", "Compound", {})))

    def compare(a: Row, b: Row) -> int:
        return _compare_values(keys, a[0], b[0])

    expected = sorted(rows, key=functools.cmp_to_key(compare))
    rnd.shuffle(rows)
    got = list(rows)
    _sort_rows(keys, got)
    assert [n.id for _, n in got] == [n.id for _, n in expected]
