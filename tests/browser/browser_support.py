"""What the browser fixtures (conftest.py) hand to tests: the live app and a page's log.

Import it by name in a test module (``from browser_support import LiveApp, PageLog``), as the
other test folders import their helpers.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import FastAPI

from govgraph.cli.service import DEMO_KEYS

T = TypeVar("T")

CHROMIUM = Path(os.environ.get("GOVGRAPH_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no update checks, safe-browsing lists, ...
    "--disable-component-update",
    "--disable-sync",
]
#: URL schemes that never leave the page (inline fonts, icons, blobs)
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
#: how long a page action or expectation waits by default (ms)
TIMEOUT_MS = 15_000


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[dev]' (or run ./dev test)"
    if not CHROMIUM.exists():
        return (
            f"no Chromium at {CHROMIUM}: run ./dev test as root (it apt-get installs chromium "
            "and fonts-noto-cjk), install them yourself, or set GOVGRAPH_TEST_CHROMIUM"
        )
    return None


@dataclass
class LiveApp:
    """The app served on ``url`` by a uvicorn thread; ``app`` is the FastAPI object."""

    url: str
    app: FastAPI
    loop: asyncio.AbstractEventLoop
    keys: dict[str, Any] = field(default_factory=lambda: dict(DEMO_KEYS))

    @property
    def origin(self) -> str:
        return _origin(self.url)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coro`` on the server's event loop (where the store lives) and return its
        result: e.g. ``live_app.call(live_app.app.state.store.counts())``."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class PageLog:
    """What the pages of one test did; ``origin`` is the only one they may ask."""

    origin: str
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def is_local(self, url: str) -> bool:
        return urlsplit(url).scheme in LOCAL_SCHEMES or _origin(url) == self.origin

    def problems(self, *, console: bool = True) -> list[str]:
        found = [f"request to another origin: {url}" for url in self.foreign]
        if console:
            found += [f"console error: {text}" for text in self.console_errors]
            found += [f"page error: {text}" for text in self.page_errors]
        return found
