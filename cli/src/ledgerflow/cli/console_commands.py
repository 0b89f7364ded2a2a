"""The ``ledgerflow console`` commands: serve the operator console, and make, list and revoke its sign-in tokens."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledgerflow.cli.names import checked_name

console_app = typer.Typer(
    help="The operator console: orders, failures, resyncs, connections and health in a browser.",
    invoke_without_command=True,
)
out = Console(width=None if sys.stdout.isatty() else 120, markup=False)
err = Console(stderr=True, markup=False)

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Stack folder (default: $LEDGERFLOW_HOME or ./.ledgerflow).")
]
DatabaseUrlOption = Annotated[str | None, typer.Option(help="PostgreSQL URL (default: the running stack's).")]


def _url(database_url: str | None, home: Path | None) -> str:
    from ledgerflow.cli.main import _database_url

    return _database_url(database_url, home)


@console_app.callback()
def console_serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8090).")] = None,
    home: HomeOption = None,
) -> None:
    """Serve the console (configured by LEDGERFLOW_CONSOLE_* variables; the local stack's Kafka and PostgreSQL
    when LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS and LEDGERFLOW_DATABASE_URL are not set)."""
    if ctx.invoked_subcommand is not None:
        return
    from ledgerflow.cli.main import _stack
    from ledgerflow.console.app import serve
    from ledgerflow.console.settings import ConsoleSettings

    state = _stack(home).load()
    if state is not None:
        for key, value in state.service_env().items():
            os.environ.setdefault(key, value)
    if host is not None:  # given here, it wins over LEDGERFLOW_CONSOLE_HOST
        os.environ["LEDGERFLOW_CONSOLE_HOST"] = host
    if port is not None:
        os.environ["LEDGERFLOW_CONSOLE_PORT"] = str(port)
    settings = ConsoleSettings()
    out.print(f"ledgerflow console on http://{settings.host}:{settings.port}/", highlight=False)
    serve(settings)


@console_app.command("token")
def console_token(
    tenant: Annotated[
        str | None, typer.Option(callback=checked_name, help="A merchant's token: sees this tenant only.")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="The operator's token: sees every tenant.")] = False,
    label: Annotated[str, typer.Option(help="Who it is for, shown in the audit log.")] = "",
    days: Annotated[float, typer.Option(min=0.001, help="Days until it expires.")] = 30,
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Make a sign-in token; it is printed once, alone on the last line, and stored only as a digest."""
    from ledgerflow.console.tokens import new_token

    if admin == (tenant is not None):
        raise typer.BadParameter("give --tenant T or --admin (one of them)")
    secret = asyncio.run(
        new_token(_url(database_url, home), tenant=tenant, admin=admin, lifetime=timedelta(days=days), label=label)
    )
    who = "admin" if admin else f"tenant {tenant}"
    out.print(f"A console token for {who}, valid {days:g} days. Keep it secret; it is not shown again:")
    out.print(secret, highlight=False, soft_wrap=True)


@console_app.command("tokens")
def console_tokens(database_url: DatabaseUrlOption = None, home: HomeOption = None) -> None:
    """Every token: whose, until when, and whether revoked (never the token itself)."""
    from ledgerflow.console.tokens import listed

    for token in asyncio.run(listed(_url(database_url, home))):
        state = "revoked" if token.revoked_at else ("used" if token.used_at else "")
        who = "admin" if token.admin else f"tenant {token.tenant}"
        out.print(f"{token.id}  {who:<24} {token.label or '-':<20} expires {token.expires_at:%Y-%m-%d %H:%M} "
                  f"{state}", highlight=False)  # fmt: skip


@console_app.command("revoke")
def console_revoke(
    token_id: Annotated[uuid.UUID, typer.Argument(help="The token's id, as `ledgerflow console tokens` lists it.")],
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Revoke a token: it signs nobody in any more, and the sessions it opened end."""
    from ledgerflow.console.tokens import revoke

    if not asyncio.run(revoke(_url(database_url, home), token_id)):
        err.print(f"error: no valid token {token_id}")
        raise typer.Exit(1)
    out.print(f"Token {token_id} revoked.")
