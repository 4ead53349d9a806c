"""The ``token`` command: mint a JWT for a role with the configured shared secret.

For a department that runs its own API: it sets ``GOVGRAPH_JWT_SECRET`` once and hands each
frontend or colleague a token that expires, instead of a long-lived API key. The token goes to
standard output alone, so ``TOKEN=$(govgraph token researcher)`` works; ``cli/main.py`` adds the
command to its app with :func:`register`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ..api.auth import HMAC_ALGORITHMS, AuthConfigError, mint_token
from ..api.settings import Settings
from ..graph.privacy import Role


def token_command(
    role: Annotated[Role, typer.Argument(help="public, researcher or department")],
    *,
    hours: Annotated[
        float, typer.Option("--hours", min=0.01, help="how long the token is valid")
    ] = 8.0,
    subject: Annotated[
        str | None, typer.Option("--subject", help="who it is for (the sub claim)")
    ] = None,
) -> None:
    """Print a JWT for ROLE signed with GOVGRAPH_JWT_SECRET (HS256), with the configured
    audience, issuer and role claim; send it as `Authorization: Bearer TOKEN`."""
    settings = Settings()
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    if not secret:
        typer.secho(
            "error: set GOVGRAPH_JWT_SECRET (the API must have the same one)",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    algorithm = next((a for a in settings.jwt_algorithms if a in HMAC_ALGORITHMS), None)
    try:
        if algorithm is None:
            raise AuthConfigError("GOVGRAPH_JWT_ALGORITHMS lists no HS256/HS384/HS512")
        token = mint_token(
            role,
            secret,
            ttl=dt.timedelta(hours=hours),
            subject=subject,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            role_claim=settings.jwt_role_claim,
            algorithm=algorithm,
        )
    except AuthConfigError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(token)


def register(app: typer.Typer) -> None:
    """Add ``token`` to the CLI app."""
    app.command("token")(token_command)
