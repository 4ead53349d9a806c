"""The enums and names generated from the ontology that both the object types (``types.py``) and
the filter inputs (``filters.py``) use: here, so that the types may take the inputs as arguments
without the two modules importing each other.

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import enum
from typing import Any

import strawberry

from ..graph.ontology import LINK_KINDS, NODE_KINDS


def make_enum(name: str, members: dict[str, str], description: str | None = None) -> Any:
    """A GraphQL enum generated from ontology names (typed ``Any``: it is built at runtime)."""
    cls: Any = enum.Enum(name, members)  # type: ignore[misc]  # a generated enum
    return strawberry.enum(cls, description=description)


NodeKindEnum = make_enum(
    "NodeKind", {k: k for k in NODE_KINDS}, "The kinds of node in the ontology."
)
LinkKindEnum = make_enum(
    "LinkKind", {k: k for k in LINK_KINDS}, "The kinds of link in the ontology."
)


@strawberry.enum(description="Which way to follow a link.")
class LinkDirection(enum.Enum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


def pascal(name: str) -> str:
    return "".join(w.title() for w in name.lower().split("_"))


def match_input_name(kind: str, field: str) -> str:
    """``<Kind><Field>Match``: one link of a link field and its neighbour (a quantifier's
    condition in a ``where``, and the ``where`` of the link field itself)."""
    return f"{kind}{field[0].upper()}{field[1:]}Match"


def link_order_name(field: str) -> str:
    """``<Field>Order``: one sort key of a link field's page (``PostHoldersOrder``)."""
    return f"{field[0].upper()}{field[1:]}Order"
