"""The node and link kinds the analytics read (the projection loads them, a write patches them),
the place levels things roll up to, and where each kind of node sits among them."""

from ..ontology import LINK_KINDS, NODE_KINDS

#: node kinds no analysis reads
UNUSED_NODE_KINDS = ("Dispute", "VolunteerActivity")
#: link kinds no analysis reads
UNUSED_LINK_KINDS = ("ATTENDED", "MEDIATED_BY", "CONDUCTED_BY")
ANALYTIC_NODE_KINDS = tuple(k for k in NODE_KINDS if k not in UNUSED_NODE_KINDS)
ANALYTIC_LINK_KINDS = tuple(k for k in LINK_KINDS if k not in UNUSED_LINK_KINDS)

#: the levels a finding or a row rolls up to, from the bottom
LEVELS = ("compound", "community", "township", "city")
LEVEL_KINDS = {level: level.title() for level in LEVELS}
#: the kinds whose nodes the answers kept on a day place by kind, not through links (a place is
#: its own anchor and chain, a building its own building): a write adding one carries no day view
SELF_PLACED_KINDS = frozenset({*LEVEL_KINDS.values(), "Building"})
#: the posts that make up a branch committee (支委会)
BRANCH_COMMITTEE_ROLES = ("secretary", "deputy_secretary", "committee_member")

#: where a non-place node sits (a place is its own anchor: none is here), tried in order: the
#: first link kind that, followed from the node, reaches anything wins (every anchor points up)
ANCHORS: dict[str, tuple[str, ...]] = {
    "Building": ("PART_OF",),
    "Unit": ("PART_OF",),
    "Person": ("RESIDES_IN", "REGISTERED_AT", "OWNS", "MEMBER_OF", "HOLDS_POST", "EMPLOYED_BY"),
    "PartyBranch": ("COVERS", "PART_OF"),
    "PartyGroup": ("COVERS", "PART_OF"),
    "PartyCommittee": ("PART_OF",),
    "OwnersCommittee": ("REPRESENTS", "PART_OF"),
    "OwnersAssembly": ("REPRESENTS",),
    "PropertyCompany": ("MANAGES",),
    "PropertyManagementCommittee": ("PART_OF", "MANAGES"),
    "ServiceStation": ("SERVES",),
    "LeadershipGroup": ("PART_OF",),
    "ServiceCenter": ("PART_OF",),
    "EnforcementTeam": ("COVERS",),
    "Department": ("DELEGATES_TO",),
    "VolunteerTeam": ("PART_OF",),
    "Meeting": ("HELD_BY",),
    "Appeal": ("ABOUT",),
    "Dispute": ("ABOUT",),
    "VolunteerActivity": ("CONDUCTED_BY",),
    "Evaluation": ("EVALUATES",),
}
