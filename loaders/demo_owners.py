"""The demo's owners' committees: which compounds have one, their election and filing dates,
and who takes the seats: the branch secretary in the chair in most covered compounds
(交叉任职), another branch post holder in some, nobody from the branch in a few.

Rules O2-O8 of ``shared/domain/RULES.md`` find the gaps placed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from . import records
from .demo_builder import BranchDraft, CompoundDraft, DemoBuilder
from .demo_figures import OC_COVERED, OC_SIZES, OC_UNCOVERED, SNAPSHOT

D = records.D


def add_owners_committees(demo: DemoBuilder) -> None:
    """49 committees; seats follow a plan: the branch secretary in the chair in most
    covered compounds, another branch post holder in some, nobody from the branch in a few."""
    rng = demo.rng
    forced = [cm for cm in demo.compounds if cm.mode == "owners_self_managed"]
    forced.append(demo.cmp["cmp-yunbeiyuan"])
    chosen: list[CompoundDraft] = []
    for want, covered in ((OC_COVERED, True), (OC_UNCOVERED, False)):
        pool = [cm for cm in demo.compounds if bool(cm.branch) == covered]
        must = [cm for cm in pool if cm in forced]
        chosen += must + rng.sample([cm for cm in pool if cm not in must], want - len(must))
    with_oc = [cm for cm in demo.compounds if cm in chosen]
    plan = _cross_plan(demo, with_oc)
    sizes = list(OC_SIZES)
    rng.shuffle(sizes)
    room = [len(_eligible(demo, cm, plan.get(cm.id, ""))) - 1 for cm in with_oc]
    for i in range(len(sizes)):
        if sizes[i] > room[i]:  # swap with a committee that fits in both places
            j = next(j for j in range(len(sizes)) if sizes[j] <= room[i] and sizes[i] <= room[j])
            sizes[i], sizes[j] = sizes[j], sizes[i]
    tenants = [cm.id for cm in with_oc if _tenants(demo, cm) and plan.get(cm.id) != "none"]
    o4 = rng.sample(tenants, 2)
    dates = _oc_dates(demo, len(with_oc))
    for i, (cm, size) in enumerate(zip(with_oc, sizes, strict=True)):
        oc = records.owners_committee(demo, f"oc-{i + 1:02d}", cm.name, cm.id, **dates[i])
        cm.oc = oc
        demo.oc_elected[oc] = dates[i]["elected_on"]
        seats = _seats(demo, cm, size, plan.get(cm.id, ""), cm.id in o4)
        roles = ["chair"] + ["vice_chair"] * (1 if size < 7 else 2)
        roles += ["member"] * (size - len(roles))
        demo.oc_seats[oc] = list(zip(seats, roles, strict=True))
        for pid, role in demo.oc_seats[oc]:
            p = demo.persons[pid]
            p.seats.append(oc)
            # owners who bought after an older election joined at a by-election
            came = [u.bought for u in p.owns if u.compound == cm.id] or [p.moved_in]
            since = max(dates[i]["elected_on"], came[0])
            # a seat, not a post: later steps tell the two apart (p.seats, p.posts)
            demo.link("HOLDS_POST", pid, oc, role=role, since=since)


def _oc_dates(demo: DemoBuilder, n: int) -> list[dict[str, Any]]:
    """Election and filing dates: recent mostly; two near the end of their term, one past
    it, one with a six-year term (rule O3); three filed late and two not filed (rule O8)."""
    rng = demo.rng
    out: list[dict[str, Any]] = []
    special = rng.sample(range(1, n), 9)  # never the real compound's committee (index 0)
    for i in range(n):
        elected = demo.day(D(2021, 1, 15), D(2021, 5, 10))
        term, filed = 5, elected + dt.timedelta(days=rng.randint(5, 25))
        if i in special[:2]:
            elected = demo.day(D(2016, 6, 1), D(2016, 8, 20))
        elif i == special[2]:
            elected = demo.day(D(2015, 9, 1), D(2015, 12, 31))
        elif i == special[3]:
            elected, term = demo.day(D(2020, 9, 1), D(2020, 11, 30)), 6
        if i in special[:4]:
            filed = elected + dt.timedelta(days=rng.randint(5, 25))
        if i in special[4:7]:
            filed = elected + dt.timedelta(days=rng.randint(40, 70))
        out.append(
            {
                "elected_on": elected,
                "term_years": term,
                "filed_on": None if i in special[7:] or filed > SNAPSHOT else filed,
            }
        )
    return out


def _cross_plan(demo: DemoBuilder, with_oc: Sequence[CompoundDraft]) -> dict[str, str]:
    """compound → "chair" (the secretary chairs), "partial" (another branch post holder sits)
    or "none" (nobody from the branch sits: rule O7)."""
    rng = demo.rng
    plan: dict[str, str] = {}
    primaries = [
        cm
        for cm in with_oc
        if cm.branch and demo.br[cm.branch].committee and demo.br[cm.branch].compounds[0] == cm.id
    ]
    others = [cm for cm in primaries if cm.id != "cmp-yunbeiyuan"]
    picked = rng.sample(others, 12)
    for cm in primaries:
        plan[cm.id] = "chair"
    for cm in picked[:6]:
        plan[cm.id] = "none"
    for cm in picked[6:]:
        b = demo.br[cm.branch]
        plan[cm.id] = "partial" if _holders_owning(demo, cm.id, b.committee[1:]) else "none"
    for cm in with_oc:
        if cm.branch and cm.id not in plan:
            b = demo.br[cm.branch]
            plan[cm.id] = "partial" if _holders_owning(demo, cm.id, b.committee) else "none"
    return plan


def _holders_owning(demo: DemoBuilder, compound: str, holders: Sequence[str]) -> list[str]:
    return [p for p in holders if any(u.compound == compound for u in demo.persons[p].owns)]


def _tenants(demo: DemoBuilder, cm: CompoundDraft) -> list[str]:
    return [r for r in cm.residents() if not any(u.compound == cm.id for u in demo.persons[r].owns)]


def _branch_people(demo: DemoBuilder, b: BranchDraft) -> list[str]:
    """Everyone holding a post in the branch or one of its groups (a former secretary too)."""
    group_people = [p for p in b.members if any(g in demo.persons[p].posts for g in b.groups)]
    former = [b.former_secretary] if b.former_secretary else []
    return list(dict.fromkeys(b.committee + group_people + former))


def _eligible(demo: DemoBuilder, cm: CompoundDraft, mode: str) -> list[str]:
    """The owners who may take a seat under the plan ``mode``."""
    b = demo.br.get(cm.branch)
    banned: list[str] = []
    if b is not None and mode == "none":
        banned = _branch_people(demo, b)
    elif b is not None and mode == "partial":
        banned = [b.secretary]
    return [u.owner for u in cm.units() if u.owner not in banned]


def _seats(
    demo: DemoBuilder, cm: CompoundDraft, size: int, mode: str, with_tenant: bool
) -> list[str]:
    rng = demo.rng
    b = demo.br.get(cm.branch)
    eligible = _eligible(demo, cm, mode)
    seats: list[str] = []
    if b is not None and mode == "chair":
        seats.append(b.secretary)
        extra = [
            p for p in _holders_owning(demo, cm.id, _branch_people(demo, b)) if p != b.secretary
        ]
        seats += rng.sample(extra, min(len(extra), rng.randint(0, 2), size - 2))
    elif b is not None and mode == "partial":
        people = _branch_people(demo, b)
        seats.append(rng.choice([p for p in eligible if p not in people]))
        holders = _holders_owning(demo, cm.id, b.committee)
        seats.append(rng.choice([p for p in holders if p != b.secretary]))
    resident = [p for p in eligible if demo.lives_owning(p, cm.id) and p not in seats]
    rng.shuffle(resident)
    if mode == "none":  # no cross-appointment, and few Party members (rule O6)
        resident.sort(key=lambda p: bool(demo.persons[p].status))
    absent = [p for p in eligible if p not in resident and p not in seats]
    seats += (resident + absent)[: size - len(seats) - (1 if with_tenant else 0)]
    if with_tenant:  # a member who owns nothing in the compound (rule O4)
        seats.append(rng.choice(_tenants(demo, cm)))
    assert len(seats) == size and len(set(seats)) == size, (cm.id, seats)
    return seats
