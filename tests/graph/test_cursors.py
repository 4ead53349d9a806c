"""Cursors: :func:`encode_cursor` writes strings, nulls and whole numbers itself (the cost of
a cursor per listed node); its text must stay what ``json.dumps`` wrote, byte for byte, so that
cursors handed out before still continue a list and both stores keep giving equal cursors."""

from __future__ import annotations

import base64
import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from govgraph.graph.query import Cursors, SortKey, decode_cursor, encode_cursor


def reference(values: list[object]) -> str:
    """The cursor as it was written before: one ``json.dumps`` of the list."""
    plain = [{"d": v.isoformat()} if isinstance(v, dt.date) else v for v in values]
    raw = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


VALUES = st.one_of(
    st.text(),  # quotes, backslashes, control characters, Chinese, U+2028 ...
    st.none(),
    st.booleans(),  # a bool is an int to Python, not to JSON
    st.integers(),
    st.floats(),  # nan and infinities included
    st.dates(),
)


@given(st.lists(VALUES, max_size=4))
def test_a_cursor_is_the_json_it_always_was(values: list[object]) -> None:
    assert encode_cursor(values) == reference(values)  # type: ignore[arg-type]


def test_cursors_of_the_usual_sorts() -> None:
    samples: list[list[object]] = [
        ["cmp-00002"],
        ["合成翠林家园00003", "cmp-1"],
        [1998, None, "x"],
        [True, 1.5, False],
        ['a"b\\c\n\x00\x7f\u2028'],
        [dt.date(2020, 1, 2), 3],
        [10**30, -5, 0],
    ]
    for values in samples:
        assert encode_cursor(values) == reference(values)  # type: ignore[arg-type]


def test_a_cursor_reads_back() -> None:
    keys = (SortKey("built_year", descending=True), SortKey("name"), SortKey("id"))
    values = [1998, '示例"小区\\', "cmp-1"]
    assert decode_cursor(encode_cursor(values), keys, "Compound") == values


@given(st.lists(st.lists(VALUES, max_size=3), max_size=5))
def test_a_pages_cursors_are_each_items_encoded_when_read(rows: list[list[object]]) -> None:
    cursors = Cursors(rows)  # type: ignore[arg-type]
    assert len(cursors) == len(rows)
    assert list(cursors) == [encode_cursor(r) for r in rows]  # type: ignore[arg-type]
    assert cursors == [encode_cursor(r) for r in rows] and cursors == Cursors(rows)  # type: ignore[arg-type]
    assert cursors.last() == (encode_cursor(rows[-1]) if rows else None)  # type: ignore[arg-type]
    assert cursors[1:] == list(cursors)[1:] and cursors[::-1] == list(cursors)[::-1]
