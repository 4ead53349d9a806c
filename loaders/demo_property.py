"""The demo's property side: property companies and their 2021 red-property evaluation, who
manages each compound (old compounds by the four ways, or not at all), and property staff.

Rules M1, M2 and O5 of ``shared/domain/RULES.md`` find the gaps placed here.
"""

from __future__ import annotations

from . import records
from .demo_builder import DemoBuilder, PersonDraft
from .demo_figures import N_COMMUNITIES, N_COMMUNITY_COMPANIES, N_COMPANIES, OLD_MODES, PUBLISHED

D = records.D
_COMPANY_WORDS = (
    "安泰", "诚信", "鼎盛", "恒安", "华宇", "嘉园", "金盾", "居安", "乐家", "美好",
    "宁馨", "瑞丰", "顺达", "天佑", "万家", "祥和", "益民", "众和",
)  # fmt: skip


def add_companies(demo: DemoBuilder) -> None:
    """Property companies and their 2021 red-property evaluation: graded by total score,
    the top 20% 甲 (A), the next 50% 乙 (B), the bottom 30% 丙 (C); gold from 甲."""
    rng = demo.rng
    for i in range(1, N_COMPANIES + 1):
        cid = f"co-{i:02d}"
        if i > N_COMPANIES - N_COMMUNITY_COMPANIES:
            comm = demo.name_of(demo.communities[(i * 5) % N_COMMUNITIES])
            name = f"{comm}物业服务有限公司"
        else:
            name = f"示例{_COMPANY_WORDS[i - 1]}物业服务有限公司"
        demo.node("PropertyCompany", cid, name=name, credit_code=f"DEMO{i:014d}")
        demo.companies.append(cid)
        demo.staff[cid] = []
    quality = {c: rng.uniform(0.55, 0.97) for c in demo.companies}
    scores = {c: records.evaluation_scores(rng, quality[c]) for c in demo.companies}
    ranked = sorted(demo.companies, key=lambda c: (-round(sum(scores[c]), 1), c))
    n_a, n_b, _ = PUBLISHED.grade_counts
    for rank, cid in enumerate(ranked):
        grade = "A" if rank < n_a else "B" if rank < n_a + n_b else "C"
        demo.grades[cid] = grade
        records.evaluation(
            demo,
            f"eval-{PUBLISHED.evaluation_year}-{cid[3:]}",
            cid,
            year=PUBLISHED.evaluation_year,
            grade=grade,
            gold=rank < PUBLISHED.gold_companies,
            indicators=PUBLISHED.evaluation_indicators,
            scores=scores[cid],
        )
    for cid in demo.companies:  # staff who are not residents: a manager and a few more
        for r, role in enumerate(
            ("项目经理", "客服专员", "保洁主管", "维修工")[: rng.randint(2, 4)]
        ):
            p = demo.person(staff=True, born=(1965, 1998))
            p.employer_company = cid
            demo.link(
                "EMPLOYED_BY",
                p.id,
                cid,
                role=role,
                since=demo.day(D(2014 + r, 1, 1), D(2020, 12, 31)),
            )
            demo.staff[cid].append(p.id)


def add_management_plan(demo: DemoBuilder) -> None:
    """Which body manages each compound; old ones by the four ways (or not at all)."""
    rng = demo.rng
    regular = demo.companies[: N_COMPANIES - N_COMMUNITY_COMPANIES]
    good = [c for c in regular if demo.grades[c] in ("A", "B")]
    modes = [m for m, n in OLD_MODES for _ in range(n)]
    old = [cm for cm in demo.compounds if cm.is_old and cm.id != "cmp-yunbeiyuan"]
    rng.shuffle(modes)
    for cm, mode in zip(old, modes, strict=True):
        cm.mode = mode
        if mode in ("recruited_company", "existing_company"):
            cm.manager = rng.choice(good)
        elif mode == "community_company":
            cm.manager = rng.choice(demo.companies[len(regular) :])
    yby = demo.cmp["cmp-yunbeiyuan"]
    yby.mode, yby.manager = "community_company", "pmc-qixiangjie"
    for cm in demo.compounds:
        if not cm.is_old:
            cm.manager = rng.choice(regular)
    demo.replaced = rng.sample([cm for cm in demo.compounds if not cm.is_old], 2)
    for cm in demo.replaced:  # a poor company replaced by a good one (淘汰替换)
        cm.manager = rng.choice(good)


def add_management_links(demo: DemoBuilder) -> None:
    rng = demo.rng
    for cm in demo.compounds:
        if cm.mode == "owners_self_managed":
            cm.manager = cm.oc
        if not cm.manager:
            continue
        if cm.is_old:
            since = demo.day(D(2021, 1, 10), D(2021, 5, 20))
            demo.link("MANAGES", cm.manager, cm.id, mode=cm.mode, since=since)
            continue
        if cm in demo.replaced:
            old = rng.choice([c for c in demo.companies if demo.grades[c] == "C"])
            start = demo.day(D(max(cm.built_year, 2012), 1, 1), D(2019, 12, 31))
            demo.link("MANAGES", old, cm.id, since=start, until=D(2021, 2, 28))
            demo.link("MANAGES", cm.manager, cm.id, since=D(2021, 3, 1))
            continue
        start = demo.day(D(max(cm.built_year, 2010), 1, 1), D(2020, 12, 31))
        demo.link("MANAGES", cm.manager, cm.id, since=start)


def add_staff(demo: DemoBuilder) -> None:
    """Property staff: some sit on a branch committee (吸纳物业人员进入支部班子), three sit
    on the owners' committee that supervises their own employer (rule O5), and a few more
    Party members work for companies with no Party organization (rule M2)."""
    rng = demo.rng
    managed = [cm for cm in demo.compounds if cm.manager in demo.companies and cm.branch]
    done = 0
    for cm in rng.sample(managed, len(managed)):
        b = demo.br[cm.branch]
        cands = [
            p
            for p in b.committee[1:]
            if demo.persons[p].category == "in_service"
            and not demo.persons[p].seats
            and not demo.persons[p].employer_company
        ]
        if cands and done < 5:
            _employ(demo, demo.persons[rng.choice(cands)], cm.manager, "物业项目经理")
            done += 1
    plain_seats = {
        cm.id: [
            p
            for p, role in demo.oc_seats[cm.oc]
            if role == "member"
            and not demo.persons[p].posts
            and not demo.persons[p].employer_company
        ]
        for cm in demo.compounds
        if cm.oc and cm.manager in demo.companies
    }
    for cid in rng.sample([c for c, seats in plain_seats.items() if seats], 3):
        pid = rng.choice(plain_seats[cid])
        _employ(demo, demo.persons[pid], demo.cmp[cid].manager, "客服专员")
    idle = [
        p
        for p in demo.persons.values()
        if p.branch and p.category == "in_service" and not p.seats and not p.posts
    ]
    for p in rng.sample(idle, 6):
        _employ(demo, p, rng.choice(demo.companies), "维修工")
    # joint Party organizations: a compound branch is the Party organization of some companies
    for cid in rng.sample(demo.companies, 8):
        branches = [
            demo.cmp[m].branch
            for m in demo.cmp
            if demo.cmp[m].manager == cid and demo.cmp[m].branch
        ]
        if branches:
            demo.link(
                "PARTY_ORG_OF", branches[0], cid, since=demo.day(D(2021, 3, 1), D(2021, 5, 15))
            )


def _employ(demo: DemoBuilder, p: PersonDraft, company: str, role: str) -> None:
    p.employer_company = company
    if p.category == "in_service":
        p.props["employer"] = demo.name_of(company)
    demo.link(
        "EMPLOYED_BY", p.id, company, role=role, since=demo.day(D(2018, 1, 1), D(2020, 12, 31))
    )
    demo.staff[company].append(p.id)
