"""A list's edges read their cursors only when asked (``graph.query.Cursors``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govgraph.api.app import create_app
from govgraph.api.settings import Settings
from govgraph.graph import query


def test_a_list_read_without_cursors_encodes_only_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console's pages ask ``endCursor``, not each edge's ``cursor``: 100 cursors were
    ~0.1 ms of a ~1 ms request."""
    encoded: list[object] = []
    real = query.encode_cursor
    monkeypatch.setattr(query, "encode_cursor", lambda v: encoded.append(v) or real(v))
    settings = Settings(
        store="embedded", data_path=tmp_path / "g.jsonl", api_keys={"k": "department"}
    )
    with TestClient(create_app(settings)) as client:
        create = " ".join(
            f'c{i}: createNode(input: {{kind: Compound, id: "cmp-{i}"}}) {{ __typename }}'
            for i in range(6)
        )
        assert (
            "errors"
            not in client.post(
                "/graphql", json={"query": f"mutation {{ {create} }}"}, headers={"x-api-key": "k"}
            ).json()
        )

        def ask(fields: str) -> dict[str, object]:
            r = client.post(
                "/graphql",
                json={"query": f"{{ compounds(first: 5) {{ {fields} }} }}"},
                headers={"x-api-key": "k"},
            )
            assert r.status_code == 200 and "errors" not in r.json(), r.text
            return r.json()["data"]["compounds"]

        encoded.clear()
        plain = ask("pageInfo { endCursor } edges { node { id } }")
        assert len(plain["edges"]) == 5 and len(encoded) == 1  # type: ignore[arg-type]
        encoded.clear()
        full = ask("pageInfo { endCursor } edges { cursor node { id } }")
        assert len(encoded) == 5
        assert full["edges"][-1]["cursor"] == plain["pageInfo"]["endCursor"]  # type: ignore[index]
