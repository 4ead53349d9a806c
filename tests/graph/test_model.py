"""Unit tests of the records (model.py) and the request checks (query.py); no store needed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from builders import city_graph
from hypothesis import given
from hypothesis import strategies as st

from govgraph.graph.errors import (
    ConflictError,
    GovGraphError,
    NotFoundError,
    Problem,
    ValidationError,
)
from govgraph.graph.model import (
    ID_EXPECTED,
    Link,
    Node,
    coerce,
    link,
    link_id,
    link_kind,
    node,
    node_kind,
    parse_link_id,
    valid_on,
    validate_batch,
)
from govgraph.graph.ontology import LINK_KINDS, NODE_KINDS, Prop, PropType
from govgraph.graph.query import (
    MAX_PAGE,
    And,
    Cmp,
    Direction,
    HasLink,
    Not,
    Op,
    Or,
    SortKey,
    check_filter,
    check_page_size,
    check_sort,
    decode_cursor,
    encode_cursor,
)

D = dt.date


def problems_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str, Any]]:
    return {(p.field, p.value) for p in exc.value.problems}


# --- node(): coercion ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prop", "given_", "stored"),
    [
        ("is_old", "yes", True),
        ("is_old", "Yes ", True),
        ("is_old", "是", True),
        ("is_old", "true", True),
        ("is_old", "1", True),
        ("is_old", "no", False),
        ("is_old", "否", False),
        ("is_old", "FALSE", False),
        ("is_old", False, False),
        ("built_year", "1998", 1998),
        ("built_year", " 12 ", 12),
        ("built_year", "-3", -3),
        ("built_year", 1998.0, 1998),
        ("households", 420, 420),
        ("investment_yuan", "1850000", 1_850_000.0),
        ("investment_yuan", 12, 12.0),
        ("delivered_area_ratio", "0.85", 0.85),
        ("name", "云北苑小区", "云北苑小区"),
    ],
)
def test_node_coerces_loose_values(prop: str, given_: Any, stored: Any) -> None:
    n = node("Compound", "cmp-1", **{prop: given_})
    assert n.props == {prop: stored}
    assert type(n.props[prop]) is type(stored)


@pytest.mark.parametrize(
    "given_",
    ["2021-03-01", " 2021-03-01 ", D(2021, 3, 1), dt.datetime(2021, 3, 1, 8, 30)],
    ids=str,
)
def test_node_coerces_dates(given_: Any) -> None:
    n = node("PartyBranch", "b1", elected_on=given_)
    assert n.props["elected_on"] == D(2021, 3, 1)
    assert type(n.props["elected_on"]) is dt.date


def test_empty_and_none_values_are_absent() -> None:
    n = node("Compound", "cmp-1", name="云北苑小区", households=None, built_year="")
    assert n.props == {"name": "云北苑小区"}


def test_node_keeps_id_kind_and_name() -> None:
    n = node("Compound", "小区-1", name="云北苑小区", source="China City News")
    assert (n.id, n.kind, n.name) == ("小区-1", "Compound", "云北苑小区")
    assert n.props["source"] == "China City News"  # the shared provenance property
    assert node("Building", "b1").name is None


# --- node(): errors name the field, the value and what was expected ------------------------------
@pytest.mark.parametrize(
    ("kind", "props", "field", "value", "expected"),
    [
        ("Compound", {"households": "many"}, "households", "many", "a whole number"),
        ("Compound", {"households": "1.5"}, "households", "1.5", "a whole number"),
        ("Compound", {"households": True}, "households", True, "a whole number"),
        ("Compound", {"built_year": 1998.5}, "built_year", 1998.5, "a whole number"),
        ("Compound", {"is_old": "maybe"}, "is_old", "maybe", "true or false"),
        ("Compound", {"is_old": 2}, "is_old", 2, "true or false"),
        ("Compound", {"investment_yuan": "lots"}, "investment_yuan", "lots", "a number"),
        ("Compound", {"investment_yuan": False}, "investment_yuan", False, "a number"),
        ("Compound", {"name": 12}, "name", 12, "text"),
        ("PartyBranch", {"elected_on": "March 2021"}, "elected_on", "March 2021", "YYYY-MM-DD"),
        ("PartyBranch", {"elected_on": "2021-02-30"}, "elected_on", "2021-02-30", "YYYY-MM-DD"),
        ("PartyBranch", {"form": "big"}, "form", "big", "one of standalone, joint, combined"),
        ("Compound", {"colour": "red"}, "colour", "red", "households"),
        ("Meeting", {"meeting_type": "hearing"}, "date", None, "required"),
        ("Meeting", {"date": "2024-01-01"}, "meeting_type", None, "required"),
        ("ServiceStation", {"name": "示例服务站"}, "station_type", None, "required"),
        ("Evaluation", {"grade": "A"}, "year", None, "a value (int, required)"),
    ],
)
def test_node_errors(
    kind: str, props: dict[str, Any], field: str, value: Any, expected: str
) -> None:
    with pytest.raises(ValidationError) as info:
        node(kind, "x1", **props)
    matching = [p for p in info.value.problems if p.field == field]
    assert matching, info.value.problems
    assert matching[0].value == value
    assert expected in matching[0].expected
    message = str(info.value)
    assert repr(field) in message
    assert repr(value) in message
    assert expected in message
    assert "'x1'" in message  # which record


def test_unknown_node_kind() -> None:
    with pytest.raises(ValidationError) as info:
        node("Estate", "e1")
    assert problems_of(info) == {("kind", "Estate")}
    assert "Compound" in info.value.problems[0].expected
    with pytest.raises(ValidationError) as info:
        node_kind("Estate")
    assert "'Estate'" in str(info.value)
    assert node_kind("Compound").label_zh == "小区"


@pytest.mark.parametrize("bad_id", ["", "has space", "a|b", "tab\there", "x" * 201])
def test_bad_node_ids(bad_id: str) -> None:
    with pytest.raises(ValidationError) as info:
        node("Building", bad_id)
    assert ("id", bad_id) in problems_of(info)
    assert info.value.problems[0].expected == ID_EXPECTED


def test_long_and_chinese_ids_are_fine() -> None:
    assert node("Building", "x" * 200).id == "x" * 200
    assert node("Building", "云北苑-1号楼").id == "云北苑-1号楼"


def test_every_problem_is_listed() -> None:
    with pytest.raises(ValidationError) as info:
        node("Compound", "cmp 1", households="many", built_year="old", colour="red")
    assert problems_of(info) == {
        ("id", "cmp 1"),
        ("households", "many"),
        ("built_year", "old"),
        ("colour", "red"),
    }
    assert str(info.value).startswith("4 invalid value(s):")


def test_single_problem_message() -> None:
    with pytest.raises(ValidationError) as info:
        node("Compound", "cmp-1", households="many")
    assert str(info.value) == (
        "invalid value:\n  Compound 'cmp-1': field 'households' = 'many'; expected a whole number"
    )


# --- link() --------------------------------------------------------------------------------------
def test_link_coerces_and_derives_its_id() -> None:
    lk = link("HOLDS_POST", "p1", "b1", role="secretary", since="2021-03-01", until="2026-02-28")
    assert lk.id == "p1|HOLDS_POST|b1"
    assert lk.props == {"role": "secretary", "since": D(2021, 3, 1), "until": D(2026, 2, 28)}
    assert (lk.since, lk.until) == (D(2021, 3, 1), D(2026, 2, 28))
    keyed = link("HOLDS_POST", "p1", "b1", key="2023", role="secretary")
    assert keyed.id == "p1|HOLDS_POST|b1|2023"
    assert keyed.since is None
    assert keyed.until is None


def test_link_takes_the_shared_source_property() -> None:
    """Every link may carry ``source`` (provenance); link() must be able to set it."""
    lk = link("HOLDS_POST", "p1", "b1", source="台账", role="secretary")
    assert lk.props == {"source": "台账", "role": "secretary"}
    assert (lk.source, lk.target) == ("p1", "b1")


def test_link_until_on_since_is_fine() -> None:
    lk = link("COVERS", "b1", "c1", since="2021-03-01", until="2021-03-01")
    assert lk.valid_on(D(2021, 3, 1))


@pytest.mark.parametrize(
    ("kind", "props", "field", "value", "expected"),
    [
        (
            "COVERS",
            {"since": "2022-01-01", "until": "2021-12-31"},
            "until",
            D(2021, 12, 31),
            "on or after since (2022-01-01)",
        ),
        ("HOLDS_POST", {}, "role", None, "required"),
        ("HOLDS_POST", {"role": "boss"}, "role", "boss", "one of secretary"),
        (
            "MEMBER_OF",
            {"status": "full", "category": "sleeping"},
            "category",
            "sleeping",
            "in_service",
        ),
        ("MEMBER_OF", {}, "status", None, "required"),
        ("COVERS", {"since": "soon"}, "since", "soon", "YYYY-MM-DD"),
        ("HELD_BY", {"since": "2021-01-01"}, "since", "2021-01-01", "one of the properties"),
        ("PART_OF", {"role": "x"}, "role", "x", "since"),
    ],
)
def test_link_errors(
    kind: str, props: dict[str, Any], field: str, value: Any, expected: str
) -> None:
    with pytest.raises(ValidationError) as info:
        link(kind, "a1", "b1", **props)
    matching = [p for p in info.value.problems if p.field == field]
    assert matching, info.value.problems
    assert matching[0].value == value
    assert expected in matching[0].expected
    message = str(info.value)
    assert repr(field) in message
    assert expected in message
    assert "'a1'->'b1'" in message


def test_unknown_link_kind() -> None:
    with pytest.raises(ValidationError) as info:
        link("FRIEND_OF", "a", "b")
    assert problems_of(info) == {("kind", "FRIEND_OF")}
    assert "HOLDS_POST" in info.value.problems[0].expected
    with pytest.raises(ValidationError):
        link_kind("FRIEND_OF")
    assert link_kind("COVERS").allows("PartyBranch", "Compound")
    assert not link_kind("COVERS").allows("Compound", "PartyBranch")


@pytest.mark.parametrize(
    ("source", "target", "key", "field"),
    [("a b", "c", "", "source"), ("a", "c|d", "", "target"), ("a", "c", "k k", "key")],
)
def test_bad_link_ids(source: str, target: str, key: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        link("PART_OF", source, target, key=key)
    assert field in {p.field for p in info.value.problems}


# --- link ids ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "kind", "target", "key"),
    [
        ("p1", "HOLDS_POST", "b1", ""),
        ("p1", "HOLDS_POST", "b1", "2023"),
        ("小区-1", "PART_OF", "社区", ""),
    ],
)
def test_link_id_round_trip(source: str, kind: str, target: str, key: str) -> None:
    value = link_id(source, kind, target, key)
    assert parse_link_id(value) == (source, kind, target, key)
    assert Link(kind, source, target, {}, key).id == value


@pytest.mark.parametrize("bad", ["", "a", "a|b", "a|FRIEND_OF|b", "a|PART_OF|b|k|x", "a|part_of|b"])
def test_parse_link_id_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_link_id(bad)
    assert problems_of(info) == {("id", bad)}
    assert "source|KIND|target" in str(info.value)


# --- temporal validity ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("since", "until", "day", "holds"),
    [
        (None, None, None, True),
        (None, None, D(2000, 1, 1), True),
        (D(2021, 3, 1), None, D(2021, 3, 1), True),  # since is inclusive
        (D(2021, 3, 1), None, D(2021, 2, 28), False),
        (None, D(2022, 12, 31), D(2022, 12, 31), True),  # until is inclusive
        (None, D(2022, 12, 31), D(2023, 1, 1), False),
        (D(2021, 3, 1), D(2022, 12, 31), D(2022, 1, 1), True),
        (D(2021, 3, 1), D(2022, 12, 31), None, True),  # no day: always
    ],
)
def test_valid_on(
    since: dt.date | None, until: dt.date | None, day: dt.date | None, holds: bool
) -> None:
    assert valid_on(since, until, day) is holds
    props = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
    assert Link("COVERS", "b", "c", props).valid_on(day) is holds


# --- validate_batch ------------------------------------------------------------------------------
def test_validate_batch_accepts_the_city_graph() -> None:
    nodes, links = city_graph()
    clean_nodes, clean_links = validate_batch(nodes, links, {})
    assert clean_nodes == nodes
    assert clean_links == links


def test_validate_batch_coerces_directly_built_records() -> None:
    clean_nodes, clean_links = validate_batch(
        [Node("c1", "Compound", {"households": "12"}), Node("m1", "Community", {})],
        [Link("PART_OF", "c1", "m1", {"since": "2021-03-01"})],
        {},
    )
    assert clean_nodes[0].props == {"households": 12}
    assert clean_links[0].props == {"since": D(2021, 3, 1)}


def test_validate_batch_uses_stored_kinds_for_endpoints() -> None:
    stored = {"c1": "Compound", "p1": "Person"}
    _, links = validate_batch(
        [], [link("HOLDS_POST", "p1", "b1", role="secretary")], {**stored, "b1": "PartyBranch"}
    )
    assert len(links) == 1
    with pytest.raises(ValidationError) as info:
        validate_batch([], [Link("HOLDS_POST", "c1", "p1", {"role": "secretary"})], stored)
    assert problems_of(info) == {("endpoints", "Compound->Person")}
    assert "Person->PartyBranch" in str(info.value)


def test_validate_batch_reports_missing_endpoints() -> None:
    with pytest.raises(ValidationError) as info:
        validate_batch([], [link("PART_OF", "c1", "ghost")], {"c1": "Compound"})
    assert problems_of(info) == {("endpoint", "ghost")}


def test_validate_batch_rejects_an_id_twice() -> None:
    with pytest.raises(ValidationError) as info:
        validate_batch([node("Building", "b1"), node("Building", "b1", name="x")], [], {})
    assert problems_of(info) == {("id", "b1")}
    assert "once per batch" in str(info.value)


def test_validate_batch_kind_clash_is_a_conflict() -> None:
    with pytest.raises(ConflictError) as info:
        validate_batch([node("PartyBranch", "c1")], [], {"c1": "Compound"})
    message = str(info.value)
    assert "'c1'" in message
    assert "Compound" in message
    assert "PartyBranch" in message
    # the same kind again is an update, not a clash
    assert validate_batch([node("Compound", "c1")], [], {"c1": "Compound"})[0]


# --- errors --------------------------------------------------------------------------------------
def test_error_hierarchy() -> None:
    for cls in (ValidationError, NotFoundError, ConflictError):
        assert issubclass(cls, GovGraphError)
    assert issubclass(ValidationError, ValueError)
    assert issubclass(NotFoundError, LookupError)


def test_problem_and_not_found_messages() -> None:
    p = Problem("Compound 'c1'", "households", "many", "a whole number")
    assert str(p) == "Compound 'c1': field 'households' = 'many'; expected a whole number"
    assert ValidationError(p).problems == [p]
    err = NotFoundError("node", [f"n{i}" for i in range(12)])
    assert err.ids == [f"n{i}" for i in range(12)]
    assert str(err).startswith("node not found: n0, n1")
    assert str(err).endswith("...")
    assert "n10" not in str(err)


def test_coerce_directly() -> None:
    assert coerce(Prop("x", PropType.INT), "7") == 7
    assert coerce(Prop("x", PropType.FLOAT), "7.5") == 7.5
    assert coerce(Prop("x", PropType.DATE), "2021-03-01") == D(2021, 3, 1)
    with pytest.raises(ValueError, match="a whole number"):
        coerce(Prop("x", PropType.INT), "7.5")
    with pytest.raises(ValueError, match="a number"):
        coerce(Prop("x", PropType.FLOAT), "seven")


# --- ontology sanity -----------------------------------------------------------------------------
def test_link_endpoints_are_known_node_kinds() -> None:
    for lk in LINK_KINDS.values():
        for source, target in lk.endpoints:
            assert source in NODE_KINDS, (lk.name, source)
            assert target in NODE_KINDS, (lk.name, target)


# --- query: filters ------------------------------------------------------------------------------
def test_check_filter_coerces_values() -> None:
    assert check_filter("Compound", Cmp("built_year", Op.GT, "2000")) == Cmp(
        "built_year", Op.GT, 2000
    )
    assert check_filter("Compound", Cmp("built_year", Op.IN, ("1998", 2005))) == Cmp(
        "built_year", Op.IN, (1998, 2005)
    )
    assert check_filter("Compound", Cmp("built_year", Op.IN, "1998")) == Cmp(
        "built_year", Op.IN, (1998,)
    )
    assert check_filter("PartyBranch", Cmp("elected_on", Op.LTE, "2021-03-01")) == Cmp(
        "elected_on", Op.LTE, D(2021, 3, 1)
    )
    assert check_filter("Compound", Cmp("is_old", Op.EQ, "yes")) == Cmp("is_old", Op.EQ, True)
    assert check_filter("Compound", Cmp("built_year", Op.IS_NULL, 1)) == Cmp(
        "built_year", Op.IS_NULL, True
    )
    assert check_filter("Compound", Cmp("id", Op.STARTS_WITH, "cmp-")) == Cmp(
        "id", Op.STARTS_WITH, "cmp-"
    )
    assert check_filter("Compound", None) is None


def test_check_filter_walks_the_tree() -> None:
    f = And(
        (
            Or((Cmp("households", Op.GT, "10"), Not(Cmp("built_year", Op.LT, "2000")))),
            HasLink("COVERS", Direction.IN, exists=False, neighbour_kind="PartyBranch"),
        )
    )
    assert check_filter("Compound", f) == And(
        (
            Or((Cmp("households", Op.GT, 10), Not(Cmp("built_year", Op.LT, 2000)))),
            HasLink("COVERS", Direction.IN, exists=False, neighbour_kind="PartyBranch"),
        )
    )


@pytest.mark.parametrize(
    ("kind", "f", "field"),
    [
        ("Compound", Cmp("colour", Op.EQ, "red"), "field"),
        ("Compound", Cmp("form", Op.EQ, "joint"), "field"),  # a PartyBranch property
        ("Compound", Cmp("households", Op.CONTAINS, 1), "op"),
        ("Compound", Cmp("households", Op.STARTS_WITH, "1"), "op"),
        ("PartyBranch", Cmp("elected_on", Op.CONTAINS, "2021"), "op"),
        ("Compound", Cmp("is_old", Op.CONTAINS, True), "op"),
        ("Compound", Cmp("built_year", Op.GT, "old"), "value"),
        ("Compound", Cmp("built_year", Op.IN, ("1998", "old")), "value"),
        ("Compound", Not(And((Cmp("id", Op.EQ, "x"), Cmp("colour", Op.EQ, "red")))), "field"),
        ("Compound", HasLink("FRIEND_OF"), "kind"),
        ("Compound", HasLink("COVERS", neighbour_kind="Estate"), "kind"),
        ("Estate", Cmp("name", Op.EQ, "x"), "kind"),
    ],
)
def test_check_filter_rejects(kind: str, f: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_filter(kind, f)
    assert {p.field for p in info.value.problems} == {field}


def test_unknown_filter_field_names_the_allowed_ones() -> None:
    with pytest.raises(ValidationError) as info:
        check_filter("Compound", Cmp("colour", Op.EQ, "red"))
    message = str(info.value)
    assert "'colour'" in message
    assert "households" in message
    assert "id" in message


# --- query: sort and page size -------------------------------------------------------------------
def test_check_sort_appends_id() -> None:
    assert check_sort("Compound", []) == [SortKey("id")]
    assert check_sort("Compound", [SortKey("built_year", True)]) == [
        SortKey("built_year", True),
        SortKey("id"),
    ]
    assert check_sort("Compound", [SortKey("name"), SortKey("households", True)]) == [
        SortKey("name"),
        SortKey("households", True),
        SortKey("id"),
    ]


def test_check_sort_keeps_id_direction_and_puts_it_last() -> None:
    assert check_sort("Compound", [SortKey("id", True)]) == [SortKey("id", True)]
    assert check_sort("Compound", [SortKey("id", True), SortKey("name")]) == [
        SortKey("name"),
        SortKey("id", True),
    ]


def test_check_sort_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError) as info:
        check_sort("Compound", [SortKey("colour")])
    assert problems_of(info) == {("field", "colour")}


@pytest.mark.parametrize(
    ("first", "ok"), [(1, True), (MAX_PAGE, True), (0, False), (-1, False), (MAX_PAGE + 1, False)]
)
def test_check_page_size(first: int, ok: bool) -> None:
    if ok:
        assert check_page_size(first) == first
    else:
        with pytest.raises(ValidationError) as info:
            check_page_size(first)
        assert problems_of(info) == {("first", first)}


# --- query: cursors ------------------------------------------------------------------------------
def test_cursor_round_trip_with_dates() -> None:
    keys = [SortKey("elected_on", True), SortKey("name"), SortKey("term_years"), SortKey("id")]
    values: list[Any] = [D(2021, 3, 1), "云北苑小区党支部", None, "branch-1"]
    cursor = encode_cursor(values)
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    decoded = decode_cursor(cursor, keys, "PartyBranch")
    assert decoded == values
    assert type(decoded[0]) is dt.date


SORTABLE = {
    "name": st.text(max_size=12),
    "built_year": st.integers(-(2**53), 2**53),
    "is_old": st.booleans(),
    "investment_yuan": st.floats(allow_nan=False, allow_infinity=False),
    "id": st.text(min_size=1, max_size=12),
}


@given(
    st.lists(
        st.one_of(*(st.tuples(st.just(f), st.none() | values) for f, values in SORTABLE.items())),
        min_size=1,
        max_size=5,
    )
)
def test_cursor_round_trip_property(pairs: list[tuple[str, Any]]) -> None:
    keys = [SortKey(f) for f, _ in pairs]
    values = [v for _, v in pairs]
    decoded = decode_cursor(encode_cursor(values), keys, "Compound")
    assert decoded == values
    assert [type(v) for v in decoded] == [type(v) for v in values]


@given(st.dates(), st.dates())
def test_cursor_round_trip_dates_property(a: dt.date, b: dt.date) -> None:
    keys = [SortKey("elected_on"), SortKey("filed_on"), SortKey("id")]
    assert decode_cursor(encode_cursor([a, b, "oc-1"]), keys, "OwnersCommittee") == [a, b, "oc-1"]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor!",
        "%%%",
        encode_cursor(["only-one"]),
        encode_cursor([1998, "c1", "extra"]),
        encode_cursor(["long ago", "c1"]),
        encode_cursor([True, "c1"]),  # a bool is not a year
        encode_cursor([1998, 5]),  # ids are text
        "eyJhIjoxfQ",  # base64 of {"a":1}
        "bnVsbA",  # base64 of null
        "__8",  # not UTF-8
    ],
)
def test_decode_cursor_rejects_garbage(cursor: str) -> None:
    with pytest.raises(ValidationError) as info:
        decode_cursor(cursor, [SortKey("built_year"), SortKey("id")], "Compound")
    assert problems_of(info) == {("after", cursor)}
