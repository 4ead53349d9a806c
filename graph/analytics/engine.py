"""The rules engine's vocabulary: severities, checks, rule declarations, findings and settings.

A rule is a declaration (id, titles, source, its checks with their severities and explanations
in Chinese and English, the settings it reads) plus a plain function ``(ctx) -> findings``,
declared in ``party_rules``, ``owners_rules``, ``property_rules`` and ``governance_rules`` and
run by :mod:`.rules`. Every threshold of ``shared/domain/RULES.md`` is a field of
:class:`RuleSettings`, as are the rules enabled: a deployment switches rule sets by
configuration, not by code.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..ontology import APPEAL_TYPES, MEETING_HOSTS, MEETING_KINDS
from .columns import Bools, Columns, DayView, Delta, Int32s
from .derived import PLACE_READS, relocated, under
from .derived import place as places_on
from .derived_patch import without
from .discreet import discreet_details, reword


class Severity(StrEnum):
    """How serious a finding is (RULES.md: gap / warning / advice, plus conflict and error)."""

    ERROR = "error"  # the data contradicts a hard rule (a committee member who owns nothing)
    CONFLICT = "conflict"  # a conflict of interest
    GAP = "gap"  # something that should exist does not (应建未建, overdue, not covered)
    WARNING = "warning"  # outside a threshold
    ADVICE = "advice"  # worth doing, not required


#: severities from the most to the least serious (the order reports use)
SEVERITIES: tuple[Severity, ...] = tuple(Severity)

#: how each severity reads in Chinese (the console, the rectification list, the CLI)
SEVERITY_LABELS_ZH: dict[Severity, str] = {
    Severity.ERROR: "数据错误",
    Severity.CONFLICT: "利益冲突",
    Severity.GAP: "缺口",
    Severity.WARNING: "预警",
    Severity.ADVICE: "建议",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One thing a rule checks: a code, its severity and its explanations, templates filled with
    the finding's details and ``{name}`` (the subject's name, or id). A check the ontology
    cannot support is declared ``evaluable=False``, with the ``reason``."""

    code: str
    severity: Severity
    zh: str
    en: str
    evaluable: bool = True
    reason: str = ""


RuleFunc = Callable[["RuleContext"], Iterable["Finding"]]


@dataclass(frozen=True, slots=True)
class Responsible:
    """The body responsible for fixing what a rule finds (see :mod:`.remedies`)."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's declaration and its function."""

    id: str
    title_zh: str
    title_en: str
    #: the citation from RULES.md
    source: str
    checks: tuple[Check, ...]
    #: the fields of :class:`RuleSettings` the rule reads
    settings: tuple[str, ...]
    evaluate: RuleFunc = field(repr=False)
    #: who fixes its findings: set for every rule from :data:`.remedies.RESPONSIBLE`
    responsible: Responsible = Responsible("", "")

    @property
    def national(self) -> bool:
        """True when the source is national (law, regulations, Party rules), False when it is
        the article or local practice (RULES.md's sources "the article" and "(local)")."""
        return not self.source.startswith(("the article", "(local)"))

    @property
    def evaluable(self) -> bool:
        """True when at least one of its checks can be evaluated from the ontology."""
        return any(c.evaluable for c in self.checks)

    @property
    def how(self) -> str:
        """Its function's docstring up to the Examples, as one paragraph of Markdown."""
        doc = inspect.getdoc(self.evaluate) or ""
        text = re.split(r"\n\s*Examples\n-+\n", doc)[0].strip()
        text = re.sub(r":\w+:`~?(?:[\w.]+\.)?(\w+)`", r"`\1`", text)
        return re.sub(r"\s+", " ", text.replace("``", "`"))

    def check(self, code: str) -> Check:
        for c in self.checks:
            if c.code == code:
                return c
        raise KeyError(f"rule {self.id} has no check {code!r}")

    def values(self, settings: RuleSettings) -> dict[str, Any]:
        """The settings this rule reads, with their values in ``settings``."""
        return {name: getattr(settings, name) for name in self.settings}

    def deadline_days(self, severity: Severity | str, settings: RuleSettings | None = None) -> int:
        """Suggested days to fix a finding of this rule: its own, else its severity's."""
        s = settings or _DEFAULT_SETTINGS
        own = s.deadline_days.get(self.id)
        return own if own is not None else s.deadline_days_by_severity[Severity(severity).value]


#: the details of a finding that has none
_NO_DETAILS: Mapping[str, Any] = MappingProxyType({})


class Finding(NamedTuple):
    """One thing a rule found, with the place it rolls up to.

    ``id`` is unique within a run (``rule:check:subject``, plus a part when one subject can be
    found twice). ``details`` holds plain values (numbers, text, dates, lists of ids).

    A named tuple, its explanations written when read: a run at the province finds hundreds of
    thousands of things, most of them counted or paged, not shown, and a frozen dataclass
    costs a ``__setattr__`` call per field.
    """

    id: str
    rule: str
    check: str
    severity: Severity
    subject: str
    subject_kind: str
    subject_name: str | None
    compound: str | None
    community: str | None
    township: str | None
    city: str | None
    source: str
    found_by: Check
    details: Mapping[str, Any] = _NO_DETAILS

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={v!r}" for k, v in zip(self._fields, self, strict=True) if k != "found_by"
        )
        return f"Finding({shown})"

    @property
    def explanation_zh(self) -> str:
        """The explanation in Chinese: the check's template filled with the details."""
        return _explain(self.found_by.zh, self.subject_name or self.subject, self.details, "、")

    @property
    def explanation_en(self) -> str:
        """The explanation in English."""
        return _explain(self.found_by.en, self.subject_name or self.subject, self.details, ", ")

    def renamed(self, rename: Callable[[str], str]) -> Finding:
        """The finding with every id in it passed through ``rename`` (a researcher's
        pseudonyms).

        Examples
        --------
        >>> f = run_rule("P7", tiny_city(), AS_OF)[1].renamed(lambda i: i.replace("p8", "anon"))
        >>> f.id, f.explanation_en[:24]
        ('P7:no_branch:anon', 'The Party member anon be')
        """
        return self._replace(
            id=":".join(rename(part) for part in self.id.split(":")),
            subject=rename(self.subject),
            details={k: _renamed(v, rename) for k, v in self.details.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data (dates as ISO text).

        Examples
        --------
        >>> d = run_rule("O8", tiny_city(), AS_OF)[0].to_dict()
        >>> d["severity"], d["subject"], d["details"]["elected_on"]
        ('warning', 'oc1', '2021-01-10')
        """
        out = {name: getattr(self, name) for name in _PLAIN_FIELDS}
        out["severity"] = self.severity.value
        out["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        return out


#: a finding's fields as ``Finding.to_dict`` writes them, in the order reports print them: its
#: own but the check that found it, the explanations before the source
_OWN_FIELDS = tuple(f for f in Finding._fields if f not in ("source", "found_by", "details"))
FINDING_FIELDS = (*_OWN_FIELDS, "explanation_zh", "explanation_en", "source", "details")
_PLAIN_FIELDS = tuple(f for f in FINDING_FIELDS if f not in ("severity", "details"))


def _renamed(value: Any, rename: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return rename(value)
    if isinstance(value, list | tuple):
        return [_renamed(v, rename) for v in value]
    if isinstance(value, Mapping):
        return {k: _renamed(v, rename) for k, v in value.items()}
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- settings -------------------------------------------------------------------------------------
class Cadence(BaseModel):
    """A meeting that a kind of body must hold at least once in every window of ``months``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meeting_type: str
    host_kind: str
    months: int = Field(ge=1, le=12)
    #: LeadershipGroup only: the level (``city``/``township``) of the groups that must meet
    host_level: str | None = None
    #: only hosts that cover a compound (compound branches) / that have a branch committee
    requires: Literal["", "covers_compound", "branch_committee"] = ""

    @field_validator("meeting_type", "host_kind")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        known = MEETING_KINDS if info.field_name == "meeting_type" else MEETING_HOSTS
        if value not in known:
            raise ValueError(f"one of {', '.join(known)}")
        return value


def _every(months: int, meeting_type: str, host_kind: str, **more: Any) -> Cadence:
    """The cadence of a ``meeting_type`` held by a ``host_kind`` every ``months``."""
    return Cadence(meeting_type=meeting_type, host_kind=host_kind, months=months, **more)


#: G1 (RULES.md): compound joint meeting monthly, township every two months, city quarterly; the
#: article adds the community service center's monthly meeting
G1_CADENCES = (
    _every(1, "compound_joint_meeting", "PartyBranch", requires="covers_compound"),
    _every(2, "township_joint_meeting", "LeadershipGroup", host_level="township"),
    _every(3, "city_leadership_meeting", "LeadershipGroup", host_level="city"),
    _every(1, "service_center_meeting", "ServiceCenter"),
)
#: G3 (三会一课, Branch Regulations arts. 11-13): assembly quarterly, committee, group and theme
#: Party day monthly
G3_CADENCES = (
    _every(3, "branch_assembly", "PartyBranch"),
    _every(1, "branch_committee", "PartyBranch", requires="branch_committee"),
    _every(1, "group_meeting", "PartyGroup"),
    _every(1, "theme_party_day", "PartyBranch"),
)


class RuleSettings(BaseModel):
    """Which rules run and every threshold they use; the defaults are RULES.md's.

    Examples
    --------
    >>> s = RuleSettings(p1_min_full_members=5, disabled=frozenset({"O6"}))
    >>> s.p1_min_full_members, s.is_enabled("O6"), s.is_enabled("P1")
    (5, False, True)
    >>> RuleSettings.model_validate_json('{"enabled": ["P1", "P9"]}').is_enabled("O1")
    False
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: the rules to run (None: every evaluable rule) and the ones to leave out
    enabled: frozenset[str] | None = None
    disabled: frozenset[str] = frozenset()

    # Party organization coverage
    p1_min_full_members: int = Field(3, ge=1, description="P1: full members that need a branch")
    p2_max_joint_compounds: int = Field(5, ge=1, description="P2: compounds a joint branch covers")
    p3_max_branch_members: int = Field(50, ge=1, description="P3: members of one branch")
    p4_committee_required_from: int = Field(7, ge=1, description="P4: full members → committee")
    p4_committee_min: int = Field(3, ge=1, description="P4: smallest branch committee")
    p4_committee_max: int = Field(7, ge=1, description="P4: largest branch committee")
    p5_term_years: int = Field(5, ge=1, description="P5: branch term when the branch has none")
    p6_max_buildings_without_group: int = Field(
        3, ge=0, description="P6: member buildings without a group one branch may have"
    )
    p9_community_station_counts: bool = Field(
        False, description="P9: a station serving the community serves its compounds"
    )
    # owners' committees
    o1_delivered_ratio: float = Field(0.5, ge=0, le=1, description="O1: delivered share trigger")
    o1_unknown_ratio_is_delivered: bool = Field(
        True, description="O1: a compound without a delivered share counts as delivered"
    )
    o2_min_members: int = Field(5, ge=1, description="O2: smallest committee")
    o2_max_members: int = Field(11, ge=1, description="O2: largest committee")
    o2_odd: bool = Field(True, description="O2: the committee must have an odd size")
    o3_max_term_years: int = Field(5, ge=1, description="O3: longest committee term")
    o3_default_term_years: int = Field(5, ge=1, description="O3: term when the committee has none")
    o3_warn_months: int = Field(3, ge=0, description="O3: months before the term's end to warn")
    o6_min_party_share: float = Field(0.5, ge=0, le=1, description="O6: Party share of seats")
    o6_count_probationary: bool = Field(True, description="O6: probationary members count")
    o8_filing_days: int = Field(30, ge=0, description="O8: days from election to filing")
    # property management
    m1_old_only: bool = Field(False, description="M1: check old compounds only")
    m3_grade_ratio: tuple[int, int, int] = Field((2, 5, 3), description="M3: 甲:乙:丙")
    m3_tolerance: float = Field(
        0.0, ge=0, description="M3: companies a grade may differ by beyond rounding"
    )
    m3_exit_years: int = Field(2, ge=1, description="M3: years graded 丙 in a row → exit")
    # governance work
    g1_cadences: tuple[Cadence, ...] = G1_CADENCES
    g2_deadline_working_days: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 0, "enquiry": 5, "complaint": 15},
        description="G2: working days to reply, by appeal_type",
    )
    g2_untyped_as: str | None = Field(
        "complaint", description="G2: the deadline of an appeal without a type (None: skip)"
    )
    g2_due_soon_days: int = Field(1, ge=0, description="G2: days before the deadline to warn")
    g2_repeat_count: int = Field(3, ge=2, description="G2: appeals on one topic → repeat")
    g2_repeat_days: int = Field(30, ge=1, description="G2: the repeat window, ending on as_of")
    g3_cadences: tuple[Cadence, ...] = G3_CADENCES
    cadence_grace_days: int = Field(
        0, ge=0, description="G1/G3: a body founded fewer days before a window's end is excused"
    )
    holidays: frozenset[dt.date] = Field(
        frozenset(), description="G2: public holidays (not working days)"
    )
    # what a rectification list suggests (RULES.md sets no deadlines: these are defaults)
    deadline_days: dict[str, int] = Field(
        # O8: the filing window of art. 16; G1, G3: the next monthly window; G2: an overdue
        # appeal is answered within an enquiry's five days
        default_factory=lambda: {"O8": 30, "G1": 30, "G2": 5, "G3": 30},
        description="days to fix a finding, by rule id (rules not named: by severity)",
    )
    deadline_days_by_severity: dict[str, int] = Field(
        # errors and conflicts are corrected in a month; a missing body is built or elected in
        # a quarter; warnings in two months; advice in half a year
        default_factory=lambda: dict(error=30, conflict=30, gap=90, warning=60, advice=180),
        description="days to fix a finding of each severity, for rules without deadline_days",
    )

    @field_validator("g2_deadline_working_days")
    @classmethod
    def _known_types(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(APPEAL_TYPES))
        if unknown:
            raise ValueError(f"appeal types {unknown}: expected {', '.join(APPEAL_TYPES)}")
        return value

    @field_validator("deadline_days_by_severity")
    @classmethod
    def _every_severity(cls, value: dict[str, int]) -> dict[str, int]:
        if set(value) != {s.value for s in SEVERITIES}:
            raise ValueError(f"one number of days for each of {', '.join(SEVERITIES)}")
        return value

    def is_enabled(self, rule_id: str) -> bool:
        return (self.enabled is None or rule_id in self.enabled) and rule_id not in self.disabled


#: the defaults, for :meth:`Rule.deadline_days` called without settings
_DEFAULT_SETTINGS = RuleSettings()


class Place(NamedTuple):
    """Where a finding's subject rolls up to: its compound, community, township and city (any
    may be unknown), in the order of :data:`~.kinds.LEVELS`."""

    compound: str | None
    community: str | None
    township: str | None
    city: str | None


# --- the context a rule function receives ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule function receives: the day to judge (the index's view of it, which holds
    the whole history too: P7 reads it) and the settings. A rule works on the whole graph as
    arrays; under a scope it makes findings only for the subjects :meth:`wanted` names."""

    as_of: dt.date
    settings: RuleSettings
    day: DayView
    rule: Rule
    #: for a reader who may not learn a person's membership status or category (a researcher,
    #: the public): rules counting members by status count every member, and findings are
    #: worded and detailed without it (:mod:`.discreet`)
    discreet: bool = False
    #: the place (a node number) whose findings are kept; None: every finding
    scope: int | None = None

    @property
    def columns(self) -> Columns:
        return self.day.columns

    def wanted(
        self, subjects: NDArray[np.integer[Any]], place_of: NDArray[np.integer[Any]] | None = None
    ) -> Bools:
        """Which of ``subjects`` (each placed where its ``place_of`` is, when given) can have a
        finding :func:`~.rules.run_rules` keeps under the scope: describing a finding costs far
        more than the arrays that find it."""
        if self.scope is None:
            return np.ones(len(subjects), np.bool_)
        keep: Bools = under(self.day, self.scope)[subjects]
        if place_of is not None:  # only the rows asked: no whole-graph mask for two rules
            keep |= (places_on(self.day)[place_of] == self.scope).any(axis=1)
        return keep

    def kept(self, subjects: Int32s) -> Int32s:
        """The ``subjects`` :meth:`wanted` names."""
        return subjects[self.wanted(subjects)]

    def finding(
        self,
        check: str,
        subject: str | int,
        *,
        part: str = "",
        place_of: str | int | None = None,
        **details: Any,
    ) -> Finding:
        """A finding of the rule's ``check`` about ``subject``, placed where ``subject`` rolls up
        to, or where ``place_of`` does (a committee member's finding belongs to the committee's
        compound); both are ids or node numbers."""
        rid = self.rule.id
        c = self.rule.check(check)
        if self.discreet:
            c = reword(rid, c)
            details = dict(discreet_details(rid, check, details))
        cols = self.columns
        number = cols.number(subject) if isinstance(subject, str) else subject
        where = number if place_of is None else place_of
        kind, subject = cols.kind_of(number), cols.id(number)
        return Finding(  # by position: no keyword binding per field
            f"{rid}:{check}:{subject}:{part}" if part else f"{rid}:{check}:{subject}",
            rid,
            check,
            c.severity,
            subject,
            kind,
            cols.public_name(number),
            *self._place(cols.number(where) if isinstance(where, str) else where),
            self.rule.source,
            c,
            details,
        )

    def _places_patched(self, old: dict[int, Place], delta: Delta) -> dict[int, Place] | None:
        moved = relocated(self.day, delta)
        return None if moved is None else without(old, moved)

    def _place(self, node: int) -> Place:
        # kept per node on the day, and per row of places (node numbers, which no link write
        # changes): many findings share a place, and decoding its ids is the cost
        known: dict[int, Place] = self.day.memo(
            "finding places", dict, PLACE_READS, self._places_patched
        )
        found = known.get(node)
        if found is None:
            rows: dict[tuple[int, ...], Place] = self.day.memo("place rows", dict, frozenset())
            row = tuple(places_on(self.day)[node].tolist())
            found = rows.get(row)
            if found is None:
                found = rows[row] = Place(*(self.columns.id(n) if n >= 0 else None for n in row))
            known[node] = found
        return found


def _explain(template: str, label: str, details: Mapping[str, Any], sep: str) -> str:
    """``template`` filled with ``label`` as ``{name}`` and the details it reads (a list of
    members can be long: the others are never shown), lists joined with ``sep``, dates as ISO
    text."""
    texts: dict[str, Any] = {}
    for key in details.keys() & _fields(template):
        value = _jsonable(details[key])
        texts[key] = sep.join(map(str, value)) if isinstance(value, list) else value
    return template.format(name=label, **texts)


@functools.cache
def _fields(template: str) -> frozenset[str]:
    """The names of the details ``template`` reads (``{share:.0%}`` reads ``share``)."""
    return frozenset(
        re.split(r"[.\[]", name, maxsplit=1)[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name is not None
    )


class Registry(list[Rule]):
    """The rules a module declares, in order of declaration."""

    def rule(
        self,
        id: str,
        title_zh: str,
        title_en: str,
        *checks: Check,
        source: str,
        settings: Sequence[str] = (),
    ) -> Callable[[RuleFunc], RuleFunc]:
        """Declare a rule making ``checks`` and register it with its function (a decorator)."""
        unknown = [s for s in settings if s not in RuleSettings.model_fields]
        if unknown:
            raise ValueError(f"rule {id}: unknown settings {unknown}")

        def register(fn: RuleFunc) -> RuleFunc:
            self.append(Rule(id, title_zh, title_en, source, checks, tuple(settings), fn))
            return fn

        return register
