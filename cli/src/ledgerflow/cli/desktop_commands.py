"""The ``ledgerflow desktop`` commands: connect a QuickBooks Desktop company file through its Web Connector."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledgerflow.cli.names import checked_name

desktop_app = typer.Typer(
    no_args_is_help=True,
    help="QuickBooks Desktop company files: the .qwc a bookkeeper adds to the Web Connector, and its password.",
)
console = Console(width=None if sys.stdout.isatty() else 120, markup=False)
err_console = Console(stderr=True, markup=False)

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Stack folder (default: $LEDGERFLOW_HOME or ./.ledgerflow).")
]
DatabaseUrlOption = Annotated[str | None, typer.Option(help="PostgreSQL URL (default: the running stack's).")]


def _url(database_url: str | None, home: Path | None) -> str:
    from ledgerflow.cli.main import _database_url

    return _database_url(database_url, home)


@desktop_app.command("qwc")
def desktop_qwc(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="Tenant whose company file this is.")],
    out: Annotated[Path | None, typer.Option(help="Write the .qwc here (default: standard output).")] = None,
    every_minutes: Annotated[int, typer.Option(min=1, help="The Web Connector's default schedule.")] = 5,
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """The .qwc file for the tenant's company file (its FileID is made once and kept).

    The endpoint's URL is LEDGERFLOW_QBD_PUBLIC_URL (HTTPS, as the Web Connector requires beyond localhost).
    """
    from ledgerflow.cli.desktop import qwc, register
    from ledgerflow.ledger_writer.settings import QbdSettings

    company = asyncio.run(register(_url(database_url, home), tenant))
    text = qwc(company, QbdSettings(), every_minutes)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text)
    console.print(
        f"{out}: add it in the Web Connector (File > Add an application) on the QuickBooks computer, "
        f"then set the password: `ledgerflow desktop password --tenant {tenant}`",
        highlight=False,
    )


@desktop_app.command("password")
def desktop_password(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="Tenant whose company file this is.")],
    password_file: Annotated[
        Path | None, typer.Option(help="File holding the password; '-' or absent: standard input.")
    ] = None,
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """Set the password the bookkeeper types into the Web Connector (stored hashed, never in the .qwc)."""
    from ledgerflow.cli.desktop import set_password
    from ledgerflow.ledger_writer.targets.qbd.registry import PasswordTooShort

    if password_file is None or str(password_file) == "-":
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = password_file.read_text().strip()
    try:
        company = asyncio.run(set_password(_url(database_url, home), tenant, password))
    except PasswordTooShort as exc:
        err_console.print(f"error: {exc}", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"{company.tenant_id}: Web Connector password set for user {company.user_name}", highlight=False)


@desktop_app.command("moved")
def desktop_moved(
    tenant: Annotated[str, typer.Option(callback=checked_name, help="Tenant whose company file moved.")],
    database_url: DatabaseUrlOption = None,
    home: HomeOption = None,
) -> None:
    """The company file was moved or renamed: forget its path, so the next session records where it is now.

    The file is still checked by its FileID, so only the file this connection was made for is accepted.
    """
    from ledgerflow.cli.desktop import forget_file

    company = asyncio.run(forget_file(_url(database_url, home), tenant))
    if company is None:
        err_console.print(f"error: {tenant} has no QuickBooks Desktop company file (`ledgerflow desktop qwc`)")
        raise typer.Exit(2)
    console.print(f"{tenant}: the next Web Connector session records the company file it opens", highlight=False)


@desktop_app.command("list")
def desktop_list(database_url: DatabaseUrlOption = None, home: HomeOption = None) -> None:
    """Company files, the file each was verified against, and their last Web Connector session."""
    from rich.table import Table

    from ledgerflow.cli.desktop import companies

    table = Table(title="QuickBooks Desktop company files")
    for column in ("tenant", "user", "password", "company file", "last session", "state", "answered", "error"):
        table.add_column(column)
    for company, recent in asyncio.run(companies(_url(database_url, home))):
        last = recent[0] if recent else None
        table.add_row(
            company.tenant_id,
            company.user_name,
            "set" if company.has_password else "not set",
            company.file_name or "(not connected yet)",
            last["started_at"].isoformat(timespec="seconds") if last else "",
            last["state"] if last else "",
            str(last["answered"]) if last else "",
            (last["error"] or "") if last else "",
        )
    console.print(table)
