"""At start the app works out, in the background, what the console's first page asks
(``api/warm.py``): ``/readyz`` says how far it is, the projection is built before any request,
and the answers are those of an app that did not warm up. A warm-up that fails (Neo4j down at
start): tests/api/test_app.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app_support import warmed
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.graph.embedded import EmbeddedStore
from govgraph.graph.privacy import Role
from govgraph.loaders.demo import load_demo

Run = Callable[[Awaitable[Any]], Any]

OVERVIEW = """{ dataSpan { last }
  coverageSummary(level: CITY, asOf: "2021-05-31", first: 5) {
    items { place branch { count total } } }
  coverageGaps(asOf: "2021-05-31") { totalCount }
  coverageTrend(until: "2021-05-31") { date branch { count total } serviceStation { rate } } }"""
HEADERS = {"x-api-key": "k"}


def test_the_first_page_is_worked_out_before_it_is_asked(run: Run) -> None:
    store = EmbeddedStore()
    run(load_demo(store))
    answers = []
    for on in (True, False):
        app = create_app(Settings(warm_analytics=on, api_keys={"k": Role.DEPARTMENT}), store=store)
        with TestClient(app) as client:
            if on:
                assert warmed(client)["state"] == "done"
                # built by the warm-up, before anyone asked
                assert app.state.analytics.stats.builds == 1
            else:
                assert client.get("/readyz").json()["analytics"] == {"state": "idle"}
                assert app.state.analytics.stats.builds == 0
            r = client.post("/graphql", json={"query": OVERVIEW}, headers=HEADERS)
            assert "errors" not in r.json(), r.json()
            answers.append(r.json()["data"])
            assert app.state.analytics.stats.builds == 1  # the request found it, or built it
    assert answers[0] == answers[1]
    assert len(answers[0]["coverageTrend"]) == 24
