"""Customers and items in the books, found by name and cached in the writer's own table."""

from __future__ import annotations

import asyncpg

from ledgerflow.contracts import LineKind, PlannedDocument, derive_message_id
from ledgerflow.ledger_writer.qbo.client import QboFaultError, QuickBooksClient, equals

DDL = (
    """
    CREATE TABLE IF NOT EXISTS reference_cache (
        tenant_id   text NOT NULL,
        kind        text NOT NULL,
        name        text NOT NULL,
        external_id text NOT NULL,
        PRIMARY KEY (tenant_id, kind, name)
    )
    """,
)

WEB_STORE_CUSTOMER = "Web Store"
DUPLICATE_NAME = "6240"


class References:
    def __init__(
        self, pool: asyncpg.Pool, client: QuickBooksClient, tenant_id: str, realm: str, attempt: str = ""
    ) -> None:
        self._pool = pool
        self._client = client
        self._tenant = tenant_id
        self._realm = realm
        # Part of the requestid: a redelivered command repeats its creates, a replayed one tries afresh
        # (QuickBooks replays a refusal for the same requestid).
        self._attempt = attempt

    async def customer(self, doc: PlannedDocument) -> str:
        name = doc.customer_name or WEB_STORE_CUSTOMER
        body: dict[str, object] = {"DisplayName": name}
        if doc.customer_email and doc.customer_name:
            body["PrimaryEmailAddr"] = {"Address": doc.customer_email}
        return await self._find_or_create("Customer", "DisplayName", name, body)

    async def items(self, doc: PlannedDocument) -> dict[str, str]:
        ids = {}
        for line in doc.lines:
            if line.kind is LineKind.DISCOUNT or line.item_name in ids:
                continue
            item_type = "NonInventory" if line.kind is LineKind.ITEM else "Service"
            ids[line.item_name] = await self._find_or_create(
                "Item", "Name", line.item_name, {"Name": line.item_name, "Type": item_type}
            )
        return ids

    async def _find_or_create(self, entity: str, field: str, name: str, body: dict[str, object]) -> str:
        cached = await self._pool.fetchval(
            "SELECT external_id FROM reference_cache WHERE tenant_id = $1 AND kind = $2 AND name = $3",
            self._tenant,
            entity,
            name,
        )
        if cached is not None:
            return str(cached)
        found = await self._client.query(self._realm, entity, equals(field, name))
        if found:
            external_id = str(found[0]["Id"])
        else:
            request_id = str(derive_message_id("qbo-reference", self._tenant, entity, name, self._attempt))
            try:
                external_id = str((await self._client.create(self._realm, entity, body, request_id))["Id"])
            except QboFaultError as fault:
                # Another writer may have created it meanwhile: take that one; otherwise the name is taken elsewhere.
                again = await self._client.query(self._realm, entity, equals(field, name))
                if fault.code != DUPLICATE_NAME or not again:
                    raise
                external_id = str(again[0]["Id"])
        await self._pool.execute(
            """INSERT INTO reference_cache (tenant_id, kind, name, external_id) VALUES ($1, $2, $3, $4)
               ON CONFLICT (tenant_id, kind, name) DO UPDATE SET external_id = excluded.external_id""",
            self._tenant,
            entity,
            name,
            external_id,
        )
        return external_id
