"""Mutations. Each is all-or-nothing (one store batch), and expected failures are part of the
schema as union members, so clients handle them by type rather than by parsing messages.

Each may be sent again as it was after an unknown outcome (``COMMIT_OUTCOME_UNKNOWN``, a
``TIMEOUT``): a second application leaves what the first left and answers with the payload
(upserts replace, deletes ignore what is gone, ``createNode`` accepts the same node again).

No ``from __future__ import annotations`` here: Strawberry reads these annotations at runtime.
"""

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from ..graph.errors import ConflictError, ForbiddenError, Problem, ValidationError
from ..graph.model import Link, Node, node, parse_link_id
from ..graph.port import WriteBatch
from .limits import MAX_IDS, TOO_MANY_IDS, too_many
from .types import LinkKindEnum, NodeInterface, NodeKindEnum, entity_id, to_object


@strawberry.type(description="One thing wrong with the input.")
class FieldProblem:
    subject: str
    field: str
    value: str | None
    expected: str


@strawberry.type(description="The input does not fit the domain model; nothing was written.")
class ValidationFailed:
    message: str
    problems: list[FieldProblem]


@strawberry.type(description="Something the write refers to does not exist; nothing was written.")
class NotFound:
    message: str
    ids: list[str]


@strawberry.type(description="The write contradicts what is stored; nothing was written.")
class Conflict:
    message: str


@strawberry.type(description="The caller's role may not do this; nothing was written.")
class Forbidden:
    message: str


@strawberry.type(description="The node as written.")
class NodePayload:
    node: NodeInterface


@strawberry.type(
    description="What a write did: every record upserted, and the links and nodes this call "
    "deleted (none that an earlier attempt of the same write deleted already)."
)
class WritePayload:
    nodes_written: int
    links_written: int
    links_deleted: int
    nodes_deleted: int


NodeResult = Annotated[
    NodePayload | ValidationFailed | NotFound | Conflict | Forbidden,
    strawberry.union("NodeResult"),
]
WriteResult = Annotated[
    WritePayload | ValidationFailed | NotFound | Conflict | Forbidden,
    strawberry.union("WriteResult"),
]


@strawberry.input(description="A node to create or replace.")
class NodeInput:
    kind: NodeKindEnum
    id: str
    props: JSON | None = strawberry.field(
        default=None, description='properties by their English names, e.g. {"name": "云北苑小区"}'
    )


@strawberry.input(description="A link to create or replace (its id is derived from these).")
class LinkInput:
    kind: LinkKindEnum
    source: strawberry.ID
    target: strawberry.ID
    key: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    source_ref: str | None = strawberry.field(
        default=None, description="where the fact comes from (the link's `source` property)"
    )
    props: JSON | None = strawberry.field(default=None, description="other link properties")


def _failure(exc: Exception) -> Any:
    if isinstance(exc, ValidationError):
        return ValidationFailed(
            message=str(exc),
            problems=[
                FieldProblem(
                    subject=p.subject,
                    field=p.field,
                    value=None if p.value is None else str(p.value),
                    expected=p.expected,
                )
                for p in exc.problems
            ],
        )
    if isinstance(exc, ConflictError):
        return Conflict(message=str(exc))
    if isinstance(exc, ForbiddenError):
        return Forbidden(message=str(exc))
    raise exc


def _object(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(Problem(what, "props", value, "an object of property: value"))
    return dict(value)


def _node_of(i: NodeInput) -> Node:
    return Node(i.id, i.kind.value, _object(i.props, f"{i.kind.value} {i.id!r}"))


def _checked(n: Node) -> Node:
    """``n`` as the store writes it (typed properties, empty ones dropped); ValidationError
    listing what is wrong otherwise."""
    return node(n.kind, n.id, **n.props)


def _link_of(i: LinkInput) -> Link:
    props = _object(i.props, f"{i.kind.value} link")
    for name, value in (("since", i.since), ("until", i.until), ("source", i.source_ref)):
        if value is not None:
            props[name] = value
    return Link(i.kind.value, entity_id(i.source), entity_id(i.target), props, i.key or "")


def batch_of(
    nodes: list[NodeInput] | None,
    links: list[LinkInput] | None,
    delete_link_ids: list[strawberry.ID] | None,
    delete_node_ids: list[strawberry.ID] | None,
) -> WriteBatch:
    """The batch applyBatch writes (``whatIf`` evaluates the same one, schema/console.py)."""
    batch = WriteBatch(
        nodes=[_node_of(n) for n in nodes or []],
        links=[_link_of(lk) for lk in links or []],
        delete_links=[str(i) for i in delete_link_ids or []],
        delete_nodes=[entity_id(i) for i in delete_node_ids or []],
    )
    _no_link_to_deleted(batch)
    return batch


def _no_link_to_deleted(batch: WriteBatch) -> None:
    """Refuse a link to a node the same batch deletes. It would go with the node, and such a
    batch could not be sent again once applied: the link's end would be missing."""
    deleted = set(batch.delete_nodes)
    expected = "a node this batch does not delete (deleteNodeIds)"
    problems = [
        Problem(f"{lk.kind} {lk.source!r}->{lk.target!r}", "endpoint", end, expected)
        for lk in batch.links
        for end in dict.fromkeys((lk.source, lk.target))
        if end in deleted
    ]
    if problems:
        raise ValidationError(problems)


#: records in one mutation: a bigger write is a bulk load, for ``govgraph import``
MAX_BATCH = 10_000


async def _write(info: Info, batch: WriteBatch) -> Any:
    if len(batch) > MAX_BATCH:
        expected = f"at most {MAX_BATCH} records in one mutation (govgraph import takes more)"
        return ValidationFailed(
            message=f"{len(batch)} records in one mutation; nothing was written",
            problems=[
                FieldProblem(
                    subject="batch", field="size", value=str(len(batch)), expected=expected
                )
            ],
        )
    try:
        r = await info.context.store.apply(batch)
    except (ValidationError, ConflictError, ForbiddenError) as exc:
        return _failure(exc)
    return WritePayload(
        nodes_written=r.nodes_written,
        links_written=r.links_written,
        links_deleted=r.links_deleted,
        nodes_deleted=r.nodes_deleted,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a node; Conflict if the id holds another node. The same node "
        "(kind and properties) stored already is answered as created, so a create whose "
        "answer was lost may be sent again."
    )
    async def create_node(self, info: Info, input: NodeInput) -> NodeResult:
        store = info.context.store
        try:
            store.ensure_can_write()
            new = _checked(_node_of(input))
            old = (await store.get_nodes([new.id])).get(new.id)
            if old is not None:
                if old.kind == new.kind and dict(old.props) == dict(new.props):
                    return NodePayload(node=to_object(old))  # this create, sent again
                return Conflict(
                    message=f"a node with id {new.id!r} exists, of another kind or with other "
                    "properties; use updateNode"
                )
            await store.apply(WriteBatch(nodes=[new]))
        except (ValidationError, ConflictError, ForbiddenError) as exc:
            return _failure(exc)  # type: ignore[no-any-return]
        return NodePayload(node=to_object(new))

    @strawberry.mutation(
        description="Change some properties of a node; a null value removes that property. "
        "The same change sent again leaves the same node."
    )
    async def update_node(self, info: Info, id: strawberry.ID, props: JSON) -> NodeResult:
        store = info.context.store
        key = entity_id(id)
        try:
            store.ensure_can_write()
            found = await store.get_nodes([key])
            if key not in found:
                return NotFound(message=f"no node with id {key!r}", ids=[key])
            old = found[key]
            # a null value is dropped as absent, so it removes the property
            new = _checked(
                Node(key, old.kind, {**old.props, **_object(props, f"{old.kind} {key!r}")})
            )
            await store.apply(WriteBatch(nodes=[new]))
        except (ValidationError, ConflictError, ForbiddenError) as exc:
            return _failure(exc)  # type: ignore[no-any-return]
        return NodePayload(node=to_object(new))

    @strawberry.mutation(
        description="Delete nodes and their links; unknown ids are ignored (so it may be sent "
        "again)."
    )
    async def delete_nodes(self, info: Info, ids: list[strawberry.ID]) -> WriteResult:
        too_many(TOO_MANY_IDS, len(ids), MAX_IDS, subject="deleteNodes", field="ids", zh="节点 id")
        return await _write(info, WriteBatch(delete_nodes=[entity_id(i) for i in ids]))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Create or replace links (all or none); the same links again change nothing."
    )
    async def link(self, info: Info, links: list[LinkInput]) -> WriteResult:
        return await _write(info, WriteBatch(links=[_link_of(i) for i in links]))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Delete links by link id; unknown ids are ignored (so it may be sent again)."
    )
    async def unlink(self, info: Info, link_ids: list[strawberry.ID]) -> WriteResult:
        too_many(
            TOO_MANY_IDS, len(link_ids), MAX_IDS, subject="unlink", field="linkIds", zh="连接 id"
        )
        try:
            for lid in link_ids:
                parse_link_id(lid)
        except ValidationError as exc:
            return _failure(exc)  # type: ignore[no-any-return]
        return await _write(info, WriteBatch(delete_links=[str(i) for i in link_ids]))  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="One all-or-nothing batch: upsert nodes and links, then delete links and "
        "nodes. No link may end at a node the batch deletes; the same batch sent again leaves "
        "what it left once."
    )
    async def apply_batch(
        self,
        info: Info,
        nodes: list[NodeInput] | None = None,
        links: list[LinkInput] | None = None,
        delete_link_ids: list[strawberry.ID] | None = None,
        delete_node_ids: list[strawberry.ID] | None = None,
    ) -> WriteResult:
        try:
            batch = batch_of(nodes, links, delete_link_ids, delete_node_ids)
            for lid in batch.delete_links:
                parse_link_id(lid)
        except ValidationError as exc:
            return _failure(exc)  # type: ignore[no-any-return]
        return await _write(info, batch)  # type: ignore[no-any-return]
