"""The demo's Party organization: compound branches (standalone, joint, combined), community
Party committees, members, Party groups in buildings, branch committees and registrations.

Gaps are placed on purpose for the coverage rules (P1, P3-P8 of ``shared/domain/RULES.md``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from . import records
from .demo_builder import BranchDraft, DemoBuilder, PersonDraft
from .demo_figures import (
    BIG_BRANCH_MEMBERS,
    COVERED_PER_COMMUNITY,
    JOINT_SIZES,
    LEFT_BRANCH,
    N_COMBINED,
    N_COMMUNITIES,
    PUBLISHED,
    SECRETARY_CHANGE,
)

D = records.D
_EMPLOYERS = tuple(f"示例单位{i:02d}" for i in range(1, 13))


def add_branches(demo: DemoBuilder) -> None:
    """Decide which compounds branches cover, and how (standalone, joint, combined)."""
    rng = demo.rng
    counts = list(COVERED_PER_COMMUNITY)
    rng.shuffle(counts)
    free: list[list[str]] = []
    for c in range(N_COMMUNITIES):
        ids = [cm.id for cm in demo.compounds if cm.community == c]
        if c == 0:  # 云北苑 is covered (by a standalone branch)
            free.append([ids[0], *rng.sample(ids[1:], counts[c] - 1)])
        else:
            free.append(rng.sample(ids, counts[c]))
    plan: list[tuple[str, list[str], int]] = []
    for size, c in zip(
        JOINT_SIZES, rng.sample(range(N_COMMUNITIES), len(JOINT_SIZES)), strict=True
    ):
        chosen = rng.sample([m for m in free[c] if m != "cmp-yunbeiyuan"], size)
        free[c] = [m for m in free[c] if m not in chosen]
        plan.append(("joint", sorted(chosen), c))
    singles = [(m, c) for c in range(N_COMMUNITIES) for m in free[c]]
    combined = rng.sample([s for s in singles if s[0] != "cmp-yunbeiyuan"], N_COMBINED)
    plan += [("combined" if s in combined else "standalone", [s[0]], s[1]) for s in singles]
    plan.sort(key=lambda g: "" if g[1][0] == "cmp-yunbeiyuan" else g[1][0])
    for i, (form, cmps, c) in enumerate(plan, 1):
        if form == "combined":  # combined branches existed before the 2021 campaign
            founded = demo.day(D(2017, 3, 1), D(2020, 10, 31))
        else:
            founded = demo.day(D(2021, 1, 4), D(2021, 1, 25))
        b = BranchDraft(f"pb-{i:02d}", form, cmps, c, founded)
        demo.branches.append(b)
        demo.br[b.id] = b
        for m in cmps:
            demo.cmp[m].branch = b.id
    # two branches go back to 2015/2016 and are past their five-year term (rule P5)
    for b in rng.sample(_plain_standalone(demo), 2):
        b.founded = demo.day(D(2015, 3, 1), D(2016, 3, 31))


def _plain_standalone(demo: DemoBuilder) -> list[BranchDraft]:
    return [
        b for b in demo.branches if b.form == "standalone" and b.compounds[0] != "cmp-yunbeiyuan"
    ]


def add_party_committees(demo: DemoBuilder) -> None:
    for c, cid in enumerate(demo.communities):
        pid = records.party_committee(demo, f"pcom-{cid[5:]}", demo.name_of(cid), cid)
        demo.party_committees.append(pid)
        secretary = demo.person(staff=True, born=(1965, 1985))
        demo.post(secretary.id, pid, "secretary", D(2019, 1, 1) + dt.timedelta(days=c * 17))
        demo.officials[pid] = [secretary.id]


def add_membership(demo: DemoBuilder) -> None:
    """Party members: in the buildings that get a group, and in a few that do not."""
    rng = demo.rng
    shares = _allocate(
        PUBLISHED.party_groups,
        [sum(len(demo.cmp[m].buildings) for m in b.compounds) for b in demo.branches],
        rng,
    )
    big = next(b for b in demo.branches if b.form == "joint" and len(b.compounds) == 3)
    for b, n_groups in zip(demo.branches, shares, strict=True):
        buildings = [bld for m in b.compounds for bld in demo.cmp[m].buildings]
        grouped = rng.sample(buildings, n_groups)
        b.group_buildings = [bld.id for bld in buildings if bld in grouped]
        chosen: list[str] = []
        for bld in buildings:
            if bld.id in b.group_buildings:
                k = rng.randint(4, 6) if b is big else rng.randint(1, 3)
            else:  # Party members in a building no group covers (rule P6), or none
                k = rng.randint(1, 2) if rng.random() < 0.45 else 0
            chosen += rng.sample(bld.residents(), min(k, len(bld.residents())))
        # an owner-occupier member in every covered compound (a secretary or a go-between)
        for m in b.compounds:
            if not any(demo.lives_owning(p, m) for p in chosen):
                chosen.append(_owner_occupier(demo, m, exclude=chosen))
        if b is big:  # over 50 members (rule P3)
            others = [r for m in b.compounds for r in demo.cmp[m].residents() if r not in chosen]
            chosen += rng.sample(others, max(0, BIG_BRANCH_MEMBERS - len(chosen)))
        for pid in chosen:
            _enrol(demo, demo.persons[pid], b)
    _members_outside_cover(demo)


def _owner_occupier(demo: DemoBuilder, compound: str, exclude: Sequence[str] = ()) -> str:
    cands = [r for r in demo.cmp[compound].residents() if demo.lives_owning(r, compound)]
    return demo.rng.choice([r for r in cands if r not in exclude and not demo.persons[r].status])


def _enrol(
    demo: DemoBuilder, p: PersonDraft, b: BranchDraft, *, status: str = "", category: str = ""
) -> None:
    rng = demo.rng
    p.branch = b.id
    p.status = status or records.member_status(rng)
    p.category = category or records.member_category(rng)
    p.props.update(records.member_props(rng, p.category, _EMPLOYERS))
    b.members.append(p.id)


def _members_outside_cover(demo: DemoBuilder) -> None:
    """Members living in compounds no branch covers, placed in a (combined) branch of their
    community; six such compounds have three or more full members (rule P1)."""
    rng = demo.rng
    uncovered = [cm for cm in demo.compounds if not cm.branch]
    p1 = rng.sample(uncovered, 6)
    for cm in uncovered:
        k = rng.randint(3, 5) if cm in p1 else rng.randint(0, 2)
        hosts = [b for b in demo.branches if b.community == cm.community]
        host = next((b for b in hosts if b.form == "combined"), hosts[0])
        for pid in rng.sample(cm.residents(), k):
            _enrol(demo, demo.persons[pid], host, status="full" if cm in p1 else "")


def add_groups_and_posts(demo: DemoBuilder) -> None:
    """Branch and group nodes, branch committees, memberships and group posts."""
    rng = demo.rng
    sizes = _committee_sizes(demo)
    changing = rng.sample([b for b in _plain_standalone(demo) if sizes[b.id] >= 3], 2)
    seq = 0
    for b in demo.branches:
        names = [demo.cmp[m].name for m in b.compounds]
        b.name = records.branch_name(names)
        records.party_branch(
            demo,
            b.id,
            name=b.name,
            form=b.form,
            founded=b.founded,
            parent=demo.party_committees[b.community],
            compounds=b.compounds,
        )
        for bid in b.group_buildings:
            seq += 1
            name = f"{demo.cmp[demo.bld[bid].compound].name}{demo.name_of(bid)}党小组"
            b.groups.append(
                records.party_group(
                    demo, f"pg-{seq:03d}", name=name, branch=b.id, building=bid, since=b.founded
                )
            )
        _branch_posts(demo, b, sizes[b.id], b in changing)
    assert seq == PUBLISHED.party_groups
    leavers = rng.sample(
        [
            pid
            for b in demo.branches
            for pid in b.members
            if not demo.persons[pid].posts
            and demo.persons[pid].status == "full"
            and max(b.founded, demo.persons[pid].moved_in) < D(2021, 2, 1)
        ],
        3,
    )
    for b in demo.branches:
        _memberships(demo, b, leavers)
    _floating_at_committee(demo)


def _full(demo: DemoBuilder, b: BranchDraft) -> list[str]:
    return [p for p in b.members if demo.persons[p].status == "full"]


def _committee_sizes(demo: DemoBuilder) -> dict[str, int]:
    """Branch committees of 3-5 mostly; one of 8, one of 2 and one with none (rule P4)."""
    rng = demo.rng
    sizes = {b.id: rng.choice((3, 3, 4, 5, 5)) for b in demo.branches}
    big = max(demo.branches, key=lambda b: len(b.members))
    sizes[big.id] = 8
    singles = _plain_standalone(demo)
    fullest = max(singles, key=lambda b: len(_full(demo, b)))
    while len(_full(demo, fullest)) < 7:
        pid = _owner_occupier(demo, fullest.compounds[0])
        _enrol(demo, demo.persons[pid], fullest, status="full")
    sizes[fullest.id] = 0  # seven or more full members and no committee at all
    sizes[rng.choice([b for b in singles if b is not fullest]).id] = 2
    return sizes


def _branch_posts(demo: DemoBuilder, b: BranchDraft, size: int, changes_secretary: bool) -> None:
    rng = demo.rng
    if size == 0:
        return
    primary = b.compounds[0]
    local = [p for p in _full(demo, b) if demo.persons[p].compound in b.compounds]
    pool = [p for p in local if demo.lives_owning(p, primary)]
    if not pool:  # the owner-occupier forced in may be probationary: now full
        pid = next(p for p in b.members if demo.lives_owning(p, primary))
        demo.persons[pid].status = "full"
        pool, local = [pid], [pid, *local]
    chosen = [rng.choice(pool)]
    for m in b.compounds[1:]:  # a go-between from every other covered compound
        others = [p for p in local if demo.lives_owning(p, m)]
        if others and len(chosen) < size:
            chosen.append(rng.choice(others))
    rest = [p for p in local if p not in chosen]
    chosen += rng.sample(rest, min(size - len(chosen), len(rest)))
    roles = ["secretary"] + (["deputy_secretary"] if len(chosen) >= 4 else [])
    roles += ["committee_member"] * (len(chosen) - len(roles))
    successor = [p for p in pool if p not in chosen] if changes_secretary else []
    if successor:  # the first secretary steps down in spring; another member takes over
        first = chosen[0]
        until = SECRETARY_CHANGE - dt.timedelta(days=1)
        # a post that ended: demo.post would count it among the posts the person holds now
        demo.link("HOLDS_POST", first, b.id, role="secretary", since=b.founded, until=until)
        b.former_secretary = first
        chosen[0] = rng.choice(successor)
    for pid, role in zip(chosen, roles, strict=True):
        since = SECRETARY_CHANGE if successor and role == "secretary" else b.founded
        demo.post(pid, b.id, role, since)
    b.committee = chosen


def _memberships(demo: DemoBuilder, b: BranchDraft, leavers: Sequence[str]) -> None:
    rng = demo.rng
    for pid in b.members:
        p = demo.persons[pid]
        since = max(b.founded, p.moved_in)
        if p.status == "probationary":
            since = max(since, demo.day(D(2020, 6, 1), D(2021, 3, 31)))
        leaving = pid in leavers  # transferred out and placed in no branch since (rule P7)
        bodies = [b.id]
        if not leaving and p.building in b.group_buildings:
            bodies.append(b.groups[b.group_buildings.index(p.building)])
        for body in bodies:
            records.membership(
                demo,
                pid,
                body,
                status=p.status,
                category=p.category,
                since=since,
                until=LEFT_BRANCH if leaving else None,
            )
        if leaving:
            p.branch = ""
    for gid, bid in zip(b.groups, b.group_buildings, strict=True):
        ms = [m for m in b.members if demo.persons[m].branch and demo.persons[m].building == bid]
        if ms:
            records.group_posts(demo, rng, gid, b.founded, [demo.persons[m] for m in ms])


def _floating_at_committee(demo: DemoBuilder) -> None:
    """Two floating members held by a community Party committee, in no branch (rule P7)."""
    residents = [p for p in demo.persons.values() if p.unit is not None and not p.status]
    for p in demo.rng.sample(residents, 2):
        p.status, p.category = "full", "floating"
        records.membership(
            demo,
            p.id,
            demo.party_committees[demo.cmp[p.compound].community],
            status="full",
            category="floating",
            since=demo.day(D(2020, 9, 1), D(2021, 4, 30)),
        )


def add_registration(demo: DemoBuilder) -> None:
    """In-service members report to the compound where they live (在职党员报到), most of
    them: the rest are what rule P8 looks for."""
    for p in demo.persons.values():
        in_service = p.branch and p.category == "in_service" and p.unit is not None
        if in_service and demo.rng.random() < 0.7:
            since = max(p.moved_in, demo.day(D(2021, 2, 1), D(2021, 5, 20)))
            demo.link("REGISTERED_AT", p.id, p.compound, since=since)


def _allocate(total: int, capacities: Sequence[int], rng: random.Random) -> list[int]:
    """Split ``total`` into one share per capacity: at least 1, at most the capacity, roughly
    proportional, preferring to leave every capacity one short (uncovered buildings for P6)."""
    assert sum(capacities) >= total >= len(capacities)
    scale = total / sum(capacities)
    shares = [max(1, min(c, int(c * scale))) for c in capacities]
    order = list(range(len(capacities)))
    while sum(shares) != total:
        rng.shuffle(order)
        if sum(shares) < total:
            slack = [i for i in order if shares[i] < capacities[i] - 1]
            i = (slack or [i for i in order if shares[i] < capacities[i]])[0]
            shares[i] += 1
        else:
            i = next(i for i in order if shares[i] > 1)
            shares[i] -= 1
    return shares
