"""The console's page names every module it will import, so a browser asks for all at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings

IMPORT = re.compile(r'^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"', re.M)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store="embedded", data_path=tmp_path / "g.jsonl"))) as c:
        yield c


def imported(client: TestClient, entry: str) -> set[str]:
    """Every module URL reachable by static imports from ``entry``, fetched from the app."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        assert r.status_code == 200, url
        todo.extend(urljoin(url, spec) for spec in IMPORT.findall(r.text))
    return seen


def test_every_module_the_console_imports_is_preloaded(client: TestClient) -> None:
    page = client.get("/").text
    (entry,) = re.findall(r'<script type="module" src="([^"]+)"', page)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    needed = imported(client, entry)
    assert len(needed) > 5  # the entry, the pages and what they share
    assert needed <= preloaded | {entry}, sorted(needed - preloaded)
    for url in preloaded:  # and nothing preloaded is missing
        assert client.get(url).status_code == 200, url
