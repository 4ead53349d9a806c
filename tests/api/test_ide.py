"""The GraphiQL page and its files, over HTTP (the browser half is tests/browser)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.ide import STATIC_DIR, LocalGraphiQL
from govgraph.api.settings import Settings
from govgraph.cli.service import DEMO_KEYS

HTML = {"Accept": "text/html"}
ATTRIBUTE_URLS = re.compile(r'\b(?:src|href)="([^"]*)"')
CONFIG = re.compile(r'<script id="graphiql-config" type="application/json">(.*?)</script>', re.S)


def _client(tmp_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(data_path=tmp_path / "g.jsonl", **settings)))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, api_keys=DEMO_KEYS) as c:
        yield c


def _config(page: str) -> dict[str, str]:
    found = CONFIG.search(page)
    assert found
    return dict(json.loads(found.group(1)))


def test_page_refers_to_its_own_origin_only(demo: TestClient) -> None:
    r = demo.get("/graphql", headers=HTML)
    assert r.status_code == 200
    assert "default-src 'none'" in r.headers["content-security-policy"]
    urls = ATTRIBUTE_URLS.findall(r.text)
    assert urls
    for url in urls:
        assert url == "data:," or (url.startswith("/") and not url.startswith("//")), url
    for url in urls[1:]:  # each file the page names is served
        assert demo.get(url).status_code == 200, url


def test_demo_key_is_prefilled_only_in_demo_mode(demo: TestClient, tmp_path: Path) -> None:
    headers = _config(demo.get("/graphql", headers=HTML).text)["headers"]
    assert json.loads(headers) == {"X-API-Key": "demo-department"}
    with _client(tmp_path, api_keys={"s3cret": "department"}) as other:
        page = other.get("/graphql", headers=HTML).text
    assert _config(page)["headers"] == ""
    assert "s3cret" not in page


def test_page_follows_the_root_path() -> None:
    page = LocalGraphiQL().html(root_path="/gov/")
    assert 'src="/gov/static/graphiql/graphiql.min.js"' in page


def test_config_cannot_close_its_script_element() -> None:
    page = LocalGraphiQL(headers='{"X-API-Key": "</script><script>alert(1)"}').html()
    assert page.count("</script>") == 6  # the config's and the five scripts'


def test_swagger_and_redoc_are_off(demo: TestClient) -> None:
    assert demo.get("/docs").status_code == 404
    assert demo.get("/redoc").status_code == 404


def test_vendored_files_reach_nowhere_else() -> None:
    files = sorted((STATIC_DIR / "graphiql").glob("*.[cj]s*"))
    assert {f.name for f in files} >= {"graphiql.min.js", "graphiql.min.css", "boot.js"}
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert "sourceMappingURL" not in text, f.name
        if f.suffix == ".css":
            assert "@import" not in text, f.name
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), f.name
