"""The synthetic data set's Party organization in one community: which compounds branches
cover (about 80%; standalone, joint or combined), each branch's members, Party groups and
committee, and the members who live where no branch covers (a gap the rules look for).
"""

from __future__ import annotations

import random

from . import records
from .synthetic_writer import BranchDraft, CompoundDraft, SyntheticWriter

D = records.D


def plan_branches(
    w: SyntheticWriter, rng: random.Random, compounds: list[CompoundDraft]
) -> list[BranchDraft]:
    """About 80% of compounds covered; some by joint branches of 2-3, some combined."""
    covered = [cm for cm in compounds if rng.random() < 0.8]
    branches: list[BranchDraft] = []
    k = 0
    while k < len(covered):
        left = len(covered) - k
        if left >= 2 and rng.random() < 0.3:
            size = min(left, rng.choice((2, 2, 3)))
            group, form = covered[k : k + size], "joint"
        else:
            size, group = 1, covered[k : k + 1]
            form = "combined" if rng.random() < 0.15 else "standalone"
        k += size
        if form == "combined":
            founded = records.random_day(rng, D(2017, 3, 1), D(2020, 10, 31))
        elif rng.random() < 0.05:  # past its five-year term
            founded = records.random_day(rng, D(2014, 3, 1), D(2016, 3, 31))
        else:
            founded = records.random_day(rng, D(2019, 1, 4), D(2021, 1, 25))
        b = BranchDraft(f"pb-{group[0].id[4:]}", form, group, founded)
        names = [cm.name for cm in group]
        b.name = records.branch_name(names)
        for cm in group:
            cm.branch = b
        branches.append(b)
    return branches


def branch(w: SyntheticWriter, b: BranchDraft, pcom: str) -> None:
    """The branch, its groups, members and committee (sizes mostly 3-5; a few gaps)."""
    rng = b.compounds[0].rng
    records.party_branch(
        w,
        b.id,
        name=b.name,
        form=b.form,
        founded=b.founded,
        parent=pcom,
        compounds=[cm.id for cm in b.compounds],
    )
    b.members = [p for cm in b.compounds for p in cm.people if p.status]
    if not b.members:  # every branch has at least one member: an owner-occupier joins
        owners = b.compounds[0].owners() or b.compounds[0].people
        if owners:
            p = rng.choice(owners)
            p.status, p.category = "full", "retired"
            b.members.append(p)
    for p in b.members:
        records.membership(
            w,
            p.id,
            b.id,
            status=p.status,
            category=p.category,
            since=max(b.founded, p.moved_in),
        )
    _groups(w, b, rng)
    full = [p for p in b.members if p.status == "full"]
    size = rng.choice((3, 3, 4, 5, 5))
    r = rng.random()
    if r < 0.03:
        size = 0  # no committee at all
    elif r < 0.06:
        size = 2  # too small
    owners_first = sorted(full, key=lambda p: not p.owner_occupier)
    chosen = owners_first[:1] + rng.sample(owners_first[1:], max(0, min(size, len(full)) - 1))
    if size == 0:
        chosen = []
    roles = ["secretary"] + (["deputy_secretary"] if len(chosen) >= 4 else [])
    roles = roles[: len(chosen)] + ["committee_member"] * (len(chosen) - len(roles))
    if chosen and rng.random() < 0.05 and len(full) > len(chosen):
        # the first secretary stepped down in spring; a successor took over
        former = next(p for p in full if p not in chosen)
        w.post(former.id, b.id, "secretary", b.founded, until=D(2021, 3, 31))
        w.post(chosen[0].id, b.id, "secretary", D(2021, 4, 1))
        roles, chosen_rest = roles[1:], chosen[1:]
    else:
        chosen_rest = chosen
    for p, role in zip(chosen_rest, roles, strict=True):
        w.post(p.id, b.id, role, max(b.founded, p.moved_in))
    b.committee = [p.id for p in chosen]
    for p in b.members:
        if p.category == "in_service" and rng.random() < 0.7:
            since = max(p.moved_in, records.random_day(rng, D(2021, 2, 1), D(2021, 11, 30)))
            w.link("REGISTERED_AT", p.id, p.compound, since=since)


def _groups(w: SyntheticWriter, b: BranchDraft, rng: random.Random) -> None:
    """A Party group for most buildings with members; the rest are a gap (P6)."""
    for cm in b.compounds:
        for bid in cm.buildings:
            ms = [p for p in b.members if p.building == bid]
            if not ms or rng.random() < 0.15:  # members in a building no group covers
                continue
            gid = records.party_group(
                w,
                f"pg-{bid[4:]}",
                name=f"{cm.name}{bid.rsplit('-', 1)[1]}号楼党小组",
                branch=b.id,
                building=bid,
                since=b.founded,
            )
            for p in ms:
                records.membership(
                    w,
                    p.id,
                    gid,
                    status=p.status,
                    category=p.category,
                    since=max(b.founded, p.moved_in),
                )
            records.group_posts(w, rng, gid, b.founded, ms)


def members_outside(
    w: SyntheticWriter,
    rng: random.Random,
    compounds: list[CompoundDraft],
    branches: list[BranchDraft],
    pcom: str,
) -> None:
    """Members living where no branch covers: in a combined branch of the community if
    there is one, else held by the community Party committee (a gap the rules look for)."""
    host = next((b for b in branches if b.form == "combined"), None)
    for cm in compounds:
        if cm.branch is not None:
            continue
        for p in cm.people:
            if not p.status:
                continue
            target = host.id if host is not None else pcom
            records.membership(
                w,
                p.id,
                target,
                status=p.status,
                category=p.category,
                since=max(D(2020, 1, 1), p.moved_in),
            )
