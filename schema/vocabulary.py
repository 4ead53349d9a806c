"""``vocabulary``: every code a client shows, with its Chinese label, read from the one place
each is defined (the ontology's kinds and choices, the rules and their severities), so a
frontend keeps no copy of the domain's terms.

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import dataclasses
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from ..graph.analytics.discreet import withheld
from ..graph.analytics.engine import SEVERITIES, SEVERITY_LABELS_ZH
from ..graph.analytics.rules import RULES
from ..graph.ontology import CHOICE_LABELS_ZH, LINK_KINDS, NODE_KINDS, LinkKind, NodeKind
from ..graph.privacy import Role


@strawberry.type(description="A code and how it reads.")
class Term:
    code: str
    zh: str
    en: Optional[str] = None


@strawberry.type(description="A coverage or compliance rule, as the findings cite it.")
class RuleInfo:
    id: str
    title_zh: str
    title_en: str
    source: str
    national: bool = strawberry.field(description="the source is national law or Party rules")


@strawberry.type(description="The codes one enumerated property accepts.")
class ChoiceSet:
    owner: str = strawberry.field(description="Kind.property, e.g. HOLDS_POST.role")
    codes: list[str]


@strawberry.type(description="The labels of every code the API returns.")
class Vocabulary:
    node_kinds: list[Term]
    link_kinds: list[Term]
    choices: list[Term] = strawberry.field(description="the values of enumerated properties")
    severities: list[Term] = strawberry.field(
        description="code as in the Severity enum, most serious first"
    )
    rules: list[RuleInfo]
    choice_sets: list[ChoiceSet] = strawberry.field(
        description="which codes each enumerated property takes"
    )


def _english(code: str) -> str:
    return code.replace("_", " ")


def _choice_sets() -> list[ChoiceSet]:
    kinds: list[NodeKind | LinkKind] = [*NODE_KINDS.values(), *LINK_KINDS.values()]
    return [
        ChoiceSet(owner=f"{k.name}.{p.name}", codes=list(p.choices))
        for k in kinds
        for p in k.props
        if p.choices
    ]


def _vocabulary() -> Vocabulary:
    return Vocabulary(
        node_kinds=[Term(code=k.name, zh=k.label_zh, en=k.name) for k in NODE_KINDS.values()],
        link_kinds=[
            Term(code=k.name, zh=k.label_zh, en=_english(k.name.lower()))
            for k in LINK_KINDS.values()
        ],
        choices=[Term(code=c, zh=zh, en=_english(c)) for c, zh in CHOICE_LABELS_ZH.items()],
        severities=[Term(code=s.name, zh=SEVERITY_LABELS_ZH[s], en=s.value) for s in SEVERITIES],
        rules=[
            RuleInfo(
                id=r.id,
                title_zh=r.title_zh,
                title_en=r.title_en,
                source=r.source,
                national=r.national,
            )
            for r in RULES.values()
        ],
        choice_sets=_choice_sets(),
    )


VOCABULARY = _vocabulary()  # built once: it changes only with the code
#: what a role given the discreet rule run reads: the rules it may ask for
DISCREET_VOCABULARY = dataclasses.replace(
    VOCABULARY, rules=[r for r in VOCABULARY.rules if not withheld(r.id)]
)


def vocabulary(info: Info) -> Vocabulary:
    """The labels; the rules are those the caller's role may ask for (a researcher or the
    public are not given P8: graph/analytics/discreet.py)."""
    return VOCABULARY if info.context.role is Role.DEPARTMENT else DISCREET_VOCABULARY


def vocabulary_fields() -> dict[str, Any]:
    """The root field ``vocabulary``; every role may read it (it holds no data)."""
    return {
        "vocabulary": strawberry.field(
            resolver=vocabulary, description="Labels of every code: kinds, choices, rules."
        )
    }
