"""The simulator's HTTP surface: QuickBooks Online v3 paths and envelopes, plus an admin API."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerflow.qbo_sim.auth import TokenIssuer, TokenLifetimes
from ledgerflow.qbo_sim.books import dump
from ledgerflow.qbo_sim.chaos import FaultPlan
from ledgerflow.qbo_sim.company import INDEXED_FIELDS, Company, Preferences
from ledgerflow.qbo_sim.entities import DEACTIVATED_NAMES, RESOURCES, Books, Rules
from ledgerflow.qbo_sim.errors import (
    QboFault,
    invalid_id,
    invalid_query,
    object_not_found,
    required_missing,
    server_time,
    stale_object,
    system_fault,
    throttled,
    unsupported,
)
from ledgerflow.qbo_sim.limits import Limits, Throttle
from ledgerflow.qbo_sim.query import Condition, Query, indexed_equality, parse, run
from ledgerflow.qbo_sim.schema import unqueryable

MAX_BATCH_ITEMS = 30
MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
PURCHASE_CUSTOM_NUMBERS = "VendorAndPurchasesPrefs.UseCustomTxnNumbers"


def _encode(value: Any) -> str:
    """JSON text in which amounts are number literals with their scale, as QuickBooks writes them (``100.00``,
    ``337.50``): the standard encoder can only write a Decimal through a float (``100``, ``337.5``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_encode(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # Recorded: success answers say the charset, fault answers do not.
    media_type = "application/json;charset=utf-8" if status == 200 else "application/json"
    return Response(_encode(body), status_code=status, media_type=media_type, headers=headers)


def new_tid() -> str:
    """An ``intuit_tid`` in the shape QuickBooks gives it (``1-66f5a3b2-2d1d4c7a5e0b1b1a3c5e7f90``)."""
    raw = uuid.uuid4().hex
    return f"1-{raw[:8]}-{raw[8:32]}"


class IntuitTid:
    """Every answer, API, token endpoint and errors alike, carries an ``intuit_tid`` header: what Intuit's
    support asks for to find a request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/admin"):
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"intuit_tid", new_tid().encode())]}
            await send(message)

        await self.app(scope, receive, tagged)


class ConnectionDropped(Exception):
    """Raised after a committed write's response has begun: the server closes the connection mid-answer."""


class DroppedResponse(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        raise ConnectionDropped


class QuietDrops(logging.Filter):
    """The dropped connections are the point of the fault; do not log them as server errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


class Simulator:
    """State per realm (one company per tenant), created on first use."""

    def __init__(
        self,
        *,
        token: str | None = None,
        limits: Limits | None = None,
        faults: FaultPlan | None = None,
        lifetimes: TokenLifetimes | None = None,
        rules: Rules | None = None,
        custom_txn_numbers: bool = True,
        admin_token: str | None = None,
    ) -> None:
        self.issuer = TokenIssuer(dev_token=token, lifetimes=lifetimes or TokenLifetimes())
        self.admin_token = admin_token
        self.throttle = Throttle(limits or Limits())
        self.faults = faults or FaultPlan()
        self.rules = rules or Rules()
        self.custom_txn_numbers = custom_txn_numbers
        self.multi_currency = True
        self.sales_tax_rate: Decimal | None = None
        self.companies: dict[str, Company] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def company(self, realm_id: str) -> Company:
        if realm_id not in self.companies:
            preferences = Preferences(custom_txn_numbers=self.custom_txn_numbers, multi_currency=self.multi_currency,
                                      sales_tax_rate=self.sales_tax_rate)  # fmt: skip
            self.companies[realm_id] = Company(realm_id=realm_id, preferences=preferences)
        return self.companies[realm_id]

    def books(self, realm_id: str, hidden: frozenset[str] = frozenset()) -> Books:
        return Books(self.company(realm_id), self.rules, hidden)

    # ---- the v3 API ---------------------------------------------------------------------------

    async def api(
        self, request: Request, handler: Callable[[Request, str], Awaitable[Response]], *, batch: bool = False
    ) -> Response:
        """Authentication, throttling and injected faults around every v3 call, as one company sees them."""
        realm = request.path_params["realm"]
        self.issuer.check(request.headers.get("authorization"), realm)
        if not self.throttle.admit(realm, batch=batch):
            raise throttled()
        try:
            faults = self.faults
            if faults.latency_ms:
                await asyncio.sleep(faults.latency_ms / 1000)
            if faults.roll(faults.error_rate):
                raise system_fault(503)
            if faults.roll(faults.timeout_rate):
                await asyncio.sleep(faults.hang_seconds)
                raise system_fault(504)
            return await handler(request, realm)
        finally:
            self.throttle.release(realm)

    async def write(self, request: Request) -> Response:
        return await self.api(request, self._write)

    async def _write(self, request: Request, realm: str) -> Response:
        entity = RESOURCES.get(request.path_params["resource"].lower())
        if entity is None:
            raise unsupported(request.url.path)
        request_id = request.query_params.get("requestid")
        if request_id is not None and len(request_id) > MAX_REQUEST_ID:
            raise QboFault("2010", "Invalid or unsupported property", "requestid is longer than 50 characters")
        body = await _json_body(request)
        async with self._locks[realm]:
            company = self.company(realm)
            replay = request_id is not None and self.faults.requestid == "honoured"
            if replay and request_id in company.responses:
                status, answer = company.responses[request_id]
                return json_response(answer, status)
            try:
                record = self._operate(realm, entity, request.query_params, body)
                status, answer = 200, {entity: record, "time": server_time()}
            except QboFault as fault:
                status, answer = fault.status, fault.body()
            if request_id is not None:
                company.responses[request_id] = (status, answer)
        if status == 200 and self.faults.roll(self.faults.drop_rate):
            return DroppedResponse()
        return json_response(answer, status)

    def _operate(
        self, realm: str, entity: str, params: Any, body: dict[str, Any], hidden: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        books = self.books(realm, hidden)
        operation = params.get("operation", "create" if "Id" not in body else "update")
        include = params.get("include", "")
        allow_duplicate = "allowduplicatedocnum" in include
        if operation == "delete":
            return books.delete(entity, body)
        if operation == "void" or (operation == "update" and "void" in include.split(",")):
            return books.void(entity, body)
        if operation == "update" or "Id" in body:
            return books.update(entity, body, allow_duplicate=allow_duplicate)
        if operation != "create":
            raise QboFault("2170", "Invalid Enumeration", f"operation: {operation}", element="operation")
        return books.create(entity, body, allow_duplicate=allow_duplicate)

    async def read(self, request: Request) -> Response:
        return await self.api(request, self._read)

    async def _read(self, request: Request, realm: str) -> Response:
        entity = RESOURCES.get(request.path_params["resource"].lower())
        if entity is None:
            raise unsupported(request.url.path)
        entity_id = request.path_params["id"]
        if entity != "TaxCode" and not entity_id.isdigit():
            fault = invalid_id(entity_id).body()
            del fault["time"]  # recorded without one
            return json_response(fault, 400)
        record = self.company(realm).get(entity, entity_id)
        if record is None:
            raise object_not_found(entity, entity_id)
        return json_response({entity: record, "time": server_time()})

    async def query(self, request: Request) -> Response:
        return await self.api(request, self._query)

    async def _query(self, request: Request, realm: str) -> Response:
        if request.method == "GET":
            statement = request.query_params.get("query", "")
        else:
            statement = (await request.body()).decode()
        return json_response({"QueryResponse": self._run_query(realm, statement), "time": server_time()})

    def _run_query(self, realm: str, statement: str) -> dict[str, Any]:
        parsed = parse(statement)
        entity = self._entity_named(parsed.entity)
        parsed = _active_only_by_default(Query(**{**parsed.__dict__, "entity": entity}))
        if self.rules.filterable_fields_only:
            for condition in parsed.conditions:
                if unqueryable(entity, condition.field):
                    raise invalid_query(f"property '{condition.field}' is not queryable")
        company = self.company(realm)
        narrowed = indexed_equality(parsed, INDEXED_FIELDS)
        records = company.find(parsed.entity, *narrowed) if narrowed else company.table(parsed.entity).values()
        return run(parsed, records)

    def _entity_named(self, name: str) -> str:
        if name in RESOURCES.values():
            return name
        if self.rules.query_entity_case == "insensitive" and name.lower() in RESOURCES:
            return RESOURCES[name.lower()]
        raise invalid_query(f"invalid context declaration: {name}")

    async def preferences(self, request: Request) -> Response:
        return await self.api(request, self._preferences)

    async def _preferences(self, request: Request, realm: str) -> Response:
        prefs = self.company(realm).preferences
        if request.method == "POST":
            body = await _json_body(request)
            if body.get("SyncToken") is None:
                raise required_missing("SyncToken")
            if str(body["SyncToken"]) != str(prefs.sync_token):
                raise stale_object()
            sales = body.get("SalesFormsPrefs") or {}
            if "CustomTxnNumbers" in sales:
                prefs.custom_txn_numbers = bool(sales["CustomTxnNumbers"])
            for pair in (body.get("OtherPrefs") or {}).get("NameValue") or []:
                if pair.get("Name") == PURCHASE_CUSTOM_NUMBERS:
                    prefs.purchase_custom_txn_numbers = str(pair.get("Value")).lower() == "true"
            prefs.sync_token += 1
        return json_response({"Preferences": prefs.entity(), "time": server_time()})

    async def batch(self, request: Request) -> Response:
        return await self.api(request, self._batch, batch=True)

    async def _batch(self, request: Request, realm: str) -> Response:
        request_id = request.query_params.get("requestid")
        if request_id is not None and len(request_id) > MAX_BATCH_REQUEST_ID:
            raise QboFault("2010", "Invalid or unsupported property", "batch requestid is longer than 36 characters")
        body = await _json_body(request)
        items = body.get("BatchItemRequest") or []
        if len(items) > MAX_BATCH_ITEMS:
            raise QboFault("1040", "Batch size exceeds allowed limit", f"{len(items)} items; at most {MAX_BATCH_ITEMS}")
        async with self._locks[realm]:
            company = self.company(realm)
            replay = request_id is not None and self.faults.requestid == "honoured"
            if replay and request_id in company.responses:
                status, answer = company.responses[request_id]
                return json_response(answer, status)
            # The items of one batch cannot see each other's results: what one creates, the next cannot use.
            created: set[str] = set()
            answers = [self._batch_item(realm, item, created) for item in items]
            answer = {"BatchItemResponse": answers, "time": server_time()}
            if request_id is not None:
                company.responses[request_id] = (200, answer)
        if created and self.faults.roll(self.faults.drop_rate):
            return DroppedResponse()  # written, and the answer lost: as for a single write
        return json_response(answer)

    def _batch_item(self, realm: str, item: dict[str, Any], created: set[str]) -> dict[str, Any]:
        bid = item.get("bId")
        try:
            if "Query" in item:
                return {"bId": bid, "QueryResponse": self._run_query(realm, item["Query"])}
            entity = next((e for e in RESOURCES.values() if e in item), None)
            if entity is None:
                raise QboFault("2020", "Required param missing", "No entity in batch item")
            operation = item.get("operation", "create")
            params = {"operation": operation, "include": item.get("optionsData", "")}
            record = self._operate(realm, entity, params, item[entity], frozenset(created))
            created.add(str(record.get("Id")))
            return {"bId": bid, entity: record}
        except QboFault as fault:
            return {"bId": bid, "Fault": fault.body()["Fault"]}

    # ---- OAuth 2 ------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            return json_response({"error": "unsupported_grant_type"}, 400)
        tokens = self.issuer.refresh(str(form["refresh_token"]))
        if tokens is None:
            return json_response({"error": "invalid_grant"}, 400)
        return json_response(tokens)

    # ---- admin --------------------------------------------------------------------------------

    async def admin_connect(self, request: Request) -> Response:
        realm = request.path_params["realm"]
        self.company(realm)
        return json_response(self.issuer.connect(realm))

    async def admin_books(self, request: Request) -> Response:
        return json_response(dump(self.company(request.path_params["realm"])))

    async def admin_company(self, request: Request) -> Response:
        """A company's settings a bookkeeper changes in QuickBooks: automated sales tax and multicurrency."""
        prefs = self.company(request.path_params["realm"]).preferences
        if request.method == "PUT":
            body = await _json_body(request)
            unknown = set(body) - {"sales_tax_rate", "multi_currency"}
            if unknown:
                return json_response({"error": f"unknown company settings: {', '.join(sorted(unknown))}"}, 400)
            if "sales_tax_rate" in body:
                rate = body["sales_tax_rate"]
                prefs.sales_tax_rate = None if rate is None else Decimal(str(rate))
            if "multi_currency" in body:
                prefs.multi_currency = bool(body["multi_currency"])
        return json_response({"sales_tax_rate": prefs.sales_tax_rate, "multi_currency": prefs.multi_currency})

    async def admin_rules(self, request: Request) -> Response:
        """The switches for what the sources leave open (docs/simulator.md), for every company."""
        if request.method == "PUT":
            try:
                self.rules = Rules.from_dict(await _json_body(request))
            except (TypeError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
        return json_response(self.rules.as_dict())

    async def admin_traffic(self, request: Request) -> Response:
        """Requests a company's API took and refused, and the most it had in flight at once."""
        return json_response(self.throttle.traffic(request.path_params["realm"]))

    async def admin_keyed_by_hand(self, request: Request) -> Response:
        """A document created directly in the books, as a bookkeeper would key it in: no token, no limits."""
        realm = request.path_params["realm"]
        entity = RESOURCES.get(request.path_params["resource"].lower())
        if entity is None:
            raise unsupported(request.url.path)
        body = await _json_body(request)
        async with self._locks[realm]:
            record = self.books(realm).create(entity, body, allow_duplicate=True)
        return json_response({entity: record, "time": server_time()})

    async def admin_faults(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                self.faults = FaultPlan.from_dict(await _json_body(request))
            except (TypeError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
        return json_response(self.faults.as_dict())

    async def admin_limits(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                self.throttle.reset(Limits(**await _json_body(request)))
            except TypeError as exc:
                return json_response({"error": str(exc)}, 400)
        limits = self.throttle.limits
        return json_response({"requests_per_minute": limits.requests_per_minute, "concurrent": limits.concurrent,
                              "batch_per_minute": limits.batch_per_minute, "enabled": limits.enabled})  # fmt: skip

    async def health(self, request: Request) -> Response:
        return json_response({"status": "ok", "companies": len(self.companies)})


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body(), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise QboFault("500", "Unsupported Operation", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise QboFault("500", "Unsupported Operation", "Request body must be a JSON object")
    return body


def _active_only_by_default(query: Query) -> Query:
    """A plain query of a name list answers only active records; asking about ``Active`` shows the others."""
    if query.entity not in DEACTIVATED_NAMES or any(c.field == "Active" for c in query.conditions):
        return query
    return Query(**{**query.__dict__, "conditions": (*query.conditions, Condition("Active", "=", True))})


async def _fault_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QboFault)
    headers = None
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
    if exc.status == 429:
        retry_after = request.app.state.retry_after
        headers = {"Retry-After": str(retry_after)} if retry_after else None
    return json_response(exc.body(), exc.status, headers)


async def _no_such_path(request: Request, exc: Exception) -> Response:
    """An unknown path or method is a 400 Fault, as QuickBooks answers it, not a bare 404."""
    assert isinstance(exc, HTTPException)
    relative = request.url.path.split("/v3/company/", 1)[-1].partition("/")[2] or request.url.path
    return await _fault_handler(request, unsupported(relative))


ADMIN_HEADER = "X-Ledgerflow-Admin"
AdminHandler = Callable[[Request], Awaitable[Response]]


def _admin_only(sim: Simulator, handler: AdminHandler) -> AdminHandler:
    """The admin API (faults, limits, books, tokens minted for any realm) answers only its own token."""

    async def gated(request: Request) -> Response:
        if sim.admin_token is None:
            return json_response({"error": "the admin API is off: start the simulator with --admin-token"}, 403)
        given = request.headers.get(ADMIN_HEADER, "")
        if not hmac.compare_digest(given.encode(), sim.admin_token.encode()):
            return json_response({"error": f"missing or wrong {ADMIN_HEADER}"}, 401)
        return await handler(request)

    return gated


def create_app(
    simulator: Simulator | None = None, *, token: str | None = None, retry_after: int | None = None
) -> Starlette:
    sim = simulator or Simulator(token=token)
    company = "/v3/company/{realm}"
    app = Starlette(
        routes=[
            Route("/oauth2/v1/tokens/bearer", sim.token, methods=["POST"]),
            Route(f"{company}/query", sim.query, methods=["GET", "POST"]),
            Route(f"{company}/batch", sim.batch, methods=["POST"]),
            Route(f"{company}/preferences", sim.preferences, methods=["GET", "POST"]),
            Route(f"{company}/{{resource}}", sim.write, methods=["POST"]),
            Route(f"{company}/{{resource}}/{{id}}", sim.read, methods=["GET"]),
            Route("/admin/faults", _admin_only(sim, sim.admin_faults), methods=["GET", "PUT"]),
            Route("/admin/limits", _admin_only(sim, sim.admin_limits), methods=["GET", "PUT"]),
            Route("/admin/realms/{realm}/connect", _admin_only(sim, sim.admin_connect), methods=["POST"]),
            Route("/admin/realms/{realm}/books", _admin_only(sim, sim.admin_books), methods=["GET"]),
            Route("/admin/realms/{realm}/traffic", _admin_only(sim, sim.admin_traffic), methods=["GET"]),
            Route("/admin/realms/{realm}/company", _admin_only(sim, sim.admin_company), methods=["GET", "PUT"]),
            Route("/admin/rules", _admin_only(sim, sim.admin_rules), methods=["GET", "PUT"]),
            Route(
                "/admin/realms/{realm}/entities/{resource}", _admin_only(sim, sim.admin_keyed_by_hand), methods=["POST"]
            ),
            Route("/health", sim.health, methods=["GET"]),
        ],
        exception_handlers={QboFault: _fault_handler, 404: _no_such_path, 405: _no_such_path},
        middleware=[Middleware(IntuitTid)],
    )
    app.state.simulator = sim
    app.state.retry_after = retry_after
    return app
