"""``ledgerflow poll``: a round (or a round every N seconds) of a connection's purchase-order poller, its position
kept in PostgreSQL so that the next round, on any machine, starts where this one ended."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import httpx

from ledgerflow.cli.publishing import PurchaseOrderToPublish, publish_purchase_orders
from ledgerflow.contracts import PurchaseOrderSystem
from ledgerflow.ingest.polling import positions
from ledgerflow.ingest.polling.linnworks import Credentials, LinnworksPurchaseOrders, Spacing
from ledgerflow.ingest.polling.rounds import PurchaseOrderSource, Round, poll_round
from ledgerflow.ingest.polling.skuvault import SkuVaultPurchaseOrders, Tokens

CREDENTIALS = ("LEDGERFLOW_LINNWORKS_APPLICATION_ID", "LEDGERFLOW_LINNWORKS_APPLICATION_SECRET",
               "LEDGERFLOW_LINNWORKS_TOKEN")  # fmt: skip
SKUVAULT_TOKENS = ("LEDGERFLOW_SKUVAULT_TENANT_TOKEN", "LEDGERFLOW_SKUVAULT_USER_TOKEN")


class PollError(Exception):
    """The poller cannot start: the message says what to set."""


def _settings(names: tuple[str, ...], what: str, environ: dict[str, str] | None) -> list[str]:
    environ = dict(os.environ) if environ is None else environ
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise PollError(f"set {', '.join(missing)} ({what})")
    return [environ[name] for name in names]


def linnworks_credentials(environ: dict[str, str] | None = None) -> Credentials:
    return Credentials(*_settings(CREDENTIALS, "the Linnworks application and the customer's install token", environ))


def skuvault_tokens(environ: dict[str, str] | None = None) -> Tokens:
    return Tokens(*_settings(SKUVAULT_TOKENS, "from SKU Vault's gettokens, for a user of ledgerflow's own", environ))


def source_for(
    system: PurchaseOrderSystem, http: httpx.AsyncClient, spacing: Spacing | None = None
) -> PurchaseOrderSource:
    if system is PurchaseOrderSystem.LINNWORKS:
        return LinnworksPurchaseOrders(http, linnworks_credentials(), spacing)
    if system is PurchaseOrderSystem.SKUVAULT:
        return SkuVaultPurchaseOrders(http, skuvault_tokens(), spacing)
    raise PollError(
        f"polling {system.label} is not supported yet (Linnworks and SKU Vault are); publish its purchase orders "
        "or relay them to the webhook receiver"
    )


async def poll_once(
    source: PurchaseOrderSource,
    system: PurchaseOrderSystem,
    tenant: str,
    connection: str,
    database_url: str,
    bootstrap: str,
    today: date,
) -> Round:
    """One round under the connection's lock: two pollers of one connection never read the same round twice."""
    conn = await asyncpg.connect(database_url)
    try:
        for statement in positions.DDL:
            await conn.execute(statement)
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"poll/{tenant}/{connection}/{system}")
            position = await positions.load(conn, tenant, connection, system.value)

            async def publish(payloads: Sequence[dict[str, Any]]) -> None:
                orders = [PurchaseOrderToPublish(tenant, connection, system, p, polled=True) for p in payloads]
                if orders:
                    await publish_purchase_orders(bootstrap, orders)

            result = await poll_round(source, position, publish, today)
            await positions.save(conn, tenant, connection, system.value, result.position)
    finally:
        await conn.close()
    return result
