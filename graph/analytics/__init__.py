"""Analytics over the governance graph: plain functions over a columnar index of a store
(:class:`Columns`, kept by :class:`AnalyticsCache`) or a NetworkX projection of it.

* :mod:`.rules` — the rules of ``shared/domain/RULES.md``: :func:`run_rules` returns
  :class:`Finding` records rolled up to their places; :class:`RuleSettings` holds every threshold.
* :mod:`.coverage` — the roll-ups per place, and the "uncovered communities" ranking.
* :mod:`.ties` — cross-appointment, multiple posts, conflicts of interest, interlocks, brokers,
  tie communities, ego networks and shortest paths.
* :mod:`.span` — :func:`data_span`, the evaluation day to default to.

Every function returns plain data and takes an optional ``scope``: the id of a place,
restricting it to what sits under that one.
"""

from .cache import AnalyticsCache, CacheStats
from .columns import Columns, DayView, Indexed
from .coverage import (
    CommunityGaps,
    CoverageRow,
    EmployerRegistration,
    Ratio,
    Reason,
    coverage_summary,
    registration_by_employer,
    uncovered_communities,
)
from .engine import (
    Cadence,
    Check,
    Finding,
    Responsible,
    Rule,
    RuleContext,
    RuleSettings,
    Severity,
)
from .kinds import ANALYTIC_LINK_KINDS, ANALYTIC_NODE_KINDS
from .projection import at, project
from .rules import RULE_SETS, RULES, count_by_severity, not_evaluable, rule_set, run_rule, run_rules
from .span import DataSpan, data_span
from .ties import (
    TIE_LINKS,
    Broker,
    CompoundTies,
    ConflictOfInterest,
    EgoNetwork,
    GraphLink,
    GraphNode,
    Interlock,
    MultiPostHolder,
    Path,
    Post,
    TieCommunity,
    brokers,
    communities,
    conflicts_of_interest,
    cross_appointments,
    ego_network,
    interlocks,
    multi_post_holders,
    shortest_path,
)
from .trend import MAX_TREND_MONTHS, TrendPoint, coverage_trend
from .whatif import WhatIf, what_if

__all__ = [
    "ANALYTIC_LINK_KINDS",
    "ANALYTIC_NODE_KINDS",
    "MAX_TREND_MONTHS",
    "RULES",
    "RULE_SETS",
    "TIE_LINKS",
    "AnalyticsCache",
    "Broker",
    "CacheStats",
    "Cadence",
    "Check",
    "Columns",
    "CommunityGaps",
    "CompoundTies",
    "ConflictOfInterest",
    "CoverageRow",
    "DataSpan",
    "DayView",
    "EgoNetwork",
    "EmployerRegistration",
    "Finding",
    "GraphLink",
    "GraphNode",
    "Indexed",
    "Interlock",
    "MultiPostHolder",
    "Path",
    "Post",
    "Ratio",
    "Reason",
    "Responsible",
    "Rule",
    "RuleContext",
    "RuleSettings",
    "Severity",
    "TieCommunity",
    "TrendPoint",
    "WhatIf",
    "at",
    "brokers",
    "communities",
    "conflicts_of_interest",
    "count_by_severity",
    "coverage_summary",
    "coverage_trend",
    "cross_appointments",
    "data_span",
    "ego_network",
    "interlocks",
    "multi_post_holders",
    "not_evaluable",
    "project",
    "registration_by_employer",
    "rule_set",
    "run_rule",
    "run_rules",
    "shortest_path",
    "uncovered_communities",
    "what_if",
]
