"""The Web Connector's callbacks, answered: a company file's queue drained one message set per round trip.

The flow is the Web Connector's (authenticate, then sendRequestXML / receiveResponseXML until the progress
reaches 100, then closeConnection). The first message set of a session only proves the open company file is
this connection's (its FileID, under ledgerflow's OwnerID); nothing is written before. Every state lives in
PostgreSQL, so consecutive callbacks may reach different writer replicas.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import asyncpg
import structlog

from ledgerflow.ledger_writer.settings import QbdSettings
from ledgerflow.ledger_writer.targets.qbd import registry, sessions, wire
from ledgerflow.ledger_writer.targets.qbd.metrics import REFUSED_USER, DesktopMetrics
from ledgerflow.ledger_writer.targets.qbd.qbxml.build import message_set, query_request
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Unreadable, answers, fragments, many
from ledgerflow.ledger_writer.targets.qbd.sessions import ACTIVE, VERIFYING, Session

log = structlog.get_logger(__name__)

SERVER_VERSION = "ledgerflow 0.1 (qbXML 13.0)"
VERIFY_REQUEST = "verify-file"
MIN_QBXML_MAJOR = 13
PARSE_ERROR = "0x80040400"
NO_OP = "NoOp"


class WebConnectorService:
    def __init__(
        self, pool: Callable[[], asyncpg.Pool], the_wire: wire.Wire, settings: QbdSettings, metrics: DesktopMetrics
    ) -> None:
        self._pool = pool
        self._wire = the_wire
        self._settings = settings
        self._metrics = metrics

    @property
    def ttl(self) -> float:
        return self._settings.session_ttl_seconds

    async def server_version(self) -> str:
        return SERVER_VERSION

    async def client_version(self, version: str) -> str:
        return ""  # every Web Connector that speaks this protocol will do

    async def authenticate(self, user_name: str, password: str) -> list[str]:
        pool = self._pool()
        company = await registry.authenticated(pool, user_name, password)
        if company is None:
            log.warning("qbd.authenticate_refused", user=user_name)
            self._metrics.sessions.labels(REFUSED_USER, "nvu").inc()
            return [str(uuid.uuid4()), "nvu"]
        tenant = company.tenant_id
        if await sessions.busy(pool, company.company_id, self.ttl):
            # Two Web Connectors on one company file are the classic cause of duplicates: one at a time.
            log.warning("qbd.second_session_refused", tenant=tenant)
            self._metrics.sessions.labels(tenant, "busy").inc()
            return [str(uuid.uuid4()), "busy"]
        for ticket in await sessions.stale(pool, company.company_id):
            await self._end(ticket, company.company_id)
        if not await _has_work(pool, company.company_id):
            self._metrics.sessions.labels(tenant, "none").inc()
            return [str(uuid.uuid4()), "none"]
        await wire.sweep(pool)
        ticket = await sessions.start(pool, company.company_id, tenant)
        log.info("qbd.session_started", tenant=tenant, ticket=ticket)
        self._metrics.sessions.labels(tenant, "started").inc()
        return [ticket, company.file_name or ""]

    async def send_request(self, ticket: str, hcp_response: str, file_name: str, major: str) -> str:
        pool = self._pool()
        session = await sessions.find(pool, ticket)
        if session is None or session.state not in (VERIFYING, ACTIVE):
            return ""  # a session this server no longer knows: nothing for it
        await sessions.heard(pool, session, self.ttl, round_trip=True)
        if session.state == VERIFYING:
            return await self._verify_request(session, file_name, major)
        taken = await self._next_requests(session)
        if not taken:
            await sessions.set_idle(pool, ticket, True)
            return ""  # getLastError answers NoOp: the Web Connector asks again in a few seconds
        await sessions.set_idle(pool, ticket, False)
        self._metrics.message_set.observe(len(taken))
        return message_set([(str(t.row_id), t.request) for t in taken])

    async def _verify_request(self, session: Session, file_name: str, major: str) -> str:
        pool = self._pool()
        if major.isdigit() and int(major) < MIN_QBXML_MAJOR:
            self._metrics.session_errors.labels(session.tenant_id, "qbxml_too_old").inc()
            await sessions.fail(
                pool,
                session.ticket,
                f"This QuickBooks supports qbXML {major}; ledgerflow needs "
                f"qbXML {MIN_QBXML_MAJOR}.0 (QuickBooks 2015 or later). Update QuickBooks.",
            )
            return ""
        company = await self._company(session)
        if file_name and company.file_name and file_name.casefold() != company.file_name.casefold():
            self._metrics.session_errors.labels(session.tenant_id, "wrong_file").inc()
            await sessions.fail(pool, session.ticket, _wrong_file(company, file_name))
            return ""
        if file_name:
            await sessions.note_file(pool, session.ticket, file_name)
        request = query_request(
            "CompanyQuery", {"IncludeRetElement": ["CompanyName", "DataExtRet"], "OwnerID": self._settings.owner_id}
        )
        return message_set([(VERIFY_REQUEST, request)])

    async def _next_requests(self, session: Session) -> list[wire.Taken]:
        pool = self._pool()
        deadline = time.monotonic() + self._settings.send_wait_seconds
        while True:
            taken = await wire.take(pool, session.company_id, session.ticket, self._settings.max_requests)
            if taken:
                if len(taken) < self._settings.max_requests and self._settings.gather_seconds > 0:
                    # Other orders' requests are usually on their way too: one message set carries them all.
                    await asyncio.sleep(self._settings.gather_seconds)
                    more = await wire.take(
                        pool, session.company_id, session.ticket, self._settings.max_requests - len(taken)
                    )
                    taken += more
                return taken
            left = deadline - time.monotonic()
            if left <= 0 or not await _has_work(pool, session.company_id):
                return []
            await self._wire.wait_for_requests(session.company_id, min(left, 0.5))

    async def receive_response(self, ticket: str, response: str, hresult: str, message: str) -> int:
        pool = self._pool()
        session = await sessions.find(pool, ticket)
        if session is None or session.state not in (VERIFYING, ACTIVE):
            return -1
        await sessions.heard(pool, session, self.ttl)
        if hresult:
            return await self._set_failed(session, hresult, message)
        if session.state == VERIFYING:
            return await self._verified(session, response)
        try:
            answered = [(int(request_id), rs) for request_id, rs in fragments(response) if request_id.isdigit()]
        except Unreadable as exc:
            log.error("qbd.response_unreadable", tenant=session.tenant_id, reason=str(exc))
            await wire.reject(pool, ticket, "unreadable", str(exc))
            return await self._progress(session, 0)
        filed = await wire.answer(pool, ticket, answered)
        self._metrics.answered.labels(session.tenant_id).inc(filed)
        return await self._progress(session, filed)

    async def _set_failed(self, session: Session, hresult: str, message: str) -> int:
        pool = self._pool()
        log.error("qbd.message_set_failed", tenant=session.tenant_id, hresult=hresult, message=message)
        await wire.reject(pool, session.ticket, hresult, message)
        self._metrics.session_errors.labels(session.tenant_id, f"hresult_{hresult.lower()}").inc()
        if hresult.lower() == PARSE_ERROR.lower() and session.state == ACTIVE:
            return await self._progress(session, 0)  # the requests go again one by one; the others continue
        await sessions.fail(
            pool,
            session.ticket,
            f"QuickBooks could not run ledgerflow's requests ({hresult}): "
            f"{message}. The orders wait for the next update.",
        )
        return -1

    async def _verified(self, session: Session, response: str) -> int:
        pool = self._pool()
        company = await self._company(session)
        try:
            found = answers(response)
        except Unreadable as exc:
            await sessions.fail(pool, session.ticket, f"QuickBooks' answer could not be read: {exc}")
            return -1
        rets = [ret for a in found if a.request_id == VERIFY_REQUEST for ret in a.rets]
        stamped = {
            str(ext.get("DataExtValue", "")).strip("{}").lower()
            for ret in rets
            for ext in many(ret, "DataExtRet")
            if ext.get("DataExtName") == "FileID"
            and str(ext.get("OwnerID", "")).strip("{}").lower() == self._settings.owner_id.strip("{}").lower()
        }
        if str(company.file_id).lower() not in stamped:
            self._metrics.session_errors.labels(session.tenant_id, "wrong_file").inc()
            name = rets[0].get("CompanyName") if rets else None
            await sessions.fail(pool, session.ticket, _not_this_file(company, name))
            return -1
        if session.file_name:
            await registry.remember_file(pool, company.company_id, session.file_name)
        await sessions.activate(pool, session, self.ttl)
        log.info("qbd.session_verified", tenant=session.tenant_id, file=session.file_name)
        return await self._progress(session, 0)

    async def _progress(self, session: Session, answered: int) -> int:
        pool = self._pool()
        done = await sessions.count_answers(pool, session.ticket, answered)
        left = await _has_work(pool, session.company_id, count=True) + await wire.waiting(pool, session.company_id)
        if left == 0:
            return 100
        return max(1, min(99, done * 100 // (done + left)))

    async def get_last_error(self, ticket: str) -> str:
        pool = self._pool()
        session = await sessions.find(pool, ticket)
        if session is None:
            return "done"
        if session.error:
            return session.error
        if session.state in (VERIFYING, ACTIVE) and await _has_work(pool, session.company_id):
            return NO_OP
        return "ledgerflow: nothing more to post."

    async def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        pool = self._pool()
        session = await sessions.find(pool, ticket)
        if session is not None:
            log.error("qbd.company_file_not_opened", tenant=session.tenant_id, hresult=hresult, message=message)
            self._metrics.session_errors.labels(session.tenant_id, "company_file_not_opened").inc()
            await sessions.fail(pool, ticket, f"QuickBooks could not open the company file ({hresult}): {message}")
            await self._end(ticket, session.company_id)
        return "done"

    async def close_connection(self, ticket: str) -> str:
        pool = self._pool()
        session = await sessions.find(pool, ticket)
        if session is None:
            return "done"
        await self._end(ticket, session.company_id)
        closed = await sessions.find(pool, ticket)
        answered = closed.answered if closed is not None else 0
        log.info("qbd.session_closed", tenant=session.tenant_id, answered=answered, error=session.error)
        return f"ledgerflow: {answered} requests answered" + (f"; {session.error}" if session.error else "")

    async def _end(self, ticket: str, company_id: str) -> None:
        pool = self._pool()
        await sessions.close(pool, ticket)
        await wire.end_session(pool, ticket, company_id)

    async def _company(self, session: Session) -> registry.DesktopCompany:
        async with self._pool().acquire() as conn:
            company = await registry.by_tenant(conn, session.tenant_id)
        assert company is not None
        return company


async def _has_work(pool: asyncpg.Pool, company_id: str, *, count: bool = False) -> int:
    """Commands of the company that can be posted now (not paused, not waiting for a retry)."""
    found = await pool.fetchval(
        """SELECT count(*) FROM queued_commands q JOIN companies c USING (company_id)
           WHERE q.company_id = $1 AND c.paused IS NULL AND (q.not_before IS NULL OR q.not_before <= now())""",
        company_id,
    )
    return int(found or 0) if count else int(bool(found))


def _wrong_file(company: registry.DesktopCompany, file_name: str) -> str:
    return (
        f"QuickBooks has {file_name} open, but ledgerflow's connection {company.app_name()} belongs to "
        f"{company.file_name}. Open that company file, or add this file's own .qwc "
        f"(`ledgerflow desktop qwc --tenant <its tenant>`); nothing was written."
    )


def _not_this_file(company: registry.DesktopCompany, name: object) -> str:
    shown = f" ({name})" if name else ""
    return (
        f"The company file open in QuickBooks{shown} is not the one {company.app_name()} was added to: it does not "
        "carry this connection's FileID. Open the right company file, or remove the application in the Web "
        f"Connector and add the .qwc again from the file it belongs to (`ledgerflow desktop qwc --tenant "
        f"{company.tenant_id}`); nothing was written."
    )
