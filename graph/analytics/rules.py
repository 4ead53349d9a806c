"""Every rule of ``shared/domain/RULES.md`` (:data:`RULES`, by id: P1-P9, O1-O8, M1-M3, G1-G3)
and the function that runs them (:func:`run_rules`), in a fixed order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import networkx as nx

from ..errors import Problem, ValidationError
from . import governance_rules, owners_rules, party_rules, property_rules
from .columns import Columns, columns_for
from .derived import scope_number, under
from .discreet import withheld
from .engine import SEVERITIES, Check, Finding, Rule, RuleContext, RuleSettings, Severity
from .remedies import RESPONSIBLE

RULES: dict[str, Rule] = {
    r.id: replace(r, responsible=RESPONSIBLE[r.id])  # who fixes it: one table, remedies.py
    for r in (
        *party_rules.RULES,
        *owners_rules.RULES,
        *property_rules.RULES,
        *governance_rules.RULES,
    )
}

_ONE_OF = "one of " + ", ".join(RULES)
#: named rule sets: every rule, the ones resting on national rules only, and the ones resting on
#: the article or local practice
RULE_SETS: dict[str, frozenset[str] | None] = {
    "all": None,
    "national": frozenset(r.id for r in RULES.values() if r.national),
    "local": frozenset(r.id for r in RULES.values() if not r.national),
}


def rule_set(name: str, **thresholds: Any) -> RuleSettings:
    """Settings running the named rule set (``all``, ``national``, ``local``).

    Examples
    --------
    >>> sorted(rule_set("national").enabled or ())[:4]
    ['G3', 'O1', 'O2', 'O3']
    >>> rule_set("all", p3_max_branch_members=40).p3_max_branch_members
    40
    """
    if name not in RULE_SETS:
        raise ValidationError(Problem("rule set", "name", name, "one of " + ", ".join(RULE_SETS)))
    return RuleSettings(enabled=RULE_SETS[name], **thresholds)


def not_evaluable() -> list[tuple[str, Check]]:
    """The checks the ontology cannot support, with their rule ids (each has a ``reason``).

    Examples
    --------
    >>> [(rid, c.code) for rid, c in not_evaluable()]
    [('P1', 'cluster'), ('M2', 'no_instructor')]
    """
    return [(r.id, c) for r in RULES.values() for c in r.checks if not c.evaluable]


def run_rules(
    graph: nx.MultiDiGraph | Columns,
    settings: RuleSettings | None = None,
    *,
    as_of: dt.date,
    scope: str | None = None,
    discreet: bool = False,
) -> list[Finding]:
    """Evaluate the enabled rules on ``graph`` as of ``as_of``.

    Parameters
    ----------
    graph
        The cache's index or a projection, best with the whole history: the rules read the
        links valid on ``as_of``, and P7 the memberships that had ended by then.
    settings
        Which rules run and their thresholds; the defaults of RULES.md when omitted.
    as_of
        The evaluation day: terms, deadlines and meeting windows are judged on it.
    scope
        A city, township, community or compound id: only the findings under it.
    discreet
        For a reader who may not learn Party membership status or category (:mod:`.discreet`).

    Returns
    -------
    list of Finding
        Sorted by rule (P1 ... G3), then subject, check and finding id.

    Examples
    --------
    >>> findings = run_rules(tiny_city(), as_of=AS_OF)
    >>> [f.id for f in findings][:3]
    ['P1:no_branch:c2', 'P4:committee_size:pb1', 'P6:building_without_group:b2']
    >>> findings[0].explanation_en
    '3 full Party members live in or are registered at 示例乙小区, and no Party branch covers it.'
    >>> findings[0].community, findings[0].severity.value
    ('comm', 'gap')
    >>> [f.rule for f in run_rules(tiny_city(), as_of=AS_OF, scope="c2")]
    ['P1', 'P9', 'O1', 'M1']
    >>> [(f.id, dict(f.details)) for f in run_rules(tiny_city(), as_of=AS_OF, discreet=True)][:1]
    [('P1:no_branch:c2', {'party_members': 3})]
    """
    settings = settings or RuleSettings()
    asked = set(settings.enabled or ()) | set(settings.disabled)
    unknown = sorted(asked - set(RULES))
    if unknown:
        raise ValidationError([Problem("rule settings", "enabled", r, _ONE_OF) for r in unknown])
    # P7 and G1/G3 read the history the caller gave (a graph cut to a day has none)
    day = columns_for(graph).day(as_of)
    number = scope_number(day.columns, scope)
    inside = None if number is None else under(day, number)
    found: list[Finding] = []
    for r in RULES.values():  # in rule order: each rule's findings sorted on their own
        if not r.evaluable or not settings.is_enabled(r.id) or (discreet and withheld(r.id)):
            continue
        codes = {c.code: i for i, c in enumerate(r.checks)}
        mine = [
            finding
            for finding in r.evaluate(RuleContext(as_of, settings, day, r, discreet, number))
            if inside is None
            or scope in (finding.compound, finding.community, finding.township, finding.city)
            or inside[day.columns.number(finding.subject)]
        ]
        mine.sort(key=lambda x: (x.subject, codes[x.check], x.id))
        found += mine
    return found


def run_rule(
    rule_id: str, graph: nx.MultiDiGraph | Columns, as_of: dt.date, **thresholds: Any
) -> list[Finding]:
    """Evaluate one rule, thresholds overriding the defaults (for examples and tests).

    Examples
    --------
    >>> [f.subject for f in run_rule("P9", tiny_city(), AS_OF)]
    ['c2']
    """
    if rule_id not in RULES:
        raise ValidationError(Problem("rule", "id", rule_id, _ONE_OF))
    return run_rules(graph, RuleSettings(enabled=frozenset({rule_id}), **thresholds), as_of=as_of)


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    """Findings per severity, every severity present (most serious first).

    Examples
    --------
    >>> count_by_severity(run_rule("G2", tiny_city(), AS_OF))
    {'error': 0, 'conflict': 0, 'gap': 1, 'warning': 1, 'advice': 1}
    """
    out = {s.value: 0 for s in SEVERITIES}
    for f in findings:
        out[Severity(f.severity).value] += 1
    return out
