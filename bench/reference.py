"""The reference queries of the API benchmarks, as GraphQL documents for our schema and for the
Neo4j GraphQL Library anchor (``bench/neo4j-graphql/typedefs.graphql``), with the variables for
each data set and the normalizers that bring both answers to one comparable shape.

Eight queries, the reference set of issues 4, 6 and 16:

``lookup``      one compound by id, with its scalar properties;
``filtered``    a filtered, sorted list of compounds (old ones built since 1980, by name, 20);
``nested3``     three levels below a community: its compounds, their Party branches, and the
                branches' post holders with the role on the link (department key: names too);
``connection``  a connection with ``totalCount`` and ``pageInfo`` (Party branches of one form);
``counts``      a count aggregate: how many nodes of every kind;
``no_branch``   a relationship filter: compounds with no Party branch (totalCount and a page);
``two_hop``     a filter through three links (issue 16): the compounds whose owners' committee has
                a member employed by a property company, each with its committees' members
                (names, roles) and their employers;
``three_hop``   a township's communities and, in each, its compounds managed by a property company
                one of whose employees holds a post in an owners' committee (a filter three links
                deep on a nested link field: ours its ``where``), with the managing companies.

``two_hop`` and ``three_hop`` also have a hand-written Cypher statement (:attr:`Reference.cypher`):
the floor the benchmark measures through the driver beside the GraphQL servers, its answer
compared as theirs.

Both sides are asked for the same data. Where the two schemas differ, the normalizers make the
answers comparable: global ids (``Compound:x``) versus store ids (we ask for ``entityId``),
edges versus plain lists, the order of nested lists (ours by link id, theirs unordered: both are
sorted), and parts of a community that are not compounds (our ``parts`` holds every PART_OF
neighbour; the anchor's ``compounds`` only compounds: ours are filtered to compounds).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Json = Any

#: every node kind of the ontology (``graph/ontology.py``) and its root field's plural, which is
#: the same in both schemas (``peopleConnection``, ``propertyCompaniesConnection``, ...); written
#: out so that this module imports nothing from the code under test
KIND_PLURALS: dict[str, str] = {
    "City": "cities", "Township": "townships", "Community": "communities",
    "Compound": "compounds", "Building": "buildings", "Unit": "units", "Person": "people",
    "PartyCommittee": "partyCommittees", "PartyBranch": "partyBranches",
    "PartyGroup": "partyGroups", "OwnersAssembly": "ownersAssemblies",
    "OwnersCommittee": "ownersCommittees", "PropertyCompany": "propertyCompanies",
    "PropertyManagementCommittee": "propertyManagementCommittees",
    "ServiceStation": "serviceStations", "LeadershipGroup": "leadershipGroups",
    "ServiceCenter": "serviceCenters", "EnforcementTeam": "enforcementTeams",
    "Department": "departments", "VolunteerTeam": "volunteerTeams", "Meeting": "meetings",
    "Appeal": "appeals", "Dispute": "disputes", "VolunteerActivity": "volunteerActivities",
    "Evaluation": "evaluations",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference query: our document, the anchor's, and how to compare their answers."""

    name: str
    what: str
    ours: str
    theirs: str
    normalize_ours: Callable[[Json], Json]
    normalize_theirs: Callable[[Json], Json]
    #: names of the data-set variables the documents use (see :data:`DATASET_VARIABLES`)
    variables: tuple[str, ...] = ()
    #: the same question as one hand-written Cypher statement (its parameters: the variables,
    #: by the anchor's names), and its records brought to the same shape
    cypher: str | None = None
    normalize_cypher: Callable[[list[dict[str, Any]]], Json] | None = None


# --- the data sets' variables ------------------------------------------------------------------
#: ids and values per data set, chosen from the data: the demo's flagship community (气象街社区)
#: and compound (云北苑小区); the synthetic set's first community and compound.
DATASET_VARIABLES: dict[str, dict[str, Any]] = {
    "demo": {
        "community": "comm-qixiangjie",
        "compound": "cmp-yunbeiyuan",
        "township": "town-1",
        "form": "standalone",
    },
    "synthetic": {
        "community": "comm-00000",
        "compound": "cmp-00000",
        "township": "town-0000",
        "form": "standalone",
    },
}


def variables_for(ref: Reference, dataset: str, *, ours: bool) -> dict[str, Any]:
    """The variables of ``ref`` on ``dataset``; ours take global ids where the anchor takes ids."""
    values = DATASET_VARIABLES[dataset]
    out: dict[str, Any] = {}
    for name in ref.variables:
        value = values[name]
        if ours and name == "community":
            value = f"Community:{value}"
        elif ours and name == "compound":
            value = f"Compound:{value}"
        elif ours and name == "township":
            value = f"Township:{value}"
        out["id" if name in ("community", "compound", "township") else name] = value
    return out


def body(ref: Reference, dataset: str, *, ours: bool) -> str:
    """The JSON body of the POST request for ``ref`` on ``dataset``."""
    doc = ref.ours if ours else ref.theirs
    payload = {"query": doc, "variables": variables_for(ref, dataset, ours=ours)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


# --- normalizers -------------------------------------------------------------------------------
def _renamed(d: dict[str, Any]) -> dict[str, Any]:
    """Our ``entityId`` as ``id`` (the anchor's id is the store id)."""
    out = dict(d)
    if "entityId" in out:
        out["id"] = out.pop("entityId")
    return out


def _by_id(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda d: str(d.get("id")))


def _ours_lookup(data: Json) -> Json:
    return _renamed(data["node"]) if data["node"] else None


def _theirs_lookup(data: Json) -> Json:
    found = data["compounds"]
    return found[0] if found else None


def _ours_filtered(data: Json) -> Json:
    return [_renamed(e["node"]) for e in data["compounds"]["edges"]]


def _theirs_filtered(data: Json) -> Json:
    return data["compounds"]


def _ours_nested(data: Json) -> Json:
    community = data["node"]
    compounds = []
    for e in community["parts"]["edges"]:
        node = e["node"]
        if not node:  # a part that is not a compound (party committee, service centre)
            continue
        branches = []
        for b in node["coveredBy"]["edges"]:
            branch = b["node"]
            posts = sorted(
                (p["role"], p["node"]["entityId"], p["node"]["name"])
                for p in branch["postHolders"]["edges"]
            )
            branches.append({**_renamed(branch), "postHolders": posts})
        compounds.append({"id": node["entityId"], "name": node["name"], "coveredBy": branches})
    for c in compounds:
        c["coveredBy"] = _by_id(c["coveredBy"])
    return {"id": community["entityId"], "name": community["name"], "compounds": _by_id(compounds)}


def _theirs_nested(data: Json) -> Json:
    found = data["communities"]
    if not found:
        return None
    community = found[0]
    compounds = []
    for node in community["compounds"]:
        branches = []
        for branch in node["coveredBy"]:
            posts = sorted(
                (p["properties"]["role"], p["node"]["id"], p["node"]["name"])
                for p in branch["postHoldersConnection"]["edges"]
            )
            branches.append(
                {"id": branch["id"], "name": branch["name"], "form": branch["form"],
                 "postHolders": posts}
            )  # fmt: skip
        compounds.append({"id": node["id"], "name": node["name"], "coveredBy": _by_id(branches)})
    return {"id": community["id"], "name": community["name"], "compounds": _by_id(compounds)}


def _ours_connection(data: Json) -> Json:
    c = data["partyBranches"]
    return {
        "totalCount": c["totalCount"],
        "hasNextPage": c["pageInfo"]["hasNextPage"],
        "nodes": [_renamed(e["node"]) for e in c["edges"]],
    }


def _theirs_connection(data: Json) -> Json:
    c = data["partyBranchesConnection"]
    return {
        "totalCount": c["totalCount"],
        "hasNextPage": c["pageInfo"]["hasNextPage"],
        "nodes": [e["node"] for e in c["edges"]],
    }


def _ours_counts(data: Json) -> Json:
    return {k["kind"]: k["count"] for k in data["counts"]["nodes"] if k["count"]}


def _theirs_counts(data: Json) -> Json:
    return {
        k: v["aggregate"]["count"]["nodes"]
        for k, v in data.items()
        if v["aggregate"]["count"]["nodes"]
    }


def _ours_no_branch(data: Json) -> Json:
    c = data["compounds"]
    return {"totalCount": c["totalCount"], "nodes": [_renamed(e["node"]) for e in c["edges"]]}


def _theirs_no_branch(data: Json) -> Json:
    c = data["compoundsConnection"]
    return {"totalCount": c["totalCount"], "nodes": [e["node"] for e in c["edges"]]}


def _ours_two_hop(data: Json) -> Json:
    compounds = []
    for e in data["compounds"]["edges"]:
        node = e["node"]
        committees = []
        for c in node["representedBy"]["edges"]:
            committee = c["node"]
            if not committee:  # an owners' assembly, not a committee
                continue
            members = sorted(
                (
                    p["role"],
                    p["node"]["entityId"],
                    p["node"]["name"],
                    sorted(
                        (j["role"], j["node"]["entityId"], j["node"]["name"])
                        for j in p["node"]["employedBy"]["edges"]
                    ),
                )
                for p in committee["postHolders"]["edges"]
            )
            shown = {"id": committee["entityId"], "name": committee["name"], "members": members}
            committees.append(shown)
        compounds.append({"id": node["entityId"], "name": node["name"], "committees": committees})
    return [{**c, "committees": _by_id(c["committees"])} for c in compounds]


def _theirs_two_hop(data: Json) -> Json:
    compounds = []
    for node in data["compounds"]:
        committees = []
        for committee in node["representedBy"]:
            members = sorted(
                (
                    p["properties"]["role"],
                    p["node"]["id"],
                    p["node"]["name"],
                    sorted(
                        (j["properties"]["role"], j["node"]["id"], j["node"]["name"])
                        for j in p["node"]["employedByConnection"]["edges"]
                    ),
                )
                for p in committee["postHoldersConnection"]["edges"]
            )
            shown = {"id": committee["id"], "name": committee["name"], "members": members}
            committees.append(shown)
        compounds.append({"id": node["id"], "name": node["name"], "committees": _by_id(committees)})
    return compounds


#: ``two_hop`` as one hand-written Cypher statement: the floor a GraphQL answer is measured
#: against (issue 16), the same compounds in the same order with the same members and employers
TWO_HOP_CYPHER = """
MATCH (c:Compound)
WHERE EXISTS { (c)<-[:REPRESENTS]-(:OwnersCommittee)<-[:HOLDS_POST]-(:Person)
               -[:EMPLOYED_BY]->(:PropertyCompany) }
WITH c ORDER BY c.name, c.id LIMIT 100
RETURN c.id AS id, c.name AS name, COLLECT {
  MATCH (c)<-[:REPRESENTS]-(oc:OwnersCommittee)
  RETURN {id: oc.id, name: oc.name, members: COLLECT {
    MATCH (oc)<-[h:HOLDS_POST]-(p:Person)
    RETURN [h.role, p.id, p.name, COLLECT {
      MATCH (p)-[j:EMPLOYED_BY]->(pc:PropertyCompany) RETURN [j.role, pc.id, pc.name]
    }]
  }}
} AS committees
"""


def _cypher_two_hop(records: list[dict[str, Any]]) -> Json:
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "committees": _by_id(
                [
                    {
                        "id": c["id"],
                        "name": c["name"],
                        "members": sorted(
                            (m[0], m[1], m[2], sorted(tuple(j) for j in m[3])) for m in c["members"]
                        ),
                    }
                    for c in r["committees"]
                ]
            ),
        }
        for r in records
    ]


def _ours_three_hop(data: Json) -> Json:
    township = data["node"]
    communities = []
    for e in township["parts"]["edges"]:
        community = e["node"]
        compounds = [
            {
                "id": c["node"]["entityId"],
                "name": c["node"]["name"],
                "managedBy": sorted(
                    (m["mode"], m["node"]["entityId"], m["node"]["name"])
                    for m in c["node"]["managedBy"]["edges"]
                ),
            }
            for c in community["parts"]["edges"]
        ]
        communities.append({"id": community["entityId"], "name": community["name"],
                            "compounds": compounds})  # fmt: skip
    shown = _by_id(communities)
    return {"id": township["entityId"], "name": township["name"], "communities": shown}


def _theirs_three_hop(data: Json) -> Json:
    found = data["townships"]
    if not found:
        return None
    township = found[0]
    communities = []
    for community in township["communities"]:
        compounds = [
            {
                "id": c["id"],
                "name": c["name"],
                "managedBy": sorted(
                    (m["properties"]["mode"], m["node"]["id"], m["node"]["name"])
                    for m in c["managedByConnection"]["edges"]
                ),
            }
            for c in community["compounds"]
        ]
        communities.append({"id": community["id"], "name": community["name"],
                            "compounds": compounds})  # fmt: skip
    return {"id": township["id"], "name": township["name"], "communities": _by_id(communities)}


def _cypher_three_hop(records: list[dict[str, Any]]) -> Json:
    if not records:
        return None
    (t,) = records
    communities = [
        {
            "id": c["id"],
            "name": c["name"],
            "compounds": [
                {
                    "id": k["id"],
                    "name": k["name"],
                    "managedBy": sorted(tuple(m) for m in k["managedBy"]),
                }
                for k in c["compounds"]
            ],
        }
        for c in t["communities"]
    ]
    return {"id": t["id"], "name": t["name"], "communities": _by_id(communities)}


#: ``three_hop`` as one hand-written Cypher statement: compounds in each community by name, then
#: id, as ours (orderBy name; the link id breaks ties, which the demo's names never need) and
#: the anchor's (sort name, id)
THREE_HOP_CYPHER = """
MATCH (t:Township {id: $id})
RETURN t.id AS id, t.name AS name, COLLECT {
  MATCH (t)<-[:PART_OF]-(c:Community)
  RETURN {id: c.id, name: c.name, compounds: COLLECT {
    MATCH (c)<-[:PART_OF]-(k:Compound)
    WHERE EXISTS { (k)<-[:MANAGES]-(:PropertyCompany)<-[:EMPLOYED_BY]-(:Person)
                   -[:HOLDS_POST]->(:OwnersCommittee) }
    WITH k ORDER BY k.name, k.id LIMIT 100
    RETURN {id: k.id, name: k.name, managedBy: COLLECT {
      MATCH (k)<-[m:MANAGES]-(pc:PropertyCompany) RETURN [m.mode, pc.id, pc.name]
    }}
  }}
} AS communities
"""


# --- the documents -----------------------------------------------------------------------------
_COMPOUND_FIELDS = "name isOld builtYear households deliveredAreaRatio investmentYuan"

_COUNTS_THEIRS = (
    "query Counts { "
    + " ".join(
        f"{kind}: {many}Connection {{ aggregate {{ count {{ nodes }} }} }}"
        for kind, many in KIND_PLURALS.items()
    )
    + " }"
)

REFERENCES: tuple[Reference, ...] = (
    Reference(
        "lookup",
        "lookup by id (one compound)",
        f"query Lookup($id: ID!) {{ node(id: $id) {{ ... on Compound {{ entityId "
        f"{_COMPOUND_FIELDS} }} }} }}",
        f"query Lookup($id: ID!) {{ compounds(where: {{id: {{eq: $id}}}}) {{ id "
        f"{_COMPOUND_FIELDS} }} }}",
        _ours_lookup,
        _theirs_lookup,
        ("compound",),
    ),
    Reference(
        "filtered",
        "filtered list (old compounds built since 1980, by name, 20)",
        "query Filtered { compounds(first: 20, where: {isOld: {eq: true}, builtYear: {gte: 1980}}, "
        "orderBy: [{field: NAME, direction: ASC}]) { edges { node { entityId name builtYear "
        "households } } } }",
        "query Filtered { compounds(limit: 20, where: {isOld: {eq: true}, builtYear: {gte: 1980}}, "
        "sort: [{name: ASC}, {id: ASC}]) { id name builtYear households } }",
        _ours_filtered,
        _theirs_filtered,
    ),
    Reference(
        "nested3",
        "three levels: community > compounds > Party branches > post holders (role, name)",
        "query Nested($id: ID!) { node(id: $id) { ... on Community { entityId name "
        "parts(first: 50) { edges { node { ... on Compound { entityId name "
        "coveredBy(first: 10) { edges { node { ... on PartyBranch { entityId name form "
        "postHolders(first: 30) { edges { role node { ... on Person { entityId name } } } } "
        "} } } } } } } } } } }",
        "query Nested($id: ID!) { communities(where: {id: {eq: $id}}) { id name "
        "compounds { id name coveredBy { id name form "
        "postHoldersConnection { edges { properties { role } node { id name } } } } } } }",
        _ours_nested,
        _theirs_nested,
        ("community",),
    ),
    Reference(
        "connection",
        "connection with totalCount and pageInfo (Party branches of one form, 10)",
        "query Conn($form: String!) { partyBranches(first: 10, where: {form: {eq: $form}}) { "
        "totalCount pageInfo { hasNextPage endCursor } edges { node { entityId name form } } } }",
        "query Conn($form: String!) { partyBranchesConnection(first: 10, "
        "where: {form: {eq: $form}}, sort: [{id: ASC}]) { totalCount pageInfo { hasNextPage "
        "endCursor } edges { node { id name form } } } }",
        _ours_connection,
        _theirs_connection,
        ("form",),
    ),
    Reference(
        "counts",
        "count aggregate: nodes of every kind",
        "query Counts { counts { nodes { kind count } } }",
        _COUNTS_THEIRS,
        _ours_counts,
        _theirs_counts,
    ),
    Reference(
        "no_branch",
        "relationship filter: compounds with no Party branch (totalCount, first 100)",
        "query NoBranch { compounds(first: 100, where: {has: [{kind: COVERS, direction: IN, "
        "exists: false, neighbourKind: PartyBranch}]}) { totalCount edges { node { entityId "
        "name } } } }",
        "query NoBranch { compoundsConnection(first: 100, where: {coveredByConnection: "
        "{aggregate: {count: {nodes: {eq: 0}}}}}, "
        "sort: [{id: ASC}]) { totalCount edges { node { id name } } } }",
        _ours_no_branch,
        _theirs_no_branch,
    ),
    Reference(
        "two_hop",
        "through three links: compounds whose owners' committee has a member employed by a "
        "property company, with the members (name, role) and their employers",
        "query TwoHop { compounds(first: 100, orderBy: [{field: NAME}], where: {representedBy: "
        "{some: {node: {OwnersCommittee: {postHolders: {some: {node: {employedBy: {some: {}}}}}}}"
        "}}}) { edges { node { entityId name representedBy(first: 2) { edges { node { "
        "... on OwnersCommittee { entityId name postHolders(first: 30) { edges { role node { "
        "... on Person { entityId name employedBy(first: 3) { edges { role node { "
        "... on PropertyCompany { entityId name } } } } } } } } } } } } } } } }",
        "query TwoHop { compounds(limit: 100, where: {representedBy: {some: {postHolders: "
        '{some: {employedBy: {some: {id: {startsWith: ""}}}}}}}}, sort: [{name: ASC}, '
        "{id: ASC}]) { id name representedBy { id name postHoldersConnection { edges { "
        "properties { role } node { id name employedByConnection { edges { properties { role } "
        "node { id name } } } } } } } } }",
        _ours_two_hop,
        _theirs_two_hop,
        cypher=TWO_HOP_CYPHER,
        normalize_cypher=_cypher_two_hop,
    ),
    Reference(
        "three_hop",
        "a township's communities, their compounds managed by a company with an employee on an "
        "owners' committee (a filter three links deep on a link field), and the companies",
        "query ThreeHop($id: ID!) { node(id: $id) { ... on Township { entityId name "
        "parts(first: 50, where: {node: {Community: {}}}) { edges { node { "
        "... on Community { entityId name parts(first: 100, orderBy: [{node: NAME}], "
        "where: {node: {Compound: {managedBy: {some: {node: {PropertyCompany: {employees: "
        "{some: {node: {holdsPost: {some: {node: {OwnersCommittee: {}}}}}}}}}}}}}}) { edges { "
        "node { ... on Compound { entityId name managedBy(first: 5, where: {node: "
        "{PropertyCompany: {}}}) { edges { mode node { ... on PropertyCompany { entityId name "
        "} } } } } } } } } } } } } } }",
        "query ThreeHop($id: ID!) { townships(where: {id: {eq: $id}}) { id name communities { "
        "id name compounds(limit: 100, where: {managedBy: {some: {employees: {some: "
        '{committeePosts: {some: {id: {startsWith: ""}}}}}}}}, sort: [{name: ASC}, '
        "{id: ASC}]) { id name managedByConnection { edges { properties { mode } node { id "
        "name } } } } } } }",
        _ours_three_hop,
        _theirs_three_hop,
        ("township",),
        cypher=THREE_HOP_CYPHER,
        normalize_cypher=_cypher_three_hop,
    ),
)

BY_NAME: dict[str, Reference] = {r.name: r for r in REFERENCES}
