"""Data with several cities: the overview picks one or sums them all, and "where the gaps are"
opens on the cities. The demo holds one city; a second, small one is added for these tests and
removed after them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import LiveApp
from playwright.sync_api import Page, expect
from test_console import DAY, api, open_console

from govgraph.graph.model import link, node

pytestmark = pytest.mark.browser

SINCE = dt.date(2010, 1, 1)
ADDED = ["city-second", "town-second", "comm-second", "cmp-second-1", "cmp-second-2"]
CITIES = """query($d: Date) {
  coverageSummary(level: CITY, asOf: $d, first: 100) {
    items { place name compounds branch { count total rate } } }
  coverageGaps(asOf: $d) { totalCount } }"""


@pytest.fixture
def second_city(live_app: LiveApp) -> Iterator[None]:
    store = live_app.app.state.store
    nodes = [
        node("City", "city-second", name="第二市"),
        node("Township", "town-second", name="东湖街道"),
        node("Community", "comm-second", name="湖滨社区"),
        node("Compound", "cmp-second-1", name="湖滨一号小区"),
        node("Compound", "cmp-second-2", name="湖滨二号小区"),
    ]
    links = [
        link("PART_OF", "town-second", "city-second", since=SINCE),
        link("PART_OF", "comm-second", "town-second", since=SINCE),
        link("PART_OF", "cmp-second-1", "comm-second", since=SINCE),
        link("PART_OF", "cmp-second-2", "comm-second", since=SINCE),
    ]
    live_app.call(store.upsert(nodes, links))
    try:
        yield
    finally:
        live_app.call(store.delete(ADDED))


def card(page: Page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"] .v').inner_text()


def test_the_overview_sums_every_city_and_picks_one(
    page: Page, live_app: LiveApp, second_city: None
) -> None:
    data = api(live_app, CITIES, {"d": DAY})
    rows: list[dict[str, Any]] = data["coverageSummary"]["items"]
    assert {r["place"] for r in rows} == {"city-huairen", "city-second"}
    open_console(page, "#/overview")
    expect(page.locator("h1")).to_contain_text("全部城市")
    assert card(page, "compounds") == str(sum(r["compounds"] for r in rows))
    assert card(page, "findings") == str(data["coverageGaps"]["totalCount"])
    count = sum(r["branch"]["count"] for r in rows)
    total = sum(r["branch"]["total"] for r in rows)
    assert card(page, "branch") == f"{count / total * 100:.1f}%"

    page.select_option("#f-city", "city-second")
    expect(page).to_have_url(re.compile(r"city=city-second"))
    expect(page.locator("h1")).to_contain_text("第二市")
    second = next(r for r in rows if r["place"] == "city-second")
    expect(page.locator('[data-figure="compounds"] .v')).to_have_text(str(second["compounds"]))
    assert card(page, "branch") == f"{second['branch']['rate'] * 100:.1f}%"
    expect(page.locator("#trend-chart polyline").first).to_be_attached()  # the city's trend


def test_where_the_gaps_are_opens_on_the_cities(
    page: Page, live_app: LiveApp, second_city: None
) -> None:
    open_console(page, "#/gaps")
    places = page.locator("#places tbody tr")
    expect(places).to_have_count(2)
    expect(page.locator("#places")).to_contain_text("第二市")
    places.filter(has_text="第二市").click()
    expect(page).to_have_url(re.compile(r"city=city-second"))
    expect(page.locator("#places tbody tr")).to_have_count(1)
    expect(page.locator("#places")).to_contain_text("东湖街道")
    expect(page.locator("nav.crumbs")).to_contain_text("第二市")
