"""How a finding reads for a role that may not learn a person's Party membership status or
category (a researcher: the ontology marks ``MEMBER_OF.status`` and ``category`` personal, and
``graph/privacy.py`` keeps them from the role).

Most findings say nothing of either. A few are picked or counted by them: P8 is about
in-service members, P1 and P4 count full members. For those, :data:`DISCREET` gives the wording
without the status or category, and the details that go (lists of people picked by status,
counts of full members, which together with the membership links a researcher does see would
tell each person's status).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Discreet:
    """A check's explanations (zh, en; the rule's placeholders) without membership status or
    category, and the detail keys a masking role does not get."""

    zh: str
    en: str
    hidden: frozenset[str] = frozenset()


#: (rule, check) → its discreet wording; checks not listed reveal neither
DISCREET: dict[tuple[str, str], Discreet] = {
    ("P1", "no_branch"): Discreet(
        "{name}居住或报到的党员已达到建立党支部的人数，但没有党支部覆盖（应建未建）。",
        "Enough Party members live in or are registered at {name} to build a branch, and no "
        "Party branch covers it.",
        frozenset({"full_members", "members"}),
    ),
    ("P4", "no_committee"): Discreet(
        "党支部{name}的党员人数已达到应设支部委员会的规模，但未设支部委员会。",
        "The branch {name} has enough members to need a branch committee, and has none.",
        frozenset({"full_members"}),
    ),
    ("P8", "not_registered"): Discreet(
        "党员{name}（{employer}）未到居住的{homes_names}报到。",
        "The Party member {name} ({employer}) has not registered with {homes_names}, where "
        "they live.",
    ),
}


def discreet(rule: str, check: str) -> Discreet | None:
    """The discreet wording of a check, or None when its own reveals no status or category.

    >>> discreet("P8", "not_registered").zh
    '党员{name}（{employer}）未到居住的{homes_names}报到。'
    >>> discreet("P9", "no_station") is None
    True
    """
    return DISCREET.get((rule, check))
