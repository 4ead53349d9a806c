"""The fast lane (``api/fast_lane.py``) answers exactly as the normal way does.

The same requests, in the same order, go to two apps on their own embedded stores, one with the
fast lane and one without; status, content type and body must be equal for each. The requests
cover the lane's common case (queries, a mutation, variables, errors, roles) and everything it
hands on (bad JSON, other keys, streams, tokens refused, GET, other media types, batches), each
media type an Accept header may ask for (``application/graphql-response+json``, whose request
errors are 400 without ``data``, ``application/json``, or neither: 406), and a count shows the
lane answered the common ones. A small app of the same parts over a schema whose resolver uses
the context's request, sub-response and background tasks shows the lane gives it the same
context, applies the sub-response alike and runs the tasks.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import strawberry
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from strawberry.fastapi import BaseContext
from strawberry.types import Info

from govgraph.api import fast_lane
from govgraph.api.app import create_app
from govgraph.api.http_guard import GuardedGraphQLRouter
from govgraph.api.settings import Settings

#: the versions whose private code the lane mirrors (api/fast_lane.py's ``TESTED``)
VERSIONS = {"strawberry-graphql": "0.341.2", "fastapi": "0.165.0"}

KEY = {"x-api-key": "k"}
JSON = {"content-type": "application/json"}
#: a client of the GraphQL-over-HTTP spec
GQL = {**JSON, **KEY, "accept": "application/graphql-response+json"}
CREATE = (
    'mutation { createNode(input: {kind: Compound, id: "cmp-lane", props: {name: "示例小区"}}) '
    "{ __typename ... on NodePayload { node { id ... on Compound { name } } } } }"
)
NESTED = (
    "query Q($id: ID!, $n: Int) { node(id: $id) { id ... on Compound { name builtYear "
    "partOf(first: $n) { totalCount edges { since node { id } } } } } }"
)

#: (method, path, headers, body, answered by the lane)
REQUESTS: list[tuple[str, str, dict[str, str], Any, bool]] = [
    ("POST", "/graphql", {**JSON, **KEY}, {"query": "{ __typename }"}, True),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": CREATE}, True),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": CREATE}, True),  # a conflict now
    (
        "POST",
        "/graphql",
        {**JSON, **KEY},
        {"query": NESTED, "variables": {"id": "Compound:cmp-lane", "n": 5}},
        True,
    ),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": NESTED, "variables": {"n": 5}}, True),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": "{ node(id: 1 }"}, True),  # syntax
    ("POST", "/graphql", {**JSON, **KEY}, {"query": "{ noSuchField }"}, True),
    ("POST", "/graphql", JSON, {"query": "{ people { edges { node { id } } } }"}, True),  # public
    (
        "POST",
        "/graphql",
        {**JSON, **KEY},
        {"query": "query A { __typename } query B { __typename }", "operationName": "B"},
        True,
    ),
    (
        "POST",
        "/graphql",
        {**JSON, **KEY},
        {"query": "query A { __typename }", "operationName": "C"},
        False,
    ),
    (
        "POST",
        "/graphql",
        {**JSON, **KEY},
        {"query": "query A { a: __typename } query B { b }"},
        True,
    ),
    ("POST", "/graphql/", {**JSON, **KEY}, {"query": "{ __typename }"}, True),
    ("POST", "/graphql", {**JSON, **KEY}, b'{"query": "{ __typename }"', False),  # bad JSON
    ("POST", "/graphql", {**JSON, **KEY}, b'{"query": NaN}', False),
    ("POST", "/graphql", {**JSON, **KEY}, [{"query": "{ __typename }"}], False),  # a batch
    ("POST", "/graphql", {**JSON, **KEY}, {"query": None}, False),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": 12}, False),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": "{ __typename }", "variables": [1]}, False),
    (
        "POST",
        "/graphql",
        {**JSON, **KEY},
        {"query": "{ __typename }", "extensions": {"persistedQuery": {}}},
        False,
    ),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": "{ __typename }", "operationName": 3}, False),
    (
        "POST",
        "/graphql",
        {**JSON, **KEY, "accept": "multipart/mixed"},
        {"query": "{ __typename }"},
        False,
    ),
    (
        "POST",
        "/graphql",
        {**JSON, **KEY, "accept": "application/json"},
        {"query": "{ __typename }"},
        True,
    ),
    (
        "POST",
        "/graphql",
        {**JSON, "authorization": "Bearer not.a.token"},
        {"query": "{ __typename }"},
        False,
    ),
    ("POST", "/graphql", {**KEY, "content-type": "text/plain"}, {"query": "{ __typename }"}, False),
    ("POST", "/graphql?x=1", {**JSON, **KEY}, {"query": "{ __typename }"}, False),
    ("GET", "/graphql?query={__typename}", KEY, None, False),
    ("POST", "/graphql", {**JSON, **KEY}, {"query": "{ __schema { queryType { name } } }"}, True),
    # application/graphql-response+json: results 200, request errors 400 without data
    ("POST", "/graphql", GQL, {"query": "{ __typename }"}, True),
    ("POST", "/graphql", GQL, {"query": CREATE}, True),  # a conflict: a result, 200
    ("POST", "/graphql", GQL, {"query": "{ node(id: 1 }"}, True),  # syntax
    ("POST", "/graphql", GQL, {"query": "{ noSuchField }"}, True),  # validation
    ("POST", "/graphql", GQL, {"query": NESTED, "variables": {"n": 5}}, True),  # $id missing
    (
        "POST",
        "/graphql",
        GQL,
        {"query": NESTED, "variables": {"id": "Compound:cmp-lane", "n": "five"}},
        True,
    ),  # a variable of the wrong type
    ("POST", "/graphql", GQL, {"query": "{ a: __typename " + "b: __typename " * 20 + "}"}, True),
    (
        "POST",
        "/graphql",
        {**JSON, "accept": GQL["accept"]},
        {"query": '{ conflictsOfInterest(asOf: "2021-05-31") { totalCount } }'},
        True,
    ),  # forbidden to the public: a field error, 200
    ("POST", "/graphql", GQL, {"query": "query A { __typename } query B { b }"}, True),
    ("POST", "/graphql", GQL, {"query": "query A { __typename }", "operationName": "C"}, False),
    ("POST", "/graphql", GQL, b'{"query": "{ __typename }"', False),  # bad JSON
    ("POST", "/graphql", GQL, {"query": None}, False),
    ("GET", "/graphql?query={__typename}", GQL, None, False),
    ("GET", "/graphql?query={noSuchField}", GQL, None, False),
    # the Accept header's choice
    *(
        ("POST", "/graphql", {**JSON, **KEY, "accept": accept}, {"query": "{ noSuchField }"}, True)
        for accept in (
            "application/json, application/graphql-response+json",
            "application/graphql-response+json;q=0.9, application/json",
            "application/graphql-response+json;q=0.5, */*;q=0.1",
            "application/graphql-response+json; charset=utf-8",
            "*/*",
            "application/*",
            "text/html, */*;q=0.8",
            "multipart/mixed;deferSpec=20220824, application/json",
            "application/graphql-response+json;q=2, application/json",
        )
    ),
    *(
        ("POST", "/graphql", {**JSON, **KEY, "accept": accept}, {"query": "{ __typename }"}, False)
        for accept in (
            "text/html",
            "application/json;q=0",
            "application/graphql-response+json;q=0, text/plain",
            "application/xml",
        )
    ),
    ("POST", "/graphql", {**JSON, "accept": "text/html"}, b"{not json", False),
    ("GET", "/graphql?query={__typename}", {**KEY, "accept": "text/html"}, None, False),
]


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bodies of the requests the fast lane answered itself."""
    bodies: list[bytes] = []
    real = fast_lane.FastLane._answer

    async def counted(self: fast_lane.FastLane, scope: Any, body: bytes, receive: Any) -> Any:
        out = await real(self, scope, body, receive)
        bodies.append(body)
        return out

    monkeypatch.setattr(fast_lane.FastLane, "_answer", counted)
    return bodies


def test_the_tested_versions_are_installed() -> None:
    installed = {name: version(name) for name in VERSIONS}
    assert fast_lane.TESTED == VERSIONS
    assert installed == VERSIONS, (
        f"api/fast_lane.py mirrors private code of {VERSIONS}, but {installed} is installed: "
        "review _sub_response, _view_answer and the call of router.context_getter against the "
        "new versions, then update TESTED there and VERSIONS here"
    )


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    def settings(name: str, lane: bool) -> Settings:
        return Settings(
            store="embedded",
            data_path=tmp_path / f"{name}.jsonl",
            api_keys={"k": "department"},
            jwt_secret="a-secret-long-enough-for-hs256-tokens",
            graphql_fast_lane=lane,
        )

    with (
        TestClient(create_app(settings("lane", True))) as lane,
        TestClient(create_app(settings("normal", False))) as normal,
    ):
        yield lane, normal


def _send(client: TestClient, method: str, path: str, headers: dict[str, str], body: Any) -> Any:
    content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    r = client.request(method, path, headers=headers, content=content)
    kind = r.headers.get("content-type", "")
    payload = r.json() if kind.startswith("application/json") else r.text
    return r.status_code, kind, payload, r.headers.get("www-authenticate")


def test_the_fast_lane_answers_as_the_normal_way(
    clients: tuple[TestClient, TestClient], answered: list[bytes]
) -> None:
    lane, normal = clients
    for method, path, headers, body, by_lane in REQUESTS:
        before = len(answered)
        got = _send(lane, method, path, headers, body)
        expected = _send(normal, method, path, headers, body)
        assert got == expected, (method, path, body)
        assert (len(answered) > before) == by_lane, (method, path, body)
    assert len(answered) == sum(r[4] for r in REQUESTS)


def test_a_body_in_several_parts_is_read_whole(tmp_path: Path, answered: list[bytes]) -> None:
    """The lane reads every ``http.request`` message of a body; a disconnect in the middle
    hands the request on with what was read."""
    import asyncio

    import httpx

    app = create_app(  # the fast lane on, whatever the environment says: it is under test
        Settings(
            store="embedded",
            data_path=tmp_path / "g.jsonl",
            api_keys={"k": "department"},
            graphql_fast_lane=True,
        )
    )
    text = json.dumps({"query": "{ __typename a: __typename }"}).encode()

    async def parts() -> Any:
        for i in range(0, len(text), 7):
            yield text[i : i + 7]

    async def main() -> httpx.Response:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.post("/graphql", content=parts(), headers={**JSON, **KEY})

    r = asyncio.run(main())
    assert r.status_code == 200
    assert r.json() == {"data": {"__typename": "Query", "a": "Query"}}
    assert answered == [text]

    # a disconnect before the body is complete: handed on (and nothing answered by the lane)
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": text[:5], "more_body": True},
        {"type": "http.disconnect"},
    ]
    seen: list[dict[str, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())
        seen.append(await receive())

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        raise AssertionError("the lane answered a request it did not read whole")

    lane = fast_lane.FastLane(inner, path="/graphql", schema=None, router=None, context_getter=None)  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(lane(scope, receive, send))
    assert seen == [
        {"type": "http.request", "body": text[:5], "more_body": True},
        {"type": "http.disconnect"},
    ]
    assert answered == [text]


#: what the background tasks of the probe app's requests did, in order
done: list[str] = []


class ProbeContext(BaseContext):
    def __init__(self, caller: str) -> None:
        super().__init__()
        self.caller = caller


async def object_context(request: Request) -> ProbeContext:
    return ProbeContext(request.headers.get("x-caller", "nobody"))


async def dict_context(request: Request) -> dict[str, Any]:
    return {"caller": request.headers.get("x-caller", "nobody")}


@strawberry.type
class ProbeQuery:
    @strawberry.field
    async def probe(self, info: Info, status: int | None = None) -> str:
        """Uses each part of the context the router gives: its request (a header and the
        body), its sub-response (a header, a status) and its background tasks."""
        context = info.context
        part = context.get if isinstance(context, dict) else lambda name: getattr(context, name)
        request, response = part("request"), part("response")
        tag = request.headers["x-tag"]
        response.headers["x-probe"] = f"seen {tag}"
        if status is not None:
            response.status_code = status
        part("background_tasks").add_task(done.append, tag)
        body = json.loads(await request.body())
        return f"{part('caller')} {tag} {request.method} {request.url.path} {sorted(body)}"

    @strawberry.field
    def fails(self) -> str:
        raise ValueError("a field error")


def probe_app(getter: Callable[[Request], Awaitable[Any]], lane: bool) -> FastAPI:
    """The app's GraphQL parts (api/app.py) over the probe schema, with or without the lane."""
    schema = strawberry.Schema(query=ProbeQuery)
    app = FastAPI()
    router = GuardedGraphQLRouter(schema, context_getter=getter)
    app.include_router(router, prefix="/graphql")
    if lane:
        app.add_middleware(
            fast_lane.FastLane, path="/graphql", schema=schema, router=router, context_getter=getter
        )
    return app


@pytest.mark.parametrize("getter", [object_context, dict_context])
def test_the_lane_gives_the_routers_context(
    getter: Callable[[Request], Awaitable[Any]], answered: list[bytes]
) -> None:
    """Same status, headers (in order) and body both ways, and the background task ran once
    each way, for results, a field error and a request error, in each media type."""
    lane, normal = TestClient(probe_app(getter, True)), TestClient(probe_app(getter, False))
    requests: list[tuple[dict[str, str], dict[str, Any]]] = [
        ({}, {"query": "{ probe }"}),
        ({"x-caller": "ana"}, {"query": "{ probe(status: 202) }"}),
        ({}, {"query": "query P($s: Int) { probe(status: $s) }", "variables": {"s": 299}}),
        ({}, {"query": "{ probe fails }"}),
        ({}, {"query": "{ nothing }"}),  # a request error: no resolver runs, no task
    ]
    media_types = ("application/json", "application/graphql-response+json")
    for i, (headers, payload) in enumerate(requests):
        for accept in media_types:
            tag = f"{i}-{accept}"
            sent = {**headers, "x-tag": tag, "accept": accept}
            done.clear()
            got = lane.post("/graphql", json=payload, headers=sent)
            expected = normal.post("/graphql", json=payload, headers=sent)
            assert got.status_code == expected.status_code, (payload, accept)
            assert got.headers.multi_items() == expected.headers.multi_items(), (payload, accept)
            assert got.content == expected.content, (payload, accept)
            assert done == ([] if "nothing" in payload["query"] else [tag, tag])
    assert len(answered) == len(requests) * len(media_types)
    # what the resolver saw and did, through the lane
    r = lane.post(
        "/graphql",
        json={"query": "{ probe(status: 202) }"},
        headers={"x-tag": "t", "x-caller": "ana"},
    )
    assert (r.status_code, r.headers["x-probe"]) == (202, "seen t")
    assert r.json() == {"data": {"probe": "ana t POST /graphql ['query']"}}
