"""Record builders shared by the demo (``demo_*.py``) and the synthetic generator
(``synthetic_*.py``): the shapes of the nodes and links both data sets write, written once.

Each builder writes through a :class:`Recorder` (the demo keeps records in memory, the generator
streams them to CSV) and draws from the ``random.Random`` it is given, in the order its arguments
and its body name them; callers rely on that order, since the same seed must give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

D = dt.date

#: what a compound's meetings are about (the same in both data sets)
MEETING_TOPICS = ("环境整治", "停车秩序", "物业服务", "老旧小区改造", "安全隐患", "民生诉求")
#: the five dimensions of the red-property evaluation and their maximum scores (sum 100)
SCORE_FIELDS = (
    "score_organization",
    "score_management",
    "score_governance",
    "score_service",
    "score_image",
)
SCORE_WEIGHTS = (20, 20, 20, 25, 15)
#: the years a Party member of each category is born in
MEMBER_BIRTH_YEARS = {
    "in_service": (1966, 1996),
    "retired": (1940, 1960),
    "floating": (1975, 1999),
}
#: the departments that delegate powers to every township: (slug, short name, powers)
DEPARTMENTS = (
    ("housing", "住建", "物业管理监督、老旧小区改造监管"),
    ("civil-affairs", "民政", "社区事务指导、业委会组建指导"),
    ("public-security", "公安", "小区治安巡查、车辆停放管理"),
    ("urban-management", "城管", "违章搭建查处、环境卫生执法"),
)
#: an owners' committee's meetings and the chance it held one
OC_MEETINGS = (("residents_council", 0.8), ("hearing", 0.2))


class Recorder(Protocol):
    """Where records go: ``node`` returns the id it wrote, ``post`` writes a HOLDS_POST."""

    def node(self, kind: str, nid: str, /, **props: Any) -> str: ...

    def link(self, kind: str, source: str, target: str, /, **props: Any) -> None: ...

    def post(self, person: str, body: str, role: str, since: dt.date, /) -> None: ...


class Member(Protocol):
    """A person as the Party-group builder sees them."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def moved_in(self) -> dt.date: ...


# --- draws ----------------------------------------------------------------------------------------
def random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A random day between ``start`` and ``end``, both included."""
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def person_props(
    rng: random.Random, name: str, phone: str, born: tuple[int, int]
) -> dict[str, Any]:
    """A person's properties: the name and phone given, a drawn gender and birth year."""
    return {
        "name": name,
        "phone": phone,
        "gender": rng.choice(("female", "male")),
        "birth_year": rng.randint(*born),
    }


def person_label(prefix: str, staff: bool) -> str:
    """``prefix`` + 工作人员 (staff or an official) or 居民 (a resident)."""
    return prefix + ("工作人员" if staff else "居民")


def member_status(rng: random.Random) -> str:
    return "full" if rng.random() < 0.9 else "probationary"


def member_category(rng: random.Random) -> str:
    return rng.choices(("in_service", "retired", "floating"), weights=(45, 45, 10))[0]


def member_props(rng: random.Random, category: str, employers: Sequence[str]) -> dict[str, Any]:
    """What being a member of ``category`` says about a person: the birth year, the employer."""
    lo, hi = MEMBER_BIRTH_YEARS[category]
    props: dict[str, Any] = {"birth_year": rng.randint(lo, hi)}
    if category == "in_service":
        props["employer"] = rng.choice(employers)
    return props


def delivered_ratio(rng: random.Random, is_old: bool, built: int) -> float:
    """Most compounds are fully delivered; a few recent ones are not yet past half (rule O1)."""
    return 1.0 if is_old or built < 2017 else round(rng.uniform(0.25, 1.0), 2)


def evaluation_scores(rng: random.Random, quality: float) -> list[float]:
    """The five dimension scores of a company of ``quality`` (0-1), each a little off it."""
    return [
        round(w * min(1.0, max(0.3, quality + rng.uniform(-0.06, 0.06))), 1) for w in SCORE_WEIGHTS
    ]


def appeal_kind(rng: random.Random) -> str:
    return rng.choices(("urgent", "enquiry", "complaint"), weights=(1, 4, 5))[0]


def leadership_roles(n: int) -> list[str]:
    """The roles of ``n`` post holders of a leadership group, head first."""
    return ["head", "deputy_head"] + ["member"] * (n - 2)


def branch_name(compound_names: Sequence[str]) -> str:
    first, n = compound_names[0], len(compound_names)
    return f"{first}党支部" if n == 1 else f"{first}等{n}个小区联合党支部"


# --- places ---------------------------------------------------------------------------------------
def compound(
    out: Recorder,
    cid: str,
    community: str,
    *,
    name: str,
    is_old: bool,
    built: int,
    households: int,
    ratio: float,
    investment: float | None,
) -> str:
    out.node(
        "Compound",
        cid,
        name=name,
        is_old=is_old,
        built_year=built,
        households=households,
        delivered_area_ratio=ratio,
        investment_yuan=investment,
    )
    out.link("PART_OF", cid, community, since=D(built, 1, 1))
    return cid


def building(out: Recorder, bid: str, number: int, compound: str, built: int) -> str:
    out.node("Building", bid, name=f"{number}号楼")
    out.link("PART_OF", bid, compound, since=D(built, 1, 1))
    return bid


def unit(
    out: Recorder, rng: random.Random, uid: str, *, name: str, building: str, built: int
) -> str:
    out.node("Unit", uid, name=name, area_m2=round(rng.uniform(48, 145), 1))
    out.link("PART_OF", uid, building, since=D(built, 1, 1))
    return uid


# --- bodies ---------------------------------------------------------------------------------------
def leadership_group(
    out: Recorder, lid: str, *, place: str, level: str, parent: str, since: dt.date
) -> str:
    out.node("LeadershipGroup", lid, name=f"{place}小区治理工作领导小组", level=level)
    out.link("PART_OF", lid, parent, since=since)
    return lid


def party_committee(out: Recorder, pid: str, community_name: str, community: str) -> str:
    out.node("PartyCommittee", pid, name=f"{community_name}党委", level="community")
    out.link("PART_OF", pid, community, since=D(2010, 1, 1))
    return pid


def service_center(
    out: Recorder, sid: str, community_name: str, community: str, since: dt.date
) -> str:
    out.node("ServiceCenter", sid, name=f"{community_name}小区治理事务服务中心")
    out.link("PART_OF", sid, community, since=since)
    return sid


def property_management_committee(
    out: Recorder, pid: str, community_name: str, community: str
) -> str:
    out.node("PropertyManagementCommittee", pid, name=f"{community_name}物业管理委员会")
    out.link("PART_OF", pid, community, since=D(2021, 2, 20))
    return pid


def enforcement_team(out: Recorder, tid: str, name_prefix: str, zone: str) -> str:
    return out.node("EnforcementTeam", tid, name=f"{name_prefix}社区综合执法队", zone=zone)


def delegates_to(out: Recorder, department: str, township: str, powers: str) -> None:
    out.link("DELEGATES_TO", department, township, powers=powers, since=D(2021, 3, 1))


def station(out: Recorder, sid: str, place_name: str, station_type: str) -> str:
    """A 党群服务站 (``station``) or 党群服务点 (``point``) named after the place it stands in."""
    suffix = "党群服务站" if station_type == "station" else "党群服务点"
    return out.node("ServiceStation", sid, name=f"{place_name}{suffix}", station_type=station_type)


def evaluation(
    out: Recorder,
    eid: str,
    company: str,
    *,
    year: int,
    grade: str,
    gold: bool,
    indicators: int,
    scores: Sequence[float],
) -> None:
    out.node(
        "Evaluation",
        eid,
        year=year,
        grade=grade,
        gold=gold,
        indicators=indicators,
        **dict(zip(SCORE_FIELDS, scores, strict=True)),
    )
    out.link("EVALUATES", eid, company)


def owners_committee(
    out: Recorder,
    oid: str,
    compound_name: str,
    compound: str,
    *,
    elected_on: dt.date,
    term_years: int,
    filed_on: dt.date | None,
) -> str:
    out.node(
        "OwnersCommittee",
        oid,
        name=f"{compound_name}业主委员会",
        elected_on=elected_on,
        term_years=term_years,
        filed_on=filed_on,
    )
    out.link("REPRESENTS", oid, compound, since=elected_on)
    return oid


# --- Party organization ---------------------------------------------------------------------------
def party_branch(
    out: Recorder,
    bid: str,
    *,
    name: str,
    form: str,
    founded: dt.date,
    parent: str,
    compounds: Iterable[str],
) -> str:
    """A branch under ``parent`` covering ``compounds``, elected when founded for five years."""
    out.node("PartyBranch", bid, name=name, form=form, elected_on=founded, term_years=5)
    out.link("PART_OF", bid, parent, since=founded)
    for cid in compounds:
        out.link("COVERS", bid, cid, since=founded)
    return bid


def party_group(
    out: Recorder, gid: str, *, name: str, branch: str, building: str, since: dt.date
) -> str:
    out.node("PartyGroup", gid, name=name)
    out.link("PART_OF", gid, branch, since=since)
    out.link("COVERS", gid, building, since=since)
    return gid


def membership(
    out: Recorder,
    person: str,
    body: str,
    *,
    status: str,
    category: str,
    since: dt.date,
    until: dt.date | None = None,
) -> None:
    out.link("MEMBER_OF", person, body, status=status, category=category, since=since, until=until)


def group_posts(
    out: Recorder, rng: random.Random, group: str, founded: dt.date, members: Sequence[Member]
) -> None:
    """A group's leader (a full member if there is one) and, sometimes, a 中心户."""
    leader = next((m for m in members if m.status == "full"), members[0])
    out.post(leader.id, group, "group_leader", max(founded, leader.moved_in))
    others = [m for m in members if m is not leader]
    if others and rng.random() < 0.45:
        ch = rng.choice(others)
        out.post(ch.id, group, "central_household", max(founded, ch.moved_in))


# --- activity -------------------------------------------------------------------------------------
def meeting(
    out: Recorder,
    rng: random.Random,
    mid: str,
    kind: str,
    host: str,
    *,
    day: dt.date,
    who: Iterable[str] = (),
) -> str:
    """A meeting ``host`` held, attended by each of ``who`` once (blanks skipped)."""
    out.node("Meeting", mid, meeting_type=kind, date=day, topic=rng.choice(MEETING_TOPICS))
    out.link("HELD_BY", mid, host)
    for pid in dict.fromkeys(a for a in who if a):
        out.link("ATTENDED", pid, mid)
    return mid


def volunteer_team(out: Recorder, vid: str, name: str, branch: str, since: dt.date) -> str:
    out.node("VolunteerTeam", vid, name=name)
    out.link("PART_OF", vid, branch, since=since)
    return vid


def volunteers(
    out: Recorder, rng: random.Random, team: str, people: Iterable[str], since: dt.date
) -> None:
    """Each of ``people`` joins ``team`` once, within 20 days of ``since``."""
    for pid in dict.fromkeys(people):
        out.link("VOLUNTEERS_IN", pid, team, since=since + dt.timedelta(days=rng.randint(0, 20)))


def volunteer_activity(
    out: Recorder,
    rng: random.Random,
    vid: str,
    team: str,
    *,
    day: dt.date,
    tasks: int,
    served: int,
    topics: Sequence[str],
) -> None:
    out.node(
        "VolunteerActivity",
        vid,
        date=day,
        tasks_done=tasks,
        persons_served=served,
        topic=rng.choice(topics),
    )
    out.link("CONDUCTED_BY", vid, team)


def appeal(
    out: Recorder,
    rng: random.Random,
    aid: str,
    *,
    channel: str,
    kind: str,
    received: dt.date,
    replied: dt.date | None,
    topics: Sequence[str],
) -> str:
    """An appeal node; the caller links it ABOUT a compound (after this draws the topic)."""
    return out.node(
        "Appeal",
        aid,
        channel=channel,
        appeal_type=kind,
        received=received,
        replied=replied,
        topic=rng.choice(topics),
    )


def dispute(
    out: Recorder,
    rng: random.Random,
    did: str,
    *,
    received: dt.date,
    done: bool,
    snapshot: dt.date,
    topics: Sequence[str],
) -> str:
    """A dispute node, resolved within 25 days when ``done``; the caller links it."""
    resolved = min(received + dt.timedelta(days=rng.randint(1, 25)), snapshot) if done else None
    return out.node("Dispute", did, received=received, resolved=resolved, topic=rng.choice(topics))
