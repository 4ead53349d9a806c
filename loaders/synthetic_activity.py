"""The synthetic data set's activity over 2021: each branch's meetings (a few skipped),
volunteer team and activities, owners' committees' councils and hearings, and each compound's
appeals (most replied, some overdue) and disputes (most resolved).
"""

from __future__ import annotations

import datetime as dt

from . import records
from .synthetic_writer import SNAPSHOT, BranchDraft, CompoundDraft, SyntheticWriter

D = records.D
_CHANNELS = ("minsheng_e_huairen", "secretary_mailbox", "hotline", "other")
_TOPICS_APPEAL = ("停车管理", "环境卫生", "供暖供水", "物业服务", "噪音扰民", "电梯维修")
_TOPICS_DISPUTE = ("邻里纠纷", "物业费", "停车位", "房屋渗漏", "公共收益", "装修扰民")
_TOPICS_VOLUNTEER = ("环境整治", "邻里互助", "便民服务", "文明劝导", "关爱老人")


def branch_life(w: SyntheticWriter, b: BranchDraft) -> None:
    """Meetings (monthly joint meetings with a few skipped), volunteers and activities."""
    rng = b.compounds[0].rng
    chairs = [cm.oc_chair for cm in b.compounds if cm.oc_chair]
    staff = b.compounds[0].staff[:1]
    secretary = b.committee[0] if b.committee else ""
    members = [p.id for p in b.members]
    for m in range(1, 13):
        lo, hi = D(2021, m, 3), D(2021, m, 28)
        if rng.random() >= 0.04:
            w.meeting(
                rng,
                f"mtg-{b.id}-j{m}",
                "compound_joint_meeting",
                b.id,
                records.random_day(rng, lo, hi),
                who=[secretary, *chairs, *staff, *b.committee[1:2]],
            )
        if b.committee and rng.random() >= 0.03:
            w.meeting(
                rng,
                f"mtg-{b.id}-c{m}",
                "branch_committee",
                b.id,
                records.random_day(rng, lo, hi),
                who=b.committee,
            )
        if rng.random() >= 0.03:
            who = rng.sample(members, min(len(members), rng.randint(2, 6)))
            w.meeting(
                rng,
                f"mtg-{b.id}-t{m}",
                "theme_party_day",
                b.id,
                records.random_day(rng, lo, hi),
                who=who,
            )
    for q in range(4):
        if rng.random() >= 0.03:
            day = records.random_day(rng, D(2021, 3 * q + 1, 5), D(2021, 3 * q + 3, 25))
            w.meeting(rng, f"mtg-{b.id}-a{q}", "branch_assembly", b.id, day, who=members)
    since = max(b.founded, D(2021, 1, 5))
    vt = records.volunteer_team(w, f"vt-{b.id[3:]}", f"{b.name}志愿服务队", b.id, since)
    locals_ = [p.id for cm in b.compounds for p in cm.people if not p.status]
    people = rng.sample(members, min(len(members), rng.randint(3, 8)))
    people += rng.sample(locals_, min(len(locals_), rng.randint(2, 6)))
    records.volunteers(w, rng, vt, people, since)
    for k in range(rng.randint(2, 6)):
        records.volunteer_activity(
            w,
            rng,
            f"va-{vt[3:]}-{k}",
            vt,
            day=records.random_day(rng, since, SNAPSHOT),
            tasks=rng.randint(2, 15),
            served=rng.randint(20, 400),
            topics=_TOPICS_VOLUNTEER,
        )


def oc_meetings(w: SyntheticWriter, cm: CompoundDraft) -> None:
    rng = cm.rng
    for kind, p in records.OC_MEETINGS:
        if rng.random() < p:
            w.meeting(
                rng,
                f"mtg-{cm.oc}-{kind[0]}",
                kind,
                cm.oc,
                records.random_day(rng, D(2021, 7, 1), SNAPSHOT),
                who=[cm.oc_chair, *(p.id for p in rng.sample(cm.people, 8))],
            )


def appeals_and_disputes(w: SyntheticWriter, cm: CompoundDraft, pmc: str) -> None:
    """Appeals on the four channels (most replied, some overdue) and disputes (most
    resolved), mediated by the owners' committee, the branch or the PMC."""
    rng = cm.rng
    for k in range(rng.randint(3, 25)):
        day = records.random_day(rng, D(2021, 1, 4), SNAPSHOT)
        kind = records.appeal_kind(rng)
        reply = None
        if rng.random() < 0.86:
            reply = min(day + dt.timedelta(days=rng.randint(0, 20)), SNAPSHOT)
        aid = records.appeal(
            w,
            rng,
            f"appeal-{cm.id[4:]}-{k}",
            channel=rng.choices(_CHANNELS, (60, 20, 15, 5))[0],
            kind=kind,
            received=day,
            replied=reply,
            topics=_TOPICS_APPEAL,
        )
        w.link("ABOUT", aid, cm.id)
    mediators = [m for m in (cm.oc, cm.branch.id if cm.branch else "", pmc) if m]
    for k in range(rng.randint(1, 10)):
        day = records.random_day(rng, D(2021, 1, 4), D(2021, 12, 20))
        done = rng.random() < 0.93
        did = records.dispute(
            w,
            rng,
            f"dispute-{cm.id[4:]}-{k}",
            received=day,
            done=done,
            snapshot=SNAPSHOT,
            topics=_TOPICS_DISPUTE,
        )
        w.link("ABOUT", did, cm.id)
        if mediators:
            w.link("MEDIATED_BY", did, rng.choice(mediators))
