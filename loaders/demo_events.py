"""The demo's governance events up to the snapshot: the meetings of the article's four
cadences, branch meetings, owners' committees' councils and hearings, appeals and disputes.

A few meetings are missing on purpose (rules G1 and G3) and some appeals stay unreplied (G2);
the appeal and dispute counts are the article's figures.
"""

from __future__ import annotations

import datetime as dt

from . import records
from .demo_builder import DemoBuilder
from .demo_figures import (
    N_APPEALS_OVERDUE,
    N_COMMUNITIES,
    N_JOINT_MEETING_SKIPS,
    N_OPEN_DISPUTES,
    PUBLISHED,
    SNAPSHOT,
)

D = records.D
_TOPICS_APPEAL = (
    "停车管理", "环境卫生", "供暖供水", "物业服务", "噪音扰民",
    "房屋漏水", "电梯维修", "违章搭建", "宠物管理", "路灯照明",
)  # fmt: skip
_TOPICS_DISPUTE = ("邻里纠纷", "物业费", "停车位", "房屋渗漏", "公共收益", "装修扰民", "宠物")


def add_meetings(demo: DemoBuilder) -> None:
    """The four cadences of the article, with five branch-months missing (rule G1), plus
    branch meetings (rule G3) and owners' committees' councils and hearings."""
    rng = demo.rng
    months = range(1, 6)
    skip_branches = rng.sample(demo.branches, N_JOINT_MEETING_SKIPS)
    skips = [(b.id, rng.randint(2, 5)) for b in skip_branches]
    for b in demo.branches:
        chairs = [demo.oc_seats[demo.cmp[m].oc][0][0] for m in b.compounds if demo.cmp[m].oc]
        manager = demo.cmp[b.compounds[0]].manager
        staff = demo.staff.get(manager, [])[:1]
        for m in months:
            if (b.id, m) in skips:
                continue
            day = (
                demo.day(D(2021, 1, 26), D(2021, 1, 31))
                if m == 1
                else demo.day(D(2021, m, 5), D(2021, m, 25))
            )
            demo.meeting(
                "compound_joint_meeting",
                b.id,
                day,
                [b.secretary_on(day), *chairs, *staff, *b.committee[1:2]],
            )
    _party_meetings(demo)
    for t in demo.townships:
        lg = f"lg-{t}"
        secs = [
            demo.officials[demo.party_committees[c]][0]
            for c in range(N_COMMUNITIES)
            if c // 3 == demo.townships.index(t)
        ]
        for m in (1, 3, 5):
            demo.meeting(
                "township_joint_meeting",
                lg,
                demo.day(D(2021, m, 12), D(2021, m, 26)),
                [*demo.officials[lg], *secs],
            )
    town_heads = [demo.officials[f"lg-{t}"][0] for t in demo.townships]
    for lo, hi in ((D(2021, 1, 15), D(2021, 3, 25)), (D(2021, 4, 10), D(2021, 5, 28))):
        demo.meeting(
            "city_leadership_meeting",
            "lg-city",
            demo.day(lo, hi),
            [*demo.officials["lg-city"], *town_heads],
        )
    for comm in demo.communities:
        sc = f"sc-{comm[5:]}"
        for m in months:
            demo.meeting(
                "service_center_meeting",
                sc,
                demo.day(D(2021, m, 12), D(2021, m, 28)),
                demo.officials[sc],
            )
    for oc, seats in demo.oc_seats.items():
        start = demo.oc_elected[oc] + dt.timedelta(days=7)
        for kind, p in records.OC_MEETINGS:
            if start <= SNAPSHOT and rng.random() < p:
                who = [pid for pid, _ in seats[: rng.randint(3, len(seats))]]
                demo.meeting(kind, oc, demo.day(max(start, D(2021, 2, 1)), SNAPSHOT), who)


def _party_meetings(demo: DemoBuilder) -> None:
    """Branch assemblies each quarter, committee meetings and theme Party days each month,
    with a few missing (rule G3)."""
    rng = demo.rng
    missing = [
        (b.id, rng.choice(("branch_committee", "theme_party_day", "branch_assembly")))
        for b in rng.sample(demo.branches, 10)
    ]
    for b in demo.branches:
        gap = next((k for bid, k in missing if bid == b.id), "")
        gap_month = rng.randint(1, 5)
        for m in range(1, 6):
            for kind in ("branch_committee", "theme_party_day"):
                if kind == "branch_committee" and not b.committee:
                    continue
                if gap == kind and m == gap_month:
                    continue
                day = demo.day(D(2021, m, 26 if m == 1 else 3), D(2021, m, 28))
                who = b.committee if kind == "branch_committee" else []
                demo.meeting(kind, b.id, day, who)
        for q, (lo, hi) in enumerate(
            ((D(2021, 2, 1), D(2021, 3, 31)), (D(2021, 4, 1), D(2021, 5, 31)))
        ):
            if gap == "branch_assembly" and q == 0:
                continue
            demo.meeting("branch_assembly", b.id, demo.day(lo, hi))


def add_appeals(demo: DemoBuilder) -> None:
    """889 appeals by the end of May on the two channels, 765 of them replied."""
    rng = demo.rng
    n, replied = PUBLISHED.appeals_received, PUBLISHED.appeals_replied
    weights = [cm.households for cm in demo.compounds]
    received = sorted(demo.day(D(2021, 1, 4), SNAPSHOT) for _ in range(n))
    late = [i for i in range(n) if received[i] >= D(2021, 5, 15)]
    early = [i for i in range(n) if received[i] < D(2021, 4, 30)]
    n_late = min(len(late), n - replied - N_APPEALS_OVERDUE)
    open_ = rng.sample(late, n_late) + rng.sample(early, n - replied - n_late)
    for i, day in enumerate(received):
        kind = records.appeal_kind(rng)
        reply = None
        if i not in open_:
            lo, hi = {"urgent": (0, 1), "enquiry": (1, 7), "complaint": (2, 20)}[kind]
            delay = rng.randint(lo, hi) + (rng.randint(5, 20) if rng.random() < 0.06 else 0)
            reply = min(day + dt.timedelta(days=delay), SNAPSHOT)
        aid = records.appeal(
            demo,
            rng,
            f"appeal-{i + 1:04d}",
            channel="minsheng_e_huairen" if rng.random() < 0.78 else "secretary_mailbox",
            kind=kind,
            received=day,
            replied=reply,
            topics=_TOPICS_APPEAL,
        )
        demo.link("ABOUT", aid, rng.choices(demo.compounds, weights=weights)[0].id)


def add_disputes(demo: DemoBuilder) -> None:
    """560 disputes resolved (and 25 still open), mediated mostly by owners' committees."""
    rng = demo.rng
    places = [cm for cm in demo.compounds if cm.oc or cm.branch]
    weights = [cm.households * (3 if cm.oc else 1) for cm in places]
    resolved = PUBLISHED.disputes_resolved
    rows = [(demo.day(D(2021, 1, 4), D(2021, 5, 25)), True) for _ in range(resolved)]
    rows += [(demo.day(D(2021, 5, 1), SNAPSHOT), False) for _ in range(N_OPEN_DISPUTES)]
    rows.sort(key=lambda r: (r[0], not r[1]))
    for i, (day, done) in enumerate(rows):
        cm = rng.choices(places, weights=weights)[0]
        if cm.id == "cmp-yunbeiyuan" and rng.random() < 0.3:
            mediator = "pmc-qixiangjie"
        elif cm.oc and (not cm.branch or rng.random() < 0.8):
            mediator = cm.oc
        else:
            mediator = cm.branch
        did = records.dispute(
            demo,
            rng,
            f"dispute-{i + 1:04d}",
            received=day,
            done=done,
            snapshot=SNAPSHOT,
            topics=_TOPICS_DISPUTE,
        )
        demo.link("MEDIATED_BY", did, mediator)
        demo.link("ABOUT", did, cm.id)
