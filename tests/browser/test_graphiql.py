"""GraphiQL at /graphql, in Chromium, with every other origin cut off (the ``page`` fixture
aborts and records such requests; its teardown fails a test that made one)."""

from __future__ import annotations

import json
import re

import pytest
from browser_support import LiveApp, PageLog
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

QUERY = "{ counts { nodes { kind count } } }"
#: the CodeMirror editors of GraphiQL 4 (the headers tab is open from the start: api/ide.py)
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESPONSE = ".graphiql-response .CodeMirror"


def _set(page: Page, selector: str, text: str) -> None:
    """Replace an editor's text through CodeMirror's own API (typing would fight its
    bracket auto-closing)."""
    page.locator(selector).evaluate("(el, text) => el.CodeMirror.setValue(text)", text)


def _text(page: Page, selector: str) -> str:
    return str(page.locator(selector).evaluate("el => el.CodeMirror.getValue()"))


def _open(page: Page) -> None:
    page.goto("/graphql")
    expect(page.locator(QUERY_EDITOR)).to_be_visible()


def test_graphiql_loads_from_the_app_alone(page: Page, page_log: PageLog) -> None:
    _open(page)
    expect(page.locator(".graphiql-execute-button")).to_be_visible()
    assert page_log.foreign == [], "GraphiQL asked another origin"
    assert all(page_log.is_local(url) for url in page_log.requests)
    loaded = {url.rsplit("/", 1)[-1] for url in page_log.requests}
    assert {"graphiql.min.js", "graphiql.min.css", "react-dom.production.min.js"} <= loaded


def test_demo_key_is_in_the_headers_editor(page: Page) -> None:
    _open(page)
    expect(page.locator(HEADERS_EDITOR)).to_be_visible()
    assert json.loads(_text(page, HEADERS_EDITOR)) == {"X-API-Key": "demo-department"}


def test_query_runs_with_the_department_key(page: Page, live_app: LiveApp) -> None:
    _open(page)
    _set(page, QUERY_EDITOR, QUERY)
    with page.expect_request(
        lambda r: r.method == "POST" and r.url == f"{live_app.url}/graphql"
    ) as sent:
        page.locator(".graphiql-execute-button").click()
    assert sent.value.headers.get("x-api-key") == "demo-department"
    assert json.loads(sent.value.post_data or "{}")["query"] == QUERY

    counts = live_app.call(live_app.app.state.store.counts())
    expect(page.locator(RESPONSE)).to_contain_text('"kind"')
    shown = json.loads(_text(page, RESPONSE))
    nodes = {n["kind"]: n["count"] for n in shown["data"]["counts"]["nodes"]}
    assert nodes == {str(k): v for k, v in counts.nodes.items()}
    assert sum(nodes.values()) > 0


@pytest.mark.allow_console_errors("the 401 answer is logged by Chromium as a failed resource")
def test_a_wrong_key_shows_the_refusal(page: Page, page_log: PageLog) -> None:
    _open(page)
    _set(page, HEADERS_EDITOR, '{"X-API-Key": "not-a-key"}')
    _set(page, QUERY_EDITOR, QUERY)
    page.locator(".graphiql-execute-button").click()
    expect(page.locator(RESPONSE)).to_contain_text(re.compile("key", re.IGNORECASE))
    assert "not-a-key" not in _text(page, RESPONSE)  # the refusal never echoes the key
    assert any("401" in e for e in page_log.console_errors)
