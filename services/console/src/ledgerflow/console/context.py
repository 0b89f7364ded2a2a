"""What every handler needs: who asks, whether they may see the tenant, how to answer (HTML or JSON), and the
CSRF check of a browser's forms."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import asyncpg
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from ledgerflow.console import auth
from ledgerflow.console.auth import Principal
from ledgerflow.console.letters import Recent
from ledgerflow.console.settings import ConsoleSettings

SESSION_COOKIE = "ledgerflow_console"
SIGN_IN_CSRF_COOKIE = "ledgerflow_console_csrf"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@dataclass
class Console:
    settings: ConsoleSettings
    own: asyncpg.Pool  # the console's schema: tokens, sessions, audit
    reader: asyncpg.Pool  # the services' tables, every transaction read-only
    dead_letters: Recent

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka.bootstrap_servers

    def trace_url(self, trace_id: str | None) -> str | None:
        base = self.settings.trace_ui_url
        return f"{base.rstrip('/')}/trace/{trace_id}" if base and trace_id else None


def console_of(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


class SignInNeeded(Exception):
    """No valid session or token: a browser is sent to sign in, a script gets 401."""


async def principal(request: Request) -> Principal:
    console = console_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = await auth.bearer(console.own, header[7:].strip())
    elif cookie := request.cookies.get(SESSION_COOKIE):
        found = await auth.session(console.own, cookie)
    else:
        found = None
    if found is None:
        raise SignInNeeded
    return found


def tenant_for(request: Request, who: Principal) -> str:
    """The tenant of the address; another tenant's is answered like a missing page, so nothing is learnt."""
    tenant = str(request.path_params["tenant"])
    if not who.may_see(tenant):
        raise HTTPException(404, "Not found")
    return tenant


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def plain(value: Any) -> Any:
    """A value as JSON holds it: amounts as decimal strings, times in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def answer(
    request: Request, who: Principal | None, template: str, context: dict[str, Any], body: Any, status: int = 200
) -> Response:
    """The page, or for ``Accept: application/json`` the same facts as JSON."""
    if wants_json(request):
        return JSONResponse(plain(body), status_code=status)
    return templates.TemplateResponse(
        request, template, {"who": who, "console": console_of(request), **context}, status_code=status
    )


async def checked_form(request: Request, who: Principal) -> FormData:
    """A form's fields, once its CSRF token matches the session's (scripts with a bearer token have no session
    cookie a forged page could ride on, so they carry none)."""
    form = await request.form()
    if who.csrf is not None and not secrets.compare_digest(str(form.get("csrf", "")), who.csrf):
        raise HTTPException(403, "This form has expired: reload the page and try again.")
    return form


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
