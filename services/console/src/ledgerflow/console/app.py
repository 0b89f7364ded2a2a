"""The console's web application: addresses, sign-in handling, security headers, and its database pools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import asyncpg
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerflow.console import forms, pages
from ledgerflow.console.context import Console, SignInNeeded, redirect, templates, wants_json
from ledgerflow.console.letters import Recent
from ledgerflow.console.schema import DDL, SCHEMA
from ledgerflow.console.settings import ConsoleSettings

STYLE = (Path(__file__).parent / "templates" / "console.css").read_text()
# No script at all, styles from this console only, no framing: a page cannot be made to act for someone else.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


async def migrate(pool: asyncpg.Pool) -> None:
    """The console's own tables; safe from many replicas at once."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"ledgerflow-migrate-{SCHEMA}")
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        for statement in DDL:
            await conn.execute(statement)


async def open_pools(settings: ConsoleSettings) -> tuple[asyncpg.Pool, asyncpg.Pool]:
    url = settings.database.url
    own = await asyncpg.create_pool(
        url, min_size=1, max_size=4, server_settings={"search_path": SCHEMA, "application_name": "ledgerflow-console"}
    )
    # The services' tables are read through a pool whose every transaction is read-only: the console cannot
    # change them behind their back, whatever a query says.
    reader = await asyncpg.create_pool(url, min_size=1, max_size=4, server_settings={
        "search_path": "planner,ledger_writer", "default_transaction_read_only": "on",
        "application_name": "ledgerflow-console-reader"})  # fmt: skip
    assert own is not None and reader is not None
    return own, reader


async def live(request: Request) -> Response:
    return PlainTextResponse("ok")


async def ready(request: Request) -> Response:
    console: Console = request.app.state.console
    try:
        await console.own.fetchval("SELECT 1")
    except (OSError, asyncpg.PostgresError):
        return PlainTextResponse("database unreachable", status_code=503)
    return PlainTextResponse("ok")


async def style(request: Request) -> Response:
    return Response(STYLE, media_type="text/css")


ROUTES = [
    Route("/", pages.home),
    Route("/console.css", style),
    Route("/health/live", live),
    Route("/health/ready", ready),
    Route("/health", pages.health_page),
    Route("/sign-in", forms.sign_in_form, methods=["GET"]),
    Route("/sign-in", forms.sign_in, methods=["POST"]),
    Route("/sign-out", forms.sign_out, methods=["POST"]),
    Route("/tenants", pages.tenants),
    Route("/tenants/{tenant}/orders", pages.orders),
    Route("/tenants/{tenant}/orders/{order_number:path}", pages.order),  # a channel's number may hold a slash
    Route("/tenants/{tenant}/failures", pages.failures),
    Route("/tenants/{tenant}/failures/{letter_id}/replay", forms.replay_confirm, methods=["GET"]),
    Route("/tenants/{tenant}/failures/{letter_id}/replay", forms.replay, methods=["POST"]),
    Route("/tenants/{tenant}/resync", forms.resync_preview, methods=["GET"]),
    Route("/tenants/{tenant}/resync", forms.resync, methods=["POST"]),
    Route("/tenants/{tenant}/connections", pages.connections_page),
    Route("/tenants/{tenant}/connections/dry-run", forms.settings_dry_run, methods=["POST"]),
    Route("/tenants/{tenant}/connections/apply", forms.settings_apply, methods=["POST"]),
    Route("/tenants/{tenant}/audit", pages.audit_page),
]


async def _sign_in_needed(request: Request, exc: Exception) -> Response:
    if wants_json(request) or "authorization" in request.headers:
        return JSONResponse({"error": "sign-in needed"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return redirect(f"/sign-in?next={quote(request.url.path)}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if wants_json(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"who": None, "console": request.app.state.console, "status": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
    )


def create_app(settings: ConsoleSettings | None = None) -> Starlette:
    settings = settings or ConsoleSettings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own, reader = await open_pools(settings)
        try:
            await migrate(own)
            app.state.console = Console(settings, own, reader, Recent(settings.kafka.bootstrap_servers))
            yield
        finally:
            await own.close()
            await reader.close()

    return Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={SignInNeeded: _sign_in_needed, HTTPException: _http_error},
        middleware=[Middleware(SecurityHeaders)],
    )


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def serve(settings: ConsoleSettings | None = None) -> None:
    import uvicorn

    settings = settings or ConsoleSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                proxy_headers=True, server_header=False)  # fmt: skip
