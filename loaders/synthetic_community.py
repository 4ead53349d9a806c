"""One community of the synthetic data set and everything it holds: its Party committee,
service center, station and (sometimes) property management committee, then its compounds with
their buildings, units and people, then the Party, property and activity built on them.

A community is built whole and then dropped, so memory does not grow with the data set.
"""

from __future__ import annotations

from . import records
from . import synthetic_activity as activity
from . import synthetic_party as party
from . import synthetic_property as prop
from .synthetic_writer import CompoundDraft, ResidentDraft, SyntheticWriter, TownshipDraft

D = records.D
_COMPOUND_WORDS = (
    "锦华", "康乐", "翠林", "福泰", "瑞祥", "金桂", "银杏", "兰亭", "松鹤", "春晖", "秋实", "惠民",
    "泰和", "永安", "祥云", "紫荆", "清河", "润园", "嘉禾", "星河", "明珠", "安居", "阳光", "和谐",
)  # fmt: skip
_SUFFIXES = ("小区", "苑", "花园", "家园", "华府")


def community(w: SyntheticWriter, c: int, first: int, n: int, township: TownshipDraft) -> None:
    """Community ``c`` with compounds ``first .. first+n-1``; everything it holds."""
    rng = w.rng("community", c)
    cname = f"合成第{c + 1:05d}社区"
    cid = w.node("Community", f"comm-{c:05d}", name=cname)
    w.link("PART_OF", cid, township.id, since=D(2001, 1, 1))
    w.link("COVERS", f"et-{township.index:04d}", cid, since=D(2021, 3, 15))
    pcom = records.party_committee(w, f"pcom-{c:05d}", cname, cid)
    secretary = w.person(rng, f"staff-c{c}-0", staff=True, born=(1965, 1985))
    deputy = w.person(rng, f"staff-c{c}-1", staff=True, born=(1970, 1990))
    w.post(secretary, pcom, "secretary", D(2019, 1, 1))
    w.post(deputy, pcom, "deputy_secretary", D(2019, 1, 1))
    sc_since = records.random_day(rng, D(2021, 1, 4), D(2021, 1, 10))
    sc = records.service_center(w, f"sc-{c:05d}", cname, cid, sc_since)
    w.post(secretary, sc, "head", sc_since)
    sc_staff = [
        w.person(rng, f"staff-c{c}-{k}", staff=True, born=(1970, 1998))
        for k in range(2, 2 + rng.randint(2, 3))
    ]
    for pid in sc_staff:
        w.post(pid, sc, "member", sc_since)
    for m in range(1, 13):
        day = records.random_day(rng, D(2021, m, 12), D(2021, m, 28))
        w.meeting(
            rng, f"mtg-{sc}-{m}", "service_center_meeting", sc, day, who=[secretary, *sc_staff]
        )
    station = records.station(w, f"st-{c:05d}", cname, "station")
    w.link("SERVES", station, cid, since=D(2021, 2, 1))
    pmc = ""
    if rng.random() < 0.3:
        pmc = records.property_management_committee(w, f"pmc-{c:05d}", cname, cid)
        w.post(secretary, pmc, "head", D(2021, 2, 20))
    compounds = [_compound(w, i, cid) for i in range(first, first + n)]
    branches = party.plan_branches(w, rng, compounds)
    for b in branches:
        party.branch(w, b, pcom)
    party.members_outside(w, rng, compounds, branches, pcom)
    for cm in compounds:
        prop.owners(w, cm)
        prop.management(w, cm, township, pmc)
        prop.stations(w, cm, station, c)
    if pmc:  # the PMC's members: the community secretary and owners of its compounds
        for cm in compounds[:3]:
            owners = cm.owners(exclude=[cm.oc_chair])
            if owners:
                w.post(cm.rng.choice(owners).id, pmc, "member", D(2021, 2, 20))
    for b in branches:
        activity.branch_life(w, b)
    for cm in compounds:
        if cm.oc:
            activity.oc_meetings(w, cm)
        activity.appeals_and_disputes(w, cm, pmc)


def _compound(w: SyntheticWriter, i: int, community: str) -> CompoundDraft:
    rng = w.rng("compound", i)
    is_old = rng.random() < 0.4
    built = rng.randint(1985, 2001) if is_old else rng.randint(2003, 2020)
    word = _COMPOUND_WORDS[i % len(_COMPOUND_WORDS)]
    name = f"合成{word}{rng.choice(_SUFFIXES)}{i + 1:05d}"
    mid = f"cmp-{i:05d}"
    cm = CompoundDraft(i, mid, name, is_old, built, rng)
    n_buildings = rng.randint(3, 9)
    per_building = [rng.randint(7, 16) for _ in range(n_buildings)]
    ratio = records.delivered_ratio(rng, is_old, built)
    records.compound(
        w,
        mid,
        community,
        name=name,
        is_old=is_old,
        built=built,
        households=sum(per_building),
        ratio=ratio,
        investment=round(rng.uniform(2e5, 2e6), -3) if is_old and rng.random() < 0.3 else None,
    )
    first_day = D(max(built, 1995), 1, 1)
    seq = 0
    for b, units in enumerate(per_building, 1):
        bid = records.building(w, f"bld-{i:05d}-{b}", b, mid, built)
        cm.buildings.append(bid)
        for u in range(1, units + 1):
            uname = f"{b}号楼{(u - 1) // 4 + 1}单元{(u - 1) % 4 + 1}01"
            uid = records.unit(
                w, rng, f"unit-{i:05d}-{b}-{u}", name=uname, building=bid, built=built
            )
            bought = records.random_day(rng, first_day, D(2020, 12, 31))
            lives = rng.random() < 0.88
            occupants = 1 + (rng.random() < 0.45)
            for k in range(occupants + (not lives)):
                seq += 1
                pid = f"p-{i:05d}-{seq:04d}"
                member = None
                if rng.random() < 0.1:
                    member = (records.member_status(rng), records.member_category(rng))
                w.person(rng, pid, member=member, address=f"{name}{uname}")
                if k == 0:
                    w.link("OWNS", pid, uid, since=bought)
                if k == 0 and not lives:
                    continue  # a landlord living elsewhere
                moved = bought if k == 0 else records.random_day(rng, bought, D(2020, 12, 31))
                w.link("RESIDES_IN", pid, uid, since=moved)
                cm.people.append(
                    ResidentDraft(
                        pid,
                        uid,
                        bid,
                        mid,
                        k == 0,
                        moved,
                        *(member if member is not None else ("", "")),
                    )
                )
    return cm
