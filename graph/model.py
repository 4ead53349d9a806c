"""Records of the graph (nodes and links) and their validation against the ontology.

A :class:`Node` or :class:`Link` built with :func:`node` / :func:`link` is valid by construction:
kinds exist, properties are declared and typed, required ones are present, ``until`` is not before
``since``. Stores validate again on write, because records can also be built directly.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConflictError, Problem, ValidationError
from .ontology import (
    LINK_KINDS,
    NODE_KINDS,
    LinkKind,
    NodeKind,
    Prop,
    PropType,
    link_props,
    node_props,
)

Value = str | int | float | bool | dt.date
Props = Mapping[str, Value]

#: ids are stable strings: no whitespace, no control characters, no unpaired surrogates (which
#: no store can encode) and no ``|`` (the link-id separator), 1-200 characters
ID_PATTERN = re.compile(r"^[^\s|\x00-\x1f\x7f\ud800-\udfff]{1,200}$")
ID_EXPECTED = "1-200 characters without spaces, control characters or '|'"
#: text values: no C0 control characters but tab and line breaks (XML exports cannot hold
#: them), no unpaired surrogates (not characters; UTF-8 and the Neo4j driver cannot encode them)
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
#: whole numbers are 64-bit, as in Neo4j
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
LINK_ID_SEP = "|"


@dataclass(frozen=True, slots=True)
class Node:
    """A node: a stable id, a kind from the ontology and typed properties."""

    id: str
    kind: str
    props: Mapping[str, Value] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        value = self.props.get("name")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Link:
    """A directed link ``source -[kind]-> target``.

    Its id is derived, never chosen: ``source|KIND|target`` plus ``|key`` when ``key`` is set,
    so that the same person may hold the same post twice in different periods (two keys).
    """

    kind: str
    source: str
    target: str
    props: Mapping[str, Value] = field(default_factory=dict)
    key: str = ""

    @property
    def id(self) -> str:
        return link_id(self.source, self.kind, self.target, self.key)

    @property
    def since(self) -> dt.date | None:
        value = self.props.get("since")
        return value if isinstance(value, dt.date) else None

    @property
    def until(self) -> dt.date | None:
        value = self.props.get("until")
        return value if isinstance(value, dt.date) else None

    def valid_on(self, day: dt.date | None) -> bool:
        """True when the link holds on ``day`` (``since`` and ``until`` both inclusive)."""
        return valid_on(self.since, self.until, day)


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A link seen from one of its ends, with the node at the other end."""

    link: Link
    node: Node


def valid_on(since: dt.date | None, until: dt.date | None, day: dt.date | None) -> bool:
    if day is None:
        return True
    return (since is None or since <= day) and (until is None or day <= until)


def link_id(source: str, kind: str, target: str, key: str = "") -> str:
    parts = [source, kind, target] + ([key] if key else [])
    return LINK_ID_SEP.join(parts)


def parse_link_id(value: str) -> tuple[str, str, str, str]:
    """Split a link id into (source, kind, target, key); raise ValidationError if malformed."""
    parts = value.split(LINK_ID_SEP)
    if len(parts) not in (3, 4) or parts[1] not in LINK_KINDS:
        raise ValidationError(Problem("link", "id", value, "source|KIND|target[|key]"))
    key = parts[3] if len(parts) == 4 else ""
    return parts[0], parts[1], parts[2], key


# --- coercion and validation -----------------------------------------------------------------
#: the days a date may hold, anywhere (stored properties, GraphQL's ``Date``): far enough from
#: ``datetime``'s years 1 and 9999 that the analytics' month, year and term arithmetic never
#: overflows, and wide enough for any record of a person or a body
EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2200, 12, 31)
DAY_RANGE = (
    f"日期须在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间 (a date from {EARLIEST_DAY} to {LATEST_DAY})"
)


def in_day_range(day: dt.date) -> dt.date:
    """``day`` if it lies within :data:`EARLIEST_DAY`..:data:`LATEST_DAY`; ``ValueError``
    saying the range otherwise."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(DAY_RANGE)
    return day


_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def coerce(prop: Prop, value: Any) -> Value:
    """Convert a loosely typed value (for example text from a file) to the property's type.

    Raises ``ValueError`` with the expected form when the value cannot be converted.
    """
    t = prop.type
    if t is PropType.STR:
        if not isinstance(value, str):
            raise ValueError("text")
        return value
    if t is PropType.BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError("true or false")
    if t is PropType.INT:
        if isinstance(value, bool):
            raise ValueError("a whole number")
        return _whole_number(value)
    if t is PropType.FLOAT:
        if isinstance(value, bool):
            raise ValueError("a number")
        return _finite_number(value)
    # DATE
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("a date YYYY-MM-DD")


def storable_text(value: str) -> str:
    """``value`` if a store can keep it; ``ValueError`` for control characters (but tab and line
    breaks) and unpaired surrogates. Checked on write only: filters and cursors may hold any text.
    """
    bad = _BAD_TEXT.search(value)
    if bad:
        raise ValueError(
            "text without control characters or unpaired surrogates"
            f" (found U+{ord(bad.group()):04X} at position {bad.start()})"
        )
    return value


def _whole_number(value: Any) -> int:
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,30}\s*", value)
    ):
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        number = INT_MAX + 1  # too many digits to convert (Python refuses past 4300)
    if number is None:
        raise ValueError("a whole number")
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError(f"a whole number from {INT_MIN} to {INT_MAX} (64-bit)")
    return number


def _finite_number(value: Any) -> float:
    number: float | None = None
    try:
        if isinstance(value, int | float | str):
            number = float(value)
    except ValueError:
        pass
    except OverflowError:  # an int too large for a float
        number = math.inf
    if number is None:
        raise ValueError("a number")
    if not math.isfinite(number):
        raise ValueError("a finite number (not NaN or infinity)")
    return number


def _check_props(
    subject: str,
    declared: tuple[Prop, ...],
    props: Mapping[str, Any],
    problems: list[Problem],
) -> dict[str, Value]:
    by_name = {p.name: p for p in declared}
    clean: dict[str, Value] = {}
    for name, value in props.items():
        prop = by_name.get(name)
        if prop is None:
            allowed = ", ".join(sorted(by_name)) or "none"
            problems.append(Problem(subject, name, value, f"one of the properties: {allowed}"))
            continue
        if value is None or value == "":
            continue  # absent; required-ness is checked below
        try:
            typed = coerce(prop, value)
            if isinstance(typed, str):
                storable_text(typed)
            elif isinstance(typed, dt.date):  # checked on write, as text is
                in_day_range(typed)
        except ValueError as exc:
            problems.append(Problem(subject, name, value, str(exc)))
            continue
        if prop.choices and typed not in prop.choices:
            problems.append(Problem(subject, name, value, "one of " + ", ".join(prop.choices)))
            continue
        clean[name] = typed
    for prop in declared:
        if (
            prop.required
            and prop.name not in clean
            and prop.name not in {pr.field for pr in problems if pr.subject == subject}
        ):
            problems.append(
                Problem(subject, prop.name, None, f"a value ({prop.type.value}, required)")
            )
    return clean


def node_kind(name: str) -> NodeKind:
    try:
        return NODE_KINDS[name]
    except KeyError:
        raise ValidationError(
            Problem("node", "kind", name, "one of " + ", ".join(NODE_KINDS))
        ) from None


def link_kind(name: str) -> LinkKind:
    try:
        return LINK_KINDS[name]
    except KeyError:
        raise ValidationError(
            Problem("link", "kind", name, "one of " + ", ".join(LINK_KINDS))
        ) from None


def check_node(n: Node, problems: list[Problem]) -> Node | None:
    """Validate one node, appending what is wrong to ``problems``; return the clean node or None."""
    before = len(problems)
    subject = f"{n.kind or 'node'} {n.id!r}"
    if not isinstance(n.id, str) or not ID_PATTERN.match(n.id):
        problems.append(Problem(subject, "id", n.id, ID_EXPECTED))
    kind = NODE_KINDS.get(n.kind)
    if kind is None:
        problems.append(Problem(subject, "kind", n.kind, "one of " + ", ".join(NODE_KINDS)))
        return None
    clean = _check_props(subject, node_props(kind), n.props, problems)
    return Node(n.id, n.kind, clean) if len(problems) == before else None


def check_link(
    lk: Link,
    problems: list[Problem],
    kinds_of: Mapping[str, str] | None = None,
) -> Link | None:
    """Validate one link; with ``kinds_of`` (node id → kind) also check its endpoint kinds."""
    before = len(problems)
    subject = f"{lk.kind or 'link'} {lk.source!r}->{lk.target!r}"
    for name, value in (("source", lk.source), ("target", lk.target)):
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            problems.append(Problem(subject, name, value, ID_EXPECTED))
    if lk.key and not ID_PATTERN.match(lk.key):
        problems.append(Problem(subject, "key", lk.key, ID_EXPECTED))
    kind = LINK_KINDS.get(lk.kind)
    if kind is None:
        problems.append(Problem(subject, "kind", lk.kind, "one of " + ", ".join(LINK_KINDS)))
        return None
    clean = _check_props(subject, link_props(kind), lk.props, problems)
    since, until = clean.get("since"), clean.get("until")
    if isinstance(since, dt.date) and isinstance(until, dt.date) and until < since:
        problems.append(Problem(subject, "until", until, f"a date on or after since ({since})"))
    if kinds_of is not None:
        src_kind, dst_kind = kinds_of.get(lk.source), kinds_of.get(lk.target)
        if src_kind is not None and dst_kind is not None and not kind.allows(src_kind, dst_kind):
            allowed = ", ".join(f"{s}->{t}" for s, t in kind.endpoints)
            problems.append(
                Problem(subject, "endpoints", f"{src_kind}->{dst_kind}", f"one of {allowed}")
            )
    return Link(lk.kind, lk.source, lk.target, clean, lk.key) if len(problems) == before else None


def node(kind: str, id: str, /, **props: Any) -> Node:
    """Build a valid node, coercing loosely typed values; raise ValidationError otherwise.

    >>> node("Compound", "c1", name="云北苑小区", is_old="yes").props["is_old"]
    True
    """
    problems: list[Problem] = []
    clean = check_node(Node(id, kind, props), problems)
    if clean is None:
        raise ValidationError(problems)
    return clean


def link(kind: str, source: str, target: str, /, *, key: str = "", **props: Any) -> Link:
    """Build a valid link (endpoint kinds are checked by the store, which knows the nodes).

    The endpoints are positional, so ``source=...`` is the provenance property, as on nodes.

    >>> link("HOLDS_POST", "p1", "b1", role="secretary", since="2021-03-01").id
    'p1|HOLDS_POST|b1'
    """
    problems: list[Problem] = []
    clean = check_link(Link(kind, source, target, props, key), problems)
    if clean is None:
        raise ValidationError(problems)
    return clean


def validate_batch(
    nodes: Iterable[Node], links: Iterable[Link], kinds_of: Mapping[str, str]
) -> tuple[list[Node], list[Link]]:
    """Validate a write batch as a whole; raise one ValidationError listing every problem.

    ``kinds_of`` maps the ids of nodes already stored to their kinds. Endpoints must exist in the
    batch or the store; a node id may appear once per batch.
    """
    nodes = list(nodes)
    clashes = [n for n in nodes if kinds_of.get(n.id, n.kind) != n.kind]
    if clashes:
        raise ConflictError(
            "; ".join(f"id {n.id!r} is a {kinds_of[n.id]}, not a {n.kind}" for n in clashes[:10])
            + " (delete it first, or use another id)"
        )
    problems: list[Problem] = []
    clean_nodes: list[Node] = []
    seen: dict[str, str] = {}
    for n in nodes:
        if n.id in seen:
            problems.append(Problem(f"{n.kind} {n.id!r}", "id", n.id, "an id used once per batch"))
            continue
        c = check_node(n, problems)
        if c is not None:
            seen[c.id] = c.kind
            clean_nodes.append(c)
    known = {**kinds_of, **seen}
    clean_links: list[Link] = []
    for lk in links:
        missing = [e for e in (lk.source, lk.target) if e not in known]
        for end in missing:
            problems.append(
                Problem(
                    f"{lk.kind} {lk.source!r}->{lk.target!r}",
                    "endpoint",
                    end,
                    "the id of a node in this batch or already stored",
                )
            )
        cl = check_link(lk, problems, known)
        if cl is not None and not missing:
            clean_links.append(cl)
    if problems:
        raise ValidationError(problems)
    return clean_nodes, clean_links
