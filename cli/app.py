"""The Typer app of the ``govgraph`` command line and its two command groups; each module of
this package adds its commands to them (``cli/main.py`` imports them all)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="governance-graph: the 党支部+业委会+物业 governance network as a knowledge graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="The configured store (GOVGRAPH_STORE=embedded|neo4j).", no_args_is_help=True
)
neo4j_app = typer.Typer(
    help="A local Neo4j Community 5.26 for development, from Maven Central jars (needs Java 17).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(neo4j_app, name="neo4j")
