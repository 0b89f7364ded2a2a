"""The actions: sign-in and sign-out, resync, replay, and a changed settings file tried and applied. Each shows
what it will do before it does it, asks for a confirmation, and is written to the audit log."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ledgerflow.cli.configuration import apply_settings
from ledgerflow.console import actions, auth, dry_run, letters, reads
from ledgerflow.console.context import (
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    answer,
    checked_form,
    console_of,
    plain,
    principal,
    redirect,
    templates,
    tenant_for,
)
from ledgerflow.console.pages import order_filter, tenant_letters
from ledgerflow.console.reads import OrderFilter
from ledgerflow.planner.connections import ConfigError


def _safe_next(value: str | None) -> str:
    """Only an address of this console: never an open redirect to elsewhere."""
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


async def sign_in_form(request: Request) -> Response:
    console = console_of(request)
    token = request.query_params.get("token")
    if token:  # the one-time link ``demo --keep`` prints: spent by this visit
        return await _signed_in(request, token, "/", link=True)
    check = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(
        request,
        "sign_in.html",
        {
            "who": None,
            "console": console,
            "csrf": check,
            "next": _safe_next(request.query_params.get("next")),
        },
    )
    response.set_cookie(SIGN_IN_CSRF_COOKIE, check, httponly=True, samesite="strict",
                        secure=console.settings.secure_cookies)  # fmt: skip
    return response


async def sign_in(request: Request) -> Response:
    form = await request.form()
    expected = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(str(form.get("csrf", "")), expected):
        raise HTTPException(403, "This form has expired: reload the page and try again.")
    return await _signed_in(request, str(form.get("token", "")).strip(), _safe_next(str(form.get("next", "/"))))


async def _signed_in(request: Request, token: str, next_url: str, *, link: bool = False) -> Response:
    console = console_of(request)
    hours = timedelta(hours=console.settings.session_hours)
    opened = await auth.sign_in(console.own, token, hours, single_use_only=link)
    if opened is None:
        return templates.TemplateResponse(
            request, "sign_in.html",
            {"who": None, "console": console, "csrf": request.cookies.get(SIGN_IN_CSRF_COOKIE, ""),
             "next": next_url, "refused": True}, status_code=401,
        )  # fmt: skip
    secret, who = opened
    await auth.record(console.own, who, who.tenant, "sign-in", {})
    response = redirect(next_url)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", secure=console.settings.secure_cookies,
                        max_age=int(console.settings.session_hours * 3600))  # fmt: skip
    response.delete_cookie(SIGN_IN_CSRF_COOKIE)
    return response


async def sign_out(request: Request) -> Response:
    who = await principal(request)
    await checked_form(request, who)
    if cookie := request.cookies.get(SESSION_COOKIE):
        await auth.sign_out(console_of(request).own, cookie)
    response = redirect("/sign-in")
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- resync ----------------------------------------------------------------------------------------------------------


async def resync_preview(request: Request) -> Response:
    """Which orders a resync would plan again, and what each has in the books now."""
    who = await principal(request)
    tenant = tenant_for(request, who)
    wanted = order_filter(request)
    delete = request.query_params.get("delete") == "1"
    chosen = wanted.number is not None or (wanted.ordered_from is not None and wanted.ordered_to is not None)
    found: list[reads.OrderRow] = []
    if chosen:
        selection = OrderFilter(number=wanted.number, ordered_from=wanted.ordered_from, ordered_to=wanted.ordered_to)
        async with reads.snapshot(console_of(request).reader) as conn:
            found = await reads.orders(conn, tenant, selection, {}, limit=10_000)
    context = {"tenant": tenant, "wanted": wanted, "delete": delete, "orders": found, "chosen": chosen}
    return answer(request, who, "resync.html", context, {"tenant": tenant, "orders": found, "delete": delete})


async def resync(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    form = await checked_form(request, who)
    number = str(form.get("number") or "").strip() or None
    try:
        sent = await actions.resync(
            console_of(request).bootstrap,
            tenant,
            order_number=number,
            ordered_from=_form_date(form.get("from")),
            ordered_to=_form_date(form.get("to")),
            delete=form.get("delete") == "1",
            requested_by=who.who,
        )
    except ValidationError as exc:
        raise HTTPException(400, str(exc.errors()[0]["msg"])) from None
    await auth.record(console_of(request).own, who, tenant, "resync", {"sent": plain(sent), "number": number,
                      "from": form.get("from"), "to": form.get("to"), "delete": form.get("delete") == "1"})  # fmt: skip
    return _done(request, who, tenant, sent, f"/tenants/{tenant}/orders/{number}" if number else None)


def _form_date(value: object) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _done(request: Request, who: auth.Principal, tenant: str, sent: actions.Sent, follow: str | None) -> Response:
    context = {"tenant": tenant, "sent": sent, "follow": follow}
    return answer(request, who, "done.html", context, {"tenant": tenant, "sent": sent}, status=202)


# --- replay ----------------------------------------------------------------------------------------------------------


async def _letter(request: Request, tenant: str) -> letters.Letter:
    wanted = str(request.path_params["letter_id"])
    for found in await tenant_letters(request, tenant):
        if found.id == wanted:
            return found
    raise HTTPException(404, "Not found")


async def replay_confirm(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    letter = await _letter(request, tenant)
    return answer(request, who, "replay.html", {"tenant": tenant, "x": letter}, {"dead_letter": letter.letter})


async def replay(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    await checked_form(request, who)
    letter = await _letter(request, tenant)
    try:
        sent = await actions.replay(console_of(request).bootstrap, letter, who.who)
    except actions.NotReplayable as exc:
        raise HTTPException(409, str(exc)) from None
    await auth.record(console_of(request).own, who, tenant, "replay", {"dead_letter": letter.id,
                      "code": letter.letter.error.code, "order": letter.order_number, "sent": plain(sent)})  # fmt: skip
    follow = f"/tenants/{tenant}/orders/{letter.order_number}" if letter.order_number else None
    return _done(request, who, tenant, sent, follow)


# --- connections -----------------------------------------------------------------------------------------------------


async def settings_dry_run(request: Request) -> Response:
    """The file validated as ``config apply`` would, then tried on the tenant's recent orders; nothing stored."""
    who = await principal(request)
    tenant = tenant_for(request, who)
    form = await checked_form(request, who)
    text = str(form.get("settings", ""))
    try:
        changed = dry_run.parse(text)
        dry_run.check_tenant(changed, tenant)
    except (ConfigError, dry_run.ForeignSettings) as exc:
        problems = str(exc).splitlines()
        refused = {"tenant": tenant, "text": text, "problems": problems, "result": None}
        return answer(request, who, "dry_run.html", refused, {"problems": problems}, status=422)
    async with reads.snapshot(console_of(request).reader) as conn:
        result = await dry_run.dry_run(conn, tenant, changed)
    context = {"tenant": tenant, "text": text, "problems": [], "result": result}
    return answer(request, who, "dry_run.html", context, {"problems": [], "dry_run": result})


async def settings_apply(request: Request) -> Response:
    """Stored by the planner's own functions (``ledgerflow config apply``), after the same validation."""
    who = await principal(request)
    tenant = tenant_for(request, who)
    form = await checked_form(request, who)
    text = str(form.get("settings", ""))
    try:
        changed = dry_run.parse(text)
        dry_run.check_tenant(changed, tenant)
    except (ConfigError, dry_run.ForeignSettings) as exc:
        raise HTTPException(422, str(exc)) from None
    console = console_of(request)
    applied = await apply_settings(changed.connections, console.settings.database.url, changed.rule_sets)
    versions = {s.connection: v for s, v in applied.connections} | {
        f"rules {r.tenant}": v for r, v in applied.rule_sets
    }
    await auth.record(console.own, who, tenant, "settings-applied", {"versions": versions})
    return redirect(f"/tenants/{tenant}/connections")
