"""The synthetic data set's owners and property in one compound: the owners' assembly and
committee (with cross-appointments and the odd conflict of interest), who manages the compound
(a company, the committee, the community's PMC or nobody; the four 途径 for old compounds), the
managing company's staff, and the station or point that serves the compound.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..graph.ontology import MANAGE_MODES
from . import records
from .synthetic_writer import CompoundDraft, SyntheticWriter, TownshipDraft

D = records.D
_STAFF_ROLES = ("项目经理", "客服", "保洁", "秩序维护", "维修")


def owners(w: SyntheticWriter, cm: CompoundDraft) -> None:
    """Assembly, committee (mostly odd sizes), cross-appointments with the branch."""
    rng = cm.rng
    if rng.random() > 0.85 or len(cm.owners()) < 12:
        return
    oa = w.node("OwnersAssembly", f"oa-{cm.id[4:]}", name=f"{cm.name}业主大会")
    w.link("REPRESENTS", oa, cm.id, since=D(2020, 6, 1))
    if rng.random() > 0.7:
        return
    elected = records.random_day(rng, D(2018, 1, 1), D(2021, 6, 30))
    oc = records.owners_committee(
        w,
        f"oc-{cm.id[4:]}",
        cm.name,
        cm.id,
        elected_on=elected,
        term_years=5,
        filed_on=elected + dt.timedelta(days=rng.randint(5, 40)) if rng.random() < 0.9 else None,
    )
    w.link("PART_OF", oc, oa, since=elected)
    size = rng.choice((5, 5, 5, 7, 7, 9))
    if rng.random() < 0.08:
        size = rng.choice((3, 4, 6))  # even, or too small
    seats: list[str] = []
    b = cm.branch
    secretary = b.committee[0] if b is not None and b.committee else ""
    sec_person = next((p for p in cm.people if p.id == secretary), None)
    if sec_person is not None and sec_person.owner_occupier and rng.random() < 0.5:
        seats.append(secretary)  # 交叉任职: the branch secretary chairs the committee
    elif b is not None and len(b.committee) > 1 and rng.random() < 0.4:
        others = [pid for pid in b.committee[1:] if any(p.id == pid for p in cm.owners())]
        seats.extend(others[:1])  # a committee member of the branch sits on it
    pool = [p.id for p in cm.owners(exclude=seats)]
    seats += rng.sample(pool, min(size - len(seats), len(pool)))
    roles = ["chair", "vice_chair"] + ["member"] * (len(seats) - 2)
    for pid, role in zip(seats, roles, strict=False):
        w.post(pid, oc, role, elected)
    cm.oc, cm.oc_chair = oc, seats[0]
    if rng.random() < 0.05 and len(seats) > 2:
        cm.conflicted = seats[-1]  # employed by the managing company: a conflict of interest


def management(w: SyntheticWriter, cm: CompoundDraft, township: TownshipDraft, pmc: str) -> None:
    """Who manages the compound: a company, the owners' committee, the community PMC, or
    nobody (old compounds only); old compounds carry the mode (the four 途径)."""
    rng = cm.rng
    companies = township.companies
    mode = ""
    if cm.is_old:
        mode = rng.choices((*MANAGE_MODES, ""), weights=(30, 25, 15, 10, 20))[0]
        if mode == "owners_self_managed" and not cm.oc:
            mode = "recruited_company"
    if cm.is_old and not mode:
        manager = ""  # no property service at all
    elif mode == "community_company":
        manager = pmc if pmc and rng.random() < 0.4 else companies[-1]
    elif mode == "owners_self_managed":
        manager = cm.oc
    else:
        manager = rng.choice(companies[:-1])
    cm.manager = manager
    if not manager:
        return
    since = D(max(cm.built, 2010), rng.randint(1, 12), 1)
    props: dict[str, Any] = {"mode": mode or None}
    if manager.startswith("co-") and rng.random() < 0.05:  # replaced during 2021
        old = companies[(companies.index(manager) + 1) % (len(companies) - 1)]
        w.link("MANAGES", old, cm.id, since=since, until=D(2021, 2, 28), **props)
        since = D(2021, 3, 1)
    w.link("MANAGES", manager, cm.id, since=since, **props)
    if not manager.startswith("co-"):
        return
    for k in range(rng.randint(1, 3)):
        pid = w.person(rng, f"staff-{cm.id}-{k}", staff=True, born=(1965, 2000))
        w.link("EMPLOYED_BY", pid, manager, role=_STAFF_ROLES[k], since=since)
        cm.staff.append(pid)
    if cm.conflicted:
        w.link("EMPLOYED_BY", cm.conflicted, manager, role="维修", since=D(2020, 5, 1))


def stations(w: SyntheticWriter, cm: CompoundDraft, station: str, c: int) -> None:
    rng = cm.rng
    r = rng.random()
    if r < 0.55:
        point = records.station(w, f"sp-{cm.id[4:]}", cm.name, "point")
        w.link("SERVES", point, cm.id, since=D(2021, 3, 1))
    elif r < 0.9:
        w.link("SERVES", station, cm.id, since=D(2021, 2, 1))
    # else: served by no station or point (a gap)
