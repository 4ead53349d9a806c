"""FastAPI's native OpenTelemetry stays off unless the deployment turns it on
(``GOVGRAPH_OPENTELEMETRY``): its logs carry exception messages, and the service's data is
personal. A provider that records the spans started stands in for a configured one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace

from govgraph.api.app import create_app
from govgraph.api.settings import Settings


class _Recording(trace.TracerProvider):
    def __init__(self) -> None:
        self.spans: list[str] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        spans = self.spans

        class Tracer(trace.NoOpTracer):
            def start_span(self, name: str, *a: Any, **k: Any) -> trace.Span:
                spans.append(name)
                return super().start_span(name, *a, **k)

        return Tracer()


@pytest.mark.parametrize("enabled", [False, True])
def test_requests_are_traced_only_when_the_setting_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    provider = _Recording()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    settings = Settings(store="embedded", data_path=tmp_path / "g.jsonl", opentelemetry=enabled)
    with TestClient(create_app(settings)) as client:
        assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200
        assert client.get("/healthz").status_code == 200
    assert bool(provider.spans) == enabled, provider.spans
