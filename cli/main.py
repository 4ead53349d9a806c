"""The ``govgraph`` console script: the app with every command group added."""

from __future__ import annotations

from . import analytics, auth, data, db, generate, service
from .app import app

for module in (data, generate, auth, analytics):
    module.register(app)

__all__ = ["app", "db", "main", "service"]


def main() -> None:
    app()
