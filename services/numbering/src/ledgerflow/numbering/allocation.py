"""Numbers for a plan's documents, in the caller's transaction (the one holding inbox and outbox).

Order-number mode (N1) derives the number from the order; next-number mode (N2) takes it from a
counter row per tenant, number space and prefix. The row lock serialises allocators of one sequence
across replicas, and a rolled-back transaction gives its number back, so a sequence has no gap except
the numbers the books already hold.
"""

from __future__ import annotations

from ledgerflow.contracts import (
    LIMITS,
    BooksTarget,
    CollisionPolicy,
    DocumentAction,
    DocumentPlan,
    DocumentType,
    NumberingMode,
    NumberingPolicy,
    PlannedDocument,
)
from ledgerflow.numbering.rules import (
    NUMBER_SPACES,
    SOURCE_NUMBERED,
    collision_candidates,
    number_limit,
    numeric_tail,
    order_document_number,
    order_number_with_sequence,
)
from ledgerflow.runtime.database import DbConnection
from ledgerflow.runtime.errors import StageError

DDL = (
    """
    CREATE TABLE IF NOT EXISTS assigned_numbers (
        tenant_id    text        NOT NULL,
        number_space text        NOT NULL,
        doc_number   text        NOT NULL,
        document_key text        NOT NULL,
        assigned_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, number_space, doc_number),
        UNIQUE (tenant_id, document_key)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS counters (
        tenant_id    text   NOT NULL,
        number_space text   NOT NULL,
        prefix       text   NOT NULL,
        next_number  bigint NOT NULL,
        PRIMARY KEY (tenant_id, number_space, prefix)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS held_numbers (
        tenant_id    text        NOT NULL,
        number_space text        NOT NULL,
        doc_number   text        NOT NULL,
        held_by      text,
        learned_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, number_space, doc_number)
    )
    """,
)


async def number_document(
    conn: DbConnection, tenant: str, plan: DocumentPlan, doc: PlannedDocument, policy: NumberingPolicy
) -> str | None:
    """The document's number: the one it already has, or a new one. Payments have none (their reference is N4)."""
    if doc.type is DocumentType.PAYMENT or doc.action is not DocumentAction.CREATE:
        return None  # closing a sales order or applying a payment changes a document that has its number
    if doc.type in SOURCE_NUMBERED:
        if doc.doc_number is None:
            return None
        return order_document_number(doc.doc_number, "", LIMITS[plan.target].bill_number, policy.too_long)
    space = NUMBER_SPACES[doc.type]
    # Two transactions numbering the same document wait for each other instead of both allocating.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"number/{tenant}/{doc.key}")
    existing = await conn.fetchval(
        "SELECT doc_number FROM assigned_numbers WHERE tenant_id = $1 AND document_key = $2", tenant, doc.key
    )
    if existing is not None:
        return str(existing)
    if doc.supersedes is not None:
        taken_over = await conn.fetchval(
            """UPDATE assigned_numbers SET document_key = $3
               WHERE tenant_id = $1 AND document_key = $2 RETURNING doc_number""",
            tenant,
            doc.supersedes,
            doc.key,
        )
        if taken_over is not None:
            return str(taken_over)  # the order was deleted in the books and synced again: its numbers are its own
    prefix = policy.prefix_for(plan.channel.value)
    if policy.mode is NumberingMode.NEXT_NUMBER:
        number = await _next_number(conn, tenant, space, prefix, policy.start)
        limit = number_limit(policy, plan.target)
        if len(number) > limit:
            raise StageError(
                "number.too_long",
                f"the next {space} number {number} is longer than the {limit} characters the books take",
                "Use a shorter `numbering.prefix` or a lower `numbering.start` for this connection, then replay.",
            )
    else:
        number = await _order_number(conn, tenant, space, plan.order_number, doc, prefix, policy, plan.target)
    await conn.execute(
        """INSERT INTO assigned_numbers (tenant_id, number_space, doc_number, document_key)
           VALUES ($1, $2, $3, $4)""",
        tenant,
        space,
        number,
        doc.key,
    )
    return number


async def _order_number(
    conn: DbConnection,
    tenant: str,
    space: str,
    order_number: str,
    doc: PlannedDocument,
    prefix: str,
    policy: NumberingPolicy,
    target: BooksTarget,
) -> str:
    base = order_number_with_sequence(order_number, doc.sequence)
    limit = number_limit(policy, target)
    wanted = order_document_number(base, prefix, limit, policy.too_long)
    holder = await _holder(conn, tenant, space, wanted)
    if holder is None:
        return wanted
    if policy.on_collision is CollisionPolicy.STOP:
        raise StageError(
            "number.collision",
            f"{space} number {wanted} is already used by {holder}",
            "Set a numbering prefix for this connection or channel, or let it take the next free number, "
            "then replay the order.",
        )
    for candidate in collision_candidates(base):
        number = order_document_number(candidate, prefix, limit, policy.too_long)
        if await _holder(conn, tenant, space, number) is None:
            return number
    raise StageError("number.exhausted", f"no free {space} number is left for order {order_number}")


async def _holder(conn: DbConnection, tenant: str, space: str, number: str) -> str | None:
    """Who holds ``number`` already: another document of ours, or one in the books."""
    row = await conn.fetchrow(
        """SELECT 'document ' || document_key AS holder FROM assigned_numbers
               WHERE tenant_id = $1 AND number_space = $2 AND doc_number = $3
           UNION ALL
           SELECT 'a document in the books' || coalesce(' (' || held_by || ')', '') FROM held_numbers
               WHERE tenant_id = $1 AND number_space = $2 AND doc_number = $3
           LIMIT 1""",
        tenant,
        space,
        number,
    )
    return None if row is None else str(row["holder"])


async def _next_number(conn: DbConnection, tenant: str, space: str, prefix: str, start: int) -> str:
    while True:
        value = await conn.fetchval(
            """UPDATE counters SET next_number = next_number + 1
               WHERE tenant_id = $1 AND number_space = $2 AND prefix = $3 RETURNING next_number - 1""",
            tenant,
            space,
            prefix,
        )
        if value is None:  # the sequence's first number: create its row, then take from it
            await conn.execute(
                """INSERT INTO counters (tenant_id, number_space, prefix, next_number) VALUES ($1, $2, $3, $4)
                   ON CONFLICT DO NOTHING""",
                tenant,
                space,
                prefix,
                start,
            )
            continue
        number = f"{prefix}{value}"
        if await _holder(conn, tenant, space, number) is None:
            return number


async def learn_books_number(
    conn: DbConnection, tenant: str, space: str, number: str, held_by: str | None, prefix: str, last: str | None
) -> None:
    """The books hold ``number`` (and have used numbers up to ``last``): never hand them out."""
    await conn.execute(
        """INSERT INTO held_numbers (tenant_id, number_space, doc_number, held_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        tenant,
        space,
        number,
        held_by,
    )
    books_value = numeric_tail(last, prefix) if last else None
    if books_value is not None:
        await conn.execute(
            """UPDATE counters SET next_number = GREATEST(next_number, $4)
               WHERE tenant_id = $1 AND number_space = $2 AND prefix = $3""",
            tenant,
            space,
            prefix,
            books_value + 1,
        )


async def release(conn: DbConnection, tenant: str, document_key: str, number: str) -> bool:
    """Take a rejected number back from its document; False when the document has moved on already."""
    released = await conn.fetchval(
        "DELETE FROM assigned_numbers WHERE tenant_id = $1 AND document_key = $2 AND doc_number = $3 RETURNING 1",
        tenant,
        document_key,
        number,
    )
    return released is not None
