"""Browser tests: the real app, served on a free port, driven in a real Chromium (Playwright).

Every test here is marked ``browser`` (``-m "not browser"`` leaves them out of a fast loop), and
each page it opens may talk to the app's origin only.

Fixtures
--------
``live_app`` (session) -> :class:`LiveApp`
    The app as ``govgraph serve --demo`` runs it: the Huairen demo data on the embedded store,
    the demo keys ``demo-department`` and ``demo-researcher`` (:data:`DEMO_KEYS`), served by
    uvicorn in a background thread. ``live_app.url`` is its base URL, ``live_app.call(coro)``
    runs a coroutine on the server's event loop (to read or seed ``live_app.app.state.store``).
``browser`` (session) -> ``playwright.sync_api.Browser``
    Headless Chromium from ``/usr/bin/chromium`` (or ``GOVGRAPH_TEST_CHROMIUM``); Playwright's
    own browser downloads are never used.
``browser_context_options`` (function) -> dict
    Keyword arguments of ``browser.new_context``: ``base_url`` (the app, so
    ``page.goto("/graphql")`` works), ``locale`` zh-CN, a 1280x800 viewport, service workers
    blocked. Override the fixture in a test module to change them.
``page_log`` (function) -> :class:`PageLog`
    What the test's pages did: every request URL, the ones to another origin (aborted, never
    sent), console errors and uncaught page errors.
``page`` (function) -> ``playwright.sync_api.Page``
    A page in a new context. Requests to any other origin are aborted. At teardown the test
    errors if any page asked another origin, or logged a console error or threw an uncaught
    error; ``@pytest.mark.allow_console_errors("why")`` lifts the console/page-error check (not
    the origin check) for a test that expects one. A failed test leaves ``page.png`` and
    ``page.html`` in its ``tmp_path``.

Chromium and fonts: ``./dev test`` installs ``chromium`` and ``fonts-noto-cjk`` with apt-get when
it runs as root; without them the browser tests are skipped, saying so.

Playwright's sync API marks its event loop as running in the main thread while a browser is up,
so ``asyncio.run`` (and the session's ``run`` fixture) fail there from then on. The browser tests
therefore run after every other test of the session (:func:`pytest_collection_modifyitems`), and
a browser test reaches the store through ``live_app.call``, on the server's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    LiveApp,
    PageLog,
    missing_browser,
)

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.cli.service import DEMO_KEYS
from govgraph.graph.embedded import EmbeddedStore
from govgraph.loaders.demo import load_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last (see the module docstring), and skipped with the reason when no
    browser can start."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    reason = missing_browser()
    if reason:
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(pytest.mark.skip(reason=reason))


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so ``page`` knows at teardown if the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# -- the app ---------------------------------------------------------------------------------


def _serve(
    server: uvicorn.Server,
    sock: socket.socket,
    settings: Settings,
    loop: asyncio.AbstractEventLoop,
    failed: list[BaseException],
) -> None:
    async def main() -> None:
        store = EmbeddedStore(settings.data_path)  # as `govgraph serve --demo`: load, then serve
        try:
            await store.init_schema()
            await load_demo(store)
        finally:
            await store.close()
        await server.serve(sockets=[sock])

    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main())
    except BaseException as exc:  # handed to the test thread, which reports it
        failed.append(exc)
    finally:
        loop.close()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The demo app on a free port of 127.0.0.1, for the whole session."""
    settings = Settings(
        store="embedded",
        data_path=tmp_path_factory.mktemp("live_app") / "graph.jsonl",
        api_keys=DEMO_KEYS,
        # gc.freeze() would act on the whole test process, not just the app
        gc_freeze_at_start=False,
        analytics_gc_freeze=False,
    )
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound here: the port is known and nobody else can take it
    host, port = sock.getsockname()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    loop = asyncio.new_event_loop()
    failed: list[BaseException] = []
    thread = threading.Thread(
        target=_serve, args=(server, sock, settings, loop, failed), name="live_app", daemon=True
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the app did not start: {failed[0] if failed else 'no reason'}")
        thread.join(0.05)
    try:
        yield LiveApp(url=f"http://{host}:{port}", app=app, loop=loop)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium, shared by the session (each test gets its own context)."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def browser_context_options(live_app: LiveApp) -> dict[str, Any]:
    return {
        "base_url": live_app.url,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1280, "height": 800},
        "service_workers": "block",  # a worker's requests would bypass the origin check
    }


@pytest.fixture
def page_log(live_app: LiveApp) -> PageLog:
    return PageLog(origin=live_app.origin)


def _watch(context: BrowserContext, log: PageLog) -> None:
    def on_request(request: Any) -> None:
        log.requests.append(request.url)
        if not log.is_local(request.url):
            log.foreign.append(request.url)

    context.on("request", on_request)
    context.on(
        "console",
        lambda msg: (
            log.console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")
            if msg.type == "error"
            else None
        ),
    )
    context.on("weberror", lambda error: log.page_errors.append(str(error.error)))
    # nothing leaves the machine, whatever the page tries
    context.route(lambda url: not log.is_local(url), lambda route: route.abort("blockedbyclient"))


@pytest.fixture
def page(
    browser: Browser,
    browser_context_options: dict[str, Any],
    page_log: PageLog,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> Iterator[Page]:
    """A fresh page on the app's origin; see the module docstring for what teardown checks."""
    context = browser.new_context(**browser_context_options)
    context.set_default_timeout(TIMEOUT_MS)
    _watch(context, page_log)
    p = context.new_page()
    try:
        yield p
        reports = request.node.stash.get(_REPORTS, {})
        if "call" in reports and reports["call"].failed:
            with contextlib.suppress(Exception):  # best effort: the page may be gone
                p.screenshot(path=tmp_path / "page.png", full_page=True)
                (tmp_path / "page.html").write_text(p.content(), encoding="utf-8")
    finally:
        context.close()
    allowed = request.node.get_closest_marker("allow_console_errors")
    problems = page_log.problems(console=allowed is None)
    if problems:
        pytest.fail("the page misbehaved:\n  " + "\n  ".join(problems), pytrace=False)
