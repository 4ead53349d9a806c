"""The synthetic data set's upper levels: cities (leadership group, officials, departments)
and townships (leadership group, enforcement team, property companies and their evaluation).

Opened once per city and township; what the communities below need is kept in the drafts.
"""

from __future__ import annotations

import random

from . import records
from .synthetic_writer import CityDraft, SyntheticWriter, TownshipDraft

D = records.D
#: property companies per township (the last one a community-run company)
COMPANIES_PER_TOWNSHIP = 5


def open_city(w: SyntheticWriter, y: int) -> CityDraft:
    """City ``y``: its leadership group and officials, departments, quarterly meetings."""
    rng = w.rng("city", y)
    cid = w.node("City", f"city-{y:03d}", name=f"合成市{y + 1:03d}")
    since = D(2020, 12, rng.randint(1, 28))
    lg = records.leadership_group(
        w, f"lg-{cid}", place=f"合成市{y + 1:03d}", level="city", parent=cid, since=since
    )
    officials = [w.person(rng, f"staff-y{y}-{k}", staff=True, born=(1962, 1982)) for k in range(5)]
    for pid, role in zip(officials, records.leadership_roles(len(officials)), strict=True):
        w.post(pid, lg, role, since)
    departments: list[tuple[str, str]] = []
    for k, (_, short, powers) in enumerate(records.DEPARTMENTS):
        did = w.node("Department", f"dept-{y:03d}-{k}", name=f"合成市{y + 1:03d}{short}部门")
        departments.append((did, powers))
    for q in range(4):  # quarterly
        day = records.random_day(rng, D(2021, 3 * q + 1, 10), D(2021, 3 * q + 3, 25))
        w.meeting(rng, f"mtg-{lg}-{q}", "city_leadership_meeting", lg, day, who=officials)
    return CityDraft(y, cid, lg, officials, departments)


def open_township(w: SyntheticWriter, t: int, city: CityDraft) -> TownshipDraft:
    """Township ``t``: its leadership group, enforcement team, companies and meetings."""
    rng = w.rng("township", t)
    tid = w.node("Township", f"town-{t:04d}", name=f"合成{t + 1:04d}街道")
    w.link("PART_OF", tid, city.id, since=D(2001, 1, 1))
    for did, powers in city.departments:
        records.delegates_to(w, did, tid, powers)
    since = D(2021, 1, rng.randint(4, 20))
    lg = records.leadership_group(
        w, f"lg-{tid}", place=f"合成{t + 1:04d}街道", level="township", parent=tid, since=since
    )
    officials = [
        w.person(rng, f"staff-t{t}-{k}", staff=True, born=(1965, 1988))
        for k in range(rng.randint(3, 5))
    ]
    for pid, role in zip(officials, records.leadership_roles(len(officials)), strict=True):
        w.post(pid, lg, role, since)
    records.enforcement_team(w, f"et-{t:04d}", f"合成{t + 1:04d}街道", f"第{t % 5 + 1}片区")
    companies = _companies(w, rng, t)
    for m in range(6):  # every two months
        day = records.random_day(rng, D(2021, 2 * m + 1, 10), D(2021, 2 * m + 2, 25))
        w.meeting(rng, f"mtg-{lg}-{m}", "township_joint_meeting", lg, day, who=officials)
    return TownshipDraft(t, tid, officials, companies, lg)


def _companies(w: SyntheticWriter, rng: random.Random, t: int) -> list[str]:
    """The township's property companies and their 2021 evaluation (甲乙丙 by rank)."""
    ids: list[str] = []
    totals: list[tuple[float, str, list[float]]] = []
    for k in range(COMPANIES_PER_TOWNSHIP):
        community = k == COMPANIES_PER_TOWNSHIP - 1
        co = w.node(
            "PropertyCompany",
            f"co-{t:04d}-{k}",
            name=f"合成{t + 1:04d}{'社区' if community else str(k + 1) + '号'}物业服务有限公司",
            credit_code=f"SYNTH{t:08d}{k:02d}",
        )
        ids.append(co)
        q = rng.uniform(0.55, 0.97)
        scores = records.evaluation_scores(rng, q)
        totals.append((-round(sum(scores), 1), co, scores))
        if rng.random() < 0.4:  # the company has its own Party branch
            pb = w.node(
                "PartyBranch",
                f"pb-{co}",
                name=f"合成{co}党支部",
                form="standalone",
                elected_on=D(2019, 6, 1),
                term_years=5,
            )
            w.link("PARTY_ORG_OF", pb, co, since=D(2019, 6, 1))
    for rank, (_, co, scores) in enumerate(sorted(totals)):
        grade = "A" if rank == 0 else "C" if rank == len(totals) - 1 else "B"
        records.evaluation(
            w,
            f"eval-2021-{co}",
            co,
            year=2021,
            grade=grade,
            gold=grade == "A" and rng.random() < 0.3,
            indicators=47,
            scores=scores,
        )
    return ids
