"""Requests for a company file and their answers, through PostgreSQL: QuickBooks Desktop is never called, it
calls (its Web Connector polls whichever writer replica the load balancer picks).

A books call files its requests (``ask``) and waits. The endpoint, in any replica, hands a company's queued
requests to its Web Connector in one message set (``take``), and files the answers (``answer``) when they come
back; a notification wakes the caller. Requests are fenced by the company's lease: only those of the writer
that holds the company now are sent. A request sent in a session that ends without answering is ``lost``:
its outcome is unknown, and the posting core looks the document up before anything is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from ledgerflow.ledger_writer.books import AmbiguousOutcome, BooksError, Unreachable
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Answer, answer_of, parse_xml

log = structlog.get_logger(__name__)

DDL = (
    """
    CREATE TABLE IF NOT EXISTS qbd_wire (
        id         bigserial   PRIMARY KEY,
        company_id text        NOT NULL,
        owner      text        NOT NULL,
        request    text        NOT NULL,
        writes     boolean     NOT NULL,
        alone      boolean     NOT NULL DEFAULT false,
        state      text        NOT NULL DEFAULT 'queued',
        ticket     text,
        response   text,
        hresult    text,
        message    text,
        queued_at  timestamptz NOT NULL DEFAULT now(),
        sent_at    timestamptz,
        CHECK (state IN ('queued', 'sent', 'answered', 'lost', 'rejected', 'abandoned'))
    ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 100)
    """,
    "CREATE INDEX IF NOT EXISTS qbd_wire_queued ON qbd_wire (company_id, id) WHERE state = 'queued'",
    "CREATE INDEX IF NOT EXISTS qbd_wire_sent ON qbd_wire (ticket) WHERE state = 'sent'",
)

ANSWERS = "ledgerflow_qbd_answers"
REQUESTS = "ledgerflow_qbd_requests"
RECHECK_SECONDS = 1.0  # a missed notification costs at most this
STALE_ROWS = "1 hour"  # rows whose caller died: nobody reads them


class SetRejected(BooksError):
    """QuickBooks refused the whole message set (``0x80040400``: it could not parse it): the request goes again,
    alone, so that one bad request does not hold up the others."""

    def __init__(self, hresult: str, message: str) -> None:
        super().__init__(f"QuickBooks refused the message set ({hresult}): {message}")
        self.hresult = hresult
        self.message = message


@dataclass(frozen=True)
class Taken:
    row_id: int
    request: str


class Wire:
    """One per writer process: the calls it waits on, and the endpoint's wait for requests."""

    def __init__(self, pool: Callable[[], asyncpg.Pool], owner: str) -> None:
        self._pool = pool
        self._owner = owner
        self._answered: dict[int, asyncio.Event] = {}
        self._requested: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._listener: asyncpg.pool.PoolConnectionProxy | None = None
        self._listening = asyncio.Lock()

    # ---- the books' side -------------------------------------------------------------------------------

    async def ask(self, company_id: str, requests: Sequence[str], *, writes: bool, alone: bool = False) -> list[Answer]:
        """The answers to ``requests`` (one each, in order). Raises ``Unreachable`` when the company's Web
        Connector is not connected (nothing was sent), ``AmbiguousOutcome`` when a write was sent and its answer
        never came, ``SetRejected`` when QuickBooks could not read the message set."""
        await self._listen()
        pool = self._pool()
        rows = await pool.fetch(
            """WITH filed AS (
                   INSERT INTO qbd_wire (company_id, owner, request, writes, alone)
                   SELECT $1, $2, r, $4, $5 FROM unnest($3::text[]) WITH ORDINALITY AS t(r, n) ORDER BY n
                   RETURNING id)
               SELECT id, pg_notify($6, $1) FROM filed ORDER BY id""",
            company_id,
            self._owner,
            list(requests),
            writes,
            alone,
            REQUESTS,
        )
        ids = [int(row["id"]) for row in rows]
        events = {row_id: self._answered.setdefault(row_id, asyncio.Event()) for row_id in ids}
        try:
            final = await self._settled(pool, company_id, ids, events)
        finally:
            for row_id in ids:
                self._answered.pop(row_id, None)
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await pool.execute("DELETE FROM qbd_wire WHERE id = ANY($1::bigint[])", ids)
        return [_answer(final[row_id], writes) for row_id in ids]

    async def _settled(
        self, pool: asyncpg.Pool, company_id: str, ids: list[int], events: dict[int, asyncio.Event]
    ) -> dict[int, asyncpg.Record]:
        while True:
            rows = await pool.fetch(
                "SELECT id, state, response, hresult, message FROM qbd_wire WHERE id = ANY($1::bigint[])", ids
            )
            by_id = {int(r["id"]): r for r in rows}
            waiting = [i for i in ids if by_id[i]["state"] in ("queued", "sent")]
            if not waiting:
                return by_id
            reachable = await pool.fetchval(
                "SELECT coalesce(reachable_until > now(), false) FROM companies WHERE company_id = $1", company_id
            )
            if not reachable:
                # The session is over: what was not sent never will be, what was sent has no answer coming.
                await pool.execute(
                    """UPDATE qbd_wire SET state = CASE state WHEN 'queued' THEN 'abandoned' ELSE 'lost' END
                       WHERE id = ANY($1::bigint[]) AND state IN ('queued', 'sent')""",
                    waiting,
                )
                continue
            wakers = [asyncio.ensure_future(events[i].wait()) for i in waiting]
            try:
                await asyncio.wait(wakers, timeout=RECHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waker in wakers:
                    waker.cancel()
            for i in waiting:
                events[i].clear()

    # ---- the endpoint's side ---------------------------------------------------------------------------

    async def wait_for_requests(self, company_id: str, timeout: float) -> None:
        await self._listen()
        event = self._requested[company_id]
        event.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        async with self._listening:
            if self._listener is not None and not self._listener.is_closed():
                return
            try:
                conn = await self._pool().acquire()
                await conn.add_listener(ANSWERS, self._on_answers)
                await conn.add_listener(REQUESTS, self._on_requests)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("qbd.listen_failed")  # the callers' rechecks carry on without notifications
                return
            self._listener = conn

    def _on_answers(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        for part in str(payload).split(","):
            event = self._answered.get(int(part)) if part.isdigit() else None
            if event is not None:
                event.set()

    def _on_requests(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self._requested[str(payload)].set()

    async def aclose(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.remove_listener(ANSWERS, self._on_answers)
                await self._listener.remove_listener(REQUESTS, self._on_requests)
                await self._pool().release(self._listener)
            self._listener = None


async def take(pool: asyncpg.Pool, company_id: str, ticket: str, limit: int) -> list[Taken]:
    """The company's next requests for one message set, marked sent in this session: those of the writer that
    holds the company now (a former holder's are dropped), in order; a request that must go alone goes alone."""
    async with pool.acquire() as conn, conn.transaction():
        holder = await conn.fetchval(
            "SELECT owner FROM companies WHERE company_id = $1 AND lease_expires_at > now()", company_id
        )
        await conn.execute(
            """WITH dropped AS (
                   UPDATE qbd_wire SET state = 'abandoned'
                   WHERE company_id = $1 AND state = 'queued' AND owner IS DISTINCT FROM $2 RETURNING id)
               SELECT pg_notify($3, string_agg(id::text, ',')) FROM dropped HAVING count(*) > 0""",
            company_id,
            holder,
            ANSWERS,
        )
        if holder is None:
            return []
        rows = await conn.fetch(
            """SELECT id, request, alone FROM qbd_wire WHERE company_id = $1 AND state = 'queued' AND owner = $2
               ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED""",
            company_id,
            holder,
            limit,
        )
        rows = rows[:1] if rows and rows[0]["alone"] else [row for row in rows if not row["alone"]]
        await conn.execute(
            "UPDATE qbd_wire SET state = 'sent', ticket = $2, sent_at = now() WHERE id = ANY($1::bigint[])",
            [row["id"] for row in rows],
            ticket,
        )
    return [Taken(int(row["id"]), str(row["request"])) for row in rows]


async def answer(pool: asyncpg.Pool, ticket: str, answered: Sequence[tuple[int, str]]) -> int:
    """File the answers of this session's requests and wake their callers; answers to requests this session
    no longer holds (given up as lost) are dropped: the core looks those documents up."""
    rows = await pool.fetch(
        """WITH filed AS (
               UPDATE qbd_wire w SET state = 'answered', response = a.response
               FROM unnest($1::bigint[], $2::text[]) AS a(id, response)
               WHERE w.id = a.id AND w.ticket = $3 AND w.state = 'sent' RETURNING w.id)
           SELECT count(*) AS n, pg_notify($4, coalesce(string_agg(id::text, ','), '')) FROM filed""",
        [row_id for row_id, _ in answered],
        [response for _, response in answered],
        ticket,
        ANSWERS,
    )
    return int(rows[0]["n"]) if rows else 0


async def reject(pool: asyncpg.Pool, ticket: str, hresult: str, message: str) -> None:
    """QuickBooks could not run the message set at all: nothing of it was done."""
    await _finish(
        pool,
        "state = 'rejected', hresult = $2, message = $3",
        "ticket = $1 AND state = 'sent'",
        ticket,
        hresult,
        message,
    )


async def end_session(pool: asyncpg.Pool, ticket: str, company_id: str) -> None:
    """The session is over: its unanswered requests are lost, the company's unsent ones abandoned."""
    await _finish(pool, "state = 'lost'", "ticket = $1 AND state = 'sent'", ticket)
    await _finish(pool, "state = 'abandoned'", "company_id = $1 AND state = 'queued'", company_id)


async def waiting(pool: asyncpg.Pool, company_id: str) -> int:
    """Requests of the company queued or on their way."""
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM qbd_wire WHERE company_id = $1 AND state IN ('queued', 'sent')", company_id
        )
    )


async def sweep(pool: asyncpg.Pool) -> None:
    """Rows whose caller died before reading them."""
    await pool.execute(f"DELETE FROM qbd_wire WHERE queued_at < now() - interval '{STALE_ROWS}'")


async def _finish(pool: asyncpg.Pool, change: str, where: str, *args: object) -> None:
    await pool.execute(
        f"""WITH done AS (UPDATE qbd_wire SET {change} WHERE {where} RETURNING id)
            SELECT pg_notify('{ANSWERS}', string_agg(id::text, ',')) FROM done HAVING count(*) > 0""",
        *args,
    )


def _answer(row: asyncpg.Record, writes: bool) -> Answer:
    state = row["state"]
    if state == "answered":
        return answer_of(parse_xml(row["response"]))
    if state == "rejected":
        raise SetRejected(row["hresult"] or "", row["message"] or "")
    if state == "lost" and writes:
        raise AmbiguousOutcome("the Web Connector session ended before QuickBooks' answer came back")
    raise Unreachable("the company file's Web Connector session ended; the order waits for its next connection")
