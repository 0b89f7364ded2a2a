"""Tenant, connection and realm names given on the command line, checked before anything is read or sent: the
same rule the messages enforce, said in the user's terms rather than as a validation error."""

from __future__ import annotations

import typer
from pydantic import TypeAdapter, ValidationError

from ledgerflow.contracts import TenantId

NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
MAX_ECHOED = 80

_NAME: TypeAdapter[str] = TypeAdapter(TenantId)


def checked_name(value: str | None) -> str | None:
    """A typer callback: ``value`` unchanged, or a usage error that says what a name may hold."""
    if value is None:
        return None
    try:
        _NAME.validate_python(value)
    except ValidationError:
        echoed = value if len(value) <= MAX_ECHOED else value[:MAX_ECHOED] + "..."
        raise typer.BadParameter(f"{echoed!r} is not a name ledgerflow takes: use {NAME_RULE}.") from None
    return value
