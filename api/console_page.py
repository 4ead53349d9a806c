"""The console's page (``api/static/console/index.html``) as served at ``/``.

The console is plain ES modules in three tiers (app.js → the pages → what they share); a browser
discovers each tier only after the one above it has arrived, three round trips before the first
figure. The page therefore names every module up front as a ``modulepreload``, so all are asked
for at once. The list is read from the folder when the app is built: a module added later is
preloaded without anyone keeping a list.
"""

from __future__ import annotations

from pathlib import Path

from .ide import STATIC_DIR, STATIC_URL

CONSOLE_DIR = STATIC_DIR / "console"
#: where the preload links go: just before the entry module's script tag
_ENTRY = b'<script type="module" src="/static/console/js/app.js"></script>'


def module_urls(folder: Path = CONSOLE_DIR) -> list[str]:
    """The URL of every module of the console, in a stable order."""
    return [
        f"{STATIC_URL}/{path.relative_to(STATIC_DIR).as_posix()}"
        for path in sorted((folder / "js").rglob("*.js"))
    ]


def console_html(folder: Path = CONSOLE_DIR) -> bytes:
    """``index.html`` with a ``modulepreload`` link for every module of the console."""
    page = (folder / "index.html").read_bytes()
    if _ENTRY not in page:
        raise RuntimeError(f"{folder / 'index.html'} no longer loads js/app.js as its module")
    links = b"".join(
        f'<link rel="modulepreload" href="{url}">\n'.encode() for url in module_urls(folder)
    )
    return page.replace(_ENTRY, links + _ENTRY, 1)
