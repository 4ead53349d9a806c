"""Counts by place: ``aggregate(groupBy: COMMUNITY, asOf: ...) { compounds(where: ...) { ... } }``.

The root field picks the place level and the day; under it, one field per node kind that can lie
under a place, each with that kind's own ``where`` input, so one request can count several kinds
by the same places. Each kind's field is one store call (:meth:`GraphStore.aggregate`).

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import datetime as dt
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from ..graph.ontology import NODE_KINDS
from ..graph.places import PLACE_LEVELS, levels_of
from .analytics import PlaceLevel
from .filters import WHERE_INPUTS, to_filter
from .limits import COST
from .paging import page_size
from .types import Private, global_id, plural

#: the fixed cost (schema/limits.py) of one kind's counts: the store reads every node of the
#: kind and its chains of locating links, however few places come back
AGGREGATE_COST = 100

#: the place level enum is the analytics' one (one PlaceLevel in the schema), read as kinds
LEVEL_KINDS: dict[PlaceLevel, str] = {PlaceLevel[kind.upper()]: kind for kind in PLACE_LEVELS}


@strawberry.type(description="How many nodes lie under one place.")
class PlaceCount:
    id: strawberry.ID = strawberry.field(description="the place's global id: Kind:entityId")
    entity_id: str = strawberry.field(description="the place's id in the store")
    name: str | None
    count: int


@strawberry.type(description="How many nodes of one kind lie under each place of the level.")
class PlaceCounts:
    places: list[PlaceCount] = strawberry.field(
        description="every place of the level, zeros included: most first, then by id"
    )
    unplaced: int = strawberry.field(
        description="matching nodes under no place of the level (no valid chain of links)"
    )
    has_more: bool = strawberry.field(description="more places follow than `first` returned")


def _kind_resolver(kind: str) -> Any:
    where_type = WHERE_INPUTS[kind]

    async def resolve(
        root: strawberry.Parent[Any],
        info: Info,
        where: where_type | None = None,  # type: ignore[valid-type]  # generated
        first: int = 20,
    ) -> PlaceCounts:
        found = await info.context.store.aggregate(
            kind,
            group_by=root.group_by,
            where=to_filter(kind, where),
            as_of=root.as_of,
            first=page_size(info, first),
        )
        return PlaceCounts(
            places=[
                PlaceCount(
                    id=strawberry.ID(global_id(found.group_by, p.place_id)),
                    entity_id=p.place_id,
                    name=p.name,
                    count=p.count,
                )
                for p in found.places
            ],
            unplaced=found.unplaced,
            has_more=found.has_more,
        )

    return resolve


def _aggregates_type() -> type:
    ns: dict[str, Any] = {
        "__annotations__": {"group_by": Private[str], "as_of": Private[Optional[dt.date]]},
    }
    for kind, spec in NODE_KINDS.items():
        levels = levels_of(kind)
        if not levels:
            continue  # lies under no place (City)
        ns[plural(kind)] = strawberry.field(
            resolver=_kind_resolver(kind),
            description=f"{spec.label_zh}: how many {kind} nodes lie under each place "
            f"(grouped by {', '.join(levels)}).",
            metadata={COST: AGGREGATE_COST},
        )
    return strawberry.type(
        type("Aggregates", (), ns),
        description="Counts of each kind by place. A node lies under the places its chains of "
        "locating links (PART_OF, COVERS, MANAGES, HELD_BY, ...) reach, and counts once in each.",
    )


Aggregates = _aggregates_type()


async def aggregate(
    info: Info,
    group_by: PlaceLevel,
    as_of: dt.date | None = None,
) -> Any:
    """Counts by place; ``asOf`` keeps the links valid on that day (chains and filters)."""
    return Aggregates(group_by=LEVEL_KINDS[group_by], as_of=as_of)


aggregate.__annotations__["return"] = Aggregates
