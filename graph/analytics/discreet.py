"""Findings for a reader who may not learn a person's Party membership status or category, home
below the compound, or what they own (a researcher, the public's counts). A finding tells by
existing, not only by its wording, so a discreet run changes what is evaluated: a rule whose
subjects are picked by such a fact does not run (:data:`WITHHELD`); one counting members by
status counts every member, and reads so (:data:`DISCREET`); details placing a person below the
compound are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol, TypeVar


class Worded(Protocol):
    """A rule's check as far as rewording reads it (:class:`~.engine.Check`)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def code(self) -> str: ...
    @property
    def zh(self) -> str: ...
    @property
    def en(self) -> str: ...


W = TypeVar("W", bound=Worded)


@dataclass(frozen=True)
class Discreet:
    """A check's explanations in a discreet run, and the detail keys left out."""

    zh: str
    en: str
    hidden: frozenset[str] = frozenset()


#: rule → why a discreet run leaves it out
WITHHELD: dict[str, str] = {
    "P8": "its subjects are in-service members (a category): no wording or count can hide that",
    "O4": "its subjects are committee members who own no unit in the compound: it tells of "
    "OWNS links (one household each), which the role may not read",
}

_EVERY_MEMBER_ZH = "（按全部党员计）"
#: (rule, check) → its wording in a discreet run; checks not listed read as the rule declares
DISCREET: dict[tuple[str, str], Discreet] = {
    ("P1", "no_branch"): Discreet(
        "{name}有{party_members}名党员居住或报到" + _EVERY_MEMBER_ZH + "，但没有党支部覆盖"
        "（应建未建）。",
        "{party_members} Party members (counting every member) live in or are registered at "
        "{name}, and no Party branch covers it.",
    ),
    ("P4", "no_committee"): Discreet(
        "党支部{name}有{members}名党员" + _EVERY_MEMBER_ZH + "，但未设支部委员会。",
        "The branch {name} has {members} members (counting every member) and no branch committee.",
    ),
    ("P6", "building_without_group"): Discreet(
        "{compound_name}{name}住有{members}名党员，没有党小组覆盖。",
        "Party members ({members}) live in {name} of {compound_name} and no Party group covers it.",
        frozenset({"residents"}),
    ),
}


def withheld(rule: str) -> bool:
    """Whether a discreet run leaves ``rule`` out.

    >>> withheld("P8"), withheld("O4"), withheld("P1")
    (True, True, False)
    """
    return rule in WITHHELD


def reword(rule: str, check: W) -> W:
    """``check`` with its discreet wording (itself when its own says nothing it should not).

    >>> from govgraph.graph.analytics.rules import RULES
    >>> reword("P4", RULES["P4"].check("no_committee")).en
    'The branch {name} has {members} members (counting every member) and no branch committee.'
    >>> reword("P9", RULES["P9"].check("no_station")) is RULES["P9"].check("no_station")
    True
    """
    wording = DISCREET.get((rule, check.code))
    return check if wording is None else replace(check, zh=wording.zh, en=wording.en)


def discreet_details(rule: str, check: str, details: Mapping[str, Any]) -> Mapping[str, Any]:
    """``details`` without the keys a discreet run leaves out for this check."""
    wording = DISCREET.get((rule, check))
    if wording is None or not wording.hidden:
        return details
    return {k: v for k, v in details.items() if k not in wording.hidden}
