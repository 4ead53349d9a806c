"""One cell of a sheet or a file: how text is folded, formulas kept from running, and the
spreadsheet's ways with values undone before the model's own coercion (choices by code or
Chinese label, numbers typed into text cells, dates that do not exist).

Used by the row parser (``rows.py``) and by everything that writes cells (exports, the
template, the rectification list, the CLI's files).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from functools import cache
from typing import Any

from ..graph.ontology import CHOICE_LABELS_ZH, Prop, PropType

#: Excel's own limit for one cell; longer cells are refused so that one runaway cell (a pasted
#: document, a broken quote in a CSV) cannot blow up memory or the store
MAX_CELL_CHARS = 32_767
#: what a cell may start with to be read as a formula by a spreadsheet program (OWASP: also a
#: tab or a carriage return, which some programs skip before looking for the '=')
FORMULA_CHARS = "=+-@\t\r"


def norm(text: str) -> str:
    """Fold the ways one header can be typed: full-width forms, case, surrounding spaces."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def tokens(text: str) -> list[str]:
    return [norm(t) for t in text.split()] if len(text.split()) > 1 else []


# --- formula cells ----------------------------------------------------------------------------
def escape_formula(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would run as a formula (for files we write).

    Text that already starts with an apostrophe before one of those characters gets one more,
    so :func:`unescape_formula` restores every text exactly and exported CSV files round-trip.

    >>> escape_formula("=1+1"), escape_formula("+86 138"), escape_formula("云北苑")
    ("'=1+1", "'+86 138", '云北苑')
    """
    first, second = text[:1], text[1:2]
    if (first and first in FORMULA_CHARS) or (first == "'" and second and second in _ESCAPED):
        return "'" + text
    return text


def unescape_formula(text: str) -> str:
    """Drop the apostrophe that :func:`escape_formula` (or a careful user) put before ``=+-@``."""
    second = text[1:2]
    return text[1:] if text[:1] == "'" and second and second in _ESCAPED else text


_ESCAPED = FORMULA_CHARS + "'"


_DATE_LIKE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]00:00(?::00)?)?\s*$"
)


class BadCellError(Exception):
    """A cell that cannot be used; ``expected`` says what would be."""

    def __init__(self, expected: str) -> None:
        self.expected = expected


def clean_text(value: Any, spreadsheet: bool, limit: int) -> Any:
    """Empty → None; refuse enormous cells and formulas; undo our own formula escape."""
    if type(value) is str and 0 < len(value) <= limit:
        first = value[0]
        # most cells: text that starts with neither a space, '=' nor an apostrophe has nothing
        # to strip, refuse or unescape (called for every cell, so this is checked first)
        if first not in "='" and not first.isspace():
            return value
    if value is None:
        return None
    if not isinstance(value, str):
        return value
    if len(value) > limit:
        raise BadCellError(f"at most {limit} characters in a cell (this one has {len(value)})")
    if value == "":
        return None
    if spreadsheet:
        if not value.strip():
            return None
        if value.lstrip().startswith("="):
            raise BadCellError(
                "a plain value, not a formula: cells starting with '=' are never evaluated;"
                " type the value itself (or start the cell with an apostrophe to keep the '=')"
            )
        return unescape_formula(value)
    return value


@cache
def _choice_aliases(choices: tuple[str, ...]) -> dict[str, str]:
    """Normalized code or Chinese label → code, for one property's choices."""
    out = {norm(c): c for c in choices}
    out.update({norm(CHOICE_LABELS_ZH[c]): c for c in choices if c in CHOICE_LABELS_ZH})
    return out


def resolve_choice(choices: tuple[str, ...], value: str) -> str | None:
    """The code a cell names among ``choices``: by code or Chinese label, or both as the
    template's help row shows them (``书记 (secretary)``); None if it names none.

    >>> roles = ("secretary", "deputy_secretary")
    >>> resolve_choice(roles, "书记"), resolve_choice(roles, " Secretary ")
    ('secretary', 'secretary')
    >>> resolve_choice(roles, "副书记 (deputy_secretary)")
    'deputy_secretary'
    >>> resolve_choice(roles, "boss") is None
    True
    """
    if value in choices:  # snapshots and exports hold the codes: no folding needed
        return value
    aliases = _choice_aliases(choices)
    whole = aliases.get(norm(value))
    if whole is not None:
        return whole
    spaced = unicodedata.normalize("NFKC", value).replace("(", " (")
    found = {aliases.get(tok.strip("()[]{}<>")) for tok in tokens(spaced)}
    return found.pop() if len(found) == 1 else None


def choices_expected(choices: tuple[str, ...]) -> str:
    """What a cell of an enumerated property may hold, in Chinese and English.

    >>> choices_expected(("standalone", "joint"))
    '应为以下之一 / expected one of: 单建 (standalone), 联建 (joint)'
    """
    named = ", ".join(f"{CHOICE_LABELS_ZH.get(c, c)} ({c})" for c in choices)
    return f"应为以下之一 / expected one of: {named}"


def typed_value(prop: Prop, value: Any, spreadsheet: bool) -> Any:
    """Smooth what spreadsheets do to values before the model's own coercion sees them; a
    value that can be nothing the property holds raises :class:`BadCellError`."""
    if prop.type is PropType.STR:
        if prop.choices:
            # a code or its Chinese label; a number typed in the cell names no choice either
            code = resolve_choice(prop.choices, str(value))
            if code is None:
                raise BadCellError(choices_expected(prop.choices))
            return code
        if spreadsheet and isinstance(value, int | float) and not isinstance(value, bool):
            # a phone number or credit code typed into a number cell
            return str(int(value)) if float(value).is_integer() else repr(value)
        return value
    if prop.type is PropType.DATE and isinstance(value, str):
        m = _DATE_LIKE.match(value)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            _check_day(y, mo, d)
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return value


def _check_day(year: int, month: int, day: int) -> None:
    """Raise :class:`BadCellError` naming what is wrong with a well-formed date that does not
    exist (``2021-02-30``): a generic "not a date" would send the user looking at the format."""
    if not 1 <= year <= 9999:
        raise BadCellError(f"没有这一年 / no such year: {year} (years run from 1 to 9999)")
    if not 1 <= month <= 12:
        raise BadCellError(f"没有这个月 / no such month: {month} (months run from 1 to 12)")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        month_name = calendar.month_name[month]
        raise BadCellError(f"没有这一天 / no such day: {month_name} {year} has {last} days")


def id_cell(value: Any) -> str | None:
    """An id as text (spreadsheets turn ``2023`` into a number), or None if there is none."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    return None if value is None else str(value)
