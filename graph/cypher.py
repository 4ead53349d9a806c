"""Every Cypher statement the Neo4j store runs, in one place.

User values always travel as parameters. The only text ever spliced into a statement is a label,
relationship type or property name, and only after it has been checked against the ontology
(:func:`label` and :func:`prop` refuse anything else), so no user input can change a query.

Storage layout: every node has the label ``Entity`` plus its kind as a second label, and the
properties ``id`` and ``kind`` beside its own. A link is a relationship whose type is its kind and
whose ``id`` property is the derived link id.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .expand import EVERYTHING, Hop, PageKey, Wanted, after_values, sort_prop
from .model import Value
from .ontology import LINK_KINDS, NODE_KINDS, link_props, node_props
from .places import Route
from .query import (
    And,
    Cmp,
    Direction,
    Filter,
    HasLink,
    LinkCount,
    Not,
    OfKind,
    Op,
    Or,
    Quantifier,
    Related,
    SortKey,
    field_prop,
    link_field_prop,
)

ENTITY = "Entity"
FULLTEXT_INDEX = "entity_names"
#: the node properties every kind that has them gets a range index on (:func:`schema_statements`),
#: so a list sorted by one reads its nodes in the index's order (:func:`index_order`); ``id``,
#: unique across kinds by the ``Entity`` constraint, is indexed per kind for the order alone
INDEXED = ("id", "name")


def label(kind: str) -> str:
    """A node kind as a quoted label; only kinds of the ontology pass."""
    if kind not in NODE_KINDS:
        raise ValueError(f"not a node kind: {kind!r}")
    return f"`{kind}`"


def rel_type(kind: str) -> str:
    """A link kind as a quoted relationship type; only kinds of the ontology pass."""
    if kind not in LINK_KINDS:
        raise ValueError(f"not a link kind: {kind!r}")
    return f"`{kind}`"


def prop(kind: str, name: str) -> str:
    """A property reference ``n.`name``` for a declared property of ``kind``."""
    field_prop(kind, name)
    return f"`{name}`"


# --- schema ------------------------------------------------------------------------------------
def schema_statements(link_uniqueness: bool = True) -> list[str]:
    stmts = [
        f"CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:{ENTITY}) REQUIRE n.id IS UNIQUE",
        f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX} IF NOT EXISTS FOR (n:{ENTITY}) ON EACH [n.name] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
    ]
    for kind in NODE_KINDS:
        for name in INDEXED:
            if _indexed(kind, name):
                on = f"FOR (n:{label(kind)}) ON (n.{name})"
                stmts.append(f"CREATE INDEX {name}_{kind} IF NOT EXISTS {on}")
    for kind in LINK_KINDS:
        if link_uniqueness:
            stmts.append(
                f"CREATE CONSTRAINT link_id_{kind} IF NOT EXISTS "
                f"FOR ()-[r:{rel_type(kind)}]-() REQUIRE r.id IS UNIQUE"
            )
        else:
            stmts.append(
                f"CREATE INDEX link_id_{kind} IF NOT EXISTS "
                f"FOR ()-[r:{rel_type(kind)}]-() ON (r.id)"
            )
    return stmts


AWAIT_INDEXES = "CALL db.awaitIndexes(300)"

# --- writes ------------------------------------------------------------------------------------
KINDS_OF = f"UNWIND $ids AS id MATCH (n:{ENTITY} {{id: id}}) RETURN n.id AS id, n.kind AS kind"


# Upserts: one statement per kind, rows as lists (``[id, *values]`` in the order of
# :func:`node_columns` / :func:`link_columns`: no key strings to send for every row), every
# declared property set by name. Setting each property, null for an absent one (which removes
# it), is how upsert replaces; naming them instead of ``SET n = row.props`` keeps the plans free
# of an Eager (a map could overwrite ``id``, the merged key, so the planner materialized the
# whole batch before writing). See EXPLAIN in tests/graph/test_contract.py.
@functools.cache
def node_columns(kind: str) -> tuple[str, ...]:
    """The properties of a node row of :func:`upsert_nodes`, after the id."""
    return tuple(p.name for p in node_props(NODE_KINDS[kind]))


@functools.cache
def link_columns(kind: str) -> tuple[str, ...]:
    """The properties of a link row of :func:`upsert_links`, after id, source and target."""
    return tuple(p.name for p in link_props(LINK_KINDS[kind]))


@functools.cache
def upsert_nodes(kind: str) -> str:
    """Nodes of one kind; returns ``n``, the rows written.

    MERGE on both labels: a stored node of another kind with the same id does not match, so
    MERGE creates one and the unique constraint on ``Entity.id`` fails the statement (and the
    transaction). The kind check costs nothing beyond the index seek MERGE does anyway.
    """
    sets = "".join(f", n.`{c}` = row[{i}]" for i, c in enumerate(node_columns(kind), 1))
    return (
        f"UNWIND $rows AS row MERGE (n:{ENTITY}:{label(kind)} {{id: row[0]}}) "
        f"SET n.kind = '{kind}'{sets} RETURN count(*) AS n"
    )


@functools.cache
def upsert_links(kind: str) -> str:
    """Links of one kind; returns ``n``, the rows written.

    A literal type lets MERGE seek the relationship id index (a dynamic ``$(row.kind)`` type
    gives the planner no index to seek). A row whose end is missing, or whose ends are not
    a pair of kinds this kind joins (``$pairs``), matches nothing and is not written: the caller
    compares ``n`` with the rows sent, so a stale endpoint check costs no extra lookup.
    """
    cols = link_columns(kind)
    sets = ", ".join(f"r.`{c}` = row[{i}]" for i, c in enumerate(cols, 3))
    return (
        f"UNWIND $rows AS row "
        f"MATCH (a:{ENTITY} {{id: row[1]}}) MATCH (b:{ENTITY} {{id: row[2]}}) "
        "WHERE [a.kind, b.kind] IN $pairs "
        f"MERGE (a)-[r:{rel_type(kind)} {{id: row[0]}}]->(b) "
        + (f"SET {sets} " if sets else "")
        + "RETURN count(*) AS n"
    )


def link_pairs(kind: str) -> list[list[str]]:
    """The ``$pairs`` of :func:`upsert_links`: (source kind, target kind) pairs ``kind`` joins."""
    return [[s, t] for s, t in LINK_KINDS[kind].endpoints]


def delete_links(kind: str) -> str:
    return (
        f"UNWIND $rows AS row MATCH (:{ENTITY} {{id: row.source}})-[r:{rel_type(kind)} "
        "{id: row.id}]->() DELETE r RETURN count(r) AS n"
    )


DELETE_NODES = (
    f"UNWIND $ids AS id MATCH (n:{ENTITY} {{id: id}}) DETACH DELETE n RETURN count(*) AS n"
)
CLEAR = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"

# --- reads -------------------------------------------------------------------------------------
GET_NODES = (
    f"UNWIND $ids AS id MATCH (n:{ENTITY} {{id: id}}) "
    "RETURN n.id AS id, n.kind AS kind, properties(n) AS props"
)


def get_links(kind: str) -> str:
    return (
        f"UNWIND $rows AS row MATCH (a:{ENTITY} {{id: row.source}})-[r:{rel_type(kind)} "
        "{id: row.id}]->(b) RETURN r.id AS id, type(r) AS kind, a.id AS source, b.id AS target, "
        "properties(r) AS props"
    )


def valid_on(var: str, day: str = "$as_of") -> str:
    """True when relationship ``var`` holds on ``day`` (a parameter; or when it is null)."""
    return (
        f"({day} IS NULL OR (({var}.since IS NULL OR {var}.since <= {day}) AND "
        f"({var}.until IS NULL OR {var}.until >= {day})))"
    )


def _pattern(direction: Direction, rel: str) -> tuple[str, str]:
    if direction is Direction.OUT:
        return "-[", f"{rel}]->"
    if direction is Direction.IN:
        return "<-[", f"{rel}]-"
    return "-[", f"{rel}]-"


def neighbours(link_kind: str | None, direction: Direction) -> str:
    rel = f"r:{rel_type(link_kind)}" if link_kind else "r"
    left, right = _pattern(direction, rel)
    return (
        f"UNWIND $ids AS id MATCH (a:{ENTITY} {{id: id}}){left}{right}(b:{ENTITY}) "
        f"WHERE ($nk IS NULL OR b.kind = $nk) AND {valid_on('r')} "
        "RETURN id, r.id AS link_id, type(r) AS kind, startNode(r).id AS source, "
        "endNode(r).id AS target, properties(r) AS lprops, "
        "b.id AS nid, b.kind AS nkind, properties(b) AS nprops"
    )


def expand(hops: Sequence[Hop], wanted: Wanted = EVERYTHING) -> tuple[str, dict[str, Any]]:
    """:func:`expand_statement`, kept for the trees asked recently (a query text asks the same
    tree on every request; building the statement is a walk of it). The parameters are shared:
    callers pass them on, never change them."""
    return _expand_kept(tuple(hops), wanted)


@functools.lru_cache(maxsize=256)
def _expand_kept(hops: tuple[Hop, ...], wanted: Wanted) -> tuple[str, dict[str, Any]]:
    return expand_statement(hops, wanted)


def expand_statement(
    hops: Sequence[Hop], wanted: Wanted = EVERYTHING
) -> tuple[str, dict[str, Any]]:
    """The whole tree of ``hops`` below ``$ids`` as one statement, and its parameters.

    One row per asked id that exists: ``id``, its ``kind`` and ``props`` (so a lookup by id and
    the pages below are one round trip), and ``pages``, one entry per hop, each
    ``[total, has_next, items]``; an item is ``[link id, type, source id, target id, link
    properties, node id, node kind, node properties, [the item's pages of the hops below]]``.
    Every level is a ``CALL`` subquery per node that aggregates (so a node without links still
    gives one row, with ``total`` 0): counting, ordering by link id, the cursor and the page size
    all happen in the database, which sends the pages only. The properties are those ``wanted``
    names (a map projection), or all of them.
    """
    params = Params()
    calls, pages = tree(hops, params, wanted)
    text = (
        f"UNWIND $ids AS id MATCH (n:{ENTITY} {{id: id}}) {calls} "
        f"RETURN id, n.kind AS kind, {_properties('n', wanted.node)} AS props, {pages} AS pages"
    )
    return text, params.values


def tree(
    hops: Sequence[Hop], params: Params, wanted: Wanted = EVERYTHING, var: str = "n"
) -> tuple[str, str]:
    """The ``CALL`` subqueries that fetch the pages of ``hops`` below the node bound to
    ``var``, and the list expression of those pages (one ``[total, has_next, items]`` per hop,
    as :func:`expand_statement` describes), their parameters added to ``params``."""
    counter = itertools.count()
    pages = [_expand_hop(h, var, params, counter, wanted) for h in hops]
    return " ".join(text for text, _ in pages), "[" + ", ".join(n for _, n in pages) + "]"


def _properties(var: str, names: frozenset[str] | None) -> str:
    """All properties of ``var`` (``None``), or a map of those named."""
    if names is None:
        return f"properties({var})"
    if not names:
        return "{}"
    quoted = (f".`{name.replace('`', '``')}`" for name in sorted(names))
    return f"{var} {{{', '.join(quoted)}}}"


def _expand_hop(
    hop: Hop, var: str, params: Params, counter: Iterator[int], wanted: Wanted
) -> tuple[str, str]:
    i = next(counter)
    key = hop.page
    r, m, x, lr, lm = f"r{i}", f"m{i}", f"x{i}", f"lr{i}", f"lm{i}"
    left, right = _pattern(key.direction, f"{r}:{rel_type(key.kind)}")
    day = params.add(key.as_of)
    first, beyond = params.add(key.first), params.add(key.first + 1)
    kinds = ""
    if hop.on_kinds is not None:
        kinds = "(" + " OR ".join(f"{var}:{label(k)}" for k in sorted(hop.on_kinds)) + ") AND "
    valid = (
        f"({day} IS NULL OR (({r}.since IS NULL OR {r}.since <= {day}) AND "
        f"({r}.until IS NULL OR {r}.until >= {day})))"
    )
    where = key.where
    if where is not None:
        matches = compile_match(key.kind, where.link, where.node, params, r, m, day)
        valid = f"{valid} AND {matches}"
    order, after = _page_order(key, r, m, x, params)
    # a sorted page's cursors hold its sort values: they are sent even where the request
    # names no field that reads them (else a cursor would hold null for them)
    node_props, link_props_ = wanted.node, wanted.link
    if key.order and node_props is not None:
        node_props = node_props | {s.field for s in key.order if not s.on_link and s.field != "id"}
    if key.order and link_props_ is not None:
        link_props_ = link_props_ | {s.field for s in key.order if s.on_link}
    below = [_expand_hop(h, lm, params, counter, wanted) for h in hop.below]
    below_calls = " ".join(text for text, _ in below)
    below_pages = ", ".join(name for _, name in below)
    text = (
        f"CALL ({var}) {{ "
        f"MATCH ({var}){left}{right}({m}:{ENTITY}) WHERE ({kinds}{valid}) "
        f"WITH {r}, {m} ORDER BY {order} "
        f"WITH collect([{r}, {m}]) AS all{i} "
        f"WITH size(all{i}) AS total{i}, "
        f"[{x} IN all{i} WHERE {after}][0..{beyond}] AS rest{i} "
        f"CALL (rest{i}, {var}) {{ UNWIND rest{i}[0..{first}] AS {x} "
        f"WITH {x}[0] AS {lr}, {x}[1] AS {lm} {below_calls} "
        f"RETURN collect([{lr}.id, '{key.kind}', {_link_ends(key.direction, var, lr, lm)}, "
        f"{_properties(lr, link_props_)}, {lm}.id, {lm}.kind, {_properties(lm, node_props)}, "
        f"[{below_pages}]]) AS items{i} }} "
        f"RETURN [total{i}, size(rest{i}) > {first}, items{i}] AS page{i} }}"
    )
    return text, f"page{i}"


def _link_ends(direction: Direction, var: str, lr: str, lm: str) -> str:
    """A page's link's source and target ids: its two nodes' ids, unless the link may point
    either way (``startNode``/``endNode`` went back to the relationship: with its ``type``,
    about a fifth of bench/reference.py's nested3 statement through the driver)."""
    if direction is Direction.OUT:
        return f"{var}.id, {lm}.id"
    if direction is Direction.IN:
        return f"{lm}.id, {var}.id"
    return f"startNode({lr}).id, endNode({lr}).id"


def _page_order(key: PageKey, r: str, m: str, x: str, params: Params) -> tuple[str, str]:
    """A page's ``ORDER BY`` over the link ``r`` and its neighbour ``m`` (missing values
    last, the link id last), and its cursor as a predicate on ``x``, a collected ``[r, m]``."""
    refs: list[tuple[str, bool, bool]] = []
    order: list[str] = []
    for s in key.order:
        sort_prop(key.kind, key.direction, s)  # only a declared property's name is spliced in
        nullable = s.on_link or s.field != "id"
        name = f"`{s.field}`"
        ref, kept = (
            (f"{r}.{name}", f"({x}[0]).{name}")
            if s.on_link
            else (
                f"{m}.{name}",
                f"({x}[1]).{name}",
            )
        )
        if nullable:
            order.append(f"{ref} IS NULL")
        order.append(ref + (" DESC" if s.descending else ""))
        refs.append((kept, nullable, s.descending))
    order.append(f"{r}.id")
    refs.append((f"({x}[0]).id", False, False))
    if key.after is None:
        return ", ".join(order), "true"
    values = after_values(key) if key.order else [key.after]
    assert values is not None
    return ", ".join(order), keyset(refs, values, params)


def list_links(kind: str | None) -> str:
    rel = f"r:{rel_type(kind)}" if kind else "r"
    return (
        f"MATCH (a:{ENTITY})-[{rel}]->(b:{ENTITY}) WHERE {valid_on('r')} "
        "RETURN r.id AS id, type(r) AS kind, a.id AS source, b.id AS target, "
        "properties(r) AS props ORDER BY r.id"
    )


def counts(dated: bool) -> str:
    """Node counts by kind and link counts by kind in one statement and one record: ``nodes`` in
    the order of ``NODE_KINDS``, ``links`` in the order of ``LINK_KINDS``.

    Each count is a ``COUNT { MATCH ... }`` of one label or one relationship type with nothing
    else in its scope, which the planner answers from the count store (``NodeCountFromCountStore``,
    ``RelationshipCountFromCountStore``: one read each, no scan). A ``RETURN 'Kind' AS kind,
    count(n)`` per kind does not: the constant grouping key makes it scan every node of the label
    and every relationship of the type. One record because each record the driver reads costs the
    API a few event-loop turns, which under load wait behind every other request in flight.
    ``dated`` counts only the links valid on ``$as_of`` (that one scans each type's
    relationships: the count store knows no dates).
    """
    where = f" WHERE {valid_on('r')}" if dated else ""
    nodes = ", ".join(f"COUNT {{ MATCH (n:{label(k)}) }}" for k in NODE_KINDS)
    links = ", ".join(f"COUNT {{ MATCH ()-[r:{rel_type(k)}]->(){where} }}" for k in LINK_KINDS)
    return f"RETURN [{nodes}] AS nodes, [{links}] AS links"


# The full-text index finds the candidates (at most $limit, best score first, inside the
# procedure); they travel as one record of [id, kind, properties] lists, in no particular order:
# the store ranks them itself (search.rank_names: exact, prefix, length, id). One record rather
# than one per candidate: each record costs the API several event-loop turns, and under load
# every turn waits behind all other requests in flight.
SEARCH = (
    f"CALL db.index.fulltext.queryNodes('{FULLTEXT_INDEX}', $q, {{limit: $limit}}) "
    "YIELD node WHERE size($kinds) = 0 OR node.kind IN $kinds "
    "RETURN collect([node.id, node.kind, properties(node)]) AS rows"
)

# The projection is read in pages of nodes in id order (the unique index gives the order), each
# page one record holding lists: one Bolt record per node or link costs a socket wake-up each
# (bench/bolt_records.py), and pages keep the server's memory bounded at any size.
PROJECTION_NODES = (
    f"MATCH (n:{ENTITY}) WHERE n.id > $after AND (size($kinds) = 0 OR n.kind IN $kinds) "
    "WITH n ORDER BY n.id LIMIT $limit "
    "RETURN collect([n.id, n.kind, properties(n)]) AS rows, max(n.id) AS last, "
    "count(n) AS scanned"
)
PROJECTION_LINKS = (
    f"MATCH (a:{ENTITY}) WHERE a.id > $after WITH a ORDER BY a.id LIMIT $limit "
    "WITH collect(a) AS page UNWIND page AS a "
    f"OPTIONAL MATCH (a)-[r]->(b:{ENTITY}) "
    "WHERE (size($link_kinds) = 0 OR type(r) IN $link_kinds) "
    "AND (size($kinds) = 0 OR (a.kind IN $kinds AND b.kind IN $kinds)) "
    f"AND {valid_on('r')} "
    "WITH page, collect(CASE WHEN r IS NULL THEN null "
    "ELSE [r.id, type(r), a.id, b.id, properties(r)] END) AS rows "
    "RETURN rows, page[-1].id AS last, size(page) AS scanned"
)


# --- the scan: nodes and links in columns (graph/scan.py) -----------------------------------------
def _day(value: str) -> str:
    # a date as its day number (no date objects to hydrate on the client)
    return f"CASE WHEN {value} IS NULL THEN null ELSE duration.inDays($epoch, {value}).days END"


#: one page of every node in id order, one group per kind asked for: [kind, ids, one list per
#: property of ``$props[kind]``, one per date of ``$dates[kind]``]; the aggregating subquery
#: answers one row even for a page holding none of them
SCAN_NODES = (
    f"MATCH (n:{ENTITY}) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $limit "
    "WITH collect(n) AS page "
    "CALL (page) { UNWIND page AS n WITH n WHERE n.kind IN $kinds "
    "WITH n.kind AS kind, collect(n) AS ns "
    "RETURN collect([kind, [x IN ns | x.id], [p IN $props[kind] | [x IN ns | x[p]]], "
    f"[p IN $dates[kind] | [x IN ns | {_day('x[p]')}]], [x IN ns | id(x)]]) AS groups }} "
    "RETURN groups, page[-1].id AS last, size(page) AS scanned"
)


@functools.cache
def scan_links(kind: str) -> str:
    """One page of the links of ``kind`` in id order (the link-id index's order): their ends
    as the nodes' internal ids (:data:`SCAN_NODES` gives each node's), their keys ("" for none:
    the fourth part of a link id), one list per property of ``$props``, one per date of
    ``$dates``.

    Why internal ids (``id()``, deprecated in favour of the text ``elementId()``): an end's
    integer comes with the relationship record, where its ``id`` property is a read of the node
    and a string to send and look up again; they are only compared with the ones the node
    statement read a moment before."""
    return (
        f"MATCH ()-[r:{rel_type(kind)}]->() WHERE r.id > $after "
        "WITH r ORDER BY r.id LIMIT $limit WITH collect(r) AS page "
        "RETURN [r IN page | id(startNode(r))] AS src, [r IN page | id(endNode(r))] AS dst, "
        "[r IN page | coalesce(split(r.id, '|')[3], '')] AS keys, "
        "[p IN $props | [r IN page | r[p]]] AS props, "
        f"[p IN $dates | [r IN page | {_day('r[p]')}]] AS days, "
        "page[-1].id AS last, size(page) AS scanned"
    )


# --- lists: filters, sorting and keyset pagination compiled to Cypher ----------------------------
class Params:
    """Collects parameters and hands out their names."""

    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(initial or {})
        self._names = itertools.count()

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"

    def var(self, prefix: str) -> str:
        """A variable name no other part of the statement uses (``f_`` + ``prefix`` + a
        number): link filters nest subqueries, and an inner one must not reuse an outer name."""
        return f"f_{prefix}{next(self._names)}"


_OPS = {Op.LT: "<", Op.LTE: "<=", Op.GT: ">", Op.GTE: ">="}


def compile_filter(
    kind: str, f: Filter, params: Params, var: str = "n", day: str = "$as_of"
) -> str:
    """A checked filter (see :func:`query.check_filter`) as a Cypher predicate; its link
    conditions count the links valid on ``day`` (a parameter)."""
    if isinstance(f, And):
        parts = [compile_filter(kind, i, params, var, day) for i in f.items]
        return "(" + " AND ".join(parts) + ")" if parts else "true"
    if isinstance(f, Or):
        parts = [compile_filter(kind, i, params, var, day) for i in f.items]
        return "(" + " OR ".join(parts) + ")" if parts else "false"
    if isinstance(f, Not):
        return f"(NOT {compile_filter(kind, f.item, params, var, day)})"
    if isinstance(f, HasLink):
        x, m = params.var("x"), params.var("m")
        direction = Direction(f.direction)
        left, right = _pattern(direction, f"{x}:{rel_type(f.kind)}")
        # With no day and no label to check, the planner answers from the node's degree
        # (getDegree) instead of expanding every link: 4,607 instead of 71,932 db hits for
        # compounds without a Party branch at 2,000 compounds. The label is left out only where
        # the ontology allows no other neighbour, which every write enforces (upsert_links).
        nk = f.neighbour_kind
        if nk is not None and neighbour_kinds(kind, f.kind, direction) != frozenset({nk}):
            other = f"({m}:{label(nk)})"
        else:
            other = f"({m})"
        valid = "" if _day_is_null(day, params) else f" WHERE {valid_on(x, day)}"
        test = f"EXISTS {{ MATCH ({var}){left}{right}{other}{valid} }}"
        return test if f.exists else f"(NOT {test})"
    if isinstance(f, Related):
        return _compile_related(f, params, var, day)
    return _compile_cmp(f"{var}.{prop(kind, f.field)}", f, params)


def _day_is_null(day: str, params: Params) -> bool:
    """Whether ``day`` is a parameter of ``params`` whose value is null (every link holds)."""
    name = day.removeprefix("$")
    return name in params.values and params.values[name] is None


@functools.cache
def neighbour_kinds(kind: str, link_kind: str, direction: Direction) -> frozenset[str]:
    """The kinds a node of ``kind`` may reach over a link of ``link_kind`` in ``direction``,
    as the ontology's pairs say (and :func:`upsert_links` enforces on every write)."""
    pairs = LINK_KINDS[link_kind].endpoints
    out: set[str] = set()
    if direction in (Direction.OUT, Direction.BOTH):
        out.update(t for s, t in pairs if s == kind)
    if direction in (Direction.IN, Direction.BOTH):
        out.update(s for s, t in pairs if t == kind)
    return frozenset(out)


def lifted_match(
    kind: str, f: Filter, params: Params, var: str = "n", day: str = "$as_of"
) -> str | None:
    """The nodes of ``kind`` that pass ``f`` as ``MATCH`` clauses ending in ``WITH DISTINCT``,
    when ``f`` (or an item of its top ``And``) is a ``some`` two links deep or more with one
    neighbour kind at each link (``compounds whose committee has a member employed by a
    company``); None otherwise.

    Nested ``EXISTS`` make Neo4j test every node of ``kind`` in turn from its own end, while
    the same links as one chain of ``MATCH`` clauses let the planner start at whichever end is
    rarer: 39,082 instead of 159,321 db hits for bench/reference.py's ``two_hop`` statement at
    2,000 compounds (3,636 employment links against 2,000 compounds). The clauses are separate
    so that a link may serve two levels, as it may in separate ``EXISTS``; every other condition
    stays a predicate on its level's node, so the nodes are the same."""
    items = f.items if isinstance(f, And) else (f,)
    chain = next((i for i in items if _chain_depth(i) >= 2), None)
    if chain is None:
        return None
    assert isinstance(chain, Related)
    rest = [compile_filter(kind, i, params, var, day) for i in items if i is not chain]
    clauses = _chain(chain, params, f"{var}:{label(kind)}", day, rest)
    return " ".join(clauses) + f" WITH DISTINCT {var}"


def _liftable(f: Filter) -> bool:
    """A ``some`` whose neighbour is any node or of one kind: one link of a chain."""
    return (
        isinstance(f, Related)
        and f.quantifier is Quantifier.SOME
        and (f.node is None or len(f.node) == 1)
    )


def _chain_depth(f: Filter) -> int:
    """How many links deep the ``some`` chain that starts at ``f`` goes (0: none starts)."""
    if not _liftable(f):
        return 0
    assert isinstance(f, Related)
    inner = _chain_next(f)
    return 1 + (_chain_depth(inner) if inner is not None else 0)


def _chain_next(f: Related) -> Filter | None:
    """The condition of ``f``'s neighbour that continues the chain, if one does."""
    where = f.node[0].where if f.node else None
    if where is None:
        return None
    items = where.items if isinstance(where, And) else (where,)
    return next((i for i in items if _liftable(i)), None)


def _chain(f: Related, params: Params, start: str, day: str, extra: list[str]) -> list[str]:
    """One ``MATCH`` clause per link of the chain from the node ``start`` (its variable, and
    its label on the first clause; ``extra``: more conditions there), each with the conditions
    :func:`_compile_related` would test there."""
    x, m = params.var("x"), params.var("m")
    left, right = _pattern(Direction(f.direction), f"{x}:{rel_type(f.kind)}")
    conds = [*extra, valid_on(x, day)]
    if f.link is not None:
        conds.append(_compile_link_filter(f.kind, f.link, params, x))
    below: list[str] = []
    if f.node is not None:
        (alt,) = f.node
        conds.append(f"{m}:{label(alt.kind)}")
        inner = _chain_next(f)
        where = alt.where
        items = () if where is None else where.items if isinstance(where, And) else (where,)
        conds += [compile_filter(alt.kind, i, params, m, day) for i in items if i is not inner]
        if inner is not None:
            assert isinstance(inner, Related)
            below = _chain(inner, params, m, day, [])
    return [f"MATCH ({start}){left}{right}({m}) WHERE {' AND '.join(conds)}", *below]


def _compile_related(f: Related, params: Params, var: str, day: str) -> str:
    """``some`` as ``EXISTS { }`` of a matching link, ``none`` as its negation, ``all`` as no
    counterexample (``NOT EXISTS`` of a link that does not match: true without links, as in the
    embedded store) and ``single`` as a ``COUNT { }`` of one."""
    x, m = params.var("x"), params.var("m")
    left, right = _pattern(Direction(f.direction), f"{x}:{rel_type(f.kind)}")
    cond = compile_match(f.kind, f.link, f.node, params, x, m, day)
    match = f"MATCH ({var}){left}{right}({m}) WHERE {valid_on(x, day)}"
    if f.quantifier is Quantifier.SOME:
        return f"EXISTS {{ {match} AND {cond} }}"
    if f.quantifier is Quantifier.NONE:
        return f"(NOT EXISTS {{ {match} AND {cond} }})"
    if f.quantifier is Quantifier.ALL:
        return f"(NOT EXISTS {{ {match} AND NOT ({cond}) }})"
    return f"(COUNT {{ {match} AND {cond} }} = 1)"


def compile_match(  # noqa: PLR0917  # a link and its neighbour, by their variables
    kind: str,
    link: Filter | None,
    node: tuple[OfKind, ...] | None,
    params: Params,
    rel: str,
    other: str,
    day: str,
) -> str:
    """A link of ``kind`` bound to ``rel`` whose properties satisfy ``link`` and whose
    neighbour ``other`` is one of ``node`` (as :class:`~.query.Related` and a page's
    :class:`~.expand.LinkMatch` say); ``true`` when neither is given."""
    parts: list[str] = []
    if link is not None:
        parts.append(_compile_link_filter(kind, link, params, rel))
    if node is not None:
        alternatives = [
            f"({other}:{label(alt.kind)}"
            + (
                f" AND {compile_filter(alt.kind, alt.where, params, other, day)})"
                if alt.where
                else ")"
            )
            for alt in node
        ]
        parts.append("(" + " OR ".join(alternatives) + ")" if alternatives else "false")
    return " AND ".join(parts) if parts else "true"


def _compile_link_filter(kind: str, f: Filter, params: Params, var: str) -> str:
    """A checked filter on the properties of a link of ``kind`` bound to ``var``."""
    if isinstance(f, And):
        parts = [_compile_link_filter(kind, i, params, var) for i in f.items]
        return "(" + " AND ".join(parts) + ")" if parts else "true"
    if isinstance(f, Or):
        parts = [_compile_link_filter(kind, i, params, var) for i in f.items]
        return "(" + " OR ".join(parts) + ")" if parts else "false"
    if isinstance(f, Not):
        return f"(NOT {_compile_link_filter(kind, f.item, params, var)})"
    if not isinstance(f, Cmp):
        raise TypeError(f"not a link property filter: {f!r}")  # check_filter refuses it before
    link_field_prop(kind, f.field)  # only a declared property's name is spliced in
    return _compile_cmp(f"{var}.`{f.field}`", f, params)


def _compile_cmp(ref: str, f: Cmp, params: Params) -> str:
    """A comparison that is true or false, never null: a missing property fails every test but
    ``ne`` and ``isNull: true``, as in the embedded store, also under ``NOT`` (where Cypher's null
    would drop the row both ways)."""
    if f.op is Op.IS_NULL:
        return f"{ref} IS NULL" if f.value else f"{ref} IS NOT NULL"
    p = params.add(list(f.value) if isinstance(f.value, tuple) else f.value)
    if f.op is Op.NE:
        return f"({ref} IS NULL OR {ref} <> {p})"
    if f.op is Op.EQ:
        test = f"{ref} = {p}"
    elif f.op is Op.IN:
        test = f"{ref} IN {p}"
    elif f.op is Op.CONTAINS:
        test = f"{ref} CONTAINS {p}"
    elif f.op is Op.STARTS_WITH:
        test = f"{ref} STARTS WITH {p}"
    else:
        test = f"{ref} {_OPS[f.op]} {p}"
    return f"({ref} IS NOT NULL AND {test})"


def link_counts(keys: Sequence[SortKey], var: str = "n") -> list[str]:
    """A ``COUNT { }`` subquery for each link-count sort key, in order; :func:`sort_refs` names
    their values ``c0``, ``c1``, ... (the list query computes them once per row)."""
    out: list[str] = []
    for k in keys:
        if isinstance(k.field, LinkCount):
            c = k.field
            left, right = _pattern(Direction(c.direction), f"x:{rel_type(c.kind)}")
            other = f"(m:{label(c.neighbour_kind)})" if c.neighbour_kind else "(m)"
            out.append(f"COUNT {{ ({var}){left}{right}{other} WHERE {valid_on('x')} }}")
    return out


def sort_refs(kind: str, keys: Sequence[SortKey], var: str = "n") -> list[tuple[str, bool]]:
    """(expression, may be null) of each sort key: a property, ``id`` or a link count."""
    out: list[tuple[str, bool]] = []
    counted = 0
    for k in keys:
        if isinstance(k.field, LinkCount):
            out.append((f"c{counted}", False))
            counted += 1
        else:
            out.append((f"{var}.{prop(kind, k.field)}", k.field != "id"))
    return out


def order_by(kind: str, keys: Sequence[SortKey], var: str = "n", *, present: bool = False) -> str:
    """Nulls last in both directions, then the key, ``id`` last (a total order). ``present``:
    among nodes known to have the first key (no null test for it)."""
    parts: list[str] = []
    for i, (k, (ref, nullable)) in enumerate(zip(keys, sort_refs(kind, keys, var), strict=True)):
        if nullable and not (present and i == 0):
            parts.append(f"{ref} IS NULL")
        parts.append(ref + (" DESC" if k.descending else ""))
    return ", ".join(parts)


def _indexed(kind: str, name: str) -> bool:
    return name == "id" or NODE_KINDS[kind].prop(name) is not None


@dataclass(frozen=True, slots=True)
class IndexOrder:
    """How a list sorted first by an indexed property is read: the nodes that have it in the
    index's order (``present``), then, only if those do not fill the page, the nodes lacking
    it (``missing``, ordered by the other keys; None: every node has it)."""

    ref: str
    present: str
    missing: str | None


def index_order(kind: str, keys: Sequence[SortKey], var: str = "n") -> IndexOrder | None:
    """The :class:`IndexOrder` of ``keys`` (from ``check_sort``) when the first is an indexed
    property. The planner reads a range index in order, stopping at the page's end, only under
    a predicate that the property is present; sorting every matching node instead cost 6,464
    db hits for a page of 20 of 2,000 compounds by name (177 read in order), and 443,522 for
    the first 100 people by id (203)."""
    first = keys[0].field if keys else None
    if not isinstance(first, str) or first not in INDEXED or not _indexed(kind, first):
        return None
    ref = f"{var}.{prop(kind, first)}"
    present = order_by(kind, keys, var, present=True)
    return IndexOrder(ref, present, None if first == "id" else order_by(kind, keys[1:], var))


def after_cursor(
    kind: str,
    keys: Sequence[SortKey],
    values: Sequence[Value | None],
    params: Params,
    var: str = "n",
) -> str:
    """Rows strictly after the cursor row in :func:`order_by` order (a keyset predicate)."""
    refs = sort_refs(kind, keys, var)
    return keyset(
        [(ref, nullable, k.descending) for k, (ref, nullable) in zip(keys, refs, strict=True)],
        values,
        params,
    )


def keyset(
    refs: Sequence[tuple[str, bool, bool]], values: Sequence[Value | None], params: Params
) -> str:
    """Rows strictly after the row of ``values`` in the order of ``refs`` (expression, may be
    null, descending), missing values last in both directions."""
    ors: list[str] = []
    equal_so_far: list[str] = []
    for (ref, nullable, descending), v in zip(refs, values, strict=True):
        if v is None:
            equal_so_far.append(f"{ref} IS NULL")  # nothing sorts after a null in this key
            continue
        p = params.add(v)
        op = "<" if descending else ">"
        after = f"({ref} IS NULL OR {ref} {op} {p})" if nullable else f"{ref} {op} {p}"
        ors.append("(" + " AND ".join([*equal_so_far, after]) + ")")
        equal_so_far.append(f"{ref} = {p}")
    return "(" + " OR ".join(ors) + ")" if ors else "false"


def list_nodes(
    kind: str,
    where: str,
    order: str,
    counts: Sequence[str] = (),
    after: str | None = None,
    *,
    with_total: bool = False,
    props: frozenset[str] | None = None,
    below: tuple[str, str] | None = None,
    lifted: str | None = None,
    by_index: IndexOrder | None = None,
) -> str:
    """One page of a list. ``counts`` (from :func:`link_counts`) are computed once per row that
    passes ``where``, before the cursor predicate ``after`` and the order use them; ``props``
    names the properties sent (None: all of them).

    One record: ``rows``, the page as maps (a record per node cost the API a few event-loop
    turns each, which under load wait behind every request in flight); ``with_total`` adds
    ``total`` (how many pass ``where``, whatever the cursor), so a connection's page and its
    count are one round trip, and with a filter one pass over the nodes. ``below``, a
    :func:`tree` of link pages, is fetched for the page's nodes only (after the order and the
    limit) and sent as each row's ``pages``: the page and every level of links below it are one
    round trip too. ``lifted`` (:func:`lifted_match` of the list's filter) finds the nodes
    instead of ``MATCH ... WHERE where`` (``where`` is then ``true``). ``by_index``
    (:func:`index_order`) reads the nodes in the index's order unless link counts or a lifted
    filter come first: a page stops at its end, a filtered total's list needs no sort.
    """
    # no kind: every row is of the list's (reading it was a property a row)
    columns = [("id", "n.id"), ("props", _properties("n", props))]
    # A filtered count and its page in one pass: the nodes that pass ``where`` are collected
    # once and both are taken from that list (as the Neo4j GraphQL Library does). Counting in a
    # subquery of its own evaluated the filter twice, e.g. 143,258 instead of 71,932 db hits for
    # compounds without a Party branch at 2,000 compounds (bench/api_bench.py's no_branch).
    # Unfiltered, the count store answers the count (one read), and the page reads the label
    # or an index.
    once = with_total and (where != "true" or lifted is not None)
    indexed = by_index if not (counts or lifted) else None
    # a key every node has (id): its presence is true of every node, the planner's cue alone
    always = indexed.ref if indexed is not None and indexed.missing is None else None
    if always:
        where = f"{always} IS NOT NULL AND {where}"
    source = lifted or f"MATCH (n:{label(kind)}) WHERE {where}"
    head = ""
    if once:
        body = "UNWIND matched AS n"  # UNWIND takes no WHERE: the cursor's goes on a WITH
        filtered = body if after is None else f"{body} WITH n WHERE {after}"
        if always:  # matched in the index's order (no sort): the page is its first rows
            source = f"{source} WITH n ORDER BY {order}"
            filtered = f"{filtered} WITH n LIMIT $limit"
    elif indexed is not None and indexed.missing is not None:
        test = where if after is None else f"{where} AND {after}"
        head = index_read(kind, test, indexed, indexed.missing)
        body = filtered = "UNWIND head + tail AS n"
    else:
        body = source  # lifted, it ends in WITH DISTINCT n, which takes a WHERE as MATCH does
        filtered = body if after is None else f"{body} {'WHERE' if lifted else 'AND'} {after}"
    kept = "n"
    if counts:
        named = ", ".join(f"{c} AS c{i}" for i, c in enumerate(counts))
        keep = "" if after is None else f" WHERE {after}"
        filtered = f"{body} WITH n, {named}{keep}"
        columns.append(("counts", "[" + ", ".join(f"c{i}" for i in range(len(counts))) + "]"))
        kept = ", ".join(["n", *(f"c{i}" for i in range(len(counts)))])
    body = filtered
    if below is not None:
        calls, pages = below
        # the order and the limit first, so the links are read for the page's nodes only;
        # the rows are put in order again after the subqueries (a few, already sorted)
        body = f"{body} WITH {kept} ORDER BY {order} LIMIT $limit {calls}"
        columns.append(("pages", pages))
    row = ", ".join(f"{name}: {expr}" for name, expr in columns)
    page = f"COLLECT {{ {body} RETURN {{{row}}} AS row ORDER BY {order} LIMIT $limit }} AS rows"
    if once:
        return f"{source} WITH collect(n) AS matched RETURN size(matched) AS total, {page}"
    if not with_total:
        return f"{head}RETURN {page}"
    count = f"CALL () {{ MATCH (n:{label(kind)}) RETURN count(n) AS total }}"
    return f"{count} {head}RETURN total, {page}"


def index_read(kind: str, test: str, by_index: IndexOrder, missing: str) -> str:
    """The subqueries reading the nodes passing ``test`` through the index of the first sort
    key (``by_index``) as two lists: ``head``, those having the key, in its order; ``tail``,
    those lacking it (in the order ``missing``), looked for (a scan of the label) only when
    ``head`` falls short of the page (by an ``UNWIND`` of nothing: a ``WHERE`` on ``head`` was
    applied after the scan)."""
    nodes = f"MATCH (n:{label(kind)}) WHERE {by_index.ref} IS"
    return (
        f"CALL () {{ {nodes} NOT NULL AND {test} WITH n ORDER BY {by_index.present} "
        "LIMIT $limit RETURN collect(n) AS head } "
        "CALL (head) { UNWIND CASE WHEN size(head) < $limit THEN [true] ELSE [] END AS more "
        f"{nodes} NULL AND {test} WITH n ORDER BY {missing} LIMIT $limit "
        "RETURN collect(n) AS tail } "
    )


def aggregate(kind: str, where: str, way: Route) -> str:
    """Nodes of ``kind`` matching ``where`` under each place of ``way.level``, zeros included,
    most first, at most ``$limit``; the matching nodes under none; and whether more places
    follow. One statement, one pass up from the nodes along chains of locating links, every
    link valid on ``$as_of`` (not down from the places: below a township lie whole trees of
    bodies that are not the kind counted)."""
    rels = "|".join(rel_type(k) for k in way.link_kinds)
    chain = f"[rs:{rels}*1..{way.max_hops}]"
    level, nodes = label(way.level), label(kind)
    return (
        "CALL () { "
        f"MATCH (n:{nodes}) WHERE {where} "
        f"OPTIONAL MATCH (n)-{chain}->(p:{level}) WHERE all(r IN rs WHERE {valid_on('r')}) "
        "RETURN p, count(DISTINCT n) AS c "  # p is null for the nodes under no place
        f"UNION ALL MATCH (p:{level}) RETURN p, 0 AS c }} "  # every place, zeros included
        "WITH p, sum(c) AS c ORDER BY c DESC, p.id "
        "WITH collect(CASE WHEN p IS NOT NULL THEN {id: p.id, name: p.name, c: c} END) AS places, "
        "sum(CASE WHEN p IS NULL THEN c ELSE 0 END) AS unplaced "
        "RETURN places[..$limit] AS places, size(places) > $limit AS has_more, unplaced"
    )


def count_nodes(kind: str, where: str) -> str:
    return f"MATCH (n:{label(kind)}) WHERE {where} RETURN count(n) AS n"


#: values the driver hands back as Python's own: most property values, so checked first (a
#: failed ``getattr`` costs several times more)
PLAIN = frozenset({str, int, float, bool, type(None)})


def native(value: Any) -> Any:
    """Driver temporal values back to Python's (``neo4j.time.Date`` → ``datetime.date``)."""
    if type(value) in PLAIN:
        return value
    to_native = getattr(value, "to_native", None)
    if to_native is not None:
        out = to_native()
        return out.date() if isinstance(out, dt.datetime) else out
    return value
