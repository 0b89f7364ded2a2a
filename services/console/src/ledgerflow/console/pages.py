"""The read-only pages: orders, one order, failures, connections, health, the audit log."""

from __future__ import annotations

from datetime import date

import asyncpg
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ledgerflow.cli.queues import age, as_json, status
from ledgerflow.console import auth, health, letters, reads
from ledgerflow.console.context import answer, console_of, principal, redirect, tenant_for
from ledgerflow.console.letters import Letter
from ledgerflow.console.plot import activity_svg
from ledgerflow.console.reads import OrderFilter, OrderStatus
from ledgerflow.planner import connections
from ledgerflow.planner.rules import store as rule_store
from ledgerflow.runtime.database import DbConnection


async def tenant_letters(request: Request, tenant: str) -> list[Letter]:
    """The tenant's dead letters, newest first, read from their topics as ``ledgerflow reconcile`` reads them."""
    return await console_of(request).dead_letters.of(tenant)


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{value!r} is not a date (YYYY-MM-DD)") from None


def order_filter(request: Request) -> OrderFilter:
    query = request.query_params
    wanted = query.get("status") or None
    statuses = {s.value: s for s in OrderStatus}
    if wanted is not None and wanted not in statuses:
        raise HTTPException(400, f"status is one of: {', '.join(statuses)}")
    return OrderFilter(
        channel=query.get("channel") or None,
        status=statuses[wanted] if wanted else None,
        ordered_from=_date(query.get("from")),
        ordered_to=_date(query.get("to")),
        number=(query.get("number") or "").strip().lstrip("#") or None,
    )


async def home(request: Request) -> Response:
    who = await principal(request)
    return redirect("/tenants" if who.admin else f"/tenants/{who.tenant}/orders")


async def tenants(request: Request) -> Response:
    who = await principal(request)
    if not who.admin:
        return redirect(f"/tenants/{who.tenant}/orders")
    async with reads.snapshot(console_of(request).reader) as conn:
        names = await reads.tenants(conn)
    return answer(request, who, "tenants.html", {"tenants": names}, {"tenants": names})


async def orders(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    wanted = order_filter(request)
    dead = letters.by_order(await tenant_letters(request, tenant))
    console = console_of(request)
    async with reads.snapshot(console.reader) as conn:
        found = await reads.orders(conn, tenant, wanted, dead, console.settings.page_size)
    context = {"tenant": tenant, "orders": found, "wanted": wanted, "statuses": list(OrderStatus)}
    return answer(request, who, "orders.html", context, {"tenant": tenant, "orders": found})


async def order(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    number = str(request.path_params["order_number"])
    tenant_dead = [x for x in await tenant_letters(request, tenant) if x.order_number == number]
    async with reads.snapshot(console_of(request).reader) as conn:
        details = await reads.order_details(conn, tenant, number, letters.by_order(tenant_dead))
    if not details and not tenant_dead:
        raise HTTPException(404, "Not found")
    body = {"tenant": tenant, "order_number": number, "orders": details,
            "dead_letters": [x.letter for x in tenant_dead]}  # fmt: skip
    context = {"tenant": tenant, "number": number, "details": details, "letters": tenant_dead}
    return answer(request, who, "order.html", context, body)


async def failures(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    found = await tenant_letters(request, tenant)
    async with reads.snapshot(console_of(request).reader) as conn:
        failed = await reads.failed_documents(conn, tenant)
    causes = letters.by_cause(found, failed)
    # A replayed dead letter stays in its topic until retention: the audit log says who replayed it, and when.
    replayed = {e.detail.get("dead_letter"): e for e in await auth.audit_log(console_of(request).own, tenant, 1000)
                if e.action == "replay"}  # fmt: skip
    body = {
        "tenant": tenant,
        "causes": {code: {"dead_letters": [x.letter for x in cause.letters], "failed_documents": cause.documents}
                   for code, cause in causes.items()},
        "replayed": {letter: {"by": e.who, "at": e.at} for letter, e in replayed.items()},
    }  # fmt: skip
    return answer(request, who, "failures.html", {"tenant": tenant, "causes": causes, "replayed": replayed}, body)


async def connections_page(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    async with reads.snapshot(console_of(request).reader) as conn:
        names = [r["connection_id"] for r in await reads.rows(
            conn, """SELECT DISTINCT connection_id FROM planner.connection_settings WHERE tenant_id = $1
                     UNION SELECT DISTINCT connection_id FROM planner.orders WHERE tenant_id = $1
                     ORDER BY 1""", tenant)]  # fmt: skip
        settings = {}
        for name in names:
            found = await _current(conn, tenant, name)
            settings[name] = found.model_dump(mode="json", exclude={"tenant"}) if found else None
        version = await _rules_version(conn, tenant)
        rules = await reads.rows(conn, "SELECT rules::text AS rules FROM planner.rule_sets WHERE tenant_id = $1 "
                                       "AND version = $2", tenant, version)  # fmt: skip
    rule_text = rules[0]["rules"] if rules else None
    body = {"tenant": tenant, "connections": settings, "rules_version": version, "rules": rule_text}
    context = {"tenant": tenant, "settings": settings, "rules_version": version, "rules": rule_text}
    return answer(request, who, "connections.html", context, body)


async def _current(conn: DbConnection, tenant: str, name: str) -> connections.ConnectionSettings | None:
    try:
        async with conn.transaction():  # a savepoint: before the planner's first start there is no table
            return await connections.current(conn, tenant, name)
    except asyncpg.UndefinedTableError:
        return None


async def _rules_version(conn: DbConnection, tenant: str) -> int:
    try:
        async with conn.transaction():
            return await rule_store.current_version(conn, tenant)
    except asyncpg.UndefinedTableError:
        return 0


async def health_page(request: Request) -> Response:
    who = await principal(request)
    console = console_of(request)
    tenant = None if who.admin else who.tenant
    async with reads.snapshot(console.reader) as conn:
        companies = await health.queues(conn, tenant)
        minutes = await health.activity(conn, tenant)
    services = await health.readiness(console.settings.services)
    body = {
        "companies": [as_json(q) | {"status": status(q)} for q in companies],
        "services": services,
        "per_minute": minutes,
    }
    context = {"companies": companies, "status": status, "age": age, "services": services,
               "plot": activity_svg(minutes), "posted": sum(m.posted for m in minutes),
               "failed": sum(m.failed for m in minutes)}  # fmt: skip
    return answer(request, who, "health.html", context, body)


async def audit_page(request: Request) -> Response:
    who = await principal(request)
    tenant = tenant_for(request, who)
    entries = await auth.audit_log(console_of(request).own, tenant)
    return answer(request, who, "audit.html", {"tenant": tenant, "entries": entries}, {"entries": entries})
