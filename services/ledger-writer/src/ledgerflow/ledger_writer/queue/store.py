"""The company queues in PostgreSQL: filing, leases, the heads of lanes, completion, pauses, and what is queued.

Every statement a writer makes on a company it drains names the lease's epoch: a writer whose lease was
taken over (it stalled past its expiry) finds its completions refused and leaves the work to the new owner.
Exactly-once does not rest on that alone: the posting core's intents make a command done twice post once.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from ledgerflow.contracts import ErrorDetail, message_key
from ledgerflow.ledger_writer.books import RateState
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.outbox import Enqueued, Traced
from ledgerflow.runtime.stage import Source

COMMAND = "command"
REFERENCE_SYNC = "reference_sync"


@dataclass(frozen=True)
class NewCommand:
    """A command as filed off its topic, for its company's queue."""

    company_id: str
    tenant_id: str
    kind: str
    message_id: uuid.UUID
    lane: str
    payload: bytes
    traceparent: str | None
    source: Source
    # Reached only while its books call in (QuickBooks Desktop): see ``lease``.
    calls_in: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class QueuedCommand(NewCommand):
    """A command in its company's queue."""

    id: int
    queued_at: datetime
    attempts: int = 0
    lane_goes_on: bool = False  # when read, a later command of its lane waited behind it


@dataclass(frozen=True)
class Lease:
    """A company this writer drains, until ``epoch`` changes hands."""

    company_id: str
    tenant_id: str
    epoch: int
    rate: RateState
    previous_owner: str | None  # another writer's lease that had run out: a takeover


@dataclass(frozen=True)
class Held:
    """A lease to renew, with what the owner saw of the company since the last renewal."""

    company_id: str
    epoch: int
    rate: RateState
    throttled: int = 0
    done: int = 0


@dataclass(frozen=True)
class PoolView:
    """The writer pool as a renewal sees it: how many writers are alive to share how many companies."""

    live_writers: int
    companies_with_work: int
    waiting: int  # companies with work that nobody drains


@dataclass(frozen=True)
class Done:
    """A command finished, with what it emits."""

    company_id: str
    epoch: int
    row_id: int
    messages: Sequence[Traced]


@dataclass(frozen=True)
class CompanyQueue:
    """What a company has queued and how it is being served (``ledgerflow queues``, metrics)."""

    company_id: str
    tenant_id: str
    writer_pool: str
    depth: int
    retrying: int
    oldest_seconds: float | None
    owner: str | None
    paused: ErrorDetail | None
    paused_at: datetime | None
    used_last_minute: int
    limit_per_minute: int
    throttled: int
    done: int
    last_error: str | None
    calls_in: bool = False  # reached only while its books call in (QuickBooks Desktop's Web Connector)
    reachable: bool = False  # they are connected now


@dataclass(frozen=True)
class FiledCommand:
    """A command as filed, and whether it was the first of its lane then (nothing before it to wait for)."""

    command: QueuedCommand
    head: bool


async def file(conn: DbConnection, writer_pool: str, commands: Sequence[NewCommand]) -> list[FiledCommand]:
    """Queue commands in the caller's transaction; a company that had none is marked as having work.

    The companies' rows are locked first and in one order, so that a release deciding a company is empty
    waits for this transaction and then sees its commands (``release``). Returns the commands filed (a copy
    filed before is not filed again), each with whether it heads its lane: a command that heads its lane
    stays its head until its drain starts it, so the drain may take it from here without reading the queue.
    """
    if not commands:
        return []
    companies = sorted({c.company_id: c.tenant_id for c in commands}.items())
    calls_in = {c.company_id: c.calls_in for c in commands}
    await conn.execute(
        """INSERT INTO companies (company_id, tenant_id, writer_pool, calls_in)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[])
           ON CONFLICT (company_id) DO UPDATE SET has_work = true, ready_at = NULL, writer_pool = excluded.writer_pool
           WHERE NOT companies.has_work OR companies.ready_at IS NOT NULL
              OR companies.writer_pool <> excluded.writer_pool""",
        [company for company, _ in companies],
        [tenant for _, tenant in companies],
        [writer_pool] * len(companies),
        [calls_in[company] for company, _ in companies],
    )
    # The lane's earlier commands are those committed before: this statement's own rows are not visible to its
    # subquery, and among them the first of each lane comes first by id.
    rows = await conn.fetch(
        """WITH filed AS (
               INSERT INTO queued_commands (company_id, tenant_id, kind, message_id, lane, payload, traceparent,
                                            source_topic, source_partition, source_offset)
               SELECT company_id, tenant_id, kind, message_id, lane, payload, traceparent, topic, part, pos
               FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::bytea[], $7::text[],
                           $8::text[], $9::int[], $10::bigint[])
                    WITH ORDINALITY AS c(company_id, tenant_id, kind, message_id, lane, payload, traceparent,
                                         topic, part, pos, n)
               ORDER BY n
               ON CONFLICT (message_id) DO NOTHING
               RETURNING id, message_id, company_id, lane, queued_at)
           SELECT f.id, f.message_id, f.queued_at,
                  NOT EXISTS (SELECT 1 FROM queued_commands e
                              WHERE e.company_id = f.company_id AND e.lane = f.lane AND e.id < f.id) AS first
           FROM filed f ORDER BY f.id""",
        [c.company_id for c in commands],
        [c.tenant_id for c in commands],
        [c.kind for c in commands],
        [c.message_id for c in commands],
        [c.lane for c in commands],
        [c.payload for c in commands],
        [c.traceparent for c in commands],
        [c.source.topic for c in commands],
        [c.source.partition for c in commands],
        [c.source.offset for c in commands],
    )
    by_id = {c.message_id: c for c in commands}
    filed = [(row, by_id[row["message_id"]]) for row in rows]
    # A head whose lane got more commands in this very batch goes on: its drain reads the next once it is done.
    per_lane = Counter((new.company_id, new.lane) for _, new in filed)
    seen: set[tuple[str, str]] = set()
    result = []
    for row, new in filed:
        lane = (new.company_id, new.lane)
        head = bool(row["first"]) and lane not in seen
        seen.add(lane)
        result.append(FiledCommand(_filed_command(row, new, goes_on=head and per_lane[lane] > 1), head))
    return result


def _filed_command(row: asyncpg.Record, new: NewCommand, *, goes_on: bool) -> QueuedCommand:
    return QueuedCommand(
        id=row["id"],
        company_id=new.company_id,
        tenant_id=new.tenant_id,
        kind=new.kind,
        message_id=new.message_id,
        lane=new.lane,
        payload=new.payload,
        traceparent=new.traceparent,
        source=new.source,
        queued_at=row["queued_at"],
        attempts=0,
        lane_goes_on=goes_on,
    )


async def lease(pool: asyncpg.Pool, owner: str, writer_pool: str, limit: int, ttl: float) -> list[Lease]:
    """Up to ``limit`` companies with work that nobody drains (or whose drainer's lease ran out), those
    served longest ago first; each with the rate budget its last owner left."""
    if limit <= 0:
        return []
    rows = await pool.fetch(
        """WITH chosen AS MATERIALIZED (
               SELECT company_id, owner AS previous_owner FROM companies
               WHERE writer_pool = $2 AND has_work AND paused IS NULL
                 AND (owner IS NULL OR lease_expires_at < now()) AND (ready_at IS NULL OR ready_at <= now())
                 AND (NOT calls_in OR reachable_until > now())
               ORDER BY last_served_at NULLS FIRST, company_id
               LIMIT $3 FOR UPDATE SKIP LOCKED)
           UPDATE companies c
           SET owner = $1, epoch = c.epoch + 1, leased_at = now(),
               lease_expires_at = now() + make_interval(secs => $4::float8)
           FROM chosen WHERE c.company_id = chosen.company_id
           RETURNING c.company_id, c.tenant_id, c.epoch, c.tokens, c.limit_per_minute, chosen.previous_owner,
                     greatest(0, extract(epoch FROM c.paused_until - now()))::float8 AS paused_for,
                     greatest(0, extract(epoch FROM now() - c.last_served_at))::float8 AS rested_for""",
        owner,
        writer_pool,
        limit,
        ttl,
    )
    return [
        Lease(
            company_id=row["company_id"],
            tenant_id=row["tenant_id"],
            epoch=row["epoch"],
            rate=RateState(
                tokens=row["tokens"], paused_for=row["paused_for"] or 0.0, rested_for=row["rested_for"] or 0.0
            ),
            previous_owner=row["previous_owner"],
        )
        for row in rows
    ]


async def renew(pool: asyncpg.Pool, owner: str, writer_pool: str, ttl: float, held: Sequence[Held]) -> set[str]:
    """Extend the leases still ours (and record what was seen of each company); the companies we still hold."""
    rows = await pool.fetch(
        """UPDATE companies c
           SET lease_expires_at = now() + make_interval(secs => $2::float8),
               used_last_minute = h.used, limit_per_minute = h.lim,
               throttled = c.throttled + h.throttled, done = c.done + h.done
           FROM unnest($3::text[], $4::bigint[], $5::int[], $6::int[], $7::int[], $8::int[])
                AS h(company_id, epoch, used, lim, throttled, done)
           WHERE c.company_id = h.company_id AND c.owner = $1 AND c.epoch = h.epoch
           RETURNING c.company_id""",
        owner,
        ttl,
        [h.company_id for h in held],
        [h.epoch for h in held],
        [h.rate.used_last_minute for h in held],
        [h.rate.limit_per_minute for h in held],
        [h.throttled for h in held],
        [h.done for h in held],
    )
    return {row["company_id"] for row in rows}


async def heartbeat(pool: asyncpg.Pool, owner: str, writer_pool: str, ttl: float) -> PoolView:
    """This writer is alive; how many are, and how many companies they share."""
    row = await pool.fetchrow(
        """WITH seen AS (
               INSERT INTO writers (owner, writer_pool) VALUES ($1, $2)
               ON CONFLICT (owner) DO UPDATE SET seen_at = now(), writer_pool = excluded.writer_pool)
           SELECT
               -- this writer (its row just written is not visible to this statement), and the others alive
               1 + (SELECT count(*) FROM writers
                    WHERE writer_pool = $2 AND owner <> $1 AND seen_at > now() - make_interval(secs => $3::float8))
                   AS live_writers,
               count(*) FILTER (WHERE has_work AND paused IS NULL) AS with_work,
               count(*) FILTER (WHERE has_work AND paused IS NULL AND (owner IS NULL OR lease_expires_at < now())
                                  AND (ready_at IS NULL OR ready_at <= now())) AS waiting
           FROM companies WHERE writer_pool = $2""",
        owner,
        writer_pool,
        ttl,
    )
    assert row is not None
    return PoolView(max(1, row["live_writers"]), row["with_work"], row["waiting"])


async def leave(pool: asyncpg.Pool, owner: str) -> None:
    """A writer stopping cleanly: the others need not wait for its heartbeat to lapse."""
    await pool.execute("DELETE FROM writers WHERE owner = $1 OR seen_at < now() - interval '1 day'", owner)


async def release(pool: asyncpg.Pool, owner: str, held: Held) -> bool:
    """Give the company up (to another writer, or to rest): its rate budget stays with it, and it keeps its
    work flag only if it has commands, ready when the first of its lanes is (not before a retry is due).
    False if it was not ours any more."""
    async with pool.acquire() as conn, conn.transaction():
        # A filing that added commands holds the row until it commits; this waits for it, and the statement
        # after it, in a snapshot of its own, then sees those commands.
        ours = await conn.fetchval(
            "SELECT 1 FROM companies WHERE company_id = $1 AND owner = $2 AND epoch = $3 FOR UPDATE",
            held.company_id,
            owner,
            held.epoch,
        )
        if ours is None:
            return False
        await conn.execute(
            """WITH heads AS (
                   SELECT min(coalesce(q.not_before, '-infinity')) AS ready_at FROM queued_commands q
                   WHERE q.company_id = $1
                     AND NOT EXISTS (SELECT 1 FROM queued_commands e
                                     WHERE e.company_id = q.company_id AND e.lane = q.lane AND e.id < q.id))
               UPDATE companies
               SET owner = NULL, lease_expires_at = NULL, last_served_at = now(),
                   has_work = (SELECT ready_at IS NOT NULL FROM heads),
                   ready_at = (SELECT CASE WHEN ready_at > now() THEN ready_at END FROM heads),
                   tokens = $2, paused_until = now() + make_interval(secs => $3::float8),
                   used_last_minute = $4, limit_per_minute = $5,
                   throttled = throttled + $6, done = done + $7
               WHERE company_id = $1""",
            held.company_id,
            held.rate.tokens,
            held.rate.paused_for,
            held.rate.used_last_minute,
            held.rate.limit_per_minute,
            held.throttled,
            held.done,
        )
    return True


async def heads(
    pool: asyncpg.Pool, company_id: str, busy_lanes: Sequence[str], limit: int, known: Sequence[int] = ()
) -> list[QueuedCommand]:
    """The first command of each lane that is not busy and not waiting to be tried again, oldest first; those
    ``known`` already (read before, not started yet) are left out."""
    if limit <= 0:
        return []
    rows = await pool.fetch(
        """SELECT q.*, EXISTS (SELECT 1 FROM queued_commands n
                               WHERE n.company_id = q.company_id AND n.lane = q.lane AND n.id > q.id) AS goes_on
           FROM queued_commands q
           WHERE q.company_id = $1 AND NOT (q.lane = ANY($2::text[])) AND NOT (q.id = ANY($4::bigint[]))
             AND (q.not_before IS NULL OR q.not_before <= now())
             AND NOT EXISTS (SELECT 1 FROM queued_commands e
                             WHERE e.company_id = q.company_id AND e.lane = q.lane AND e.id < q.id)
           ORDER BY q.id LIMIT $3""",
        company_id,
        list(busy_lanes),
        limit,
        list(known),
    )
    return [_queued(row, lane_goes_on=row["goes_on"]) for row in rows]


async def complete(
    conn: DbConnection | asyncpg.Pool, owner: str, done: Sequence[Done]
) -> tuple[set[int], list[Enqueued]]:
    """Delete finished commands and write what they emit to the outbox, in one statement (so at once, or not at
    all). Only commands of companies still leased by ``owner`` under the same epoch count; the others are left
    to their new owner, and their messages are not written."""
    messages = [(d.row_id, m, traceparent) for d in done for m, traceparent in d.messages]
    rows = await conn.fetch(
        """WITH deleted AS (
               DELETE FROM queued_commands q
               USING unnest($2::bigint[], $3::text[], $4::bigint[]) AS d(id, company_id, epoch)
               WHERE q.id = d.id
                 AND EXISTS (SELECT 1 FROM companies c
                             WHERE c.company_id = d.company_id AND c.owner = $1 AND c.epoch = d.epoch)
               RETURNING q.id),
           written AS (
               INSERT INTO outbox (topic, message_key, message_id, correlation_id, payload, traceparent)
               SELECT m.topic, m.message_key, m.message_id, m.correlation_id, m.payload, m.traceparent
               FROM unnest($5::bigint[], $6::text[], $7::bytea[], $8::uuid[], $9::uuid[], $10::bytea[], $11::text[])
                    WITH ORDINALITY AS m(row_id, topic, message_key, message_id, correlation_id, payload,
                                         traceparent, n)
               WHERE m.row_id IN (SELECT id FROM deleted)
               ORDER BY m.n
               RETURNING id, message_id)
           SELECT id, NULL::uuid AS message_id FROM deleted
           UNION ALL
           SELECT id, message_id FROM written""",
        owner,
        [d.row_id for d in done],
        [d.company_id for d in done],
        [d.epoch for d in done],
        [row_id for row_id, _, _ in messages],
        [m.topic for _, m, _ in messages],
        [message_key(m.tenant_id) for _, m, _ in messages],
        [m.message_id for _, m, _ in messages],
        [m.correlation_id for _, m, _ in messages],
        [m.payload for _, m, _ in messages],
        [traceparent for _, _, traceparent in messages],
    )
    deleted = {row["id"] for row in rows if row["message_id"] is None}
    # Matched by message id, not by position: the ids are the rows' own, whatever order they come back in.
    ids: dict[uuid.UUID, list[int]] = {}
    for row in sorted((r for r in rows if r["message_id"] is not None), key=lambda r: r["id"]):
        ids.setdefault(row["message_id"], []).append(row["id"])
    written = [
        Enqueued(ids[m.message_id].pop(0), m, traceparent) for row_id, m, traceparent in messages if row_id in deleted
    ]
    return deleted, written


async def retry_later(pool: asyncpg.Pool, row_id: int, delay_seconds: float, error: str) -> None:
    await pool.execute(
        """UPDATE queued_commands
           SET attempts = attempts + 1, not_before = now() + make_interval(secs => $2::float8), last_error = $3
           WHERE id = $1""",
        row_id,
        delay_seconds,
        error[:2000],
    )


async def pause(pool: asyncpg.Pool, company_id: str, reason: ErrorDetail) -> bool:
    """Stop draining the company until it is resumed; False when it was paused already."""
    paused = await pool.fetchval(
        """UPDATE companies SET paused = $2::jsonb, paused_at = now()
           WHERE company_id = $1 AND paused IS NULL RETURNING 1""",
        company_id,
        reason.model_dump_json(),
    )
    return paused is not None


async def pause_tenant(pool: asyncpg.Pool, tenant_id: str, reason: ErrorDetail) -> list[str]:
    rows = await pool.fetch(
        """UPDATE companies SET paused = $2::jsonb, paused_at = now()
           WHERE tenant_id = $1 AND paused IS NULL RETURNING company_id""",
        tenant_id,
        reason.model_dump_json(),
    )
    return [row["company_id"] for row in rows]


async def resume_tenant(pool: asyncpg.Pool, tenant_id: str) -> list[str]:
    """Drain the tenant's paused companies again, their waiting commands first thing."""
    rows = await pool.fetch(
        """UPDATE companies SET paused = NULL, paused_at = NULL, has_work = true, ready_at = NULL
           WHERE tenant_id = $1 AND paused IS NOT NULL RETURNING company_id""",
        tenant_id,
    )
    await pool.execute(
        "UPDATE queued_commands SET not_before = NULL WHERE company_id = ANY($1::text[])",
        [row["company_id"] for row in rows],
    )
    return [row["company_id"] for row in rows]


async def queues(
    conn: DbConnection | asyncpg.Pool,
    *,
    writer_pool: str | None = None,
    tenant_id: str | None = None,
    everything: bool = False,
) -> list[CompanyQueue]:
    """Each company with queued commands or paused (``everything``: every company), deepest first."""
    rows = await conn.fetch(
        """SELECT c.company_id, c.tenant_id, c.writer_pool, c.paused, c.paused_at, c.used_last_minute,
                  c.limit_per_minute, c.throttled, c.done,
                  CASE WHEN c.lease_expires_at > now() THEN c.owner END AS owner,
                  c.calls_in, coalesce(c.reachable_until > now(), false) AS reachable,
                  coalesce(q.depth, 0) AS depth, coalesce(q.retrying, 0) AS retrying,
                  extract(epoch FROM now() - q.oldest)::float8 AS oldest_seconds, q.last_error
           FROM companies c
           LEFT JOIN LATERAL (
               SELECT count(*) AS depth, count(*) FILTER (WHERE attempts > 0) AS retrying, min(queued_at) AS oldest,
                      (array_agg(last_error ORDER BY id) FILTER (WHERE last_error IS NOT NULL))[1] AS last_error
               FROM queued_commands WHERE company_id = c.company_id) q ON true
           WHERE ($1::text IS NULL OR c.writer_pool = $1) AND ($2::text IS NULL OR c.tenant_id = $2)
             AND ($3 OR c.has_work OR c.paused IS NOT NULL OR $2::text IS NOT NULL)
           ORDER BY coalesce(q.depth, 0) DESC, c.company_id""",
        writer_pool,
        tenant_id,
        everything,
    )
    return [
        CompanyQueue(
            company_id=row["company_id"],
            tenant_id=row["tenant_id"],
            writer_pool=row["writer_pool"],
            depth=row["depth"],
            retrying=row["retrying"],
            oldest_seconds=row["oldest_seconds"],
            owner=row["owner"],
            paused=ErrorDetail.model_validate(json.loads(row["paused"])) if row["paused"] else None,
            paused_at=row["paused_at"],
            used_last_minute=row["used_last_minute"],
            limit_per_minute=row["limit_per_minute"],
            throttled=row["throttled"],
            done=row["done"],
            last_error=row["last_error"],
            calls_in=row["calls_in"],
            reachable=row["reachable"],
        )
        for row in rows
    ]


def _queued(row: asyncpg.Record, *, lane_goes_on: bool = False) -> QueuedCommand:
    return QueuedCommand(
        id=row["id"],
        company_id=row["company_id"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        message_id=row["message_id"],
        lane=row["lane"],
        payload=bytes(row["payload"]),
        traceparent=row["traceparent"],
        source=Source(row["source_topic"], row["source_partition"], row["source_offset"]),
        queued_at=row["queued_at"],
        attempts=row["attempts"],
        lane_goes_on=lane_goes_on,
    )
