"""The Huairen demo data set: a synthetic city that reproduces the article's published figures.

Why it exists. The organization department, the researchers and the frontends all need a graph
that looks like the real thing before any real ledger is loaded: one that reproduces every figure
the article publishes (46 compound Party organizations, 241 Party groups, 889 appeals of which 765
were replied, ...; see ``shared/domain/DOMAIN.md``) *and* holds the gaps the coverage rules in
``shared/domain/RULES.md`` look for (compounds no branch covers, committees of the wrong size,
conflicts of interest, branches that skipped a monthly joint meeting, ...). A data set where every
rule finds nothing would prove nothing.

What is real and what is not. Only the places the article names are real: 怀仁市, 气象街社区 and
云北苑小区 (with its 1.85 million yuan investment and its community property management
committee). Every other place name carries the prefix 示例 ("example"); every person is
``示例居民NNNN`` (a resident) or ``示例工作人员NNNN`` (staff or an official) with a phone number
``000-0000-NNNN``, so no synthetic relationship is ever attached to a real person.

Determinism. :func:`build_demo` draws every random choice from one ``random.Random(seed)`` and
only ever iterates lists and insertion-ordered dicts (never sets), so the same seed gives the same
nodes and links in the same order, byte for byte once serialized. The published figures do not
depend on the seed: they are fixed by construction, the seed only moves people, dates and sizes.

The snapshot date is the end of May 2021 (the article's "截至5月底"): no date in the data set is
later, so every figure reads the same with ``as_of=2021-05-31`` as without it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..graph.model import Link, Node, link, node
from ..graph.ontology import MANAGE_MODES
from ..graph.port import GraphStore, WriteBatch

#: the ``source`` of every node and link of the demo data set
SOURCE = "demo:huairen-2021"
#: the day the data set describes (the article's "by the end of May")
SNAPSHOT = dt.date(2021, 5, 31)
#: the first day of the period the monthly and quarterly cadences are checked over
PERIOD_START = dt.date(2021, 1, 1)
DEFAULT_SEED = 2021

D = dt.date


@dataclass(frozen=True, slots=True)
class PublishedFigures:
    """Every figure of the article's table, as the demo data set reproduces it.

    Where the article says "560多" or "500多" (more than), the data set reproduces the round
    number exactly, so a test can compare with ``==``. How each figure is read from the graph is
    written next to it; ``tests/loaders/test_demo.py`` recomputes each one through the store port.
    """

    #: the day the figures describe
    as_of: dt.date = SNAPSHOT
    #: PartyBranch nodes that COVER at least one Compound (居民小区党组织)
    compound_party_organizations: int = 46
    #: PartyGroup nodes PART_OF a PartyBranch that COVER a Building (楼栋(单元)党小组)
    party_groups: int = 241
    #: ServiceStation nodes with station_type "station" / "point" that SERVE something
    service_stations: int = 32
    service_points: int = 54
    #: Compounds an OwnersCommittee REPRESENTS (推进成立业主委员会的小区)
    compounds_with_owners_committee: int = 49
    #: Disputes with a ``resolved`` date, MEDIATED_BY a body, ABOUT a compound (化解矛盾纠纷)
    disputes_resolved: int = 560
    #: Appeals received by the snapshot date on the two channels (收到诉求)
    appeals_received: int = 889
    #: of those, the ones with a ``replied`` date on or before the snapshot date (回复)
    appeals_replied: int = 765
    #: replied / received, in percent, rounded to one decimal (回复率)
    appeal_reply_rate_percent: float = 86.1
    #: the two channels the article names: the 民生e怀仁 platform and the secretary's mailbox
    appeal_channels: tuple[str, ...] = ("minsheng_e_huairen", "secretary_mailbox")
    #: red-property evaluation (红色物业考评): the year evaluated and how many companies
    evaluation_year: int = 2021
    property_companies: int = 20
    #: the five dimensions (Evaluation score properties) and their Chinese names
    evaluation_dimensions: tuple[tuple[str, str], ...] = (
        ("score_organization", "组织建设"),
        ("score_management", "内部管理"),
        ("score_governance", "参与治理"),
        ("score_service", "服务标准"),
        ("score_image", "社会形象"),
    )
    #: Evaluation.indicators (考核指标)
    evaluation_indicators: int = 47
    #: grades 甲:乙:丙 (A:B:C), from the highest total score to the lowest
    grade_ratio: tuple[int, int, int] = (2, 5, 3)
    #: companies awarded 金牌红色物业 (all graded A)
    gold_companies: int = 2
    #: 四评一公示: four assessments and a public notice (not representable per evaluation yet)
    evaluation_procedure: tuple[str, ...] = (
        "self_assessment",  # 物业企业自评申报
        "residents_assessment",  # 居民群众测评
        "township_community_assessment",  # 乡镇社区考评
        "joint_departmental_review",  # 部门联合评审
        "public_notice",  # 媒体公示
    )
    #: the four ways old compounds get property service (MANAGES.mode, 四种途径)
    old_compound_modes: tuple[str, ...] = MANAGE_MODES
    #: 云北苑小区 (气象街社区), Compound.investment_yuan (投入185万元)
    yunbeiyuan_investment_yuan: float = 1_850_000.0
    #: meeting kind → months between meetings, and the kind of body that holds them
    meeting_cadence_months: tuple[tuple[str, int, str], ...] = (
        ("compound_joint_meeting", 1, "PartyBranch"),
        ("township_joint_meeting", 2, "LeadershipGroup"),
        ("city_leadership_meeting", 3, "LeadershipGroup"),
        ("service_center_meeting", 1, "ServiceCenter"),
    )
    #: EnforcementTeam nodes, each COVERS a zone of communities (社区综合执法队)
    enforcement_teams: int = 5
    #: the departments that delegate powers to the townships (DELEGATES_TO)
    delegating_departments: tuple[str, ...] = ("住建", "民政", "公安", "城管")
    #: VolunteerActivity nodes CONDUCTED_BY a team; sums of tasks_done and persons_served
    volunteer_activities: int = 500
    volunteer_tasks_done: int = 4600
    volunteer_persons_served: int = 120_000

    @property
    def grade_counts(self) -> tuple[int, int, int]:
        """Companies graded A, B and C: the ratio scaled to the number of companies."""
        unit = self.property_companies // sum(self.grade_ratio)
        a, b, c = self.grade_ratio
        return a * unit, b * unit, c * unit


PUBLISHED = PublishedFigures()

# --- names (synthetic, marked 示例, except the three real places) ---------------------------------
CITY_NAME = "怀仁市"
COMMUNITY_REAL = "气象街社区"
COMPOUND_REAL = "云北苑小区"
TOWNSHIP_NAMES = ("示例仁和街道", "示例安泰街道", "示例新城街道", "示例永和镇")
_COMMUNITY_WORDS = (
    "文昌",
    "东关",
    "西园",
    "和平",
    "建设",
    "迎宾",
    "北辰",
    "南湖",
    "朝阳",
    "光明",
    "丰华",
)
_COMPOUND_WORDS = (
    "锦华", "康乐", "翠林", "福泰", "瑞祥", "金桂", "银杏", "兰亭", "松鹤", "春晖", "秋实", "惠民",
    "泰和", "永安", "祥云", "紫荆", "清河", "润园", "嘉禾", "星河", "明珠", "安居", "阳光", "和谐",
    "幸福", "丽景", "怡景", "盛世", "新华", "东方", "华府", "世纪", "望湖", "观澜", "玉兰", "海棠",
    "桃源", "柳岸", "杏林", "枫丹", "桂苑", "梧桐", "青松", "碧水", "金鼎", "龙泉", "凤鸣", "鹏程",
    "宏达", "恒泰", "富康", "民乐", "团结", "友谊", "胜利", "先锋", "红旗", "卫东", "育才", "书香",
    "雅居", "静苑", "馨园", "悦府", "晨曦", "晓月", "锦绣", "宜居", "乐居", "康宁", "吉祥", "如意",
)  # fmt: skip
_COMPANY_WORDS = (
    "安泰", "诚信", "鼎盛", "恒安", "华宇", "嘉园", "金盾", "居安", "乐家", "美好",
    "宁馨", "瑞丰", "顺达", "天佑", "万家", "祥和", "益民", "众和",
)  # fmt: skip
_EMPLOYERS = tuple(f"示例单位{i:02d}" for i in range(1, 13))
_TOPICS_APPEAL = (
    "停车管理", "环境卫生", "供暖供水", "物业服务", "噪音扰民",
    "房屋漏水", "电梯维修", "违章搭建", "宠物管理", "路灯照明",
)  # fmt: skip
_TOPICS_DISPUTE = ("邻里纠纷", "物业费", "停车位", "房屋渗漏", "公共收益", "装修扰民", "宠物")
_TOPICS_MEETING = ("环境整治", "停车秩序", "物业服务", "老旧小区改造", "安全隐患", "民生诉求")
_TOPICS_VOLUNTEER = ("环境整治", "邻里互助", "便民服务", "文明劝导", "疫情防控", "关爱老人")
_DEPARTMENTS = (
    ("dept-housing", "市住建部门", "物业管理监督、老旧小区改造监管"),
    ("dept-civil-affairs", "市民政部门", "社区事务指导、业委会组建指导"),
    ("dept-public-security", "市公安部门", "小区治安巡查、车辆停放管理"),
    ("dept-urban-management", "市城管部门", "违章搭建查处、环境卫生执法"),
)
_ZONES = ("第一片区", "第二片区", "第三片区", "第四片区", "第五片区")

# --- the shape of the city (fixed, so the figures do not depend on the seed) --------------------
N_COMMUNITIES = 12  # 3 per township
COMPOUNDS_PER_COMMUNITY = 6  # 72 compounds
N_OLD = 28  # old compounds, 云北苑 included
COVERED_PER_COMMUNITY = (5, 5, 5, 4, 5, 5, 4, 5, 5, 4, 5, 5)  # 57 compounds covered by a branch
JOINT_SIZES = (3, 3, 3, 2, 2, 2, 2, 2)  # 8 joint branches covering 19 compounds
N_COMBINED = 8  # of the 38 single-compound branches, 8 are combined (兼合式), 30 standalone
OC_COVERED, OC_UNCOVERED = 44, 5  # 49 owners' committees
OC_SIZES = (5,) * 20 + (7,) * 17 + (9,) * 6 + (6, 6, 8, 4, 4, 3)  # mostly odd; a few fail O2
# the ways old compounds are covered (the real one, 云北苑, is managed by the PMC on top)
OLD_MODES = (
    ("recruited_company", 8),
    ("existing_company", 7),
    ("community_company", 4),
    ("owners_self_managed", 3),
    ("", 5),  # no property service at all (rule M1)
)
N_COMPANIES, N_COMMUNITY_COMPANIES = 20, 2
N_STATION_GAPS = 6  # compounds no station or point serves (rule P9)
N_JOINT_MEETING_SKIPS = 5  # branch-months without a compound joint meeting (rule G1)
N_OPEN_DISPUTES = 25
N_APPEALS_OVERDUE = 30  # unreplied appeals received long before the snapshot (rule G2)
BIG_BRANCH_MEMBERS = 52  # one joint branch over 50 members (rule P3)


# --- records under construction -------------------------------------------------------------------
# records are compared by identity (eq=False): two units with equal fields are still two units
@dataclass(slots=True, eq=False)
class _Unit:
    id: str
    building: str
    compound: str
    owner: str = ""
    bought: dt.date = PERIOD_START
    residents: list[str] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Building:
    id: str
    compound: str
    units: list[_Unit] = field(default_factory=list)

    def residents(self) -> list[str]:
        return [r for u in self.units for r in u.residents]


@dataclass(slots=True, eq=False)
class _Compound:
    id: str
    name: str
    community: int
    is_old: bool
    built_year: int
    households: int
    buildings: list[_Building] = field(default_factory=list)
    branch: str = ""
    oc: str = ""
    manager: str = ""  # the body that MANAGES it now ("" for none)
    mode: str = ""  # for old compounds: one of MANAGE_MODES, or "" for no service

    def units(self) -> list[_Unit]:
        return [u for b in self.buildings for u in b.units]

    def residents(self) -> list[str]:
        return [r for b in self.buildings for r in b.residents()]


@dataclass(slots=True, eq=False)
class _Person:
    id: str
    props: dict[str, Any]
    unit: _Unit | None = None  # where they live
    moved_in: dt.date = PERIOD_START
    owns: list[_Unit] = field(default_factory=list)
    branch: str = ""  # the branch they belong to now
    status: str = ""  # Party status; "" for people who are not Party members
    category: str = ""
    posts: list[str] = field(default_factory=list)  # bodies where they hold a post
    seats: list[str] = field(default_factory=list)  # owners' committees where they sit
    employer_company: str = ""

    @property
    def compound(self) -> str:
        return self.unit.compound if self.unit else ""

    @property
    def building(self) -> str:
        return self.unit.building if self.unit else ""

    @property
    def owner_occupier(self) -> bool:
        return self.unit is not None and self.unit in self.owns


@dataclass(slots=True, eq=False)
class _Branch:
    id: str
    form: str
    compounds: list[str]
    community: int
    founded: dt.date
    name: str = ""
    members: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    group_buildings: list[str] = field(default_factory=list)
    committee: list[str] = field(default_factory=list)  # current post holders, secretary first
    former_secretary: str = ""  # replaced on SECRETARY_CHANGE

    @property
    def secretary(self) -> str:
        return self.committee[0] if self.committee else ""

    def secretary_on(self, day: dt.date) -> str:
        if self.former_secretary and day < SECRETARY_CHANGE:
            return self.former_secretary
        return self.secretary


SECRETARY_CHANGE = D(2021, 4, 1)  # two branches change secretary on this day
LEFT_BRANCH = D(2021, 2, 28)  # three members transfer out on this day and land nowhere (P7)


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


class _Builder:
    """Accumulates the demo graph; each ``step_*`` method adds one part of the city, in order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.nodes: dict[str, tuple[str, dict[str, Any]]] = {}
        self.links: dict[str, tuple[str, str, str, str, dict[str, Any]]] = {}
        self.persons: dict[str, _Person] = {}
        self.compounds: list[_Compound] = []
        self.cmp: dict[str, _Compound] = {}
        self.bld: dict[str, _Building] = {}
        self.branches: list[_Branch] = []
        self.br: dict[str, _Branch] = {}
        self.communities: list[str] = []
        self.townships: list[str] = []
        self.party_committees: list[str] = []
        self.companies: list[str] = []
        self.staff: dict[str, list[str]] = {}  # company → employees
        self.oc_seats: dict[str, list[tuple[str, str]]] = {}  # oc → (person, role), chair first
        self.oc_elected: dict[str, dt.date] = {}
        self.officials: dict[str, list[str]] = {}  # body → post holders, head first
        self.grades: dict[str, str] = {}  # company → 2021 grade
        self.replaced: list[_Compound] = []  # compounds whose company was replaced in 2021
        self._person_seq = 0
        self._meeting_seq = 0

    # -- primitives --------------------------------------------------------------------------------
    def add(self, kind: str, nid: str, **props: Any) -> str:
        assert nid not in self.nodes, nid
        self.nodes[nid] = (kind, {k: v for k, v in props.items() if v is not None})
        return nid

    def rel(self, kind: str, source: str, target: str, *, key: str = "", **props: Any) -> None:
        lid = "|".join([source, kind, target] + ([key] if key else []))
        assert lid not in self.links, lid
        clean = {k: v for k, v in props.items() if v is not None}
        self.links[lid] = (kind, source, target, key, clean)

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        """A random day between ``start`` and ``end``, both included."""
        return start + dt.timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def person(self, *, staff: bool = False, born: tuple[int, int] = (1940, 2003)) -> _Person:
        """A new synthetic person: 示例居民NNNN or 示例工作人员NNNN, phone 000-0000-NNNN."""
        self._person_seq += 1
        n = self._person_seq
        assert n < 10_000
        pid = f"person-{n:04d}"
        label = "示例工作人员" if staff else "示例居民"
        p = _Person(
            pid,
            {
                "name": f"{label}{n:04d}",
                "phone": f"000-0000-{n:04d}",
                "gender": self.rng.choice(("female", "male")),
                "birth_year": self.rng.randint(*born),
            },
        )
        self.persons[pid] = p
        return p

    def post(self, p: _Person, body: str, role: str, since: dt.date) -> None:
        p.posts.append(body)
        self.rel("HOLDS_POST", p.id, body, role=role, since=since)

    def meeting(self, kind: str, host: str, day: dt.date, attendees: Sequence[str] = ()) -> str:
        self._meeting_seq += 1
        mid = self.add(
            "Meeting",
            f"mtg-{self._meeting_seq:04d}",
            meeting_type=kind,
            date=day,
            topic=self.rng.choice(_TOPICS_MEETING),
        )
        self.rel("HELD_BY", mid, host)
        for pid in dict.fromkeys(a for a in attendees if a):
            self.rel("ATTENDED", pid, mid)
        return mid

    # -- places ------------------------------------------------------------------------------------
    def step_places(self) -> None:
        rng = self.rng
        self.add("City", "city-huairen", name=CITY_NAME)
        for t, name in enumerate(TOWNSHIP_NAMES, 1):
            tid = self.add("Township", f"town-{t}", name=name)
            self.rel("PART_OF", tid, "city-huairen", since=D(2001, 1, 1))
            self.townships.append(tid)
        words = list(_COMPOUND_WORDS)
        rng.shuffle(words)
        old_slots = rng.sample(range(1, N_COMMUNITIES * COMPOUNDS_PER_COMMUNITY), N_OLD - 1)
        for c in range(N_COMMUNITIES):
            cid = "comm-qixiangjie" if c == 0 else f"comm-{c + 1:02d}"
            name = COMMUNITY_REAL if c == 0 else f"示例{_COMMUNITY_WORDS[c - 1]}社区"
            self.add("Community", cid, name=name)
            self.rel("PART_OF", cid, self.townships[c // 3], since=D(2001, 1, 1))
            self.communities.append(cid)
            for k in range(COMPOUNDS_PER_COMMUNITY):
                slot = c * COMPOUNDS_PER_COMMUNITY + k
                self._compound(slot, slot == 0 or slot in old_slots, words[slot])

    def _compound(self, slot: int, is_old: bool, word: str) -> None:
        rng = self.rng
        real = slot == 0
        mid = "cmp-yunbeiyuan" if real else f"cmp-{slot + 1:03d}"
        built = rng.randint(1986, 2001) if is_old else rng.randint(2004, 2020)
        if real:
            name, built = COMPOUND_REAL, 1998
        elif is_old:
            name = f"示例{word}小区"
        else:
            name = f"示例{word}{rng.choice(('苑', '花园', '家园', '华府'))}"
        # most compounds are fully delivered; a few recent ones are not yet past half (rule O1)
        ratio = 1.0 if is_old or built < 2017 else round(rng.uniform(0.25, 1.0), 2)
        households = rng.randint(90, 420) if is_old else rng.randint(180, 1100)
        cm = _Compound(mid, name, slot // COMPOUNDS_PER_COMMUNITY, is_old, built, households)
        self.add(
            "Compound",
            mid,
            name=name,
            is_old=is_old,
            built_year=built,
            households=households,
            delivered_area_ratio=ratio,
            investment_yuan=PUBLISHED.yunbeiyuan_investment_yuan if real else None,
        )
        self.rel("PART_OF", mid, self.communities[cm.community], since=D(built, 1, 1))
        n_buildings = rng.randint(4, 7) if is_old else rng.randint(4, 8)
        for b in range(1, n_buildings + 1):
            bid = self.add("Building", f"bld-{mid[4:]}-{b}", name=f"{b}号楼")
            self.rel("PART_OF", bid, mid, since=D(built, 1, 1))
            bld = _Building(bid, mid)
            for u in range(rng.randint(3, 5)):
                uid = self.add(
                    "Unit",
                    f"unit-{mid[4:]}-{b}-{u + 1}",
                    name=f"{b}号楼{u // 2 + 1}单元{u % 2 + 1}01",
                    area_m2=round(rng.uniform(48, 145), 1),
                )
                self.rel("PART_OF", uid, bid, since=D(built, 1, 1))
                bld.units.append(_Unit(uid, bid, mid))
            cm.buildings.append(bld)
            self.bld[bid] = bld
        self.compounds.append(cm)
        self.cmp[mid] = cm

    def step_residents(self) -> None:
        """Owners and residents: most units owner-occupied, some let, some with two people."""
        rng = self.rng
        for cm in self.compounds:
            first = D(max(cm.built_year, 1995), 1, 1)
            for unit in cm.units():
                owner = self.person()
                unit.bought = self.day(first, D(2020, 12, 31))
                owner.owns.append(unit)
                unit.owner = owner.id
                self.rel("OWNS", owner.id, unit.id, since=unit.bought)
                occupants = [owner] if rng.random() < 0.88 else [self.person()]
                if rng.random() < 0.3:
                    occupants.append(self.person())
                for p in occupants:
                    p.unit = unit
                    p.moved_in = (
                        unit.bought if p is owner else self.day(unit.bought, D(2020, 12, 31))
                    )
                    unit.residents.append(p.id)
                    self.rel("RESIDES_IN", p.id, unit.id, since=p.moved_in)

    # -- Party organization ------------------------------------------------------------------------
    def step_branches(self) -> None:
        """Decide which compounds branches cover, and how (standalone, joint, combined)."""
        rng = self.rng
        counts = list(COVERED_PER_COMMUNITY)
        rng.shuffle(counts)
        free: list[list[str]] = []
        for c in range(N_COMMUNITIES):
            ids = [cm.id for cm in self.compounds if cm.community == c]
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
                founded = self.day(D(2017, 3, 1), D(2020, 10, 31))
            else:
                founded = self.day(D(2021, 1, 4), D(2021, 1, 25))
            b = _Branch(f"pb-{i:02d}", form, cmps, c, founded)
            self.branches.append(b)
            self.br[b.id] = b
            for m in cmps:
                self.cmp[m].branch = b.id
        # two branches go back to 2015/2016 and are past their five-year term (rule P5)
        for b in rng.sample(self._plain_standalone(), 2):
            b.founded = self.day(D(2015, 3, 1), D(2016, 3, 31))

    def _plain_standalone(self) -> list[_Branch]:
        return [
            b
            for b in self.branches
            if b.form == "standalone" and b.compounds[0] != "cmp-yunbeiyuan"
        ]

    def step_party_committees(self) -> None:
        for c, cid in enumerate(self.communities):
            pid = self.add(
                "PartyCommittee",
                f"pcom-{cid[5:]}",
                name=f"{self.nodes[cid][1]['name']}党委",
                level="community",
            )
            self.rel("PART_OF", pid, cid, since=D(2010, 1, 1))
            self.party_committees.append(pid)
            secretary = self.person(staff=True, born=(1965, 1985))
            self.post(secretary, pid, "secretary", D(2019, 1, 1) + dt.timedelta(days=c * 17))
            self.officials[pid] = [secretary.id]

    def step_membership(self) -> None:
        """Party members: in the buildings that get a group, and in a few that do not."""
        rng = self.rng
        shares = _allocate(
            PUBLISHED.party_groups,
            [sum(len(self.cmp[m].buildings) for m in b.compounds) for b in self.branches],
            rng,
        )
        big = next(b for b in self.branches if b.form == "joint" and len(b.compounds) == 3)
        for b, n_groups in zip(self.branches, shares, strict=True):
            buildings = [bld for m in b.compounds for bld in self.cmp[m].buildings]
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
                if not any(self._lives_owning(p, m) for p in chosen):
                    chosen.append(self._owner_occupier(m, exclude=chosen))
            if b is big:  # over 50 members (rule P3)
                others = [
                    r for m in b.compounds for r in self.cmp[m].residents() if r not in chosen
                ]
                chosen += rng.sample(others, max(0, BIG_BRANCH_MEMBERS - len(chosen)))
            for pid in chosen:
                self._enrol(self.persons[pid], b)
        self._members_outside_cover()

    def _lives_owning(self, pid: str, compound: str) -> bool:
        p = self.persons[pid]
        return p.compound == compound and p.owner_occupier

    def _owner_occupier(self, compound: str, exclude: Sequence[str] = ()) -> str:
        cands = [r for r in self.cmp[compound].residents() if self._lives_owning(r, compound)]
        return self.rng.choice(
            [r for r in cands if r not in exclude and not self.persons[r].status]
        )

    def _enrol(self, p: _Person, b: _Branch, *, status: str = "", category: str = "") -> None:
        rng = self.rng
        p.branch = b.id
        p.status = status or ("full" if rng.random() < 0.9 else "probationary")
        p.category = (
            category or rng.choices(("in_service", "retired", "floating"), weights=(45, 45, 10))[0]
        )
        lo, hi = {"in_service": (1966, 1996), "retired": (1940, 1960), "floating": (1975, 1999)}[
            p.category
        ]
        p.props["birth_year"] = rng.randint(lo, hi)
        if p.category == "in_service":
            p.props["employer"] = rng.choice(_EMPLOYERS)
        b.members.append(p.id)

    def _members_outside_cover(self) -> None:
        """Members living in compounds no branch covers, placed in a (combined) branch of their
        community; six such compounds have three or more full members (rule P1)."""
        rng = self.rng
        uncovered = [cm for cm in self.compounds if not cm.branch]
        p1 = rng.sample(uncovered, 6)
        for cm in uncovered:
            k = rng.randint(3, 5) if cm in p1 else rng.randint(0, 2)
            hosts = [b for b in self.branches if b.community == cm.community]
            host = next((b for b in hosts if b.form == "combined"), hosts[0])
            for pid in rng.sample(cm.residents(), k):
                self._enrol(self.persons[pid], host, status="full" if cm in p1 else "")

    def step_groups_and_posts(self) -> None:
        """Branch and group nodes, branch committees, memberships and group posts."""
        rng = self.rng
        sizes = self._committee_sizes()
        changing = rng.sample([b for b in self._plain_standalone() if sizes[b.id] >= 3], 2)
        seq = 0
        for b in self.branches:
            names = [self.cmp[m].name for m in b.compounds]
            b.name = (
                f"{names[0]}党支部"
                if len(names) == 1
                else f"{names[0]}等{len(names)}个小区联合党支部"
            )
            self.add(
                "PartyBranch", b.id, name=b.name, form=b.form, elected_on=b.founded, term_years=5
            )
            self.rel("PART_OF", b.id, self.party_committees[b.community], since=b.founded)
            for m in b.compounds:
                self.rel("COVERS", b.id, m, since=b.founded)
            for bid in b.group_buildings:
                seq += 1
                bname = self.nodes[bid][1]["name"]
                gid = self.add(
                    "PartyGroup",
                    f"pg-{seq:03d}",
                    name=f"{self.cmp[self.bld[bid].compound].name}{bname}党小组",
                )
                b.groups.append(gid)
                self.rel("PART_OF", gid, b.id, since=b.founded)
                self.rel("COVERS", gid, bid, since=b.founded)
            self._branch_posts(b, sizes[b.id], b in changing)
        assert seq == PUBLISHED.party_groups
        leavers = rng.sample(
            [
                pid
                for b in self.branches
                for pid in b.members
                if not self.persons[pid].posts
                and self.persons[pid].status == "full"
                and max(b.founded, self.persons[pid].moved_in) < D(2021, 2, 1)
            ],
            3,
        )
        for b in self.branches:
            self._memberships(b, leavers)
        self._floating_at_committee()

    def _full(self, b: _Branch) -> list[str]:
        return [p for p in b.members if self.persons[p].status == "full"]

    def _committee_sizes(self) -> dict[str, int]:
        """Branch committees of 3-5 mostly; one of 8, one of 2 and one with none (rule P4)."""
        rng = self.rng
        sizes = {b.id: rng.choice((3, 3, 4, 5, 5)) for b in self.branches}
        big = max(self.branches, key=lambda b: len(b.members))
        sizes[big.id] = 8
        singles = self._plain_standalone()
        fullest = max(singles, key=lambda b: len(self._full(b)))
        while len(self._full(fullest)) < 7:
            pid = self._owner_occupier(fullest.compounds[0])
            self._enrol(self.persons[pid], fullest, status="full")
        sizes[fullest.id] = 0  # seven or more full members and no committee at all
        sizes[rng.choice([b for b in singles if b is not fullest]).id] = 2
        return sizes

    def _branch_posts(self, b: _Branch, size: int, changes_secretary: bool) -> None:
        rng = self.rng
        if size == 0:
            return
        primary = b.compounds[0]
        local = [p for p in self._full(b) if self.persons[p].compound in b.compounds]
        pool = [p for p in local if self._lives_owning(p, primary)]
        if not pool:  # the owner-occupier forced in may be probationary: now full
            pid = next(p for p in b.members if self._lives_owning(p, primary))
            self.persons[pid].status = "full"
            pool, local = [pid], [pid, *local]
        chosen = [rng.choice(pool)]
        for m in b.compounds[1:]:  # a go-between from every other covered compound
            others = [p for p in local if self._lives_owning(p, m)]
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
            self.rel("HOLDS_POST", first, b.id, role="secretary", since=b.founded, until=until)
            b.former_secretary = first
            chosen[0] = rng.choice(successor)
        for pid, role in zip(chosen, roles, strict=True):
            since = SECRETARY_CHANGE if successor and role == "secretary" else b.founded
            self.post(self.persons[pid], b.id, role, since)
        b.committee = chosen

    def _memberships(self, b: _Branch, leavers: Sequence[str]) -> None:
        rng = self.rng
        for pid in b.members:
            p = self.persons[pid]
            since = max(b.founded, p.moved_in)
            if p.status == "probationary":
                since = max(since, self.day(D(2020, 6, 1), D(2021, 3, 31)))
            props: dict[str, Any] = {"status": p.status, "category": p.category, "since": since}
            if pid in leavers:  # transferred out and placed in no branch since (rule P7)
                self.rel("MEMBER_OF", pid, b.id, **props, until=LEFT_BRANCH)
                p.branch = ""
                continue
            self.rel("MEMBER_OF", pid, b.id, **props)
            if p.building in b.group_buildings:
                self.rel("MEMBER_OF", pid, b.groups[b.group_buildings.index(p.building)], **props)
        for gid, bid in zip(b.groups, b.group_buildings, strict=True):
            ms = [
                m for m in b.members if self.persons[m].branch and self.persons[m].building == bid
            ]
            if not ms:
                continue
            leader = next((m for m in ms if self.persons[m].status == "full"), ms[0])
            lp = self.persons[leader]
            self.post(lp, gid, "group_leader", max(b.founded, lp.moved_in))
            others = [m for m in ms if m != leader]
            if others and rng.random() < 0.45:
                ch = self.persons[rng.choice(others)]
                self.post(ch, gid, "central_household", max(b.founded, ch.moved_in))

    def _floating_at_committee(self) -> None:
        """Two floating members held by a community Party committee, in no branch (rule P7)."""
        residents = [p for p in self.persons.values() if p.unit is not None and not p.status]
        for p in self.rng.sample(residents, 2):
            p.status, p.category = "full", "floating"
            self.rel(
                "MEMBER_OF",
                p.id,
                self.party_committees[self.cmp[p.compound].community],
                status="full",
                category="floating",
                since=self.day(D(2020, 9, 1), D(2021, 4, 30)),
            )

    def step_registration(self) -> None:
        """In-service members report to the compound where they live (在职党员报到), most of
        them: the rest are what rule P8 looks for."""
        for p in self.persons.values():
            in_service = p.branch and p.category == "in_service" and p.unit is not None
            if in_service and self.rng.random() < 0.7:
                since = max(p.moved_in, self.day(D(2021, 2, 1), D(2021, 5, 20)))
                self.rel("REGISTERED_AT", p.id, p.compound, since=since)

    # -- property ----------------------------------------------------------------------------------
    def step_companies(self) -> None:
        """Property companies and their 2021 red-property evaluation: graded by total score,
        the top 20% 甲 (A), the next 50% 乙 (B), the bottom 30% 丙 (C); gold from 甲."""
        rng = self.rng
        weights = (20, 20, 20, 25, 15)  # the five dimensions' maximum scores (sum 100)
        for i in range(1, N_COMPANIES + 1):
            cid = f"co-{i:02d}"
            if i > N_COMPANIES - N_COMMUNITY_COMPANIES:
                comm = self.nodes[self.communities[(i * 5) % N_COMMUNITIES]][1]["name"]
                name = f"{comm}物业服务有限公司"
            else:
                name = f"示例{_COMPANY_WORDS[i - 1]}物业服务有限公司"
            self.add("PropertyCompany", cid, name=name, credit_code=f"DEMO{i:014d}")
            self.companies.append(cid)
            self.staff[cid] = []
        quality = {c: rng.uniform(0.55, 0.97) for c in self.companies}
        scores = {
            c: [
                round(w * min(1.0, max(0.3, quality[c] + rng.uniform(-0.06, 0.06))), 1)
                for w in weights
            ]
            for c in self.companies
        }
        ranked = sorted(self.companies, key=lambda c: (-round(sum(scores[c]), 1), c))
        n_a, n_b, _ = PUBLISHED.grade_counts
        for rank, cid in enumerate(ranked):
            grade = "A" if rank < n_a else "B" if rank < n_a + n_b else "C"
            self.grades[cid] = grade
            eid = self.add(
                "Evaluation",
                f"eval-{PUBLISHED.evaluation_year}-{cid[3:]}",
                year=PUBLISHED.evaluation_year,
                grade=grade,
                gold=rank < PUBLISHED.gold_companies,
                indicators=PUBLISHED.evaluation_indicators,
                **{
                    dim: score
                    for (dim, _), score in zip(
                        PUBLISHED.evaluation_dimensions, scores[cid], strict=True
                    )
                },
            )
            self.rel("EVALUATES", eid, cid)
        for cid in self.companies:  # staff who are not residents: a manager and a few more
            for r, role in enumerate(
                ("项目经理", "客服专员", "保洁主管", "维修工")[: rng.randint(2, 4)]
            ):
                p = self.person(staff=True, born=(1965, 1998))
                p.employer_company = cid
                self.rel(
                    "EMPLOYED_BY",
                    p.id,
                    cid,
                    role=role,
                    since=self.day(D(2014 + r, 1, 1), D(2020, 12, 31)),
                )
                self.staff[cid].append(p.id)

    def step_management_plan(self) -> None:
        """Which body manages each compound; old ones by the four ways (or not at all)."""
        rng = self.rng
        regular = self.companies[: N_COMPANIES - N_COMMUNITY_COMPANIES]
        good = [c for c in regular if self.grades[c] in ("A", "B")]
        modes = [m for m, n in OLD_MODES for _ in range(n)]
        old = [cm for cm in self.compounds if cm.is_old and cm.id != "cmp-yunbeiyuan"]
        rng.shuffle(modes)
        for cm, mode in zip(old, modes, strict=True):
            cm.mode = mode
            if mode in ("recruited_company", "existing_company"):
                cm.manager = rng.choice(good)
            elif mode == "community_company":
                cm.manager = rng.choice(self.companies[len(regular) :])
        yby = self.cmp["cmp-yunbeiyuan"]
        yby.mode, yby.manager = "community_company", "pmc-qixiangjie"
        for cm in self.compounds:
            if not cm.is_old:
                cm.manager = rng.choice(regular)
        self.replaced = rng.sample([cm for cm in self.compounds if not cm.is_old], 2)
        for cm in self.replaced:  # a poor company replaced by a good one (淘汰替换)
            cm.manager = rng.choice(good)

    def step_management_links(self) -> None:
        rng = self.rng
        for cm in self.compounds:
            if cm.mode == "owners_self_managed":
                cm.manager = cm.oc
            if not cm.manager:
                continue
            if cm.is_old:
                since = self.day(D(2021, 1, 10), D(2021, 5, 20))
                self.rel("MANAGES", cm.manager, cm.id, mode=cm.mode, since=since)
                continue
            if cm in self.replaced:
                old = rng.choice([c for c in self.companies if self.grades[c] == "C"])
                start = self.day(D(max(cm.built_year, 2012), 1, 1), D(2019, 12, 31))
                self.rel("MANAGES", old, cm.id, since=start, until=D(2021, 2, 28))
                self.rel("MANAGES", cm.manager, cm.id, since=D(2021, 3, 1))
                continue
            start = self.day(D(max(cm.built_year, 2010), 1, 1), D(2020, 12, 31))
            self.rel("MANAGES", cm.manager, cm.id, since=start)

    # -- owners' committees ----------------------------------------------------------------------
    def step_owners_committees(self) -> None:
        """49 committees; seats follow a plan: the branch secretary in the chair in most
        covered compounds, another branch post holder in some, nobody from the branch in a few."""
        rng = self.rng
        forced = [cm for cm in self.compounds if cm.mode == "owners_self_managed"]
        forced.append(self.cmp["cmp-yunbeiyuan"])
        chosen: list[_Compound] = []
        for want, covered in ((OC_COVERED, True), (OC_UNCOVERED, False)):
            pool = [cm for cm in self.compounds if bool(cm.branch) == covered]
            must = [cm for cm in pool if cm in forced]
            chosen += must + rng.sample([cm for cm in pool if cm not in must], want - len(must))
        with_oc = [cm for cm in self.compounds if cm in chosen]
        plan = self._cross_plan(with_oc)
        sizes = list(OC_SIZES)
        rng.shuffle(sizes)
        room = [len(self._eligible(cm, plan.get(cm.id, ""))) - 1 for cm in with_oc]
        for i in range(len(sizes)):
            if sizes[i] > room[i]:  # swap with a committee that fits in both places
                j = next(
                    j for j in range(len(sizes)) if sizes[j] <= room[i] and sizes[i] <= room[j]
                )
                sizes[i], sizes[j] = sizes[j], sizes[i]
        tenants = [cm.id for cm in with_oc if self._tenants(cm) and plan.get(cm.id) != "none"]
        o4 = rng.sample(tenants, 2)
        dates = self._oc_dates(len(with_oc))
        for i, (cm, size) in enumerate(zip(with_oc, sizes, strict=True)):
            oc = self.add(
                "OwnersCommittee", f"oc-{i + 1:02d}", name=f"{cm.name}业主委员会", **dates[i]
            )
            cm.oc = oc
            self.oc_elected[oc] = dates[i]["elected_on"]
            self.rel("REPRESENTS", oc, cm.id, since=dates[i]["elected_on"])
            seats = self._seats(cm, size, plan.get(cm.id, ""), cm.id in o4)
            roles = ["chair"] + ["vice_chair"] * (1 if size < 7 else 2)
            roles += ["member"] * (size - len(roles))
            self.oc_seats[oc] = list(zip(seats, roles, strict=True))
            for pid, role in self.oc_seats[oc]:
                p = self.persons[pid]
                p.seats.append(oc)
                # owners who bought after an older election joined at a by-election
                came = [u.bought for u in p.owns if u.compound == cm.id] or [p.moved_in]
                since = max(dates[i]["elected_on"], came[0])
                self.rel("HOLDS_POST", pid, oc, role=role, since=since)

    def _oc_dates(self, n: int) -> list[dict[str, Any]]:
        """Election and filing dates: recent mostly; two near the end of their term, one past
        it, one with a six-year term (rule O3); three filed late and two not filed (rule O8)."""
        rng = self.rng
        out: list[dict[str, Any]] = []
        special = rng.sample(range(1, n), 9)  # never the real compound's committee (index 0)
        for i in range(n):
            elected = self.day(D(2021, 1, 15), D(2021, 5, 10))
            term, filed = 5, elected + dt.timedelta(days=rng.randint(5, 25))
            if i in special[:2]:
                elected = self.day(D(2016, 6, 1), D(2016, 8, 20))
            elif i == special[2]:
                elected = self.day(D(2015, 9, 1), D(2015, 12, 31))
            elif i == special[3]:
                elected, term = self.day(D(2020, 9, 1), D(2020, 11, 30)), 6
            if i in special[:4]:
                filed = elected + dt.timedelta(days=rng.randint(5, 25))
            if i in special[4:7]:
                filed = elected + dt.timedelta(days=rng.randint(40, 70))
            out.append(
                {
                    "elected_on": elected,
                    "term_years": term,
                    "filed_on": None if i in special[7:] or filed > SNAPSHOT else filed,
                }
            )
        return out

    def _cross_plan(self, with_oc: Sequence[_Compound]) -> dict[str, str]:
        """compound → "chair" (the secretary chairs), "partial" (another branch post holder sits)
        or "none" (nobody from the branch sits: rule O7)."""
        rng = self.rng
        plan: dict[str, str] = {}
        primaries = [
            cm
            for cm in with_oc
            if cm.branch
            and self.br[cm.branch].committee
            and self.br[cm.branch].compounds[0] == cm.id
        ]
        others = [cm for cm in primaries if cm.id != "cmp-yunbeiyuan"]
        picked = rng.sample(others, 12)
        for cm in primaries:
            plan[cm.id] = "chair"
        for cm in picked[:6]:
            plan[cm.id] = "none"
        for cm in picked[6:]:
            b = self.br[cm.branch]
            plan[cm.id] = "partial" if self._holders_owning(cm.id, b.committee[1:]) else "none"
        for cm in with_oc:
            if cm.branch and cm.id not in plan:
                b = self.br[cm.branch]
                plan[cm.id] = "partial" if self._holders_owning(cm.id, b.committee) else "none"
        return plan

    def _holders_owning(self, compound: str, holders: Sequence[str]) -> list[str]:
        return [p for p in holders if any(u.compound == compound for u in self.persons[p].owns)]

    def _tenants(self, cm: _Compound) -> list[str]:
        return [
            r for r in cm.residents() if not any(u.compound == cm.id for u in self.persons[r].owns)
        ]

    def _branch_people(self, b: _Branch) -> list[str]:
        """Everyone holding a post in the branch or one of its groups (a former secretary too)."""
        group_people = [p for p in b.members if any(g in self.persons[p].posts for g in b.groups)]
        former = [b.former_secretary] if b.former_secretary else []
        return list(dict.fromkeys(b.committee + group_people + former))

    def _eligible(self, cm: _Compound, mode: str) -> list[str]:
        """The owners who may take a seat under the plan ``mode``."""
        b = self.br.get(cm.branch)
        banned: list[str] = []
        if b is not None and mode == "none":
            banned = self._branch_people(b)
        elif b is not None and mode == "partial":
            banned = [b.secretary]
        return [u.owner for u in cm.units() if u.owner not in banned]

    def _seats(self, cm: _Compound, size: int, mode: str, with_tenant: bool) -> list[str]:
        rng = self.rng
        b = self.br.get(cm.branch)
        eligible = self._eligible(cm, mode)
        seats: list[str] = []
        if b is not None and mode == "chair":
            seats.append(b.secretary)
            extra = [
                p for p in self._holders_owning(cm.id, self._branch_people(b)) if p != b.secretary
            ]
            seats += rng.sample(extra, min(len(extra), rng.randint(0, 2), size - 2))
        elif b is not None and mode == "partial":
            people = self._branch_people(b)
            seats.append(rng.choice([p for p in eligible if p not in people]))
            holders = self._holders_owning(cm.id, b.committee)
            seats.append(rng.choice([p for p in holders if p != b.secretary]))
        resident = [p for p in eligible if self._lives_owning(p, cm.id) and p not in seats]
        rng.shuffle(resident)
        if mode == "none":  # no cross-appointment, and few Party members (rule O6)
            resident.sort(key=lambda p: bool(self.persons[p].status))
        absent = [p for p in eligible if p not in resident and p not in seats]
        seats += (resident + absent)[: size - len(seats) - (1 if with_tenant else 0)]
        if with_tenant:  # a member who owns nothing in the compound (rule O4)
            seats.append(rng.choice(self._tenants(cm)))
        assert len(seats) == size and len(set(seats)) == size, (cm.id, seats)
        return seats

    def step_staff(self) -> None:
        """Property staff: some sit on a branch committee (吸纳物业人员进入支部班子), three sit
        on the owners' committee that supervises their own employer (rule O5), and a few more
        Party members work for companies with no Party organization (rule M2)."""
        rng = self.rng
        managed = [cm for cm in self.compounds if cm.manager in self.companies and cm.branch]
        done = 0
        for cm in rng.sample(managed, len(managed)):
            b = self.br[cm.branch]
            cands = [
                p
                for p in b.committee[1:]
                if self.persons[p].category == "in_service"
                and not self.persons[p].seats
                and not self.persons[p].employer_company
            ]
            if cands and done < 5:
                self._employ(self.persons[rng.choice(cands)], cm.manager, "物业项目经理")
                done += 1
        plain_seats = {
            cm.id: [
                p
                for p, role in self.oc_seats[cm.oc]
                if role == "member"
                and not self.persons[p].posts
                and not self.persons[p].employer_company
            ]
            for cm in self.compounds
            if cm.oc and cm.manager in self.companies
        }
        for cid in rng.sample([c for c, seats in plain_seats.items() if seats], 3):
            pid = rng.choice(plain_seats[cid])
            self._employ(self.persons[pid], self.cmp[cid].manager, "客服专员")
        idle = [
            p
            for p in self.persons.values()
            if p.branch and p.category == "in_service" and not p.seats and not p.posts
        ]
        for p in rng.sample(idle, 6):
            self._employ(p, rng.choice(self.companies), "维修工")
        # joint Party organizations: a compound branch is the Party organization of some companies
        for cid in rng.sample(self.companies, 8):
            branches = [
                self.cmp[m].branch
                for m in self.cmp
                if self.cmp[m].manager == cid and self.cmp[m].branch
            ]
            if branches:
                self.rel(
                    "PARTY_ORG_OF", branches[0], cid, since=self.day(D(2021, 3, 1), D(2021, 5, 15))
                )

    def _employ(self, p: _Person, company: str, role: str) -> None:
        p.employer_company = company
        if p.category == "in_service":
            p.props["employer"] = self.nodes[company][1]["name"]
        self.rel(
            "EMPLOYED_BY", p.id, company, role=role, since=self.day(D(2018, 1, 1), D(2020, 12, 31))
        )
        self.staff[company].append(p.id)

    # -- service places and governance bodies ------------------------------------------------------
    def step_stations(self) -> None:
        """32 stations and 54 points; six compounds are served by neither (rule P9)."""
        rng = self.rng
        covered = [cm for cm in self.compounds if cm.branch and cm.id != "cmp-yunbeiyuan"]
        uncovered = [cm for cm in self.compounds if not cm.branch]
        gaps = rng.sample(uncovered, N_STATION_GAPS - 2) + rng.sample(covered, 2)
        served = [cm for cm in self.compounds if cm not in gaps]
        with_station = [
            self.cmp["cmp-yunbeiyuan"],
            *rng.sample(
                [cm for cm in served if cm.branch and cm.id != "cmp-yunbeiyuan"],
                PUBLISHED.service_stations - 1,
            ),
        ]
        reached: list[str] = []
        for i, cm in enumerate(cm for cm in self.compounds if cm in with_station):
            sid = self.add(
                "ServiceStation",
                f"ss-{i + 1:02d}",
                name=f"{cm.name}党群服务站",
                station_type="station",
            )
            since = self.day(D(2021, 1, 10), D(2021, 5, 20))
            self.rel("SERVES", sid, cm.id, since=since)
            reached.append(cm.id)
            if i % 8 == 0:  # some stations also serve the whole community
                self.rel("SERVES", sid, self.communities[cm.community], since=since)
        needs = [cm for cm in served if cm.id not in reached]
        extra = PUBLISHED.service_points - len(needs)
        places = needs + [served[i] for i in sorted(rng.sample(range(len(served)), extra))]
        for i, cm in enumerate(places):
            pid = self.add(
                "ServiceStation",
                f"sp-{i + 1:02d}",
                name=f"{cm.name}党群服务点",
                station_type="point",
            )
            self.rel("SERVES", pid, cm.id, since=self.day(D(2021, 1, 10), D(2021, 5, 20)))

    def step_governance(self) -> None:
        """Leadership groups (city, townships), community service centers, the property
        management committee of 气象街社区, five enforcement teams and four departments."""
        rng = self.rng
        bodies: list[tuple[str, str, str, int]] = [
            ("lg-city", "city-huairen", "怀仁市委小区治理工作领导小组", 7)
        ]
        bodies += [
            (f"lg-{t}", t, f"{self.nodes[t][1]['name']}小区治理工作领导小组", 4)
            for t in self.townships
        ]
        for lg, parent, name, n in bodies:
            self.add(
                "LeadershipGroup",
                lg,
                name=name,
                level="city" if parent.startswith("city") else "township",
            )
            since = (
                D(2021, 1, 6)
                if parent.startswith("city")
                else self.day(D(2021, 1, 8), D(2021, 1, 12))
            )
            self.rel("PART_OF", lg, parent, since=since)
            people = [self.person(staff=True, born=(1962, 1985)) for _ in range(n)]
            roles = ["head", "deputy_head"] + ["member"] * (n - 2)
            for p, role in zip(people, roles, strict=True):
                self.post(p, lg, role, since)
            self.officials[lg] = [p.id for p in people]
        for c, comm in enumerate(self.communities):
            sc = self.add(
                "ServiceCenter",
                f"sc-{comm[5:]}",
                name=f"{self.nodes[comm][1]['name']}小区治理事务服务中心",
            )
            since = self.day(D(2021, 1, 4), D(2021, 1, 10))
            self.rel("PART_OF", sc, comm, since=since)
            head = self.persons[self.officials[self.party_committees[c]][0]]
            self.post(head, sc, "head", since)  # the community Party secretary heads it
            staff = [self.person(staff=True, born=(1970, 1998)) for _ in range(rng.randint(2, 3))]
            for p in staff:
                self.post(p, sc, "member", since)
            self.officials[sc] = [head.id] + [p.id for p in staff]
        self._pmc()
        sizes = (3, 3, 2, 2, 2)
        start = 0
        for z, (zone, size) in enumerate(zip(_ZONES, sizes, strict=True), 1):
            et = self.add("EnforcementTeam", f"et-{z}", name=f"{zone}社区综合执法队", zone=zone)
            for comm in self.communities[start : start + size]:
                self.rel("COVERS", et, comm, since=D(2021, 3, 15))
            start += size
        for did, name, powers in _DEPARTMENTS:
            self.add("Department", did, name=name)
            for t in self.townships:
                self.rel("DELEGATES_TO", did, t, powers=powers, since=D(2021, 3, 1))

    def _pmc(self) -> None:
        """社区物业管理委员会 of 气象街社区: it manages 云北苑小区 (see the article)."""
        pmc = self.add(
            "PropertyManagementCommittee", "pmc-qixiangjie", name=f"{COMMUNITY_REAL}物业管理委员会"
        )
        self.rel("PART_OF", pmc, "comm-qixiangjie", since=D(2021, 2, 20))
        yby = self.cmp["cmp-yunbeiyuan"]
        head = self.officials[self.party_committees[0]][0]
        b = self.br[yby.branch]
        chair = self.oc_seats[yby.oc][0][0]
        owners = [u.owner for u in yby.units() if u.owner not in (b.secretary, chair)]
        people = list(dict.fromkeys([head, b.secretary, chair, *self.rng.sample(owners, 2)]))
        for i, pid in enumerate(people):
            self.post(self.persons[pid], pmc, "head" if i == 0 else "member", D(2021, 2, 20))
        self.officials[pmc] = people

    def step_volunteers(self) -> None:
        """One volunteer team per branch plus themed ones; 500 activities whose tasks and people
        served add up to the article's 4,600 and 120,000."""
        rng = self.rng
        extra = rng.sample(self.branches, 14)
        teams: list[tuple[str, dt.date]] = []
        for b in self.branches:
            themes = [""] + ([rng.choice(_TOPICS_VOLUNTEER)] if b in extra else [])
            for theme in themes:
                vt = self.add(
                    "VolunteerTeam", f"vt-{len(teams) + 1:02d}", name=f"{b.name}{theme}志愿服务队"
                )
                since = max(b.founded, self.day(D(2021, 1, 5), D(2021, 2, 10)))
                self.rel("PART_OF", vt, b.id, since=since)
                teams.append((vt, since))
                current = [m for m in b.members if self.persons[m].branch == b.id]
                locals_ = [
                    r
                    for m in b.compounds
                    for r in self.cmp[m].residents()
                    if not self.persons[r].status
                ]
                people = rng.sample(current, min(len(current), rng.randint(3, 8)))
                people += rng.sample(locals_, rng.randint(2, 5))
                manager = self.cmp[b.compounds[0]].manager
                if manager in self.staff and rng.random() < 0.4:
                    people.append(rng.choice(self.staff[manager]))
                for pid in dict.fromkeys(people):
                    self.rel(
                        "VOLUNTEERS_IN",
                        pid,
                        vt,
                        since=since + dt.timedelta(days=rng.randint(0, 20)),
                    )
        n = PUBLISHED.volunteer_activities
        tasks = _split(PUBLISHED.volunteer_tasks_done, n, rng, 0.4, 1.6)
        served = _split(PUBLISHED.volunteer_persons_served, n, rng, 0.3, 1.7)
        picks = [rng.choice(teams) for _ in range(n)]
        days = sorted(self.day(max(since, D(2021, 1, 10)), SNAPSHOT) for _, since in picks)
        for i, ((vt, since), t, s) in enumerate(zip(picks, tasks, served, strict=True)):
            day = max(days[i], since)
            va = self.add(
                "VolunteerActivity",
                f"va-{i + 1:04d}",
                date=day,
                tasks_done=t,
                persons_served=s,
                topic=rng.choice(_TOPICS_VOLUNTEER),
            )
            self.rel("CONDUCTED_BY", va, vt)

    # -- meetings ----------------------------------------------------------------------------------
    def step_meetings(self) -> None:
        """The four cadences of the article, with five branch-months missing (rule G1), plus
        branch meetings (rule G3) and owners' committees' councils and hearings."""
        rng = self.rng
        months = range(1, 6)
        skip_branches = rng.sample(self.branches, N_JOINT_MEETING_SKIPS)
        skips = [(b.id, rng.randint(2, 5)) for b in skip_branches]
        for b in self.branches:
            chairs = [self.oc_seats[self.cmp[m].oc][0][0] for m in b.compounds if self.cmp[m].oc]
            manager = self.cmp[b.compounds[0]].manager
            staff = self.staff.get(manager, [])[:1]
            for m in months:
                if (b.id, m) in skips:
                    continue
                day = (
                    self.day(D(2021, 1, 26), D(2021, 1, 31))
                    if m == 1
                    else self.day(D(2021, m, 5), D(2021, m, 25))
                )
                self.meeting(
                    "compound_joint_meeting",
                    b.id,
                    day,
                    [b.secretary_on(day), *chairs, *staff, *b.committee[1:2]],
                )
        self._party_meetings()
        for t in self.townships:
            lg = f"lg-{t}"
            secs = [
                self.officials[self.party_committees[c]][0]
                for c in range(N_COMMUNITIES)
                if c // 3 == self.townships.index(t)
            ]
            for m in (1, 3, 5):
                self.meeting(
                    "township_joint_meeting",
                    lg,
                    self.day(D(2021, m, 12), D(2021, m, 26)),
                    [*self.officials[lg], *secs],
                )
        town_heads = [self.officials[f"lg-{t}"][0] for t in self.townships]
        for lo, hi in ((D(2021, 1, 15), D(2021, 3, 25)), (D(2021, 4, 10), D(2021, 5, 28))):
            self.meeting(
                "city_leadership_meeting",
                "lg-city",
                self.day(lo, hi),
                [*self.officials["lg-city"], *town_heads],
            )
        for comm in self.communities:
            sc = f"sc-{comm[5:]}"
            for m in months:
                self.meeting(
                    "service_center_meeting",
                    sc,
                    self.day(D(2021, m, 12), D(2021, m, 28)),
                    self.officials[sc],
                )
        for oc, seats in self.oc_seats.items():
            start = self.oc_elected[oc] + dt.timedelta(days=7)
            for kind, p in (("residents_council", 0.8), ("hearing", 0.2)):
                if start <= SNAPSHOT and rng.random() < p:
                    who = [pid for pid, _ in seats[: rng.randint(3, len(seats))]]
                    self.meeting(kind, oc, self.day(max(start, D(2021, 2, 1)), SNAPSHOT), who)

    def _party_meetings(self) -> None:
        """Branch assemblies each quarter, committee meetings and theme Party days each month,
        with a few missing (rule G3)."""
        rng = self.rng
        missing = [
            (b.id, rng.choice(("branch_committee", "theme_party_day", "branch_assembly")))
            for b in rng.sample(self.branches, 10)
        ]
        for b in self.branches:
            gap = next((k for bid, k in missing if bid == b.id), "")
            gap_month = rng.randint(1, 5)
            for m in range(1, 6):
                for kind in ("branch_committee", "theme_party_day"):
                    if kind == "branch_committee" and not b.committee:
                        continue
                    if gap == kind and m == gap_month:
                        continue
                    day = self.day(D(2021, m, 26 if m == 1 else 3), D(2021, m, 28))
                    who = b.committee if kind == "branch_committee" else []
                    self.meeting(kind, b.id, day, who)
            for q, (lo, hi) in enumerate(
                ((D(2021, 2, 1), D(2021, 3, 31)), (D(2021, 4, 1), D(2021, 5, 31)))
            ):
                if gap == "branch_assembly" and q == 0:
                    continue
                self.meeting("branch_assembly", b.id, self.day(lo, hi))

    # -- appeals and disputes ---------------------------------------------------------------------
    def step_appeals(self) -> None:
        """889 appeals by the end of May on the two channels, 765 of them replied."""
        rng = self.rng
        n, replied = PUBLISHED.appeals_received, PUBLISHED.appeals_replied
        weights = [cm.households for cm in self.compounds]
        received = sorted(self.day(D(2021, 1, 4), SNAPSHOT) for _ in range(n))
        late = [i for i in range(n) if received[i] >= D(2021, 5, 15)]
        early = [i for i in range(n) if received[i] < D(2021, 4, 30)]
        n_late = min(len(late), n - replied - N_APPEALS_OVERDUE)
        open_ = rng.sample(late, n_late) + rng.sample(early, n - replied - n_late)
        for i, day in enumerate(received):
            kind = rng.choices(("urgent", "enquiry", "complaint"), weights=(1, 4, 5))[0]
            reply = None
            if i not in open_:
                lo, hi = {"urgent": (0, 1), "enquiry": (1, 7), "complaint": (2, 20)}[kind]
                delay = rng.randint(lo, hi) + (rng.randint(5, 20) if rng.random() < 0.06 else 0)
                reply = min(day + dt.timedelta(days=delay), SNAPSHOT)
            aid = self.add(
                "Appeal",
                f"appeal-{i + 1:04d}",
                channel="minsheng_e_huairen" if rng.random() < 0.78 else "secretary_mailbox",
                appeal_type=kind,
                received=day,
                replied=reply,
                topic=rng.choice(_TOPICS_APPEAL),
            )
            self.rel("ABOUT", aid, rng.choices(self.compounds, weights=weights)[0].id)

    def step_disputes(self) -> None:
        """560 disputes resolved (and 25 still open), mediated mostly by owners' committees."""
        rng = self.rng
        places = [cm for cm in self.compounds if cm.oc or cm.branch]
        weights = [cm.households * (3 if cm.oc else 1) for cm in places]
        resolved = PUBLISHED.disputes_resolved
        rows = [(self.day(D(2021, 1, 4), D(2021, 5, 25)), True) for _ in range(resolved)]
        rows += [(self.day(D(2021, 5, 1), SNAPSHOT), False) for _ in range(N_OPEN_DISPUTES)]
        rows.sort(key=lambda r: (r[0], not r[1]))
        for i, (day, done) in enumerate(rows):
            cm = rng.choices(places, weights=weights)[0]
            if cm.id == "cmp-yunbeiyuan" and rng.random() < 0.3:
                mediator = "pmc-qixiangjie"
            elif cm.oc and (not cm.branch or rng.random() < 0.8):
                mediator = cm.oc
            else:
                mediator = cm.branch
            did = self.add(
                "Dispute",
                f"dispute-{i + 1:04d}",
                received=day,
                resolved=min(day + dt.timedelta(days=rng.randint(1, 25)), SNAPSHOT)
                if done
                else None,
                topic=rng.choice(_TOPICS_DISPUTE),
            )
            self.rel("MEDIATED_BY", did, mediator)
            self.rel("ABOUT", did, cm.id)

    # -- output ------------------------------------------------------------------------------------
    def result(self) -> tuple[list[Node], list[Link]]:
        """Validated records: every node and link carries the demo ``source``."""
        for p in self.persons.values():
            self.add("Person", p.id, **p.props)
        nodes = [
            node(kind, nid, **props, source=SOURCE) for nid, (kind, props) in self.nodes.items()
        ]
        links = [
            link(kind, s, t, key=key, **props, source=SOURCE)
            for kind, s, t, key, props in self.links.values()
        ]
        return nodes, links


def build_demo(seed: int = DEFAULT_SEED) -> tuple[list[Node], list[Link]]:
    """Generate the Huairen demo data set: the same seed gives the same records in the same
    order. Every figure in :data:`PUBLISHED` holds whatever the seed."""
    b = _Builder(seed)
    b.step_places()
    b.step_residents()
    b.step_branches()
    b.step_party_committees()
    b.step_membership()
    b.step_groups_and_posts()
    b.step_registration()
    b.step_companies()
    b.step_management_plan()
    b.step_owners_committees()
    b.step_management_links()
    b.step_staff()
    b.step_stations()
    b.step_governance()
    b.step_volunteers()
    b.step_meetings()
    b.step_appeals()
    b.step_disputes()
    return b.result()


async def load_demo(
    store: GraphStore,
    *,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    seed: int = DEFAULT_SEED,
) -> tuple[int, int]:
    """Write the demo data set into ``store``; return (nodes, links) written.

    Every node is written before any link, so each link batch finds its endpoints stored; each
    batch is one :meth:`GraphStore.apply` call, so it is written completely or not at all (a
    failure part way leaves the earlier batches, and loading again completes the set: upserts
    replace). ``progress`` is called after each batch with the records written so far.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    nodes, links = build_demo(seed)
    written_nodes = written_links = 0
    for start in range(0, len(nodes), batch_size):
        result = await store.apply(WriteBatch(nodes=nodes[start : start + batch_size]))
        written_nodes += result.nodes_written
        if progress is not None:
            progress(written_nodes)
    for start in range(0, len(links), batch_size):
        result = await store.apply(WriteBatch(links=links[start : start + batch_size]))
        written_links += result.links_written
        if progress is not None:
            progress(written_nodes + written_links)
    return written_nodes, written_links
