"""Who fixes each rule's findings and by when, the coverage trend and the what-if of a draft:
their docstring examples, and the tables complete."""

from __future__ import annotations

import doctest
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from govgraph.graph.analytics import RULES, RuleSettings, Severity
from govgraph.graph.analytics.examples import doctest_names
from govgraph.graph.analytics.remedies import RESPONSIBLE

Run = Callable[[Awaitable[Any]], Any]


@pytest.mark.parametrize(
    "name",
    [
        "govgraph.graph.analytics.discreet",
        "govgraph.graph.analytics.remedies",
        "govgraph.graph.analytics.trend",
        "govgraph.graph.analytics.whatif",
        "govgraph.loaders.rectification",
    ],
)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS, extraglobs=doctest_names()
    )
    assert result.failed == 0 and result.attempted > 0


def test_every_rule_names_who_fixes_it() -> None:
    assert set(RESPONSIBLE) == set(RULES)
    for r in RULES.values():
        assert r.responsible == RESPONSIBLE[r.id] and r.responsible.zh and r.responsible.en


def test_a_rules_deadline_setting_wins_over_its_severitys() -> None:
    assert RULES["O8"].deadline_days(Severity.WARNING) == 30
    assert RULES["O6"].deadline_days(Severity.WARNING) == 60
    settings = RuleSettings(deadline_days={"O6": 14})
    assert RULES["O6"].deadline_days(Severity.WARNING, settings) == 14
    assert RULES["P1"].deadline_days(Severity.GAP, settings) == 90


def test_every_severity_needs_a_default_deadline() -> None:
    with pytest.raises(ValueError, match="one number of days"):
        RuleSettings(deadline_days_by_severity={"gap": 90})
