"""Where each of the books' number sequences stands, so next-number documents stay in step with it (N2).

The books' sequence continues from the last number used, wherever it came from (ledgerflow, or a
bookkeeper typing a document in). Before a next-number document is posted, its number must be past
that last number; the last number is read from the books when not known or no longer fresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from ledgerflow.ledger_writer.books import Books

DDL = (
    """
    CREATE TABLE IF NOT EXISTS books_numbering (
        tenant_id   text        NOT NULL,
        entity      text        NOT NULL,
        prefix      text        NOT NULL,
        last_value  bigint,
        last_number text,
        checked_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, entity, prefix)
    )
    """,
)

REFRESH_AFTER = timedelta(minutes=5)


def numeric_tail(number: str | None, prefix: str) -> int | None:
    if not number or not number.startswith(prefix):
        return None
    tail = number[len(prefix) :]
    return int(tail) if tail.isdigit() else None


class BooksNumbering:
    def __init__(self, pool: asyncpg.Pool, books: Books, tenant_id: str) -> None:
        self._pool = pool
        self._books = books
        self._tenant = tenant_id

    async def last(self, kind: str, prefix: str) -> tuple[int | None, str | None]:
        """The highest ``prefix + digits`` number in use in the books for documents of ``kind``."""
        row = await self._pool.fetchrow(
            "SELECT last_value, last_number, checked_at FROM books_numbering "
            "WHERE tenant_id = $1 AND entity = $2 AND prefix = $3",
            self._tenant,
            kind,
            prefix,
        )
        if row is not None and datetime.now(UTC) - row["checked_at"] < REFRESH_AFTER:
            return row["last_value"], row["last_number"]
        recent = await self._books.recent_numbers(kind)
        numbers = [(numeric_tail(number, prefix), number) for number in recent]
        value, number = max(((v, n) for v, n in numbers if v is not None), default=(None, None))
        if row is not None and row["last_value"] is not None and (value is None or row["last_value"] > value):
            value, number = row["last_value"], row["last_number"]
        await self._save(kind, prefix, value, number)
        return value, number

    async def _save(self, kind: str, prefix: str, value: int | None, number: str | None) -> None:
        await self._pool.execute(
            """INSERT INTO books_numbering (tenant_id, entity, prefix, last_value, last_number, checked_at)
               VALUES ($1, $2, $3, $4, $5, now())
               ON CONFLICT (tenant_id, entity, prefix) DO UPDATE
               SET last_value = excluded.last_value, last_number = excluded.last_number, checked_at = now()""",
            self._tenant,
            kind,
            prefix,
            value,
            number,
        )
