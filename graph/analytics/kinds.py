"""The node and link kinds the analytics read: the projection loads them, a write patches them."""

from ..ontology import LINK_KINDS, NODE_KINDS

#: node kinds no analysis reads
UNUSED_NODE_KINDS = ("Dispute", "VolunteerActivity")
#: link kinds no analysis reads
UNUSED_LINK_KINDS = ("ATTENDED", "MEDIATED_BY", "CONDUCTED_BY")
ANALYTIC_NODE_KINDS = tuple(k for k in NODE_KINDS if k not in UNUSED_NODE_KINDS)
ANALYTIC_LINK_KINDS = tuple(k for k in LINK_KINDS if k not in UNUSED_LINK_KINDS)
