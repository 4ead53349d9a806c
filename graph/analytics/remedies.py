"""Who fixes what each rule finds (整改清单), as the rules' sources charge them: the community
Party committee builds and staffs Party organizations (Branch Regulations arts. 4-6), a branch
runs its groups and meetings (arts. 11-13), the township's Party committee stations, company
coverage and joint meetings (the article), the owners' assembly its committee (Guiding Rules
arts. 6, 31), the housing department property service (Property Management Regulations art. 5).

Examples
--------
>>> from govgraph.graph.analytics.rules import RULES
>>> RULES["P1"].responsible.zh, RULES["O5"].responsible.en
('社区党委', "the owners' assembly")
>>> RULES["P1"].deadline_days("gap"), RULES["O8"].deadline_days("warning")
(90, 30)
"""

from __future__ import annotations

from .engine import Responsible

COMMUNITY_PARTY = Responsible("社区党委", "the community Party committee")
TOWNSHIP_PARTY = Responsible("乡镇(街道)党(工)委", "the township (sub-district) Party committee")
TOWNSHIP_GOVERNMENT = Responsible(
    "乡镇人民政府(街道办事处)", "the township government (sub-district office)"
)
BRANCH = Responsible("党支部", "the Party branch")
EMPLOYER_PARTY = Responsible(
    "党员所在单位党组织", "the Party organization of the member's employer"
)
OWNERS_ASSEMBLY = Responsible("业主大会", "the owners' assembly")
OWNERS_COMMITTEE = Responsible("业主委员会", "the owners' committee")
HOUSING = Responsible("住建部门", "the housing and construction department")

#: rule id → the body responsible for fixing its findings
RESPONSIBLE: dict[str, Responsible] = {
    "P1": COMMUNITY_PARTY,  # builds the branch (应建未建)
    "P2": COMMUNITY_PARTY,  # splits the joint branch
    "P3": COMMUNITY_PARTY,  # splits it or forms a general branch
    "P4": BRANCH,  # elects its committee
    "P5": COMMUNITY_PARTY,  # calls the overdue election (换届) and approves it
    "P6": BRANCH,  # draws its groups by building
    "P7": COMMUNITY_PARTY,  # places the member in a branch
    "P8": EMPLOYER_PARTY,  # has its in-service members register where they live
    "P9": TOWNSHIP_PARTY,  # builds the service station or point
    "O1": TOWNSHIP_GOVERNMENT,  # guides the first owners' assembly
    "O2": OWNERS_ASSEMBLY,  # elects a committee of the right size
    "O3": OWNERS_ASSEMBLY,  # holds the election
    "O4": OWNERS_ASSEMBLY,  # replaces the member
    "O5": OWNERS_ASSEMBLY,  # replaces the conflicted member
    "O6": COMMUNITY_PARTY,  # puts Party members forward for the committee
    "O7": COMMUNITY_PARTY,  # arranges the cross-appointment (交叉任职)
    "O8": OWNERS_COMMITTEE,  # files the election
    "M1": HOUSING,  # brings the compound under property service
    "M2": TOWNSHIP_PARTY,  # covers the company with a Party organization
    "M3": HOUSING,  # grades the companies and runs the exit mechanism
    "G1": TOWNSHIP_PARTY,  # runs the joint-meeting system
    "G2": TOWNSHIP_GOVERNMENT,  # the handling unit of the 12345 appeal
    "G3": BRANCH,  # holds its meetings (三会一课)
}
