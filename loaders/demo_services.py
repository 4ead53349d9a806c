"""The demo's service places and governance bodies: Party service stations and points,
leadership groups, community service centers, the property management committee of 气象街社区,
enforcement teams, delegating departments, and the volunteer teams with their activities.
"""

from __future__ import annotations

import datetime as dt
import random

from . import records
from .demo_builder import DemoBuilder
from .demo_figures import N_STATION_GAPS, PUBLISHED, SNAPSHOT
from .demo_places import COMMUNITY_REAL

D = records.D
_TOPICS_VOLUNTEER = ("环境整治", "邻里互助", "便民服务", "文明劝导", "疫情防控", "关爱老人")
_ZONES = ("第一片区", "第二片区", "第三片区", "第四片区", "第五片区")


def add_stations(demo: DemoBuilder) -> None:
    """32 stations and 54 points; six compounds are served by neither (rule P9)."""
    rng = demo.rng
    covered = [cm for cm in demo.compounds if cm.branch and cm.id != "cmp-yunbeiyuan"]
    uncovered = [cm for cm in demo.compounds if not cm.branch]
    gaps = rng.sample(uncovered, N_STATION_GAPS - 2) + rng.sample(covered, 2)
    served = [cm for cm in demo.compounds if cm not in gaps]
    with_station = [
        demo.cmp["cmp-yunbeiyuan"],
        *rng.sample(
            [cm for cm in served if cm.branch and cm.id != "cmp-yunbeiyuan"],
            PUBLISHED.service_stations - 1,
        ),
    ]
    reached: list[str] = []
    for i, cm in enumerate(cm for cm in demo.compounds if cm in with_station):
        sid = records.station(demo, f"ss-{i + 1:02d}", cm.name, "station")
        since = demo.day(D(2021, 1, 10), D(2021, 5, 20))
        demo.link("SERVES", sid, cm.id, since=since)
        reached.append(cm.id)
        if i % 8 == 0:  # some stations also serve the whole community
            demo.link("SERVES", sid, demo.communities[cm.community], since=since)
    needs = [cm for cm in served if cm.id not in reached]
    extra = PUBLISHED.service_points - len(needs)
    places = needs + [served[i] for i in sorted(rng.sample(range(len(served)), extra))]
    for i, cm in enumerate(places):
        pid = records.station(demo, f"sp-{i + 1:02d}", cm.name, "point")
        demo.link("SERVES", pid, cm.id, since=demo.day(D(2021, 1, 10), D(2021, 5, 20)))


def add_governance(demo: DemoBuilder) -> None:
    """Leadership groups (city, townships), community service centers, the property
    management committee of 气象街社区, five enforcement teams and four departments."""
    rng = demo.rng
    bodies = [("lg-city", "city-huairen", "怀仁市委", 7)]
    bodies += [(f"lg-{t}", t, demo.name_of(t), 4) for t in demo.townships]
    for lg, parent, place, n in bodies:
        city = parent.startswith("city")
        since = D(2021, 1, 6) if city else demo.day(D(2021, 1, 8), D(2021, 1, 12))
        level = "city" if city else "township"
        records.leadership_group(demo, lg, place=place, level=level, parent=parent, since=since)
        people = [demo.person(staff=True, born=(1962, 1985)) for _ in range(n)]
        for p, role in zip(people, records.leadership_roles(n), strict=True):
            demo.post(p.id, lg, role, since)
        demo.officials[lg] = [p.id for p in people]
    for c, comm in enumerate(demo.communities):
        since = demo.day(D(2021, 1, 4), D(2021, 1, 10))
        sc = records.service_center(demo, f"sc-{comm[5:]}", demo.name_of(comm), comm, since)
        head = demo.officials[demo.party_committees[c]][0]
        demo.post(head, sc, "head", since)  # the community Party secretary heads it
        staff = [demo.person(staff=True, born=(1970, 1998)) for _ in range(rng.randint(2, 3))]
        for p in staff:
            demo.post(p.id, sc, "member", since)
        demo.officials[sc] = [head] + [p.id for p in staff]
    _pmc(demo)
    sizes = (3, 3, 2, 2, 2)
    start = 0
    for z, (zone, size) in enumerate(zip(_ZONES, sizes, strict=True), 1):
        et = records.enforcement_team(demo, f"et-{z}", zone, zone)
        for comm in demo.communities[start : start + size]:
            demo.link("COVERS", et, comm, since=D(2021, 3, 15))
        start += size
    for slug, short, powers in records.DEPARTMENTS:
        did = demo.node("Department", f"dept-{slug}", name=f"市{short}部门")
        for t in demo.townships:
            records.delegates_to(demo, did, t, powers)


def _pmc(demo: DemoBuilder) -> None:
    """社区物业管理委员会 of 气象街社区: it manages 云北苑小区 (see the article)."""
    pmc = records.property_management_committee(
        demo, "pmc-qixiangjie", COMMUNITY_REAL, "comm-qixiangjie"
    )
    yby = demo.cmp["cmp-yunbeiyuan"]
    head = demo.officials[demo.party_committees[0]][0]
    b = demo.br[yby.branch]
    chair = demo.oc_seats[yby.oc][0][0]
    owners = [u.owner for u in yby.units() if u.owner not in (b.secretary, chair)]
    people = list(dict.fromkeys([head, b.secretary, chair, *demo.rng.sample(owners, 2)]))
    for i, pid in enumerate(people):
        demo.post(pid, pmc, "head" if i == 0 else "member", D(2021, 2, 20))
    demo.officials[pmc] = people


def add_volunteers(demo: DemoBuilder) -> None:
    """One volunteer team per branch plus themed ones; 500 activities whose tasks and people
    served add up to the article's 4,600 and 120,000."""
    rng = demo.rng
    extra = rng.sample(demo.branches, 14)
    teams: list[tuple[str, dt.date]] = []
    for b in demo.branches:
        themes = [""] + ([rng.choice(_TOPICS_VOLUNTEER)] if b in extra else [])
        for theme in themes:
            since = max(b.founded, demo.day(D(2021, 1, 5), D(2021, 2, 10)))
            vid, name = f"vt-{len(teams) + 1:02d}", f"{b.name}{theme}志愿服务队"
            vt = records.volunteer_team(demo, vid, name, b.id, since)
            teams.append((vt, since))
            current = [m for m in b.members if demo.persons[m].branch == b.id]
            locals_ = [
                r
                for m in b.compounds
                for r in demo.cmp[m].residents()
                if not demo.persons[r].status
            ]
            people = rng.sample(current, min(len(current), rng.randint(3, 8)))
            people += rng.sample(locals_, rng.randint(2, 5))
            manager = demo.cmp[b.compounds[0]].manager
            if manager in demo.staff and rng.random() < 0.4:
                people.append(rng.choice(demo.staff[manager]))
            records.volunteers(demo, rng, vt, people, since)
    n = PUBLISHED.volunteer_activities
    tasks = _split(PUBLISHED.volunteer_tasks_done, n, rng, 0.4, 1.6)
    served = _split(PUBLISHED.volunteer_persons_served, n, rng, 0.3, 1.7)
    picks = [rng.choice(teams) for _ in range(n)]
    days = sorted(demo.day(max(since, D(2021, 1, 10)), SNAPSHOT) for _, since in picks)
    for i, ((vt, since), t, s) in enumerate(zip(picks, tasks, served, strict=True)):
        day = max(days[i], since)
        records.volunteer_activity(
            demo,
            rng,
            f"va-{i + 1:04d}",
            vt,
            day=day,
            tasks=t,
            served=s,
            topics=_TOPICS_VOLUNTEER,
        )


def _split(total: int, n: int, rng: random.Random, low: float, high: float) -> list[int]:
    """``n`` positive whole numbers summing exactly to ``total``, drawn from weights in
    ``[low, high]`` (largest remainders get the rounding, ties broken by position)."""
    weights = [rng.uniform(low, high) for _ in range(n)]
    exact = [total * w / sum(weights) for w in weights]
    parts = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(n), key=lambda i: (parts[i] - exact[i], i))
    k = 0
    while sum(parts) < total:
        parts[by_remainder[k % n]] += 1
        k += 1
    while sum(parts) > total:
        i = max(range(n), key=lambda j: (parts[j], -j))
        parts[i] -= 1
    return parts
