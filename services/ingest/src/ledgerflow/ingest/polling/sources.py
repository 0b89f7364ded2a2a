"""Each system's poller, with its credentials from the environment (a Secret in a cluster): what to set is named
when something is missing, before any call is made."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from ledgerflow.contracts import PurchaseOrderSystem
from ledgerflow.ingest.polling.erply import Account, ErplyPurchaseOrders
from ledgerflow.ingest.polling.lightspeed_r import Access, LightspeedRPurchaseOrders
from ledgerflow.ingest.polling.lightspeed_x import LightspeedXPurchaseOrders, Store
from ledgerflow.ingest.polling.linnworks import Credentials, LinnworksPurchaseOrders, Spacing
from ledgerflow.ingest.polling.rounds import PurchaseOrderSource
from ledgerflow.ingest.polling.skuvault import SkuVaultPurchaseOrders, Tokens

SETTINGS: dict[PurchaseOrderSystem, tuple[tuple[str, ...], str]] = {
    PurchaseOrderSystem.LINNWORKS: (
        (
            "LEDGERFLOW_LINNWORKS_APPLICATION_ID",
            "LEDGERFLOW_LINNWORKS_APPLICATION_SECRET",
            "LEDGERFLOW_LINNWORKS_TOKEN",
        ),
        "the Linnworks application and the customer's install token",
    ),
    PurchaseOrderSystem.SKUVAULT: (
        ("LEDGERFLOW_SKUVAULT_TENANT_TOKEN", "LEDGERFLOW_SKUVAULT_USER_TOKEN"),
        "from SKU Vault's gettokens, for a user of ledgerflow's own",
    ),
    PurchaseOrderSystem.LIGHTSPEED_R: (
        ("LEDGERFLOW_LIGHTSPEED_R_ACCOUNT_ID", "LEDGERFLOW_LIGHTSPEED_R_TOKEN"),
        "the R-Series account and an access token with the employee:purchase_orders scope",
    ),
    PurchaseOrderSystem.LIGHTSPEED_X: (
        ("LEDGERFLOW_LIGHTSPEED_X_DOMAIN_PREFIX", "LEDGERFLOW_LIGHTSPEED_X_TOKEN"),
        "the store's domain prefix and a token with consignments:read and products:read:costs",
    ),
    PurchaseOrderSystem.ERPLY: (
        ("LEDGERFLOW_ERPLY_CLIENT_CODE", "LEDGERFLOW_ERPLY_USERNAME", "LEDGERFLOW_ERPLY_PASSWORD"),
        "the Erply account's client code and an API user of ledgerflow's own",
    ),
}
# Optional: a store's registers (its X-Series rate limit grows with them), an Erply account's hourly quota, and the
# API's address where a proxy stands in front of it.
X_REGISTERS, ERPLY_HOURLY_CALLS = "LEDGERFLOW_LIGHTSPEED_X_REGISTERS", "LEDGERFLOW_ERPLY_HOURLY_CALLS"
X_API_URL, ERPLY_API_URL = "LEDGERFLOW_LIGHTSPEED_X_API_URL", "LEDGERFLOW_ERPLY_API_URL"


class PollError(Exception):
    """The poller cannot start: the message says what to set."""


def settings_of(system: PurchaseOrderSystem, environ: Mapping[str, str] | None = None) -> list[str]:
    names, what = SETTINGS[system]
    environ = os.environ if environ is None else environ
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise PollError(f"set {', '.join(missing)} ({what})")
    return [environ[name] for name in names]


def source_for(
    system: PurchaseOrderSystem,
    http: httpx.AsyncClient,
    spacing: Spacing | None = None,
    environ: Mapping[str, str] | None = None,
) -> PurchaseOrderSource:
    environ = os.environ if environ is None else environ
    values = settings_of(system, environ)
    if system is PurchaseOrderSystem.LINNWORKS:
        return LinnworksPurchaseOrders(http, Credentials(*values), spacing)
    if system is PurchaseOrderSystem.SKUVAULT:
        return SkuVaultPurchaseOrders(http, Tokens(*values), spacing)
    if system is PurchaseOrderSystem.LIGHTSPEED_R:
        return LightspeedRPurchaseOrders(http, Access(*values))
    if system is PurchaseOrderSystem.LIGHTSPEED_X:
        prefix, token = values
        store = Store(prefix, token, registers=int(environ.get(X_REGISTERS) or 1))
        return LightspeedXPurchaseOrders(http, store, api_url=environ.get(X_API_URL) or None)
    hourly = int(environ.get(ERPLY_HOURLY_CALLS) or 1000)
    return ErplyPurchaseOrders(http, Account(*values), hourly_calls=hourly, api_url=environ.get(ERPLY_API_URL) or None)
