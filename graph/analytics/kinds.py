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

#: where a non-place node sits, tried in order: the first (link kind, direction) that reaches
#: anything wins ("out" follows the link from the node, "in" against it)
ANCHORS: dict[str, tuple[tuple[str, str], ...]] = {
    "Building": (("PART_OF", "out"),),
    "Unit": (("PART_OF", "out"),),
    "Person": (
        ("RESIDES_IN", "out"),
        ("REGISTERED_AT", "out"),
        ("OWNS", "out"),
        ("MEMBER_OF", "out"),
        ("HOLDS_POST", "out"),
        ("EMPLOYED_BY", "out"),
    ),
    "PartyBranch": (("COVERS", "out"), ("PART_OF", "out")),
    "PartyGroup": (("COVERS", "out"), ("PART_OF", "out")),
    "PartyCommittee": (("PART_OF", "out"),),
    "OwnersCommittee": (("REPRESENTS", "out"), ("PART_OF", "out")),
    "OwnersAssembly": (("REPRESENTS", "out"),),
    "PropertyCompany": (("MANAGES", "out"),),
    "PropertyManagementCommittee": (("PART_OF", "out"), ("MANAGES", "out")),
    "ServiceStation": (("SERVES", "out"),),
    "LeadershipGroup": (("PART_OF", "out"),),
    "ServiceCenter": (("PART_OF", "out"),),
    "EnforcementTeam": (("COVERS", "out"),),
    "Department": (("DELEGATES_TO", "out"),),
    "VolunteerTeam": (("PART_OF", "out"),),
    "Meeting": (("HELD_BY", "out"),),
    "Appeal": (("ABOUT", "out"),),
    "Dispute": (("ABOUT", "out"),),
    "VolunteerActivity": (("CONDUCTED_BY", "out"),),
    "Evaluation": (("EVALUATES", "out"),),
}
