"""HTTP client for QuickBooks Online v3: one keep-alive pool, faults turned into exceptions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

import httpx
import structlog
from httpx_aiohttp import AiohttpTransport
from opentelemetry import trace
from pydantic import SecretStr

from ledgerflow.ledger_writer.books import AmbiguousOutcome, Throttled
from ledgerflow.ledger_writer.posting.retry import backoff
from ledgerflow.ledger_writer.targets.qbo.rate_limit import CompanyLimiter
from ledgerflow.runtime.metrics import Metrics

log = structlog.get_logger(__name__)
TID_HEADER = "intuit_tid"  # what Intuit's support asks for to find one request


class QboError(Exception):
    pass


class QboFaultError(QboError):
    """QuickBooks refused the request; ``errors`` are its ``Fault.Error`` entries."""

    def __init__(
        self, status: int, fault_type: str, errors: list[dict[str, Any]], intuit_tid: str | None = None
    ) -> None:
        self.status = status
        self.intuit_tid = intuit_tid
        self.fault_type = fault_type
        self.errors = errors
        first = errors[0] if errors else {}
        self.code = str(first.get("code", ""))
        self.message = str(first.get("Message") or first.get("message") or "")
        self.detail = str(first.get("Detail") or first.get("detail") or "")
        super().__init__(f"QuickBooks {self.code}: {self.message} ({self.detail})")


class BearerTokens(Protocol):
    """Each company's own OAuth 2 access token, where it has stored credentials."""

    async def current(self, realm: str) -> SecretStr | None:
        """``None``: the company has none, and the static token serves it."""
        ...

    async def renewed(self, realm: str, rejected: SecretStr) -> SecretStr:
        """Another token than ``rejected``, which QuickBooks answered with a 401."""
        ...


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def equals(field: str, value: str) -> str:
    return f"{field} = '{_escape(value)}'"


class QuickBooksClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        minorversion: int = 75,
        timeout: float = 15.0,
        batch_timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        tracer: trace.Tracer | None = None,
        metrics: Metrics | None = None,
        limiter: CompanyLimiter | None = None,
        throttle_pause: float = 60.0,
        attempts: int = 5,
        tokens: BearerTokens | None = None,
        log_calls: bool = False,
    ) -> None:
        # The writer logs each call with its intuit_tid; a command-line tool keeps its output to itself.
        self._log_calls = log_calls
        self._tracer = tracer or trace.get_tracer("ledgerflow.ledger_writer.targets.qbo")
        self._metrics = metrics
        self._limiter = limiter or CompanyLimiter(
            on_wait=(lambda realm, s: metrics.rate_limit_wait.labels(realm).inc(s)) if metrics is not None else None
        )
        self._throttle_pause = throttle_pause
        # QuickBooks runs a batch's items one after the other: 30 of them take it seconds, not a single call's time.
        self._batch_timeout = max(timeout, batch_timeout)
        self._attempts = attempts
        self._token = SecretStr(token)
        self._tokens = tokens
        self._minorversion = minorversion
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            # httpx's own transport served from a third down to an eighth of the requests/s of aiohttp's on the
            # same calls, and the limiter already caps each company's requests in flight: a pool of 100 connections
            # (the default) was the tighter cap, holding 100 busy companies at 200 ms a call to half their rate
            # (docs/operations.md, "Writer speed"). A test may still pass a transport of its own.
            transport=transport or AiohttpTransport(limits=httpx.Limits(max_connections=1000)),
            headers={"Accept": "application/json"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create(self, realm: str, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        return (await self.create_traced(realm, entity, body, request_id))[0]

    async def create_traced(
        self, realm: str, entity: str, body: dict[str, Any], request_id: str
    ) -> tuple[dict[str, Any], str | None]:
        """The record and the ``intuit_tid`` of the answer that created it (support cases cite it)."""
        params = {"minorversion": str(self._minorversion), "requestid": request_id}
        answer = await self._send("POST", f"/v3/company/{realm}/{entity.lower()}", params, json_body=body)
        return dict(answer[entity]), answer.get(TID_HEADER)

    async def batch_create(
        self, realm: str, items: Sequence[tuple[str, str, dict[str, Any]]], request_id: str
    ) -> tuple[dict[str, dict[str, Any]], str | None]:
        """Create ``(bId, entity, body)`` items in one batch request: each item's answer (its record or its
        ``Fault``) by bId, and the ``intuit_tid`` of the whole."""
        body = {"BatchItemRequest": [{"bId": bid, "operation": "create", kind: doc} for bid, kind, doc in items]}
        params = {"minorversion": str(self._minorversion), "requestid": request_id}
        path = f"/v3/company/{realm}/batch"
        answer = await self._send("POST", path, params, json_body=body, timeout=self._batch_timeout)
        answers = answer.get("BatchItemResponse") or []
        return {str(item.get("bId")): item for item in answers if isinstance(item, dict)}, answer.get(TID_HEADER)

    async def preferences(self, realm: str) -> dict[str, Any]:
        params = {"minorversion": str(self._minorversion)}
        answer = await self._send("GET", f"/v3/company/{realm}/preferences", params)
        return dict(answer["Preferences"])

    async def read(self, realm: str, entity: str, entity_id: str) -> dict[str, Any]:
        params = {"minorversion": str(self._minorversion)}
        answer = await self._send("GET", f"/v3/company/{realm}/{entity.lower()}/{entity_id}", params)
        return dict(answer[entity])

    async def query(self, realm: str, entity: str, where: str) -> list[dict[str, Any]]:
        statement = f"select * from {entity} where {where}"
        params = {"minorversion": str(self._minorversion), "query": statement}
        answer = await self._send("GET", f"/v3/company/{realm}/query", params)
        return list(answer.get("QueryResponse", {}).get(entity, []))

    async def query_all(self, realm: str, entity: str, page: int = 1000) -> list[dict[str, Any]]:
        """Every record of a list entity (items, vendors), a page at a time."""
        records: list[dict[str, Any]] = []
        while True:
            statement = f"select * from {entity} STARTPOSITION {len(records) + 1} MAXRESULTS {page}"
            params = {"minorversion": str(self._minorversion), "query": statement}
            answer = await self._send("GET", f"/v3/company/{realm}/query", params)
            batch = list(answer.get("QueryResponse", {}).get(entity, []))
            records.extend(batch)
            if len(batch) < page:
                return records

    async def latest(self, realm: str, entity: str, count: int = 50) -> list[dict[str, Any]]:
        """The ``count`` documents created last (their numbers show where the books' sequence is)."""
        statement = f"select * from {entity} ORDERBY MetaData.CreateTime DESC MAXRESULTS {count}"
        params = {"minorversion": str(self._minorversion), "query": statement}
        answer = await self._send("GET", f"/v3/company/{realm}/query", params)
        return list(answer.get("QueryResponse", {}).get(entity, []))

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        json_body: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        content = None if json_body is None else json.dumps(json_body, default=_encode_decimal)
        realm, resource = _realm_and_resource(path)
        stored = await self._tokens.current(realm) if self._tokens is not None else None
        try:
            return await self._send_as(stored or self._token, method, path, params, content, realm, resource, timeout)
        except QboFaultError as fault:
            if fault.status != 401 or stored is None or self._tokens is None:
                raise
        # Revoked or expired early: refused before anything ran, so the same request (and requestid) goes again.
        renewed = await self._tokens.renewed(realm, rejected=stored)
        return await self._send_as(renewed, method, path, params, content, realm, resource, timeout)

    async def _send_as(
        self,
        token: SecretStr,
        method: str,
        path: str,
        params: dict[str, str],
        content: str | None,
        realm: str,
        resource: str,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(1, self._attempts + 1):
            async with self._limiter.slot(realm):
                response = await self._request(method, path, params, headers, content, realm, resource, timeout)
            if response is None:  # the connection failed
                if method == "GET" and attempt < self._attempts:
                    await backoff(attempt)
                    continue
                raise AmbiguousOutcome(f"{method} {path}: the connection failed")
            if response.status_code == 429:
                retry_after = response.headers.get("Retry-After")
                pause = float(retry_after) if retry_after and retry_after.isdigit() else self._throttle_pause
                self._limiter.pause(realm, pause)  # this company only; a retry resends the same requestid
                if attempt < self._attempts:
                    continue
                raise Throttled(pause)
            if response.status_code >= 500 and method == "GET" and attempt < self._attempts:
                await backoff(attempt)  # a read is safe to repeat
                continue
            tid = response.headers.get(TID_HEADER)
            if self._log_calls:
                # Writes and refusals are what a support case is about; reads are many, worth it when debugging.
                level = log.info if method != "GET" or response.status_code >= 400 else log.debug
                level("qbo.call", method=method, path=path, status=response.status_code, intuit_tid=tid)
            try:
                answer = self._answer(method, path, response)
                answer[TID_HEADER] = tid
                return answer
            except QboFaultError as fault:
                fault.intuit_tid = tid
                if self._metrics is not None:
                    self._metrics.qbo_errors.labels(realm, fault.code or str(fault.status)).inc()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        headers: dict[str, str],
        content: str | None,
        realm: str,
        resource: str,
        timeout: float | None = None,
    ) -> httpx.Response | None:
        with self._tracer.start_as_current_span(f"{method} {resource}", kind=trace.SpanKind.CLIENT) as span:
            span.set_attribute("http.request.method", method)
            span.set_attribute("url.path", path)
            span.set_attribute("ledgerflow.realm", realm)
            try:
                response = await self._http.request(
                    method,
                    path,
                    params=params,
                    headers=headers,
                    content=content,
                    timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
                )
            except httpx.TransportError as exc:
                span.set_attribute("error.type", type(exc).__name__)
                self._count(realm, resource, "transport_error")
                return None
            span.set_attribute("http.response.status_code", response.status_code)
        self._count(realm, resource, str(response.status_code))
        return response

    def _count(self, realm: str, resource: str, status: str) -> None:
        if self._metrics is not None:
            self._metrics.qbo_requests.labels(realm, resource, status).inc()

    @staticmethod
    def _answer(method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            raise Throttled(float(retry_after) if retry_after and retry_after.isdigit() else None)
        if response.status_code >= 500:
            raise AmbiguousOutcome(f"{method} {path}: HTTP {response.status_code}")
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise AmbiguousOutcome(
                f"{method} {path}: HTTP {response.status_code} with a body that is not JSON"
            ) from None
        fault = body.get("Fault") or body.get("fault")
        if fault:
            errors = fault.get("Error") or fault.get("error") or []
            raise QboFaultError(response.status_code, str(fault.get("type", "")), list(errors))
        if response.status_code >= 400:
            raise QboFaultError(response.status_code, "HTTP", [{"code": str(response.status_code)}])
        if not isinstance(body, dict):
            raise AmbiguousOutcome(f"{method} {path}: HTTP {response.status_code} with a body that is not an object")
        return dict(body)


def _realm_and_resource(path: str) -> tuple[str, str]:
    """``/v3/company/{realm}/{resource}[/{id}]`` -> (realm, resource)."""
    parts = path.strip("/").split("/")
    return (parts[2], parts[3]) if len(parts) >= 4 else ("", path)


def _encode_decimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")
