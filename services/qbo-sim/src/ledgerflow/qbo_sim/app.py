"""The simulator's HTTP surface: QuickBooks Online v3 paths and envelopes."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledgerflow.qbo_sim.entities import RESOURCES, Company, create
from ledgerflow.qbo_sim.faults import QboFault, authentication_failed, server_time, unsupported
from ledgerflow.qbo_sim.query import parse, run

MAX_BATCH_ITEMS = 30
MAX_REQUEST_ID = 50


def _encode(value: Any) -> Any:
    # QuickBooks sends amounts as JSON numbers; the shortest float repr round-trips them exactly.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body, default=_encode), status_code=status, media_type="application/json",
        headers={"intuit_tid": "sim-" + str(id(body))},
    )  # fmt: skip


class Simulator:
    """State per realm (one company per tenant), created on first use."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.companies: dict[str, Company] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def company(self, realm_id: str) -> Company:
        if realm_id not in self.companies:
            self.companies[realm_id] = Company(realm_id=realm_id)
        return self.companies[realm_id]

    def check_auth(self, request: Request) -> None:
        if self.token is None:
            return
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise authentication_failed()

    async def write(self, request: Request) -> Response:
        self.check_auth(request)
        realm = request.path_params["realm"]
        resource = request.path_params["resource"]
        if resource == "batch":
            return await self.batch(request, realm)
        entity = RESOURCES.get(resource.lower())
        if entity is None:
            raise unsupported(request.url.path)
        request_id = request.query_params.get("requestid")
        if request_id is not None and len(request_id) > MAX_REQUEST_ID:
            raise QboFault("2010", "Invalid or unsupported property", "requestid is longer than 50 characters")
        body = await _json_body(request)
        async with self._locks[realm]:
            company = self.company(realm)
            if request_id is not None and request_id in company.responses:
                status, answer = company.responses[request_id]
                return json_response(answer, status)
            allow_duplicate = "allowduplicatedocnum" in request.query_params.get("include", "")
            try:
                record = create(company, entity, body, allow_duplicate=allow_duplicate)
                status, answer = 200, {entity: record, "time": server_time()}
            except QboFault as fault:
                status, answer = fault.status, fault.body()
            if request_id is not None:
                company.responses[request_id] = (status, answer)
        return json_response(answer, status)

    async def read(self, request: Request) -> Response:
        self.check_auth(request)
        entity = RESOURCES.get(request.path_params["resource"].lower())
        if entity is None:
            raise unsupported(request.url.path)
        record = self.company(request.path_params["realm"]).get(entity, request.path_params["id"])
        if record is None:
            raise QboFault("610", "Object Not Found", f"Object Not Found : Something you're trying to use has "
                           f"been made inactive. Check the fields with accounts, customers, items, vendors or "
                           f"employees. ({entity} Id={request.path_params['id']})")  # fmt: skip
        return json_response({entity: record, "time": server_time()})

    async def query(self, request: Request) -> Response:
        self.check_auth(request)
        if request.method == "GET":
            statement = request.query_params.get("query", "")
        else:
            statement = (await request.body()).decode()
        parsed = parse(statement)
        company = self.company(request.path_params["realm"])
        result = run(parsed, list(company.table(parsed.entity).values()))
        return json_response({"QueryResponse": result, "time": server_time()})

    async def batch(self, request: Request, realm: str) -> Response:
        body = await _json_body(request)
        items = body.get("BatchItemRequest") or []
        if len(items) > MAX_BATCH_ITEMS:
            raise QboFault("1040", "Batch size exceeds allowed limit", f"{len(items)} items; at most {MAX_BATCH_ITEMS}")
        answers = []
        async with self._locks[realm]:
            company = self.company(realm)
            for item in items:
                answers.append(self._batch_item(company, item))
        return json_response({"BatchItemResponse": answers, "time": server_time()})

    def _batch_item(self, company: Company, item: dict[str, Any]) -> dict[str, Any]:
        bid = item.get("bId")
        try:
            if "Query" in item:
                parsed = parse(item["Query"])
                return {"bId": bid, "QueryResponse": run(parsed, list(company.table(parsed.entity).values()))}
            if item.get("operation") != "create":
                raise QboFault("500", "Unsupported Operation", f"operation {item.get('operation')} in batch")
            entity = next((e for e in RESOURCES.values() if e in item), None)
            if entity is None:
                raise QboFault("2020", "Required param missing", "No entity in batch item")
            return {"bId": bid, entity: create(company, entity, item[entity])}
        except QboFault as fault:
            return {"bId": bid, "Fault": fault.body()["Fault"]}


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body(), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise QboFault("500", "Unsupported Operation", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise QboFault("500", "Unsupported Operation", "Request body must be a JSON object")
    return body


async def _fault_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QboFault)
    return json_response(exc.body(), exc.status)


def create_app(token: str | None = None) -> Starlette:
    sim = Simulator(token=token)
    app = Starlette(
        routes=[
            Route("/v3/company/{realm}/query", sim.query, methods=["GET", "POST"]),
            Route("/v3/company/{realm}/{resource}", sim.write, methods=["POST"]),
            Route("/v3/company/{realm}/{resource}/{id}", sim.read, methods=["GET"]),
        ],
        exception_handlers={QboFault: _fault_handler},
    )
    app.state.simulator = sim
    return app
