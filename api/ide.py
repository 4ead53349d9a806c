"""The GraphQL IDE at ``GET /graphql``: GraphiQL from the files in ``api/static/graphiql/``.

Strawberry's own page loads React and GraphiQL from unpkg.com, so it stays blank on a machine
without internet. :class:`LocalGraphiQL` renders a page that asks only its own origin for
anything; the router hands it out through Strawberry's public hook, the view's
``render_graphql_ide`` (api/http_guard.py). The page also carries a Content-Security-Policy
that lets the browser itself refuse any other origin, so a future GraphiQL that reaches out
(a web font, a CDN chunk) shows up as a blocked request in the browser tests instead of leaking.

The vendored versions and how to refresh them: ``api/static/graphiql/README.md``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse

from .settings import Settings

#: the folder served at ``/static`` (create_app); it ships in the wheel as package data
STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
#: the demo key ``govgraph serve --demo`` accepts (cli/service.py DEMO_KEYS); it is public, so
#: writing it into the page gives nothing away
DEMO_KEY = "demo-department"

#: ``unsafe-inline`` styles: React sets ``style`` attributes; fonts and icons are data: URLs
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)

DEFAULT_QUERY = """\
# GraphiQL for governance-graph
#
# Your role comes from your API key: put it in
# the Headers tab below,
#   {"X-API-Key": "your key"}
# or "Authorization": "Bearer <token>".
# Without one you ask as the public role.
#
# Run: Ctrl-Enter or the play button.
# Complete: Ctrl-Space.

{
  counts {
    nodes { kind count }
  }
}
"""

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>GraphiQL · governance-graph</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="{assets}/graphiql.min.css" />
    <link rel="stylesheet" href="{assets}/plugin-explorer.css" />
    <style>
      body {{ margin: 0; height: 100vh; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script id="graphiql-config" type="application/json">{config}</script>
    <script src="{assets}/react.production.min.js"></script>
    <script src="{assets}/react-dom.production.min.js"></script>
    <script src="{assets}/graphiql.min.js"></script>
    <script src="{assets}/plugin-explorer.umd.js"></script>
    <script src="{assets}/boot.js"></script>
  </body>
</html>
"""


def _script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>`` or ``<!--`` can end it early."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


@dataclass(frozen=True)
class LocalGraphiQL:
    """The IDE page; ``headers`` is what the headers editor holds at first (JSON text)."""

    headers: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalGraphiQL:
        """Pre-fill the demo key when this app accepts it (``govgraph serve --demo``)."""
        if DEMO_KEY in settings.api_keys:
            return cls(headers=json.dumps({"X-API-Key": DEMO_KEY}, indent=2))
        return cls()

    def html(self, root_path: str = "") -> str:
        """The page, for an app mounted at ``root_path`` (behind a proxy, say)."""
        config = {"headers": self.headers, "defaultQuery": DEFAULT_QUERY}
        return _PAGE.format(
            assets=html.escape(f"{root_path.rstrip('/')}{STATIC_URL}/graphiql"),
            config=_script_json(config),
        )

    def response(self, request: Request) -> HTMLResponse:
        return HTMLResponse(
            self.html(request.scope.get("root_path", "")),
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )
