"""Who fixes each rule's findings and by when, the coverage trend and the what-if of a draft:
their docstring examples, and the tables complete."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

import networkx as nx
import pytest

from govgraph.graph.analytics import RULES, RuleSettings, Severity, coverage_summary
from govgraph.graph.analytics.projection import project
from govgraph.graph.analytics.remedies import RESPONSIBLE
from govgraph.graph.analytics.trend import rates_only
from govgraph.graph.embedded import EmbeddedStore

Run = Callable[[Awaitable[Any]], Any]


@pytest.mark.parametrize(
    "name",
    [
        "govgraph.graph.analytics.remedies",
        "govgraph.graph.analytics.trend",
        "govgraph.graph.analytics.whatif",
        "govgraph.loaders.rectification",
    ],
)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
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


def test_the_trend_reads_the_rates_of_every_place_without_the_households(
    demo: EmbeddedStore, run: Run
) -> None:
    # rates_only drops units, OWNS and RESIDES_IN: every coverage row (every level, every
    # figure) must stay the same on any day
    history = nx.freeze(run(project(demo)))
    rates = rates_only(history)
    assert rates.number_of_edges() < history.number_of_edges()
    for day in (dt.date(2019, 12, 31), dt.date(2020, 6, 30), dt.date(2021, 5, 31)):
        for scope in (None, "town-1"):
            assert coverage_summary(rates, day, scope, findings=()) == coverage_summary(
                history, day, scope, findings=()
            )
