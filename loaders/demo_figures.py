"""The figures the Huairen demo reproduces (the article's table) and the fixed shape of the city
that yields them: how many communities, compounds, branches, committees and gaps there are.

The shape does not depend on the seed, so neither do the figures; see :mod:`.demo`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..graph.ontology import MANAGE_MODES

#: the ``source`` of every node and link of the demo data set
SOURCE = "demo:huairen-2021"
#: the day the data set describes (the article's "by the end of May")
SNAPSHOT = dt.date(2021, 5, 31)
#: the first day of the period the monthly and quarterly cadences are checked over
PERIOD_START = dt.date(2021, 1, 1)


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
SECRETARY_CHANGE = dt.date(2021, 4, 1)  # two branches change secretary on this day
# three members transfer out on this day and land nowhere (rule P7)
LEFT_BRANCH = dt.date(2021, 2, 28)
