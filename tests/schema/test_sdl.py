"""The committed ``schema.graphql`` is exactly what the code generates (no drift)."""

from __future__ import annotations

import difflib
from pathlib import Path

from govgraph.schema.build import sdl

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"
REGENERATE = "./dev schema --out schema.graphql"


def test_committed_sdl_matches_the_generated_schema() -> None:
    generated = sdl()
    assert SCHEMA_FILE.is_file(), f"{SCHEMA_FILE} is missing; run `{REGENERATE}`"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    if generated != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "schema.graphql (committed)",
                "sdl() (generated)",
                n=2,
            )
        )
        shown = diff if len(diff) < 4000 else diff[:4000] + "\n... (diff cut)"
        raise AssertionError(
            f"schema.graphql is out of date with the code; run `{REGENERATE}` "
            f"and commit the result.\n{shown}"
        )


def test_sdl_is_deterministic() -> None:
    assert sdl() == sdl()


def test_sdl_has_the_generated_parts() -> None:
    text = sdl()
    for part in (
        "type Query",
        "type Mutation",
        "compounds(",
        "partyBranches(",
        "people(",
        "input CompoundWhere",
        "union NodeResult",
        "union WriteResult",
        "coveredBy(",
        "postHolders(",
    ):
        assert part in text, part
