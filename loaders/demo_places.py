"""The demo's places and people: the city, townships, communities, compounds, buildings and
units, and the owners and residents who live in them.

Only 怀仁市, 气象街社区 and 云北苑小区 are real; every other place name carries the prefix 示例.
"""

from __future__ import annotations

from . import records
from .demo_builder import BuildingDraft, CompoundDraft, DemoBuilder, UnitDraft
from .demo_figures import COMPOUNDS_PER_COMMUNITY, N_COMMUNITIES, N_OLD, PUBLISHED

D = records.D

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


def add_places(demo: DemoBuilder) -> None:
    """The city, its four townships, twelve communities and their compounds."""
    rng = demo.rng
    demo.node("City", "city-huairen", name=CITY_NAME)
    for t, name in enumerate(TOWNSHIP_NAMES, 1):
        tid = demo.node("Township", f"town-{t}", name=name)
        demo.link("PART_OF", tid, "city-huairen", since=D(2001, 1, 1))
        demo.townships.append(tid)
    words = list(_COMPOUND_WORDS)
    rng.shuffle(words)
    old_slots = rng.sample(range(1, N_COMMUNITIES * COMPOUNDS_PER_COMMUNITY), N_OLD - 1)
    for c in range(N_COMMUNITIES):
        cid = "comm-qixiangjie" if c == 0 else f"comm-{c + 1:02d}"
        name = COMMUNITY_REAL if c == 0 else f"示例{_COMMUNITY_WORDS[c - 1]}社区"
        demo.node("Community", cid, name=name)
        demo.link("PART_OF", cid, demo.townships[c // 3], since=D(2001, 1, 1))
        demo.communities.append(cid)
        for k in range(COMPOUNDS_PER_COMMUNITY):
            slot = c * COMPOUNDS_PER_COMMUNITY + k
            _compound(demo, slot, slot == 0 or slot in old_slots, words[slot])


def _compound(demo: DemoBuilder, slot: int, is_old: bool, word: str) -> None:
    rng = demo.rng
    real = slot == 0
    mid = "cmp-yunbeiyuan" if real else f"cmp-{slot + 1:03d}"
    built = rng.randint(1986, 2001) if is_old else rng.randint(2004, 2020)
    if real:
        name, built = COMPOUND_REAL, 1998
    elif is_old:
        name = f"示例{word}小区"
    else:
        name = f"示例{word}{rng.choice(('苑', '花园', '家园', '华府'))}"
    ratio = records.delivered_ratio(rng, is_old, built)
    households = rng.randint(90, 420) if is_old else rng.randint(180, 1100)
    cm = CompoundDraft(mid, name, slot // COMPOUNDS_PER_COMMUNITY, is_old, built, households)
    records.compound(
        demo,
        mid,
        demo.communities[cm.community],
        name=name,
        is_old=is_old,
        built=built,
        households=households,
        ratio=ratio,
        investment=PUBLISHED.yunbeiyuan_investment_yuan if real else None,
    )
    n_buildings = rng.randint(4, 7) if is_old else rng.randint(4, 8)
    for b in range(1, n_buildings + 1):
        bid = records.building(demo, f"bld-{mid[4:]}-{b}", b, mid, built)
        bld = BuildingDraft(bid, mid)
        for u in range(rng.randint(3, 5)):
            uid = records.unit(
                demo,
                rng,
                f"unit-{mid[4:]}-{b}-{u + 1}",
                name=f"{b}号楼{u // 2 + 1}单元{u % 2 + 1}01",
                building=bid,
                built=built,
            )
            bld.units.append(UnitDraft(uid, bid, mid))
        cm.buildings.append(bld)
        demo.bld[bid] = bld
    demo.compounds.append(cm)
    demo.cmp[mid] = cm


def add_residents(demo: DemoBuilder) -> None:
    """Owners and residents: most units owner-occupied, some let, some with two people."""
    rng = demo.rng
    for cm in demo.compounds:
        first = D(max(cm.built_year, 1995), 1, 1)
        for unit in cm.units():
            owner = demo.person()
            unit.bought = demo.day(first, D(2020, 12, 31))
            owner.owns.append(unit)
            unit.owner = owner.id
            demo.link("OWNS", owner.id, unit.id, since=unit.bought)
            occupants = [owner] if rng.random() < 0.88 else [demo.person()]
            if rng.random() < 0.3:
                occupants.append(demo.person())
            for p in occupants:
                p.unit = unit
                p.moved_in = unit.bought if p is owner else demo.day(unit.bought, D(2020, 12, 31))
                unit.residents.append(p.id)
                demo.link("RESIDES_IN", p.id, unit.id, since=p.moved_in)
