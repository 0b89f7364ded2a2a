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


def _allocates(doc: PlannedDocument) -> bool:
    """Whether the document takes a number from a sequence (kept in ``assigned_numbers``)."""
    return (
        doc.type is not DocumentType.PAYMENT
        and doc.action is DocumentAction.CREATE
        and (doc.type not in SOURCE_NUMBERED)
    )


def allocating_keys(plan: DocumentPlan) -> list[str]:
    """The keys of the plan's documents that take a number from a sequence."""
    return [doc.key for doc in plan.documents if _allocates(doc)]


def plan_lock_keys(plan: DocumentPlan) -> list[str]:
    """The locks numbering a plan takes: two transactions numbering the same document wait for each other instead
    of both allocating."""
    return [f"number/{plan.meta.tenant_id}/{key}" for key in allocating_keys(plan)]


async def lock_plan(conn: DbConnection, plan: DocumentPlan) -> None:
    if keys := plan_lock_keys(plan):
        await conn.execute(LOCK_DOCUMENTS, keys)


async def number_plan(
    conn: DbConnection, tenant: str, plan: DocumentPlan, existing: dict[str, str]
) -> list[str | None]:
    """The numbers of a plan's documents, in its order, its ``plan_lock_keys`` held and the numbers its documents
    have already read (``existing``, by document key): only a document without one allocates."""
    return [await _number(conn, tenant, plan, doc, plan.numbering, existing) for doc in plan.documents]


async def number_document(
    conn: DbConnection, tenant: str, plan: DocumentPlan, doc: PlannedDocument, policy: NumberingPolicy
) -> str | None:
    """The document's number: the one it already has, or a new one. Payments have none (their reference is N4)."""
    existing: dict[str, str] = {}
    if _allocates(doc):
        await conn.execute(LOCK_DOCUMENTS, [f"number/{tenant}/{doc.key}"])
        found = await conn.fetchval(
            "SELECT doc_number FROM assigned_numbers WHERE tenant_id = $1 AND document_key = $2", tenant, doc.key
        )
        existing = {} if found is None else {doc.key: str(found)}
    return await _number(conn, tenant, plan, doc, policy, existing)


LOCK_DOCUMENTS = """SELECT count(pg_advisory_xact_lock(hashtext(key)))
                    FROM (SELECT key FROM unnest($1::text[]) AS key ORDER BY hashtext(key)) AS keys"""


async def _number(
    conn: DbConnection,
    tenant: str,
    plan: DocumentPlan,
    doc: PlannedDocument,
    policy: NumberingPolicy,
    existing: dict[str, str],
) -> str | None:
    """A document's number, its lock held and ``existing`` read: kept, taken over, or allocated."""
    if doc.type is DocumentType.PAYMENT or doc.action is not DocumentAction.CREATE:
        return None  # closing a sales order or applying a payment changes a document that has its number
    if doc.type in SOURCE_NUMBERED:
        if doc.doc_number is None:
            return None
        return order_document_number(doc.doc_number, "", LIMITS[plan.target].bill_number, policy.too_long)
    space = NUMBER_SPACES[doc.type]
    if doc.key in existing:
        return existing[doc.key]
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
        return await _next_number(conn, tenant, space, prefix, policy, plan.target, doc.key)
    return await _order_number(conn, tenant, space, plan.order_number, doc, prefix, policy, plan.target)


async def _claim(conn: DbConnection, tenant: str, space: str, number: str, document_key: str) -> bool:
    """Assign ``number`` to the document unless a document of ours or one in the books holds it: one statement
    where a check and an insert were two."""
    claimed = await conn.fetchval(
        """INSERT INTO assigned_numbers (tenant_id, number_space, doc_number, document_key)
           SELECT $1, $2, $3, $4 WHERE NOT EXISTS (
               SELECT 1 FROM held_numbers WHERE tenant_id = $1 AND number_space = $2 AND doc_number = $3)
           ON CONFLICT DO NOTHING RETURNING 1""",
        tenant,
        space,
        number,
        document_key,
    )
    return claimed is not None


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
    if await _claim(conn, tenant, space, wanted, doc.key):
        return wanted
    if policy.on_collision is CollisionPolicy.STOP:
        holder = await _holder(conn, tenant, space, wanted)
        raise StageError(
            "number.collision",
            f"{space} number {wanted} is already used by {holder}",
            "Set a numbering prefix for this connection or channel, or let it take the next free number, "
            "then replay the order.",
        )
    for candidate in collision_candidates(base):
        number = order_document_number(candidate, prefix, limit, policy.too_long)
        if await _claim(conn, tenant, space, number, doc.key):
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


async def _next_number(
    conn: DbConnection, tenant: str, space: str, prefix: str, policy: NumberingPolicy, target: BooksTarget, key: str
) -> str:
    limit = number_limit(policy, target)
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
                policy.start,
            )
            continue
        number = f"{prefix}{value}"
        if len(number) > limit:
            raise StageError(
                "number.too_long",
                f"the next {space} number {number} is longer than the {limit} characters the books take",
                "Use a shorter `numbering.prefix` or a lower `numbering.start` for this connection, then replay.",
            )
        if await _claim(conn, tenant, space, number, key):
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
