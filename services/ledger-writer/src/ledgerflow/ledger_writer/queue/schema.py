"""The company queues' tables, in the writer's schema.

``companies`` holds one row per company: whether it has work (and when it is next ready, when all it has
waits to be tried again), who drains it (a lease with an epoch that
changes with every owner), why it is paused, and what its rate budget was when it last changed hands.
``queued_commands`` holds what is still to be done, each in its lane (an order, or a tenant in next-number
mode); a row is deleted once done, so the table stays small. ``writers`` lists the live writer processes,
so that each takes its share of the companies. Both hot tables are vacuumed after every 100 dead rows,
not a fraction of their size: queue tables churn (brandur.org, "Postgres Job Queues & Failure By MVCC").
"""

from __future__ import annotations

DDL = (
    """
    CREATE TABLE IF NOT EXISTS companies (
        company_id       text        PRIMARY KEY,
        tenant_id        text        NOT NULL,
        writer_pool      text        NOT NULL,
        has_work         boolean     NOT NULL DEFAULT true,
        ready_at         timestamptz,
        paused           jsonb,
        paused_at        timestamptz,
        owner            text,
        epoch            bigint      NOT NULL DEFAULT 0,
        lease_expires_at timestamptz,
        leased_at        timestamptz,
        last_served_at   timestamptz,
        tokens           double precision,
        paused_until     timestamptz,
        used_last_minute integer     NOT NULL DEFAULT 0,
        limit_per_minute integer     NOT NULL DEFAULT 0,
        throttled        bigint      NOT NULL DEFAULT 0,
        done             bigint      NOT NULL DEFAULT 0
    ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 100)
    """,
    # Books reached only while they call in (QuickBooks Desktop's Web Connector): leased only until then.
    "ALTER TABLE companies ADD COLUMN IF NOT EXISTS calls_in boolean NOT NULL DEFAULT false",
    "ALTER TABLE companies ADD COLUMN IF NOT EXISTS reachable_until timestamptz",
    # The pick: companies of a pool with work, not paused, longest unserved first.
    """CREATE INDEX IF NOT EXISTS companies_waiting ON companies (writer_pool, last_served_at NULLS FIRST)
       WHERE has_work AND paused IS NULL""",
    """
    CREATE TABLE IF NOT EXISTS queued_commands (
        id               bigserial   PRIMARY KEY,
        company_id       text        NOT NULL,
        tenant_id        text        NOT NULL,
        kind             text        NOT NULL,
        message_id       uuid        NOT NULL UNIQUE,
        lane             text        NOT NULL,
        payload          bytea       NOT NULL,
        traceparent      text,
        source_topic     text        NOT NULL,
        source_partition integer,
        source_offset    bigint,
        queued_at        timestamptz NOT NULL DEFAULT now(),
        attempts         integer     NOT NULL DEFAULT 0,
        not_before       timestamptz,
        last_error       text,
        CHECK (kind IN ('command', 'reference_sync'))
    ) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 100)
    """,
    # A company's commands in order, and the head of each lane (the earlier rows of the same lane).
    "CREATE INDEX IF NOT EXISTS queued_commands_company ON queued_commands (company_id, id)",
    "CREATE INDEX IF NOT EXISTS queued_commands_lane ON queued_commands (company_id, lane, id)",
    """
    CREATE TABLE IF NOT EXISTS writers (
        owner       text        PRIMARY KEY,
        writer_pool text        NOT NULL,
        started_at  timestamptz NOT NULL DEFAULT now(),
        seen_at     timestamptz NOT NULL DEFAULT now()
    )
    """,
)
