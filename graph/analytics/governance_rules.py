"""Governance work: rules G1-G3 of ``shared/domain/RULES.md``.

Cadences (G1, G3) are checked over the windows of the evaluation day's year that have *ended*
by that day (on 31 May: January to May; January-February and March-April; the first quarter),
each counting for a body that existed (its earliest PART_OF / COVERS ``since``) at least
``cadence_grace_days`` before the window's end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..ontology import MEETING_HOSTS, choice_label
from ._dates import calendar_windows
from .columns import (
    NO_DAY,
    NO_SINCE,
    NO_UNTIL,
    Bools,
    Codes,
    DayView,
    Int32s,
    day_number,
    day_of,
    groups,
    picked,
)
from .derived import linked, posts, renumbered_numbers
from .engine import Cadence, Check, Finding, Registry, RuleContext, Severity
from .kinds import BRANCH_COMMITTEE_ROLES

RULES = Registry()


class _Meetings(NamedTuple):
    """The meetings held by the day, one row per (meeting, host) link: G1 and G3 both read
    them, so they are kept on the day."""

    host: Int32s
    #: the meeting type, a code of ``types``
    kind: NDArray[np.int16] | NDArray[np.int32]
    types: tuple[str, ...]
    date: Int32s


def _meetings(day: DayView) -> _Meetings:
    def compute() -> _Meetings:
        cols = day.columns
        meeting, host = day.links("HELD_BY", source_kind="Meeting")
        types, dates = cols.codes("Meeting", "meeting_type"), cols.array("Meeting", "date")
        row = cols.local[meeting]
        kind, date = types.codes[row], dates[row]
        last = NO_UNTIL if day.day is None else day.day
        keep = (kind >= 0) & (date != NO_DAY) & (date <= last)
        return _Meetings(host[keep], kind[keep], types.values, date[keep])

    reads = frozenset({"HELD_BY", "Meeting.meeting_type", "Meeting.date"})
    return day.memo(("G1/G3", "meetings"), compute, reads, renumber=renumbered_numbers)


def _founded(day: DayView) -> Int32s:
    """Per node, when it came into being: the earliest ``since`` of its PART_OF / COVERS links
    over the whole history (a body whose links all start after the day has not started yet);
    :data:`NO_SINCE` for none. Only meeting hosts are filled: the bodies a cadence is about."""

    def compute() -> Int32s:
        cols = day.columns
        out = np.full(cols.size, NO_UNTIL, np.int32)
        for kind in ("PART_OF", "COVERS"):
            for b in cols.blocks(kind):
                if b.source_kind in MEETING_HOSTS:
                    dated = b.since != NO_SINCE
                    np.minimum.at(out, b.src[dated], b.since[dated])
        out[out == NO_UNTIL] = NO_SINCE
        return out

    return day.memo(("G1/G3", "founded"), compute, frozenset({"PART_OF", "COVERS"}))


def _hosts(ctx: RuleContext, cadence: Cadence) -> Int32s:
    """The bodies that must hold ``cadence``'s meeting and that the run asks about, sorted."""
    day = ctx.day
    hosts = ctx.kept(day.columns.of_kind(cadence.host_kind))  # each host is judged on its own
    if cadence.host_level:
        hosts = hosts[_level(day, cadence.host_kind, hosts) == cadence.host_level]
    if cadence.requires == "covers_compound":
        covers = day.links("COVERS", cadence.host_kind, "Compound", sources=hosts)[0]
        hosts = hosts[np.isin(hosts, covers)]
    elif cadence.requires == "branch_committee":
        held = posts(day).within(hosts)
        codes = [held.roles.index(r) for r in BRANCH_COMMITTEE_ROLES if r in held.roles]
        hosts = hosts[np.isin(hosts, held.body[np.isin(held.role, codes)])]
    return hosts


def _level(day: DayView, kind: str, bodies: Int32s) -> NDArray[np.object_]:
    """Each of ``bodies`` (sorted)'s level: its ``level`` property, else the kind (lower case)
    of the first place (in id order) it is PART_OF; "" for neither."""
    cols = day.columns
    src, dst = day.links("PART_OF", source_kind=kind, sources=bodies)
    up = np.full(len(bodies), cols.size, np.int32)
    np.minimum.at(up, np.searchsorted(bodies, src), dst)
    kinds = np.array([k.lower() for k in cols.kinds] + [""], dtype=object)
    out = kinds[np.where(up < cols.size, cols.kind[np.minimum(up, cols.size - 1)], -1)]
    try:  # only the kinds with a level in the ontology have the column
        levels = cols.codes(kind, "level")
    except KeyError:
        return out
    code = levels.codes[cols.local[bodies]]
    own = np.array([*levels.values, ""], dtype=object)[code]
    return np.where(code >= 0, own, out)


def _cadence_findings(
    ctx: RuleContext, check: str, cadences: Sequence[Cadence]
) -> Iterator[Finding]:
    """One finding per (body, meeting type) that missed a window of its cadence."""
    day = ctx.day
    met = _meetings(day)
    founded = _founded(day)
    grace = ctx.settings.cadence_grace_days
    for cadence in cadences:
        windows = calendar_windows(ctx.as_of, cadence.months)
        if not windows:
            continue
        # the windows tile the year from 1 January: a day's window is found by bisection
        starts = np.array([day_number(start) for start, _ in windows], np.int32)
        ends = np.array([day_number(end) for _, end in windows], np.int32)
        labels = [f"{start.isoformat()}/{end.isoformat()}" for start, end in windows]
        hosts = _hosts(ctx, cadence)
        if not len(hosts):
            continue
        # a body founded after a window's end less the grace is excused from it (none known:
        # every window)
        first = np.searchsorted(ends - grace, founded[hosts], "left")
        due = np.arange(len(windows)) >= first[:, None]
        kind = cadence.meeting_type
        code = met.types.index(kind) if kind in met.types else -1
        on = (met.kind == code) & (met.date >= starts[0]) & (met.date <= ends[-1])
        host, date = met.host[on], met.date[on]
        at = np.minimum(np.searchsorted(hosts, host), len(hosts) - 1)
        mine = hosts[at] == host
        window = np.searchsorted(starts, date[mine], "right") - 1
        due[at[mine], window] = False
        zh, en = choice_label(kind), kind.replace("_", " ")
        # the windows each host missed, read off all at once (row by row, in window order)
        rows, missed_at = np.nonzero(due)
        late, offset, count = groups(rows)
        for host, i, n in zip(hosts[late].tolist(), offset.tolist(), count.tolist(), strict=True):
            missed = [labels[w] for w in missed_at[i : i + n].tolist()]
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


@RULES.rule(
    "G1",
    "联席会议频次",
    "Joint meeting cadence",
    Check(
        "missed",
        Severity.WARNING,
        "{name}在{missed}期间没有召开{meeting_zh}（应每{months}个月至少一次）。",
        "{name} held no {meeting_en} in {missed} (due every {months} month(s)).",
    ),
    source="the article (compound monthly, township every two months, city quarterly)",
    settings=("g1_cadences", "cadence_grace_days"),
)
def g1_joint_meetings(ctx: RuleContext) -> Iterator[Finding]:
    """For each cadence of ``g1_cadences`` (compound joint meeting monthly, by a branch that
    COVERS a compound; township joint meeting every two months, by a township leadership
    group; city leadership meeting quarterly, by the city leadership group; service center
    meeting monthly), a body with no Meeting of that ``meeting_type`` HELD_BY it in one or more
    of the ended windows → one warning listing the windows missed.

    Examples
    --------
    >>> [(f.subject, f.details["missed"]) for f in run_rule("G1", tiny_city(), AS_OF)]
    [('pb1', ['2021-03-01/2021-03-31'])]
    """
    return _cadence_findings(ctx, "missed", ctx.settings.g1_cadences)


@RULES.rule(
    "G2",
    "诉求办理时限",
    "Appeal deadlines",
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
    source="(local) 12345-hotline rules",
    settings=(
        "g2_deadline_working_days",
        "g2_untyped_as",
        "g2_due_soon_days",
        "g2_repeat_count",
        "g2_repeat_days",
        "holidays",
    ),
)
def g2_appeals(ctx: RuleContext) -> Iterator[Finding]:
    """An Appeal received by the day and not replied by it (no ``replied``, or a later one),
    whose deadline (``received`` plus the working days of ``g2_deadline_working_days`` for its
    ``appeal_type``; untyped ones use ``g2_untyped_as``; urgent: 0, the same day) has passed →
    overdue (gap); whose deadline is at most ``g2_due_soon_days`` days away → due soon (advice).
    Working days are Monday to Friday except ``holidays``. A compound with ``g2_repeat_count``
    or more appeals ABOUT it on one ``topic`` received in the ``g2_repeat_days`` days ending
    on the day → repeat (warning).

    Examples
    --------
    >>> [(f.check, f.subject) for f in run_rule("G2", tiny_city(), AS_OF)]
    [('overdue', 'a1'), ('due_soon', 'a2'), ('repeat', 'c1')]
    """
    s, cols = ctx.settings, ctx.columns
    today = day_number(ctx.as_of)
    received, replied = cols.array("Appeal", "received"), cols.array("Appeal", "replied")
    types, topics = cols.codes("Appeal", "appeal_type"), cols.codes("Appeal", "topic")
    came = (received != NO_DAY) & (received <= today)
    # per type code, then for no type (code -1: the last entry): the type that sets the
    # deadline (an empty type is untyped) and its working days (-1: no deadline)
    kinds = [v or s.g2_untyped_as for v in types.values] + [s.g2_untyped_as]
    allowed = s.g2_deadline_working_days
    work = np.array([allowed.get(k, -1) if k else -1 for k in kinds], np.int64)[types.codes]
    rows = np.flatnonzero(came & ((replied == NO_DAY) | (replied > today)) & (work >= 0))
    appeals = cols.of_kind("Appeal")
    rows = rows[ctx.wanted(appeals[rows])]
    deadline = _add_working_days(received[rows], work[rows], s.holidays)
    late = today - deadline
    warn = late >= -s.g2_due_soon_days  # passed, or at most g2_due_soon_days away
    for row, due, days_late in picked(warn, rows, deadline, late):
        kind = kinds[int(types.codes[row])]
        assert kind is not None  # it has a deadline
        topic = topics.value(int(topics.codes[row]))
        details: dict[str, Any] = {
            "received": day_of(int(received[row])),
            "deadline": day_of(due),
            "appeal_type": kind,
            "appeal_zh": choice_label(kind),
            "topic": topic or "?",
        }
        a = int(appeals[row])
        if days_late > 0:
            yield ctx.finding("overdue", a, days_late=days_late, **details)
        else:
            yield ctx.finding("due_soon", a, **details)
    yield from _repeats(ctx, came & (topics.codes >= 0), received, topics)


def _add_working_days(days: Int32s, n: NDArray[np.int64], holidays: Collection[dt.date]) -> Int32s:
    """:func:`~._dates.add_working_days` of each day number in ``days`` and count in ``n``."""
    out = days.astype(np.int64)
    work = n > 0
    if work.any():
        # the n-th working day after a day is the n-th after the last working day up to it
        out[work] = np.busday_offset(
            out[work].astype("datetime64[D]"),
            n[work],
            "backward",
            holidays=np.array(sorted(holidays), "datetime64[D]"),
        ).astype(np.int64)
    return out.astype(np.int32)


def _repeats(ctx: RuleContext, recent: Bools, received: Int32s, topics: Codes) -> Iterator[Finding]:
    """G2's repeats: the compounds with ``g2_repeat_count`` or more appeals ABOUT them on one
    topic among ``recent`` (by appeal row) received in the window ending on the day."""
    s, cols = ctx.settings, ctx.columns
    recent = recent & (received >= day_number(ctx.as_of) - (s.g2_repeat_days - 1))
    about = linked(ctx.day, "ABOUT", "Appeal", "Compound")
    row = cols.local[about.a]
    keep = recent[row]
    keep[keep] = ctx.wanted(about.b[keep])
    appeal, compound, topic = about.a[keep], about.b[keep], topics.codes[row[keep]]
    # by compound, then topic (codes in the order of the texts), then appeal: ids in order
    order = np.lexsort((appeal, topic, compound))
    appeal, compound, topic = appeal[order], compound[order], topic[order]
    _, starts, counts = groups((compound.astype(np.int64) << 32) | topic)  # sorted: no reorder
    often = counts >= s.g2_repeat_count
    for start, count in zip(starts[often].tolist(), counts[often].tolist(), strict=True):
        text = topics.values[int(topic[start])]
        yield ctx.finding(
            "repeat",
            int(compound[start]),
            part=text,
            topic=text,
            count=count,
            days=s.g2_repeat_days,
            appeals=cols.ids_of(appeal[start : start + count]),
        )


@RULES.rule(
    "G3",
    "三会一课",
    "Party meeting cadence",
    Check(
        "below_cadence",
        Severity.WARNING,
        "{name}在{missed}期间没有{meeting_zh}记录（应每{months}个月至少一次）。",
        "{name} has no {meeting_en} recorded in {missed} (due every {months} month(s)).",
    ),
    source="Regulations on Party Branch Work (trial) 《中国共产党支部工作条例（试行）》 "
    "arts. 11-13",
    settings=("g3_cadences", "cadence_grace_days"),
)
def g3_party_meetings(ctx: RuleContext) -> Iterator[Finding]:
    """For each cadence of ``g3_cadences`` (三会一课: branch assembly quarterly; branch
    committee monthly, for branches with a committee; Party group meeting monthly; theme Party
    day monthly), a body with no Meeting of that ``meeting_type`` HELD_BY it in one or more of
    the ended windows → one warning listing the windows missed.

    Examples
    --------
    >>> [(f.subject, f.details["meeting_type"], f.details["windows"])
    ...  for f in run_rule("G3", tiny_city(), AS_OF)]
    [('pb1', 'branch_committee', 5), ('pb1', 'theme_party_day', 5), ('pg1', 'group_meeting', 5)]
    """
    return _cadence_findings(ctx, "below_cadence", ctx.settings.g3_cadences)
