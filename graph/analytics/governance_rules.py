"""Governance work: rules G1-G3 of ``shared/domain/RULES.md``.

Cadences (G1, G3) are checked over calendar windows: the months, two-month periods or quarters
of the evaluation day's year, from 1 January, that have *ended* by that day (with ``as_of`` on
31 May: January to May; January-February and March-April; the first quarter). A window counts
for a body that existed (the earliest ``since`` of its PART_OF / COVERS links) at least
``cadence_grace_days`` days before the window's end; the default, 0, reads RULES.md literally:
every window the body existed in must have its meeting.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import networkx as nx

from ..ontology import choice_label
from ._dates import ONE_DAY, add_working_days, calendar_windows
from ._patch import tables
from .engine import Cadence, Check, Finding, Rule, RuleContext, Severity, rule

RULES: list[Rule] = []


def _level(ctx: RuleContext, body: str) -> str:
    """A body's level: its ``level`` property, else the kind of place it is PART_OF."""
    f = ctx.facts
    level = f.props(body).get("level")
    if isinstance(level, str):
        return level
    return next((f.kind(p).lower() for p in f.out(body, "PART_OF")), "")


def _hosts(ctx: RuleContext, cadence: Cadence) -> list[str]:
    f = ctx.facts
    out: list[str] = []
    for h in ctx.subjects(cadence.host_kind):
        if cadence.host_level and _level(ctx, h) != cadence.host_level:
            continue
        if cadence.requires == "covers_compound" and not f.out(h, "COVERS", "Compound"):
            continue
        if cadence.requires == "branch_committee" and not f.branch_committee(h):
            continue
        out.append(h)
    return out


def _started(ctx: RuleContext, body: str) -> dt.date | None:
    """When a body came into being: the earliest ``since`` of its PART_OF / COVERS links, read
    from the history (a body whose links all start after the day has not started yet)."""
    links = tables(ctx.history)[1].get(body, {})  # not a view: a new version stays layered
    days = [
        d["since"]
        for keys in links.values()
        for d in keys.values()
        if d.get("kind") in ("PART_OF", "COVERS") and isinstance(d.get("since"), dt.date)
    ]
    return min(days) if days else None


def _meetings(ctx: RuleContext) -> dict[tuple[str, str], list[dt.date]]:
    """(host, meeting type) → the days it met, up to the evaluation day (G1 and G3 both read
    it: on the whole graph it is kept with the index, per day)."""
    if ctx.scope is None:
        found: dict[tuple[str, str], list[dt.date]] = ctx.facts.memo(
            ("meetings", ctx.as_of), lambda: dict(_met(ctx))
        )
        return found
    return _met(ctx)


def _met(ctx: RuleContext) -> dict[tuple[str, str], list[dt.date]]:
    f = ctx.facts
    out: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    for m in ctx.subjects("Meeting"):
        day, kind = f.props(m).get("date"), f.props(m).get("meeting_type")
        if isinstance(day, dt.date) and day <= ctx.as_of and isinstance(kind, str):
            for host in f.out(m, "HELD_BY"):
                out[(host, kind)].append(day)
    return out


def _cadence_findings(
    ctx: RuleContext, check: str, cadences: Sequence[Cadence]
) -> Iterator[Finding]:
    """One finding per (body, meeting type) that missed a window of its cadence."""
    met = _meetings(ctx)
    grace = dt.timedelta(days=ctx.settings.cadence_grace_days)
    # when each body began (read from the history, fixed for a version): on the whole graph
    # kept with the index, since G1 and G3 ask every run
    founded: dict[str, dt.date | None] = (
        ctx.facts.memo("founded", dict) if ctx.scope is None else {}
    )
    for cadence in cadences:
        windows = calendar_windows(ctx.as_of, cadence.months)
        if not windows:
            continue
        # the windows tile the year from 1 January: a day's window is found by bisection
        starts = [start for start, _ in windows]
        last = windows[-1][1]
        #: a body founded after a window's end less the grace is excused from it
        due = [end - grace for _, end in windows]
        labels = [f"{start.isoformat()}/{end.isoformat()}" for start, end in windows]
        kind = cadence.meeting_type
        zh, en = choice_label(kind), kind.replace("_", " ")
        for host in _hosts(ctx, cadence):
            if host not in founded:  # a branch has several cadences
                founded[host] = _started(ctx, host)
            started = founded[host]
            first = 0 if started is None else bisect.bisect_left(due, started)
            days = met.get((host, kind))
            if days:
                held = {bisect.bisect_right(starts, d) - 1 for d in days if starts[0] <= d <= last}
                missed = [labels[i] for i in range(first, len(windows)) if i not in held]
            else:  # never met: every window it was due in
                missed = labels[first:]
            if missed:
                yield ctx.finding(
                    check,
                    host,
                    part=kind,
                    meeting_type=kind,
                    meeting_zh=zh,
                    meeting_en=en,
                    months=cadence.months,
                    missed=missed,
                    windows=len(missed),
                )


@rule(
    RULES,
    "G1",
    "联席会议频次",
    "Joint meeting cadence",
    source="the article (compound monthly, township every two months, city quarterly)",
    national=False,
    settings=("g1_cadences", "cadence_grace_days"),
    checks=(
        Check(
            "missed",
            Severity.WARNING,
            "{name}在{missed}期间没有召开{meeting_zh}（应每{months}个月至少一次）。",
            "{name} held no {meeting_en} in {missed} (due every {months} month(s)).",
        ),
    ),
)
def g1_joint_meetings(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """For each cadence of ``g1_cadences`` (compound joint meeting monthly, by a branch that
    COVERS a compound; township joint meeting every two months, by a township leadership
    group; city leadership meeting quarterly, by the city leadership group; service center
    meeting monthly), a body with no Meeting of that ``meeting_type`` HELD_BY it in one or more
    of the ended windows → one warning listing the windows missed.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["missed"]) for f in run_rule("G1", tiny_city(), AS_OF)]
    [('pb1', ['2021-03-01/2021-03-31'])]
    """
    return _cadence_findings(ctx, "missed", ctx.settings.g1_cadences)


@rule(
    RULES,
    "G2",
    "诉求办理时限",
    "Appeal deadlines",
    source="(local) 12345-hotline rules",
    national=False,
    settings=(
        "g2_deadline_working_days",
        "g2_untyped_as",
        "g2_due_soon_days",
        "g2_repeat_count",
        "g2_repeat_days",
        "holidays",
    ),
    checks=(
        Check(
            "overdue",
            Severity.GAP,
            "{received}受理的{appeal_zh}诉求（{topic}）应于{deadline}前回复，至今未回复。",
            "The {appeal_type} appeal ({topic}) received on {received} was due by {deadline} "
            "and has no reply.",
        ),
        Check(
            "due_soon",
            Severity.ADVICE,
            "{received}受理的{appeal_zh}诉求（{topic}）须于{deadline}前回复。",
            "The {appeal_type} appeal ({topic}) received on {received} is due by {deadline}.",
        ),
        Check(
            "repeat",
            Severity.WARNING,
            "{name}在{days}天内就“{topic}”提出{count}次诉求。",
            "{name} raised {count} appeals about {topic} within {days} days.",
        ),
    ),
)
def g2_appeals(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """An Appeal received by the day and not replied by it (no ``replied``, or a later one),
    whose deadline (``received`` plus the working days of ``g2_deadline_working_days`` for its
    ``appeal_type``; untyped ones use ``g2_untyped_as``; urgent: 0, the same day) has passed →
    overdue (gap); whose deadline is at most ``g2_due_soon_days`` days away → due soon (advice).
    Working days are Monday to Friday except ``holidays``. A compound with ``g2_repeat_count``
    or more appeals ABOUT it on one ``topic`` received in the ``g2_repeat_days`` days ending
    on the day → repeat (warning).

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.check, f.subject) for f in run_rule("G2", tiny_city(), AS_OF)]
    [('overdue', 'a1'), ('due_soon', 'a2'), ('repeat', 'c1')]
    """
    f = ctx.facts
    s = ctx.settings
    first_day = ctx.as_of - dt.timedelta(days=s.g2_repeat_days - 1)
    recent: dict[tuple[str, str], list[str]] = defaultdict(list)
    deadlines: dict[tuple[dt.date, str], dt.date] = {}
    for a in ctx.subjects("Appeal"):
        props = f.props(a)
        received, replied = props.get("received"), props.get("replied")
        if not isinstance(received, dt.date) or received > ctx.as_of:
            continue
        topic = props.get("topic")
        if isinstance(topic, str) and received >= first_day:
            for c in f.out(a, "ABOUT", "Compound"):
                recent[(c, topic)].append(a)
        if isinstance(replied, dt.date) and replied <= ctx.as_of:
            continue
        kind = props.get("appeal_type") or s.g2_untyped_as
        if kind not in s.g2_deadline_working_days:
            continue
        deadline = deadlines.get((received, kind))
        if deadline is None:  # ~365 days x 3 types, for any number of appeals
            deadline = deadlines[received, kind] = add_working_days(
                received, s.g2_deadline_working_days[kind], s.holidays
            )
        details: dict[str, Any] = {
            "received": received,
            "deadline": deadline,
            "appeal_type": kind,
            "appeal_zh": choice_label(kind),
            "topic": topic or "?",
        }
        if ctx.as_of > deadline:
            yield ctx.finding("overdue", a, days_late=(ctx.as_of - deadline).days, **details)
        elif ctx.as_of >= deadline - s.g2_due_soon_days * ONE_DAY:
            yield ctx.finding("due_soon", a, **details)
    for (c, topic), appeals in sorted(recent.items()):
        if len(appeals) >= s.g2_repeat_count:
            yield ctx.finding(
                "repeat",
                c,
                part=topic,
                topic=topic,
                count=len(appeals),
                days=s.g2_repeat_days,
                appeals=appeals,
            )


@rule(
    RULES,
    "G3",
    "三会一课",
    "Party meeting cadence",
    source="Regulations on Party Branch Work (trial) 《中国共产党支部工作条例（试行）》 "
    "arts. 11-13",
    national=True,
    settings=("g3_cadences", "cadence_grace_days"),
    checks=(
        Check(
            "below_cadence",
            Severity.WARNING,
            "{name}在{missed}期间没有{meeting_zh}记录（应每{months}个月至少一次）。",
            "{name} has no {meeting_en} recorded in {missed} (due every {months} month(s)).",
        ),
    ),
)
def g3_party_meetings(graph: nx.MultiDiGraph, ctx: RuleContext) -> Iterator[Finding]:
    """For each cadence of ``g3_cadences`` (三会一课: branch assembly quarterly; branch
    committee monthly, for branches with a committee; Party group meeting monthly; theme Party
    day monthly), a body with no Meeting of that ``meeting_type`` HELD_BY it in one or more of
    the ended windows → one warning listing the windows missed.

    Examples
    --------
    >>> from govgraph.graph.analytics.examples import AS_OF, tiny_city
    >>> from govgraph.graph.analytics.rules import run_rule
    >>> [(f.subject, f.details["meeting_type"], f.details["windows"])
    ...  for f in run_rule("G3", tiny_city(), AS_OF)]
    [('pb1', 'branch_committee', 5), ('pb1', 'theme_party_day', 5), ('pg1', 'group_meeting', 5)]
    """
    return _cadence_findings(ctx, "below_cadence", ctx.settings.g3_cadences)
