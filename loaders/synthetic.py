"""A synthetic data set of any size, from one city to a province, streamed to CSV files.

Why it exists. The Huairen demo (:mod:`.demo`) is one small city held in memory, built to
reproduce the article's figures. Capacity work — the import benchmark, memory tests, query plans
at scale — needs the same *structure* (townships, communities, compounds, buildings, units,
people; branches standalone, joint and combined, with gaps; Party groups; owners' committees with
cross-appointments and a few conflicts of interest; property companies managing compounds in the
four modes; stations, meetings, appeals, disputes, evaluations) at sizes the demo cannot reach:
``compounds`` from about 50 (a city) to about 20,000 (a province: about two million people and
ten million links).

How it stays small. Nothing is held for the whole data set. The city is generated one
*community* at a time (4-8 compounds): the community's compounds, people and bodies are built,
every row is written to its kind's CSV file the moment it is made, and the community's state is
dropped before the next one. What lives longer is a few ids per township and city (their
officials and companies). So memory does not grow with ``compounds``; only the files do.

Determinism. Each part draws from its own ``random.Random``, seeded by a string naming the part
(``f"{seed}:compound:{i}"``, ``f"{seed}:community:{c}"``, ...), and only lists are iterated,
never sets: the same ``seed`` and ``compounds`` give the same bytes on every run and machine.

Synthetic, obviously. Every name starts with 合成 ("synthetic") and carries a number; phones are
``000-…``; credit codes start with ``SYNTH``. Nothing here describes a real place or person.

Layout. One CSV per kind in the importer's layout (``Compound.csv``, ``HOLDS_POST.csv``; the
English headers of :func:`.rows.columns`), UTF-8, so ``govgraph import OUT_DIR`` and
:func:`.importer.import_files` read it back, and Neo4j's ``LOAD CSV`` can read it too.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..graph.ontology import LINK_KINDS, MANAGE_MODES, NODE_KINDS
from .rows import columns

#: the ``source`` (provenance) of every row
SOURCE = "synthetic"
#: the day the data set describes; no date is later
SNAPSHOT = dt.date(2021, 12, 31)
YEAR_START = dt.date(2021, 1, 1)
#: communities per township and townships per city
COMMUNITIES_PER_TOWNSHIP = 5
TOWNSHIPS_PER_CITY = 10
#: property companies per township (the last one a community-run company)
COMPANIES_PER_TOWNSHIP = 5
#: functional departments per city, each delegating powers to every township
_DEPARTMENTS = (
    ("住建", "物业管理监督、老旧小区改造监管"),
    ("民政", "社区事务指导、业委会组建指导"),
    ("公安", "小区治安巡查、车辆停放管理"),
    ("城管", "违章搭建查处、环境卫生执法"),
)
_COMPOUND_WORDS = (
    "锦华", "康乐", "翠林", "福泰", "瑞祥", "金桂", "银杏", "兰亭", "松鹤", "春晖", "秋实", "惠民",
    "泰和", "永安", "祥云", "紫荆", "清河", "润园", "嘉禾", "星河", "明珠", "安居", "阳光", "和谐",
)  # fmt: skip
_SUFFIXES = ("小区", "苑", "花园", "家园", "华府")
_EMPLOYERS = tuple(f"合成单位{i:02d}" for i in range(1, 21))
_TOPICS_APPEAL = ("停车管理", "环境卫生", "供暖供水", "物业服务", "噪音扰民", "电梯维修")
_TOPICS_DISPUTE = ("邻里纠纷", "物业费", "停车位", "房屋渗漏", "公共收益", "装修扰民")
_TOPICS_MEETING = ("环境整治", "停车秩序", "物业服务", "老旧小区改造", "安全隐患", "民生诉求")
_TOPICS_VOLUNTEER = ("环境整治", "邻里互助", "便民服务", "文明劝导", "关爱老人")
_STAFF_ROLES = ("项目经理", "客服", "保洁", "秩序维护", "维修")
D = dt.date


# --- report and progress ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class GenerationProgress:
    """Where a generation is: compounds done of all, and rows written so far."""

    compounds_done: int
    compounds: int
    rows: int


ProgressFn = Callable[[GenerationProgress], None]


@dataclass(slots=True)
class GenerationReport:
    """What :func:`generate` wrote: the files (in name order) and the rows of each kind."""

    out_dir: Path
    compounds: int
    seed: int
    files: list[Path] = field(default_factory=list)
    rows_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def nodes(self) -> int:
        return sum(n for k, n in self.rows_by_kind.items() if k in NODE_KINDS)

    @property
    def links(self) -> int:
        return sum(n for k, n in self.rows_by_kind.items() if k in LINK_KINDS)

    @property
    def rows(self) -> int:
        return self.nodes + self.links

    def summary(self) -> str:
        return (
            f"{self.compounds} compounds: {self.nodes:,} nodes and {self.links:,} links "
            f"in {len(self.files)} files ({self.seconds:.1f} s)"
        )


# --- the CSV sink ---------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    """A value as text the importer reads back to the same value (see ``exporters.csv_cell``).

    Generated text never starts with ``= + - @``, so no formula escaping is needed.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


class _Sink:
    """One open CSV file per kind, opened at its first row; rows are written at once."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._files: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        self._fields: dict[str, tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}
        self.rows = 0

    def _writer(self, kind: str) -> Any:
        w = self._writers.get(kind)
        if w is None:
            fields = tuple(c.field for c in columns(kind))
            fh = (self.out_dir / f"{kind}.csv").open("w", encoding="utf-8", newline="")
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(fields)
            self._files[kind], self._writers[kind], self._fields[kind] = fh, w, fields
            self.counts[kind] = 0
        return w

    def write(self, kind: str, row: dict[str, Any]) -> None:
        w = self._writer(kind)
        w.writerow([_cell(row.get(f)) for f in self._fields[kind]])
        self.counts[kind] += 1
        self.rows += 1

    def close(self) -> list[Path]:
        for fh in self._files.values():
            fh.close()
        return sorted(self.out_dir / f"{k}.csv" for k in self._files)


# --- people and places under construction (one community at a time) -------------------------
@dataclass(slots=True, eq=False)
class _Person:
    id: str
    unit: str = ""
    building: str = ""
    compound: str = ""
    owner_occupier: bool = False
    moved_in: dt.date = YEAR_START
    status: str = ""  # Party status; "" for non-members
    category: str = ""


@dataclass(slots=True, eq=False)
class _Compound:
    index: int
    id: str
    name: str
    is_old: bool
    built: int
    rng: random.Random
    buildings: list[str] = field(default_factory=list)
    people: list[_Person] = field(default_factory=list)
    branch: _Branch | None = None
    oc: str = ""
    oc_chair: str = ""
    manager: str = ""  # the company (or committee) managing it now
    staff: list[str] = field(default_factory=list)  # the managing company's staff
    conflicted: str = ""  # an owners' committee member employed by the managing company

    def owners(self, exclude: Sequence[str] = ()) -> list[_Person]:
        return [p for p in self.people if p.owner_occupier and p.id not in exclude]


@dataclass(slots=True, eq=False)
class _Branch:
    id: str
    form: str
    compounds: list[_Compound]
    founded: dt.date
    name: str = ""
    members: list[_Person] = field(default_factory=list)
    committee: list[str] = field(default_factory=list)  # secretary first


@dataclass(slots=True)
class _Township:
    index: int
    id: str
    officials: list[str]
    companies: list[str]  # the last one is a community company
    lg: str


@dataclass(slots=True)
class _City:
    index: int
    id: str
    lg: str
    officials: list[str]
    departments: list[tuple[str, str]]  # (id, powers)


# --- the generator --------------------------------------------------------------------------------
class _Generator:
    """Writes the data set community by community; see the module docstring."""

    def __init__(self, sink: _Sink, seed: int) -> None:
        self.sink = sink
        self.seed = seed
        self.city: _City | None = None
        self.township: _Township | None = None

    # -- primitives ------------------------------------------------------------------------------
    def rng(self, *scope: object) -> random.Random:
        return random.Random(":".join(str(s) for s in (self.seed, *scope)))

    def node(self, kind: str, nid: str, **props: Any) -> str:
        self.sink.write(kind, {"id": nid, "source": SOURCE, **props})
        return nid

    def link(self, kind: str, source: str, target: str, **props: Any) -> None:
        self.sink.write(kind, {"source_id": source, "target_id": target, "source": SOURCE, **props})

    def post(self, person: str, body: str, role: str, since: dt.date, **extra: Any) -> None:
        self.link("HOLDS_POST", person, body, role=role, since=since, **extra)

    @staticmethod
    def day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))

    def person(
        self,
        rng: random.Random,
        pid: str,
        *,
        staff: bool = False,
        born: tuple[int, int] = (1940, 2003),
        member: tuple[str, str] | None = None,
        address: str | None = None,
    ) -> str:
        """A person row: 合成居民… or 合成工作人员… (the id's digits), phone ``000-…``."""
        digits = "".join(ch for ch in pid if ch.isdigit())
        props: dict[str, Any] = {
            "name": ("合成工作人员" if staff else "合成居民") + pid.split("-", 1)[1].upper(),
            "phone": f"000-{digits[-12:]:0>12}",
            "gender": rng.choice(("female", "male")),
            "birth_year": rng.randint(*born),
            "address": address,
        }
        if member is not None:
            lo, hi = {
                "in_service": (1966, 1996),
                "retired": (1940, 1960),
                "floating": (1975, 1999),
            }[member[1]]
            props["birth_year"] = rng.randint(lo, hi)
            if member[1] == "in_service":
                props["employer"] = rng.choice(_EMPLOYERS)
        return self.node("Person", pid, **props)

    def meeting(
        self,
        rng: random.Random,
        mid: str,
        kind: str,
        host: str,
        day: dt.date,
        *,
        who: Sequence[str] = (),
    ) -> None:
        self.node("Meeting", mid, meeting_type=kind, date=day, topic=rng.choice(_TOPICS_MEETING))
        self.link("HELD_BY", mid, host)
        for pid in dict.fromkeys(a for a in who if a):
            self.link("ATTENDED", pid, mid)

    # -- upper levels ---------------------------------------------------------------------------
    def open_city(self, y: int) -> _City:
        rng = self.rng("city", y)
        cid = self.node("City", f"city-{y:03d}", name=f"合成市{y + 1:03d}")
        lg = self.node(
            "LeadershipGroup",
            f"lg-{cid}",
            name=f"合成市{y + 1:03d}小区治理工作领导小组",
            level="city",
        )
        since = D(2020, 12, rng.randint(1, 28))
        self.link("PART_OF", lg, cid, since=since)
        officials = [
            self.person(rng, f"staff-y{y}-{k}", staff=True, born=(1962, 1982)) for k in range(5)
        ]
        for k, pid in enumerate(officials):
            self.post(pid, lg, ("head", "deputy_head")[k] if k < 2 else "member", since)
        departments: list[tuple[str, str]] = []
        for k, (name, powers) in enumerate(_DEPARTMENTS):
            did = self.node("Department", f"dept-{y:03d}-{k}", name=f"合成市{y + 1:03d}{name}部门")
            departments.append((did, powers))
        for q in range(4):  # quarterly
            day = self.day(rng, D(2021, 3 * q + 1, 10), D(2021, 3 * q + 3, 25))
            self.meeting(rng, f"mtg-{lg}-{q}", "city_leadership_meeting", lg, day, who=officials)
        return _City(y, cid, lg, officials, departments)

    def open_township(self, t: int, city: _City) -> _Township:
        rng = self.rng("township", t)
        tid = self.node("Township", f"town-{t:04d}", name=f"合成{t + 1:04d}街道")
        self.link("PART_OF", tid, city.id, since=D(2001, 1, 1))
        for did, powers in city.departments:
            self.link("DELEGATES_TO", did, tid, powers=powers, since=D(2021, 3, 1))
        lg = self.node(
            "LeadershipGroup",
            f"lg-{tid}",
            name=f"合成{t + 1:04d}街道小区治理工作领导小组",
            level="township",
        )
        since = D(2021, 1, rng.randint(4, 20))
        self.link("PART_OF", lg, tid, since=since)
        officials = [
            self.person(rng, f"staff-t{t}-{k}", staff=True, born=(1965, 1988))
            for k in range(rng.randint(3, 5))
        ]
        for k, pid in enumerate(officials):
            self.post(pid, lg, ("head", "deputy_head")[k] if k < 2 else "member", since)
        self.node(
            "EnforcementTeam",
            f"et-{t:04d}",
            name=f"合成{t + 1:04d}街道社区综合执法队",
            zone=f"第{t % 5 + 1}片区",
        )
        companies = self._companies(rng, t)
        for m in range(6):  # every two months
            day = self.day(rng, D(2021, 2 * m + 1, 10), D(2021, 2 * m + 2, 25))
            self.meeting(rng, f"mtg-{lg}-{m}", "township_joint_meeting", lg, day, who=officials)
        return _Township(t, tid, officials, companies, lg)

    def _companies(self, rng: random.Random, t: int) -> list[str]:
        """The township's property companies and their 2021 evaluation (甲乙丙 by rank)."""
        ids: list[str] = []
        totals: list[tuple[float, str, list[float]]] = []
        weights = (20, 20, 20, 25, 15)
        for k in range(COMPANIES_PER_TOWNSHIP):
            community = k == COMPANIES_PER_TOWNSHIP - 1
            co = self.node(
                "PropertyCompany",
                f"co-{t:04d}-{k}",
                name=f"合成{t + 1:04d}{'社区' if community else str(k + 1) + '号'}物业服务有限公司",
                credit_code=f"SYNTH{t:08d}{k:02d}",
            )
            ids.append(co)
            q = rng.uniform(0.55, 0.97)
            scores = [
                round(w * min(1.0, max(0.3, q + rng.uniform(-0.06, 0.06))), 1) for w in weights
            ]
            totals.append((-round(sum(scores), 1), co, scores))
            if rng.random() < 0.4:  # the company has its own Party branch
                pb = self.node(
                    "PartyBranch",
                    f"pb-{co}",
                    name=f"合成{co}党支部",
                    form="standalone",
                    elected_on=D(2019, 6, 1),
                    term_years=5,
                )
                self.link("PARTY_ORG_OF", pb, co, since=D(2019, 6, 1))
        for rank, (_, co, scores) in enumerate(sorted(totals)):
            grade = "A" if rank == 0 else "C" if rank == len(totals) - 1 else "B"
            self.node(
                "Evaluation",
                f"eval-2021-{co}",
                year=2021,
                grade=grade,
                gold=grade == "A" and rng.random() < 0.3,
                score_organization=scores[0],
                score_management=scores[1],
                score_governance=scores[2],
                score_service=scores[3],
                score_image=scores[4],
                indicators=47,
            )
            self.link("EVALUATES", f"eval-2021-{co}", co)
        return ids

    # -- a community and its compounds ----------------------------------------------------------
    def community(self, c: int, first: int, n: int, township: _Township) -> None:
        """Community ``c`` with compounds ``first .. first+n-1``; everything it holds."""
        rng = self.rng("community", c)
        cid = self.node("Community", f"comm-{c:05d}", name=f"合成第{c + 1:05d}社区")
        self.link("PART_OF", cid, township.id, since=D(2001, 1, 1))
        self.link("COVERS", f"et-{township.index:04d}", cid, since=D(2021, 3, 15))
        pcom = self.node(
            "PartyCommittee", f"pcom-{c:05d}", name=f"合成第{c + 1:05d}社区党委", level="community"
        )
        self.link("PART_OF", pcom, cid, since=D(2010, 1, 1))
        secretary = self.person(rng, f"staff-c{c}-0", staff=True, born=(1965, 1985))
        deputy = self.person(rng, f"staff-c{c}-1", staff=True, born=(1970, 1990))
        self.post(secretary, pcom, "secretary", D(2019, 1, 1))
        self.post(deputy, pcom, "deputy_secretary", D(2019, 1, 1))
        sc = self.node(
            "ServiceCenter", f"sc-{c:05d}", name=f"合成第{c + 1:05d}社区小区治理事务服务中心"
        )
        sc_since = self.day(rng, D(2021, 1, 4), D(2021, 1, 10))
        self.link("PART_OF", sc, cid, since=sc_since)
        self.post(secretary, sc, "head", sc_since)
        sc_staff = [
            self.person(rng, f"staff-c{c}-{k}", staff=True, born=(1970, 1998))
            for k in range(2, 2 + rng.randint(2, 3))
        ]
        for pid in sc_staff:
            self.post(pid, sc, "member", sc_since)
        for m in range(1, 13):
            day = self.day(rng, D(2021, m, 12), D(2021, m, 28))
            self.meeting(
                rng, f"mtg-{sc}-{m}", "service_center_meeting", sc, day, who=[secretary, *sc_staff]
            )
        station = self.node(
            "ServiceStation",
            f"st-{c:05d}",
            name=f"合成第{c + 1:05d}社区党群服务站",
            station_type="station",
        )
        self.link("SERVES", station, cid, since=D(2021, 2, 1))
        pmc = ""
        if rng.random() < 0.3:
            pmc = self.node(
                "PropertyManagementCommittee",
                f"pmc-{c:05d}",
                name=f"合成第{c + 1:05d}社区物业管理委员会",
            )
            self.link("PART_OF", pmc, cid, since=D(2021, 2, 20))
            self.post(secretary, pmc, "head", D(2021, 2, 20))

        compounds = [self._compound(i, cid) for i in range(first, first + n)]
        branches = self._plan_branches(rng, compounds)
        for b in branches:
            self._branch(b, pcom)
        self._members_outside(rng, compounds, branches, pcom)
        for cm in compounds:
            self._owners(cm)
            self._management(cm, township, pmc)
            self._stations(cm, station, c)
        if pmc:  # the PMC's members: the community secretary and owners of its compounds
            for cm in compounds[:3]:
                owners = cm.owners(exclude=[cm.oc_chair])
                if owners:
                    self.post(cm.rng.choice(owners).id, pmc, "member", D(2021, 2, 20))
        for b in branches:
            self._branch_life(b)
        for cm in compounds:
            if cm.oc:
                self._oc_meetings(cm)
            self._appeals_and_disputes(cm, pmc)

    def _compound(self, i: int, community: str) -> _Compound:
        rng = self.rng("compound", i)
        is_old = rng.random() < 0.4
        built = rng.randint(1985, 2001) if is_old else rng.randint(2003, 2020)
        word = _COMPOUND_WORDS[i % len(_COMPOUND_WORDS)]
        name = f"合成{word}{rng.choice(_SUFFIXES)}{i + 1:05d}"
        mid = f"cmp-{i:05d}"
        cm = _Compound(i, mid, name, is_old, built, rng)
        n_buildings = rng.randint(3, 9)
        per_building = [rng.randint(7, 16) for _ in range(n_buildings)]
        ratio = 1.0 if is_old or built < 2017 else round(rng.uniform(0.25, 1.0), 2)
        self.node(
            "Compound",
            mid,
            name=name,
            is_old=is_old,
            built_year=built,
            households=sum(per_building),
            delivered_area_ratio=ratio,
            investment_yuan=round(rng.uniform(2e5, 2e6), -3)
            if is_old and rng.random() < 0.3
            else None,
        )
        self.link("PART_OF", mid, community, since=D(built, 1, 1))
        first_day = D(max(built, 1995), 1, 1)
        seq = 0
        for b, units in enumerate(per_building, 1):
            bid = self.node("Building", f"bld-{i:05d}-{b}", name=f"{b}号楼")
            self.link("PART_OF", bid, mid, since=D(built, 1, 1))
            cm.buildings.append(bid)
            for u in range(1, units + 1):
                uname = f"{b}号楼{(u - 1) // 4 + 1}单元{(u - 1) % 4 + 1}01"
                uid = self.node(
                    "Unit",
                    f"unit-{i:05d}-{b}-{u}",
                    name=uname,
                    area_m2=round(rng.uniform(48, 145), 1),
                )
                self.link("PART_OF", uid, bid, since=D(built, 1, 1))
                bought = self.day(rng, first_day, D(2020, 12, 31))
                lives = rng.random() < 0.88
                occupants = 1 + (rng.random() < 0.45)
                for k in range(occupants + (not lives)):
                    seq += 1
                    pid = f"p-{i:05d}-{seq:04d}"
                    member = None
                    if rng.random() < 0.1:
                        member = (
                            "full" if rng.random() < 0.9 else "probationary",
                            rng.choices(("in_service", "retired", "floating"), (45, 45, 10))[0],
                        )
                    self.person(rng, pid, member=member, address=f"{name}{uname}")
                    if k == 0:
                        self.link("OWNS", pid, uid, since=bought)
                    if k == 0 and not lives:
                        continue  # a landlord living elsewhere
                    moved = bought if k == 0 else self.day(rng, bought, D(2020, 12, 31))
                    self.link("RESIDES_IN", pid, uid, since=moved)
                    cm.people.append(
                        _Person(
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

    # -- Party organization ---------------------------------------------------------------------
    def _plan_branches(self, rng: random.Random, compounds: list[_Compound]) -> list[_Branch]:
        """About 80% of compounds covered; some by joint branches of 2-3, some combined."""
        covered = [cm for cm in compounds if rng.random() < 0.8]
        branches: list[_Branch] = []
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
                founded = self.day(rng, D(2017, 3, 1), D(2020, 10, 31))
            elif rng.random() < 0.05:  # past its five-year term
                founded = self.day(rng, D(2014, 3, 1), D(2016, 3, 31))
            else:
                founded = self.day(rng, D(2019, 1, 4), D(2021, 1, 25))
            b = _Branch(f"pb-{group[0].id[4:]}", form, group, founded)
            names = [cm.name for cm in group]
            b.name = (
                f"{names[0]}党支部"
                if len(names) == 1
                else f"{names[0]}等{len(names)}个小区联合党支部"
            )
            for cm in group:
                cm.branch = b
            branches.append(b)
        return branches

    def _branch(self, b: _Branch, pcom: str) -> None:
        """The branch, its groups, members and committee (sizes mostly 3-5; a few gaps)."""
        rng = b.compounds[0].rng
        self.node("PartyBranch", b.id, name=b.name, form=b.form, elected_on=b.founded, term_years=5)
        self.link("PART_OF", b.id, pcom, since=b.founded)
        for cm in b.compounds:
            self.link("COVERS", b.id, cm.id, since=b.founded)
        b.members = [p for cm in b.compounds for p in cm.people if p.status]
        if not b.members:  # every branch has at least one member: an owner-occupier joins
            owners = b.compounds[0].owners() or b.compounds[0].people
            if owners:
                p = rng.choice(owners)
                p.status, p.category = "full", "retired"
                b.members.append(p)
        for p in b.members:
            self.link(
                "MEMBER_OF",
                p.id,
                b.id,
                status=p.status,
                category=p.category,
                since=max(b.founded, p.moved_in),
            )
        self._groups(b, rng)
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
            self.post(former.id, b.id, "secretary", b.founded, until=D(2021, 3, 31))
            self.post(chosen[0].id, b.id, "secretary", D(2021, 4, 1))
            roles, chosen_rest = roles[1:], chosen[1:]
        else:
            chosen_rest = chosen
        for p, role in zip(chosen_rest, roles, strict=True):
            self.post(p.id, b.id, role, max(b.founded, p.moved_in))
        b.committee = [p.id for p in chosen]
        for p in b.members:
            if p.category == "in_service" and rng.random() < 0.7:
                since = max(p.moved_in, self.day(rng, D(2021, 2, 1), D(2021, 11, 30)))
                self.link("REGISTERED_AT", p.id, p.compound, since=since)

    def _groups(self, b: _Branch, rng: random.Random) -> None:
        """A Party group for most buildings with members; the rest are a gap (P6)."""
        for cm in b.compounds:
            for bid in cm.buildings:
                ms = [p for p in b.members if p.building == bid]
                if not ms or rng.random() < 0.15:  # members in a building no group covers
                    continue
                gid = self.node(
                    "PartyGroup",
                    f"pg-{bid[4:]}",
                    name=f"{cm.name}{bid.rsplit('-', 1)[1]}号楼党小组",
                )
                self.link("PART_OF", gid, b.id, since=b.founded)
                self.link("COVERS", gid, bid, since=b.founded)
                for p in ms:
                    self.link(
                        "MEMBER_OF",
                        p.id,
                        gid,
                        status=p.status,
                        category=p.category,
                        since=max(b.founded, p.moved_in),
                    )
                leader = next((p for p in ms if p.status == "full"), ms[0])
                self.post(leader.id, gid, "group_leader", max(b.founded, leader.moved_in))
                others = [p for p in ms if p is not leader]
                if others and rng.random() < 0.45:
                    ch = rng.choice(others)
                    self.post(ch.id, gid, "central_household", max(b.founded, ch.moved_in))

    def _members_outside(
        self,
        rng: random.Random,
        compounds: list[_Compound],
        branches: list[_Branch],
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
                self.link(
                    "MEMBER_OF",
                    p.id,
                    target,
                    status=p.status,
                    category=p.category,
                    since=max(D(2020, 1, 1), p.moved_in),
                )

    # -- owners, property, stations -------------------------------------------------------------
    def _owners(self, cm: _Compound) -> None:
        """Assembly, committee (mostly odd sizes), cross-appointments with the branch."""
        rng = cm.rng
        if rng.random() > 0.85 or len(cm.owners()) < 12:
            return
        oa = self.node("OwnersAssembly", f"oa-{cm.id[4:]}", name=f"{cm.name}业主大会")
        self.link("REPRESENTS", oa, cm.id, since=D(2020, 6, 1))
        if rng.random() > 0.7:
            return
        elected = self.day(rng, D(2018, 1, 1), D(2021, 6, 30))
        oc = self.node(
            "OwnersCommittee",
            f"oc-{cm.id[4:]}",
            name=f"{cm.name}业主委员会",
            elected_on=elected,
            term_years=5,
            filed_on=elected + dt.timedelta(days=rng.randint(5, 40))
            if rng.random() < 0.9
            else None,
        )
        self.link("PART_OF", oc, oa, since=elected)
        self.link("REPRESENTS", oc, cm.id, since=elected)
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
            self.post(pid, oc, role, elected)
        cm.oc, cm.oc_chair = oc, seats[0]
        if rng.random() < 0.05 and len(seats) > 2:
            cm.conflicted = seats[-1]  # employed by the managing company: a conflict of interest

    def _management(self, cm: _Compound, township: _Township, pmc: str) -> None:
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
            self.link("MANAGES", old, cm.id, since=since, until=D(2021, 2, 28), **props)
            since = D(2021, 3, 1)
        self.link("MANAGES", manager, cm.id, since=since, **props)
        if not manager.startswith("co-"):
            return
        for k in range(rng.randint(1, 3)):
            pid = self.person(rng, f"staff-{cm.id}-{k}", staff=True, born=(1965, 2000))
            self.link("EMPLOYED_BY", pid, manager, role=_STAFF_ROLES[k], since=since)
            cm.staff.append(pid)
        if cm.conflicted:
            self.link("EMPLOYED_BY", cm.conflicted, manager, role="维修", since=D(2020, 5, 1))

    def _stations(self, cm: _Compound, station: str, c: int) -> None:
        rng = cm.rng
        r = rng.random()
        if r < 0.55:
            point = self.node(
                "ServiceStation",
                f"sp-{cm.id[4:]}",
                name=f"{cm.name}党群服务点",
                station_type="point",
            )
            self.link("SERVES", point, cm.id, since=D(2021, 3, 1))
        elif r < 0.9:
            self.link("SERVES", station, cm.id, since=D(2021, 2, 1))
        # else: served by no station or point (a gap)

    # -- activity over the year --------------------------------------------------------------
    def _branch_life(self, b: _Branch) -> None:
        """Meetings (monthly joint meetings with a few skipped), volunteers and activities."""
        rng = b.compounds[0].rng
        chairs = [cm.oc_chair for cm in b.compounds if cm.oc_chair]
        staff = b.compounds[0].staff[:1]
        secretary = b.committee[0] if b.committee else ""
        members = [p.id for p in b.members]
        for m in range(1, 13):
            lo, hi = D(2021, m, 3), D(2021, m, 28)
            if rng.random() >= 0.04:
                self.meeting(
                    rng,
                    f"mtg-{b.id}-j{m}",
                    "compound_joint_meeting",
                    b.id,
                    self.day(rng, lo, hi),
                    who=[secretary, *chairs, *staff, *b.committee[1:2]],
                )
            if b.committee and rng.random() >= 0.03:
                self.meeting(
                    rng,
                    f"mtg-{b.id}-c{m}",
                    "branch_committee",
                    b.id,
                    self.day(rng, lo, hi),
                    who=b.committee,
                )
            if rng.random() >= 0.03:
                who = rng.sample(members, min(len(members), rng.randint(2, 6)))
                self.meeting(
                    rng, f"mtg-{b.id}-t{m}", "theme_party_day", b.id, self.day(rng, lo, hi), who=who
                )
        for q in range(4):
            if rng.random() >= 0.03:
                day = self.day(rng, D(2021, 3 * q + 1, 5), D(2021, 3 * q + 3, 25))
                self.meeting(rng, f"mtg-{b.id}-a{q}", "branch_assembly", b.id, day, who=members)
        vt = self.node("VolunteerTeam", f"vt-{b.id[3:]}", name=f"{b.name}志愿服务队")
        since = max(b.founded, D(2021, 1, 5))
        self.link("PART_OF", vt, b.id, since=since)
        locals_ = [p.id for cm in b.compounds for p in cm.people if not p.status]
        people = rng.sample(members, min(len(members), rng.randint(3, 8)))
        people += rng.sample(locals_, min(len(locals_), rng.randint(2, 6)))
        for pid in dict.fromkeys(people):
            self.link("VOLUNTEERS_IN", pid, vt, since=since + dt.timedelta(days=rng.randint(0, 20)))
        for k in range(rng.randint(2, 6)):
            va = self.node(
                "VolunteerActivity",
                f"va-{vt[3:]}-{k}",
                date=self.day(rng, since, SNAPSHOT),
                tasks_done=rng.randint(2, 15),
                persons_served=rng.randint(20, 400),
                topic=rng.choice(_TOPICS_VOLUNTEER),
            )
            self.link("CONDUCTED_BY", va, vt)

    def _oc_meetings(self, cm: _Compound) -> None:
        rng = cm.rng
        for kind, p in (("residents_council", 0.8), ("hearing", 0.2)):
            if rng.random() < p:
                self.meeting(
                    rng,
                    f"mtg-{cm.oc}-{kind[0]}",
                    kind,
                    cm.oc,
                    self.day(rng, D(2021, 7, 1), SNAPSHOT),
                    who=[cm.oc_chair, *(p.id for p in rng.sample(cm.people, 8))],
                )

    def _appeals_and_disputes(self, cm: _Compound, pmc: str) -> None:
        """Appeals on the four channels (most replied, some overdue) and disputes (most
        resolved), mediated by the owners' committee, the branch or the PMC."""
        rng = cm.rng
        for k in range(rng.randint(3, 25)):
            day = self.day(rng, D(2021, 1, 4), SNAPSHOT)
            kind = rng.choices(("urgent", "enquiry", "complaint"), weights=(1, 4, 5))[0]
            reply = None
            if rng.random() < 0.86:
                reply = min(day + dt.timedelta(days=rng.randint(0, 20)), SNAPSHOT)
            aid = self.node(
                "Appeal",
                f"appeal-{cm.id[4:]}-{k}",
                channel=rng.choices(
                    ("minsheng_e_huairen", "secretary_mailbox", "hotline", "other"), (60, 20, 15, 5)
                )[0],
                appeal_type=kind,
                received=day,
                replied=reply,
                topic=rng.choice(_TOPICS_APPEAL),
            )
            self.link("ABOUT", aid, cm.id)
        mediators = [m for m in (cm.oc, cm.branch.id if cm.branch else "", pmc) if m]
        for k in range(rng.randint(1, 10)):
            day = self.day(rng, D(2021, 1, 4), D(2021, 12, 20))
            done = rng.random() < 0.93
            did = self.node(
                "Dispute",
                f"dispute-{cm.id[4:]}-{k}",
                received=day,
                resolved=min(day + dt.timedelta(days=rng.randint(1, 25)), SNAPSHOT)
                if done
                else None,
                topic=rng.choice(_TOPICS_DISPUTE),
            )
            self.link("ABOUT", did, cm.id)
            if mediators:
                self.link("MEDIATED_BY", did, rng.choice(mediators))

    # -- the whole run ---------------------------------------------------------------------------
    def run(self, compounds: int, progress: ProgressFn | None) -> None:
        done = 0
        c = 0
        while done < compounds:
            n = min(compounds - done, self.rng("layout", c).randint(4, 8))
            t = c // COMMUNITIES_PER_TOWNSHIP
            y = t // TOWNSHIPS_PER_CITY
            if self.city is None or self.city.index != y:
                self.city = self.open_city(y)
            if self.township is None or self.township.index != t:
                self.township = self.open_township(t, self.city)
            self.community(c, done, n, self.township)
            done += n
            c += 1
            if progress is not None:
                progress(GenerationProgress(done, compounds, self.sink.rows))


def generate(
    out_dir: Path | str,
    *,
    compounds: int,
    seed: int = 1,
    progress: ProgressFn | None = None,
) -> GenerationReport:
    """Write a synthetic data set of ``compounds`` compounds to ``out_dir`` as one CSV per kind.

    ``progress`` is called after every community (4-8 compounds). Files of an earlier run with
    other sizes are overwritten or removed, so the folder holds exactly this data set.
    """
    if compounds < 1:
        raise ValueError(f"compounds must be at least 1, not {compounds}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for kind in (*NODE_KINDS, *LINK_KINDS):
        (out / f"{kind}.csv").unlink(missing_ok=True)
    start = time.perf_counter()
    sink = _Sink(out)
    try:
        _Generator(sink, seed).run(compounds, progress)
    finally:
        files = sink.close()
    report = GenerationReport(out, compounds, seed, files, dict(sorted(sink.counts.items())))
    report.seconds = time.perf_counter() - start
    return report
