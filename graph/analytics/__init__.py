"""Analytics over the governance graph: plain functions over a columnar index of a store
(:class:`Columns`, read by :meth:`AnalyticsCache.index`) or a NetworkX projection of it.

* :mod:`.rules` — the coverage and compliance rules of ``shared/domain/RULES.md`` (P1-P9, O1-O8,
  M1-M3, G1-G3): :func:`run_rules` returns :class:`Finding` records, each rolled up to its
  compound, community, township and city; :class:`RuleSettings` holds every threshold and which
  rules run.
* :mod:`.coverage` — the roll-ups the organization department reads, per place, and the
  "uncovered communities" ranking.
* :mod:`.ties` — cross-appointment, people holding several posts, conflicts of interest,
  interlocks, brokers, tie communities, ego networks and shortest paths.
* :mod:`.cache` — :class:`AnalyticsCache`, which keeps the index until the store changes.
* :mod:`.projection` — a NetworkX projection of the store (:func:`project`, :func:`at`), for
  callers that want NetworkX; every analysis accepts one too.
* :mod:`.span` — :func:`data_span`, the first and last day the data records (the evaluation
  day to default to: a ledger is a snapshot of its own day, not of today).

Every function returns dataclasses, lists and dicts, and takes an optional ``scope``: the id
of a city, township, community or compound, restricting it to the places under that one.
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
