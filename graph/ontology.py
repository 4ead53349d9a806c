"""The ontology: every node kind, link kind and property, declared once.

This module is the single source of truth for the domain. Stores, loaders, the GraphQL schema and
the Excel template are all derived from :data:`NODE_KINDS` and :data:`LINK_KINDS`; nothing else in
the code base lists kinds or properties by hand.

Names follow the glossary in ``shared/domain/DOMAIN.md``: English in code, Chinese in labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class PropType(StrEnum):
    """The value types a property may hold (all map to native Neo4j types)."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Prop:
    """One property of a node or link kind."""

    name: str
    type: PropType = PropType.STR
    label_zh: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    #: personal data (names, phones, Party membership): hidden or pseudonymized by role
    personal: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True)
class NodeKind:
    """A kind of node, such as ``Compound`` or ``PartyBranch``."""

    name: str
    label_zh: str
    group: str
    props: tuple[Prop, ...] = ()
    doc: str = ""

    def prop(self, name: str) -> Prop | None:
        return _find(self.props, name)


@dataclass(frozen=True, slots=True)
class LinkKind:
    """A kind of link and the (source kind, target kind) pairs it may join."""

    name: str
    label_zh: str
    endpoints: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = ()
    #: a temporal link holds between ``since`` and ``until`` (both inclusive, both optional)
    temporal: bool = True
    doc: str = ""
    #: GraphQL field names seen from the source (out) and from the target (in)
    out_field: str = ""
    in_field: str = ""
    #: following the link from source to target leads to what contains or concerns the source
    #: (a compound to its community, a meeting to its host): the routes aggregates by place take
    locates: bool = False
    _pairs: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pairs", frozenset(self.endpoints))

    def allows(self, source_kind: str, target_kind: str) -> bool:
        return (source_kind, target_kind) in self._pairs

    def prop(self, name: str) -> Prop | None:
        return _find(self.props, name)


def _find(props: tuple[Prop, ...], name: str) -> Prop | None:
    for p in props:
        if p.name == name:
            return p
    return None


# --- properties shared by many kinds ---------------------------------------------------------
NAME = Prop("name", label_zh="名称", doc="display name")
SOURCE = Prop("source", label_zh="来源", doc="where the fact comes from (document, ledger, URL)")
SINCE = Prop("since", PropType.DATE, "起始日期", doc="first day the link holds")
UNTIL = Prop("until", PropType.DATE, "终止日期", doc="last day the link holds")

#: properties every node has beside ``id`` and ``kind``
COMMON_NODE_PROPS = (SOURCE,)
#: properties every link has
COMMON_LINK_PROPS = (SOURCE,)
TEMPORAL_PROPS = (SINCE, UNTIL)

#: the Chinese label of every enumerated value (a code in some ``Prop.choices``): the template's
#: drop-downs show it, the importer accepts it for the code, messages name both. One table for
#: every property, so a code reads the same wherever it appears; terms from DOMAIN.md and the
#: seed article
CHOICE_LABELS_ZH: dict[str, str] = {
    # PartyBranch.form
    "standalone": "单建",
    "joint": "联建",
    "combined": "兼合式",
    # MEMBER_OF.status, MEMBER_OF.category
    "full": "正式",
    "probationary": "预备",
    "in_service": "在职",
    "retired": "退休",
    "floating": "流动",
    # HOLDS_POST.role
    "secretary": "书记",
    "deputy_secretary": "副书记",
    "committee_member": "支委委员",
    "group_leader": "党小组长",
    "central_household": "党员中心户",
    "chair": "主任",
    "vice_chair": "副主任",
    "member": "委员",
    "head": "组长",
    "deputy_head": "副组长",
    # MANAGES.mode: the four ways the article names for old compounds
    "recruited_company": "社招物业企业接管",
    "existing_company": "现有服务较好的物业企业接管",
    "community_company": "社区物业公司接管",
    "owners_self_managed": "居民业委会接管",
    # Meeting.meeting_type
    "compound_joint_meeting": "小区治理联席会",  # monthly
    "township_joint_meeting": "乡镇小区治理联席会议",  # every two months
    "city_leadership_meeting": "小区治理工作领导小组专题会议",  # quarterly
    "service_center_meeting": "社区小区治理工作会议",  # monthly
    "residents_council": "居民议事会",
    "hearing": "听证会",
    "branch_assembly": "支部党员大会",
    "branch_committee": "支委会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "theme_party_day": "主题党日",
    # Appeal.channel, Appeal.appeal_type
    "minsheng_e_huairen": "民生e怀仁",
    "secretary_mailbox": "书记信箱",
    "hotline": "热线电话",
    "other": "其他",
    "urgent": "紧急",
    "enquiry": "咨询",
    "complaint": "投诉",
    # Evaluation.grade
    "A": "甲",
    "B": "乙",
    "C": "丙",
    # PartyCommittee.level, LeadershipGroup.level
    "city": "市级",
    "township": "乡镇级",
    "community": "社区级",
    # ServiceStation.station_type
    "station": "党群服务站",
    "point": "服务点",
    # Person.gender
    "female": "女",
    "male": "男",
}

BRANCH_FORMS = ("standalone", "joint", "combined")
MEMBER_STATUS = ("full", "probationary")
MEMBER_CATEGORY = ("in_service", "retired", "floating")
POST_ROLES = (
    "secretary",
    "deputy_secretary",
    "committee_member",
    "group_leader",
    "central_household",
    "chair",
    "vice_chair",
    "member",
    "head",
    "deputy_head",
)
MANAGE_MODES = ("recruited_company", "existing_company", "community_company", "owners_self_managed")
MEETING_KINDS = (
    "compound_joint_meeting",
    "township_joint_meeting",
    "city_leadership_meeting",
    "service_center_meeting",
    "residents_council",
    "hearing",
    "branch_assembly",
    "branch_committee",
    "group_meeting",
    "party_lecture",
    "theme_party_day",
)
APPEAL_CHANNELS = ("minsheng_e_huairen", "secretary_mailbox", "hotline", "other")
APPEAL_TYPES = ("urgent", "enquiry", "complaint")
GRADES = ("A", "B", "C")
LEVELS = ("city", "township", "community")
STATION_TYPES = ("station", "point")
GENDERS = ("female", "male")


def choice_label(code: str) -> str:
    """The Chinese label of an enumerated value (the code itself if it has none).

    >>> choice_label("secretary"), choice_label("standalone")
    ('书记', '单建')
    """
    return CHOICE_LABELS_ZH.get(code, code)


S, INT, F, B, D = PropType.STR, PropType.INT, PropType.FLOAT, PropType.BOOL, PropType.DATE

# --- node kinds --------------------------------------------------------------------------------
_NODE_KINDS: tuple[NodeKind, ...] = (
    NodeKind("City", "市", "place", (NAME,)),
    NodeKind("Township", "乡镇·街道", "place", (NAME,)),
    NodeKind("Community", "社区", "place", (NAME,)),
    NodeKind(
        "Compound",
        "小区",
        "place",
        (
            NAME,
            Prop("is_old", B, "老旧小区"),
            Prop("built_year", INT, "建成年份"),
            Prop("households", INT, "户数"),
            Prop(
                "delivered_area_ratio",
                F,
                "已交付面积比例",
                doc="share of floor area delivered, 0-1",
            ),
            Prop("investment_yuan", F, "治理投入(元)"),
        ),
    ),
    NodeKind("Building", "楼栋", "place", (NAME,)),
    NodeKind("Unit", "单元/户", "place", (NAME, Prop("area_m2", F, "面积(平方米)"))),
    NodeKind(
        "Person",
        "人员",
        "people",
        (
            Prop("name", S, "姓名", personal=True),
            Prop("phone", S, "电话", personal=True),
            Prop("address", S, "住址", personal=True),
            Prop("gender", S, "性别", choices=GENDERS),
            Prop("birth_year", INT, "出生年份", personal=True),
            Prop("employer", S, "工作单位", doc="for in-service Party members (P8 roll-up)"),
        ),
        doc="a person; the id is pseudonymous, name and phone are personal data",
    ),
    NodeKind(
        "PartyCommittee",
        "社区党委·党总支",
        "party",
        (NAME, Prop("level", S, "层级", choices=LEVELS)),
    ),
    NodeKind(
        "PartyBranch",
        "党支部",
        "party",
        (
            NAME,
            Prop("form", S, "组建方式", choices=BRANCH_FORMS),
            Prop("elected_on", D, "换届日期"),
            Prop("term_years", INT, "任期(年)"),
        ),
    ),
    NodeKind("PartyGroup", "党小组", "party", (NAME,)),
    NodeKind("OwnersAssembly", "业主大会", "owners", (NAME,)),
    NodeKind(
        "OwnersCommittee",
        "业主委员会",
        "owners",
        (
            NAME,
            Prop("elected_on", D, "选举日期"),
            Prop("term_years", INT, "任期(年)"),
            Prop("filed_on", D, "备案日期"),
        ),
    ),
    NodeKind(
        "PropertyCompany", "物业服务企业", "property", (NAME, Prop("credit_code", S, "信用代码"))
    ),
    NodeKind("PropertyManagementCommittee", "社区物业管理委员会", "property", (NAME,)),
    NodeKind(
        "ServiceStation",
        "党群服务站/点",
        "service",
        (NAME, Prop("station_type", S, "类型", required=True, choices=STATION_TYPES)),
    ),
    NodeKind(
        "LeadershipGroup",
        "小区治理工作领导小组",
        "governance",
        (NAME, Prop("level", S, "层级", choices=LEVELS)),
    ),
    NodeKind("ServiceCenter", "小区治理事务服务中心", "governance", (NAME,)),
    NodeKind("EnforcementTeam", "社区综合执法队", "governance", (NAME, Prop("zone", S, "片区"))),
    NodeKind("Department", "职能部门", "governance", (NAME,)),
    NodeKind("VolunteerTeam", "志愿服务队", "governance", (NAME,)),
    NodeKind(
        "Meeting",
        "会议",
        "event",
        (
            Prop("meeting_type", S, "会议类型", required=True, choices=MEETING_KINDS),
            Prop("date", D, "日期", required=True),
            Prop("topic", S, "议题"),
        ),
    ),
    NodeKind(
        "Appeal",
        "诉求",
        "event",
        (
            Prop("channel", S, "渠道", required=True, choices=APPEAL_CHANNELS),
            Prop("appeal_type", S, "诉求类型", choices=APPEAL_TYPES),
            Prop("received", D, "受理日期", required=True),
            Prop("replied", D, "回复日期"),
            Prop("topic", S, "主题"),
        ),
    ),
    NodeKind(
        "Dispute",
        "矛盾纠纷",
        "event",
        (
            Prop("received", D, "发生日期"),
            Prop("resolved", D, "化解日期"),
            Prop("topic", S, "主题"),
        ),
    ),
    NodeKind(
        "VolunteerActivity",
        "志愿服务活动",
        "event",
        (
            Prop("date", D, "日期", required=True),
            Prop("tasks_done", INT, "办实事(件)"),
            Prop("persons_served", INT, "服务人次"),
            Prop("topic", S, "主题"),
        ),
    ),
    NodeKind(
        "Evaluation",
        "红色物业考评",
        "event",
        (
            Prop("year", INT, "年度", required=True),
            Prop("grade", S, "等级(甲乙丙)", choices=GRADES),
            Prop("gold", B, "金牌红色物业"),
            Prop("score_organization", F, "组织建设"),
            Prop("score_management", F, "内部管理"),
            Prop("score_governance", F, "参与治理"),
            Prop("score_service", F, "服务标准"),
            Prop("score_image", F, "社会形象"),
            Prop("indicators", INT, "考核指标数"),
        ),
        doc="a red-property evaluation of one company for one year (四评一公示)",
    ),
)

PLACES = ("City", "Township", "Community", "Compound", "Building", "Unit")
POST_HOLDING = (
    "PartyCommittee",
    "PartyBranch",
    "PartyGroup",
    "OwnersCommittee",
    "LeadershipGroup",
    "PropertyManagementCommittee",
    "ServiceCenter",
)
MEETING_HOSTS = (
    "PartyBranch",
    "PartyGroup",
    "PartyCommittee",
    "OwnersCommittee",
    "OwnersAssembly",
    "LeadershipGroup",
    "ServiceCenter",
    "PropertyManagementCommittee",
)


def _pairs(
    sources: tuple[str, ...] | str, targets: tuple[str, ...] | str
) -> tuple[tuple[str, str], ...]:
    ss = (sources,) if isinstance(sources, str) else sources
    ts = (targets,) if isinstance(targets, str) else targets
    return tuple((s, t) for s in ss for t in ts)


# --- link kinds --------------------------------------------------------------------------------
_LINK_KINDS: tuple[LinkKind, ...] = (
    LinkKind(
        "PART_OF",
        "隶属",
        (
            ("Township", "City"),
            ("Community", "Township"),
            ("Compound", "Community"),
            ("Building", "Compound"),
            ("Unit", "Building"),
            ("PartyGroup", "PartyBranch"),
            ("PartyBranch", "PartyCommittee"),
            ("PartyCommittee", "Community"),
            ("OwnersCommittee", "OwnersAssembly"),
            ("ServiceCenter", "Community"),
            ("LeadershipGroup", "City"),
            ("LeadershipGroup", "Township"),
            ("VolunteerTeam", "PartyBranch"),
            ("PropertyManagementCommittee", "Community"),
        ),
        doc="places nest city ← township ← community ← compound ← building ← unit; bodies nest too",
    ),
    LinkKind("RESIDES_IN", "居住", _pairs("Person", ("Unit", "Building", "Compound"))),
    LinkKind("OWNS", "拥有房产", _pairs("Person", "Unit")),
    LinkKind(
        "MEMBER_OF",
        "党组织成员",
        _pairs("Person", ("PartyBranch", "PartyGroup", "PartyCommittee")),
        (
            Prop("status", S, "党员状态", required=True, choices=MEMBER_STATUS, personal=True),
            Prop("category", S, "党员类别", choices=MEMBER_CATEGORY, personal=True),
        ),
        doc="organizational Party membership",
    ),
    LinkKind(
        "HOLDS_POST",
        "任职",
        _pairs("Person", POST_HOLDING),
        (Prop("role", S, "职务", required=True, choices=POST_ROLES),),
    ),
    LinkKind(
        "EMPLOYED_BY", "受雇于", _pairs("Person", "PropertyCompany"), (Prop("role", S, "岗位"),)
    ),
    LinkKind("REGISTERED_AT", "在职党员报到", _pairs("Person", "Compound")),
    LinkKind("VOLUNTEERS_IN", "参加志愿服务队", _pairs("Person", "VolunteerTeam")),
    LinkKind(
        "COVERS",
        "覆盖",
        (
            ("PartyBranch", "Compound"),
            ("PartyGroup", "Building"),
            ("PartyGroup", "Unit"),
            ("EnforcementTeam", "Community"),
        ),
    ),
    LinkKind("REPRESENTS", "代表", _pairs(("OwnersCommittee", "OwnersAssembly"), "Compound")),
    LinkKind(
        "MANAGES",
        "物业管理",
        _pairs(("PropertyCompany", "PropertyManagementCommittee", "OwnersCommittee"), "Compound"),
        (Prop("mode", S, "接管途径", choices=MANAGE_MODES),),
    ),
    LinkKind("SERVES", "服务", _pairs("ServiceStation", ("Compound", "Community"))),
    LinkKind(
        "DELEGATES_TO",
        "授权",
        _pairs("Department", "Township"),
        (Prop("powers", S, "授权事项"),),
    ),
    LinkKind("PARTY_ORG_OF", "企业党组织", _pairs("PartyBranch", "PropertyCompany")),
    LinkKind("HELD_BY", "召开", _pairs("Meeting", MEETING_HOSTS), temporal=False),
    LinkKind("ATTENDED", "参会", _pairs("Person", "Meeting"), temporal=False),
    LinkKind("ABOUT", "涉及", _pairs(("Appeal", "Dispute"), "Compound"), temporal=False),
    LinkKind(
        "MEDIATED_BY",
        "调解",
        _pairs("Dispute", ("OwnersCommittee", "PartyBranch", "PropertyManagementCommittee")),
        temporal=False,
    ),
    LinkKind("CONDUCTED_BY", "开展", _pairs("VolunteerActivity", "VolunteerTeam"), temporal=False),
    LinkKind("EVALUATES", "考评对象", _pairs("Evaluation", "PropertyCompany"), temporal=False),
)

#: how a link reads from each end: (from the source, from the target)
_FIELD_NAMES = {
    "PART_OF": ("partOf", "parts"),
    "RESIDES_IN": ("residesIn", "residents"),
    "OWNS": ("owns", "owners"),
    "MEMBER_OF": ("memberOf", "members"),
    "HOLDS_POST": ("holdsPost", "postHolders"),
    "EMPLOYED_BY": ("employedBy", "employees"),
    "REGISTERED_AT": ("registeredAt", "registeredMembers"),
    "VOLUNTEERS_IN": ("volunteersIn", "volunteers"),
    "COVERS": ("covers", "coveredBy"),
    "REPRESENTS": ("represents", "representedBy"),
    "MANAGES": ("manages", "managedBy"),
    "SERVES": ("serves", "servedBy"),
    "DELEGATES_TO": ("delegatesTo", "delegatedBy"),
    "PARTY_ORG_OF": ("partyOrgOf", "partyOrgs"),
    "HELD_BY": ("heldBy", "meetings"),
    "ATTENDED": ("attended", "attendees"),
    "ABOUT": ("about", "concernedBy"),
    "MEDIATED_BY": ("mediatedBy", "mediated"),
    "CONDUCTED_BY": ("conductedBy", "activities"),
    "EVALUATES": ("evaluates", "evaluations"),
}
#: links that place their source where their target is. Not: posts, memberships, employment,
#: ownership, attendance, mediation or a company's Party organization, which tie a person or
#: body to another without saying where it lies
_LOCATING = {
    "PART_OF",
    "RESIDES_IN",
    "COVERS",
    "REPRESENTS",
    "MANAGES",
    "SERVES",
    "DELEGATES_TO",
    "HELD_BY",
    "ABOUT",
    "CONDUCTED_BY",
    "EVALUATES",
}
_LINK_KINDS = tuple(
    replace(
        k,
        out_field=_FIELD_NAMES[k.name][0],
        in_field=_FIELD_NAMES[k.name][1],
        locates=k.name in _LOCATING,
    )
    for k in _LINK_KINDS
)

NODE_KINDS: dict[str, NodeKind] = {k.name: k for k in _NODE_KINDS}
LINK_KINDS: dict[str, LinkKind] = {k.name: k for k in _LINK_KINDS}


def node_props(kind: NodeKind) -> tuple[Prop, ...]:
    """All properties of a node kind, the shared ones included (``id`` and ``kind`` excluded)."""
    return kind.props + COMMON_NODE_PROPS


def link_props(kind: LinkKind) -> tuple[Prop, ...]:
    """All properties of a link kind, the shared and temporal ones included."""
    return kind.props + COMMON_LINK_PROPS + (TEMPORAL_PROPS if kind.temporal else ())
