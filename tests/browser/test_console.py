"""The department's console in a real Chromium against the real app (demo data, embedded store):
every page loads cleanly, its figures are the API's, a researcher never sees a real name, the
keyboard and an accessibility check work, and the clerk's whole flow runs end to end."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from browser_support import LiveApp
from playwright.sync_api import Page, expect

from govgraph.cli.analytics import gap_rows
from govgraph.graph.analytics import project
from govgraph.loaders.demo import build_demo

pytestmark = pytest.mark.browser
# an analysis for a new day is computed when first asked: more than Playwright's 5 s default
expect.set_options(timeout=30_000)

DAY = "2021-05-31"  # the demo's snapshot: the latest date its data holds
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
P1_IN = """query($s: ID) { coverageGaps(scope: $s, asOf: "2021-05-31", rules: ["P1"]) {
  totalCount findings { explanationZh responsible } } }"""
PARENT = """query($l: PlaceLevel!, $c: ID) {
  coverageSummary(level: $l, scope: $c, first: 1) { items { parent } } }"""
DRAFTED = """{ partyBranches(where: { name: { eq: "示例联合党支部" } }) {
  edges { node { entityId } } } }"""
PAGES = [
    "#/overview",
    "#/gaps",
    "#/gaps?town=town-1",
    "#/compound?id=cmp-018",
    "#/ties",
    "#/whatif",
    "#/search?q=团结",
]


def api(
    live_app: LiveApp,
    query: str,
    variables: dict[str, Any] | None = None,
    key: str | None = "demo-department",
) -> Any:
    headers = {"X-API-Key": key} if key else {}
    r = httpx.post(
        f"{live_app.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=60,
    )
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


def open_console(page: Page, hash_: str, key: str | None = "demo-department") -> None:
    """Open the console signed in with ``key`` (through the sign-in dialog), then go to a page."""
    page.goto("/")
    # the first page of a session may wait for the analytics to be built
    page.wait_for_selector("body[data-ready]", state="attached", timeout=60_000)
    if key:
        page.get_by_role("button", name="登录").click()
        page.fill("#signin-key", key)
        page.locator("dialog").get_by_role("button", name="登录").click()
        expect(page.locator("[data-role]")).not_to_have_attribute("data-role", "public")
    page.goto(f"/{hash_}")
    page.wait_for_selector("[data-page]")


@pytest.mark.parametrize("key", ["demo-department", "demo-researcher", None])
def test_every_page_loads_for_every_role(page: Page, key: str | None) -> None:
    open_console(page, PAGES[0], key)
    for hash_ in PAGES[1:]:  # the page fixture fails the test on any console error
        page.goto(f"/{hash_}")
        page.wait_for_selector(f'[data-page="{hash_[2:].split("?")[0]}"]')
        page.wait_for_load_state("networkidle")
        expect(page.locator("main .error")).to_have_count(0)


@pytest.mark.parametrize(
    ("key", "note"),
    [
        ("demo-researcher", "分析日为 2020-12-31"),
        (None, "分析日为 2020-12-31"),
        ("demo-department", None),
    ],
)
def test_a_researcher_and_the_public_are_told_the_day_analysed(
    page: Page, key: str | None, note: str | None
) -> None:
    """Their asOf is read by year (年末口径): the page says which day its figures are of."""
    open_console(page, "#/overview?asOf=2020-06-30", key)
    for hash_ in ("#/overview?asOf=2020-06-30", "#/gaps?asOf=2020-06-30"):
        page.goto(f"/{hash_}")
        page.wait_for_selector(f'[data-page="{hash_[2:].split("?")[0]}"]')
        shown = page.locator("#as-of-shown")
        expect(shown).to_contain_text("2020-06-30")
        if note:
            expect(shown).to_contain_text(note)
        else:
            expect(shown).not_to_contain_text("分析日")


def test_overview_shows_the_latest_date_and_the_apis_figures(page: Page, live_app: LiveApp) -> None:
    open_console(page, "#/overview", key=None)  # the public role sees the overview too
    expect(page.locator("#as-of-shown")).to_contain_text(DAY)
    assert page.input_value("#asof") == DAY
    data = api(
        live_app,
        """query($d: Date) {
          coverageSummary(level: CITY, asOf: $d, first: 1) {
            items { compounds branch { rate } ownersCommittee { rate } serviceStation { rate } }
          }
          coverageGaps(asOf: $d) { totalCount } }""",
        {"d": DAY},
        key=None,
    )
    city = data["coverageSummary"]["items"][0]
    card = lambda name: page.locator(f'[data-figure="{name}"] .v').inner_text()  # noqa: E731
    assert card("compounds") == str(city["compounds"])
    assert card("findings") == str(data["coverageGaps"]["totalCount"])
    for name in ("branch", "ownersCommittee", "serviceStation"):
        assert card(name) == f"{city[name]['rate'] * 100:.1f}%"
    expect(page.locator("#trend-chart polyline").nth(4)).to_be_attached()  # its own request


def test_changing_the_date_lives_in_the_url(page: Page, live_app: LiveApp) -> None:
    open_console(page, "#/overview", key=None)
    page.fill("#asof", "2020-12-31")  # a date input's fill fires its change event
    expect(page).to_have_url(re.compile(r"asOf=2020-12-31"))
    total = api(live_app, '{ coverageGaps(asOf: "2020-12-31") { totalCount } }', key=None)
    expect(page.locator('[data-figure="findings"] .v')).to_have_text(
        str(total["coverageGaps"]["totalCount"])
    )


def test_gaps_drill_down_and_filters(page: Page, live_app: LiveApp) -> None:
    open_console(page, "#/gaps")
    page.locator("#places tbody tr").first.click()
    expect(page).to_have_url(re.compile(r"town=town-"))
    page.select_option("#f-rule", "P1")
    expect(page).to_have_url(re.compile(r"rule=P1"))
    town = re.search(r"town=([^&]+)", page.url)[1]  # type: ignore[index]
    expected = api(
        live_app,
        P1_IN,
        {"s": town},
    )
    gaps = expected["coverageGaps"]
    expect(page.locator("#finding-counts")).to_contain_text(str(gaps["totalCount"]))
    rows = page.locator("#findings tbody tr")
    expect(rows).to_have_count(min(gaps["totalCount"], 50))
    first = gaps["findings"][0]
    expect(rows.first).to_contain_text(first["explanationZh"])
    expect(rows.first).to_contain_text(first["responsible"])


def _real_names() -> set[str]:
    nodes, _ = build_demo()
    return {n.name for n in nodes if n.kind == "Person" and n.name and len(n.name) >= 2}


def test_a_researcher_never_sees_a_real_name(page: Page) -> None:
    names = _real_names()
    assert len(names) > 100
    open_console(page, "#/overview", key="demo-researcher")
    for hash_ in [
        "#/gaps?town=town-1&comm=comm-03",
        "#/compound?id=cmp-yunbeiyuan",
        "#/ties",
        "#/search?q=示例",
        "#/whatif?compound=cmp-018",
    ]:
        page.goto(f"/{hash_}")
        page.wait_for_selector("[data-page]")
        page.wait_for_load_state("networkidle")
        text = page.content()
        leaked = sorted(n for n in names if n in text)
        assert not leaked, f"{hash_}: {leaked[:5]}"


def test_keyboard_navigation(page: Page) -> None:
    open_console(page, "#/overview")
    page.focus("nav a >> nth=1")  # 缺口在哪
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-page="gaps"]')
    row = page.locator("#places tbody tr").first
    row.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"town=town-"))


@pytest.mark.parametrize(
    "hash_",
    [
        "#/overview",
        "#/gaps?town=town-1",
        "#/compound?id=cmp-yunbeiyuan",
        "#/ties",
        "#/whatif?compound=cmp-018",
    ],
)
def test_no_serious_accessibility_violation(page: Page, hash_: str) -> None:
    open_console(page, hash_)
    page.wait_for_load_state("networkidle")
    # served as if from the app's origin: the console's CSP refuses inline and foreign scripts
    page.route(
        "**/__test__/axe.min.js", lambda r: r.fulfill(path=AXE, content_type="text/javascript")
    )
    page.add_script_tag(url="/__test__/axe.min.js")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    serious = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, json.dumps(serious, ensure_ascii=False, indent=1)


def test_compound_network_expands_and_exports(page: Page) -> None:
    open_console(page, "#/compound?id=cmp-yunbeiyuan")
    nodes = page.locator("#network [role=button]")
    expect(nodes.first).to_be_visible()
    before = nodes.count()
    assert before >= 5
    with page.expect_download() as svg:
        page.click("#export-svg")
    assert "<svg" in Path(svg.value.path()).read_text(encoding="utf-8")


def test_clerk_flow_from_worst_community_to_the_rectification_list(
    page: Page, live_app: LiveApp, tmp_path: Path
) -> None:
    """The issue's 'done when': find the community with the most gaps, open one of its
    compounds, draft a joint branch, watch its P1 finding close, save, take the list away."""
    store = live_app.app.state.store
    before = live_app.call(store.counts())
    open_console(page, "#/gaps")
    page.locator("#ranking tbody tr").first.click()  # rank 1: the most gaps
    expect(page).to_have_url(re.compile(r"comm="))
    page.select_option("#f-rule", "P1")
    link = page.locator("#findings tbody tr a").first
    compound_name = link.inner_text()
    link.click()
    page.wait_for_selector('[data-page="compound"]')
    compound = re.search(r"id=([^&]+)", page.url)[1]  # type: ignore[index]
    page.click("#draft-here")
    page.wait_for_selector('[data-page="whatif"]')
    page.fill("#wi-branch-name", "示例联合党支部")
    expect(page.locator(f'#wi-compounds input[value="{compound}"]')).to_be_checked()
    page.click("#add-branch")
    expect(page).to_have_url(re.compile(r"draft="))
    closed = page.locator("#closed tbody tr", has_text=compound_name)
    expect(closed.filter(has_text="P1")).to_have_count(1)
    assert live_app.call(store.counts()) == before  # evaluated, nothing written
    try:
        page.click("#save-draft")
        expect(page.locator("#save-result")).to_have_class(re.compile("ok"))
        after = api(
            live_app,
            P1_IN,
            {"s": compound},
        )
        assert after["coverageGaps"]["totalCount"] == 0
        # the township's 整改清单
        community = api(live_app, PARENT, {"l": "COMPOUND", "c": compound})
        community = community["coverageSummary"]["items"][0]["parent"]
        township = api(live_app, PARENT, {"l": "COMMUNITY", "c": community})
        township = township["coverageSummary"]["items"][0]["parent"]
        page.goto(f"/#/gaps?town={township}")
        page.wait_for_selector("#download-excel")
        with page.expect_download() as dl:
            page.click("#download-excel")
        workbook = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
        sheet = workbook.active
        texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        history = live_app.call(project(store))
        expected = gap_rows(history, dt.date(2021, 5, 31), scope=township)
        assert expected
        for row in expected:
            assert row["explanation_zh"] in texts, row["id"]
    finally:
        drafted = api(live_app, DRAFTED)
        ids = [e["node"]["entityId"] for e in drafted["partyBranches"]["edges"]]
        if ids:
            api(
                live_app,
                "mutation($ids: [ID!]!) { deleteNodes(ids: $ids) { __typename } }",
                {"ids": ids},
            )
    assert live_app.call(store.counts()) == before
