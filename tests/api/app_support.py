"""Helpers shared by the app's tests."""

from __future__ import annotations

import socket
import time
from typing import Any

from fastapi.testclient import TestClient


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def warmed(client: TestClient) -> dict[str, Any]:
    """The analytics warm-up's status (``/readyz``) once it has ended."""
    for _ in range(600):
        analytics: dict[str, Any] = client.get("/readyz").json()["analytics"]
        if analytics["state"] not in ("idle", "running"):
            return analytics
        time.sleep(0.1)
    raise AssertionError("the warm-up never ended")
