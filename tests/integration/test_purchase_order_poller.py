"""The Linnworks poller on the real stack, against a Linnworks of our own (httpx's mock transport): a round
publishes what the date window finds, the next re-reads the purchase order still open although it is out of the
window (a late delivery), and the position it starts from is kept in PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.polling import poll_once
from ledgerflow.contracts import PurchaseOrderNormalized, PurchaseOrderStatus, PurchaseOrderSystem, Topic
from ledgerflow.ingest.polling.lightspeed_x import LightspeedXPurchaseOrders, Store
from ledgerflow.ingest.polling.linnworks import Credentials, LinnworksPurchaseOrders, Spacing
from ledgerflow.ingest.polling.skuvault import SkuVaultPurchaseOrders, Tokens
from tests.integration.pipeline import read_topic
from tests.unit.purchase_orders.test_lightspeed_x_api import XSeries

FIXTURES = Path(__file__).parents[1] / "fixtures" / "purchase_orders"
SERVER = "https://eu-ext.linnworks.test"


class FakeLinnworks:
    """Sign-in, a search by purchase date and the read of one purchase order, as the API answers them."""

    def __init__(self, order: dict[str, Any]) -> None:
        self.order = order
        self.searched: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path.endswith("AuthorizeByApplication"):
            assert body == {"ApplicationId": "app", "ApplicationSecret": "secret", "Token": "install"}
            return httpx.Response(200, json={"Server": SERVER, "Token": "session-1"})
        assert request.headers["Authorization"] == "session-1" and str(request.url).startswith(SERVER)
        header = self.order["PurchaseOrderHeader"]
        if request.url.path.endswith("Search_PurchaseOrders2"):
            window = body["searchParameter"]
            self.searched.append(window)
            placed = header["DateOfPurchase"][:10]
            found = [header] if window["DateFrom"] <= placed <= window["DateTo"] else []
            return httpx.Response(200, json={"Result": found, "TotalPages": 1, "CurrentPageNumber": 1})
        assert request.url.path.endswith("Get_PurchaseOrder") and body == {"pkPurchaseId": header["pkPurchaseID"]}
        return httpx.Response(200, json=self.order)


async def _versions(bootstrap: str, tenant: str, count: int) -> list[PurchaseOrderNormalized]:
    for _ in range(60):
        found = [
            m
            for m in (
                PurchaseOrderNormalized.model_validate_json(v)
                for v in await read_topic(bootstrap, Topic.NORMALIZED_PURCHASE_ORDERS)
            )
            if m.meta.tenant_id == tenant
        ]
        if len(found) >= count:
            return found
        await asyncio.sleep(1)
    return found


async def test_the_poller_reads_the_window_then_rereads_what_is_still_open(
    services: LocalServices, tenant: str
) -> None:
    order = json.loads((FIXTURES / "linnworks-partial-gbp.json").read_text())
    linnworks = FakeLinnworks(order)
    connection = f"{tenant}-linnworks"
    system = PurchaseOrderSystem.LINNWORKS
    database, bootstrap = services.stack.database_url, services.stack.bootstrap_servers
    async with httpx.AsyncClient(transport=httpx.MockTransport(linnworks.handle)) as http:
        source = LinnworksPurchaseOrders(http, Credentials("app", "secret", "install"), Spacing({}))
        first = await poll_once(source, system, tenant, connection, database, bootstrap, date(2026, 11, 12))
        assert (first.read, first.still_open, first.position.cursor) == (1, 1, "2026-11-12")

        # Five weeks on, the last mugs arrive: the purchase date is far outside the window now.
        delivered = copy.deepcopy(order)
        delivered["PurchaseOrderHeader"]["Status"] = "DELIVERED"
        delivered["PurchaseOrderItem"][1]["Delivered"] = 12
        linnworks.order = delivered
        second = await poll_once(source, system, tenant, connection, database, bootstrap, date(2026, 12, 20))
        assert (second.read, second.still_open, second.position.open_ids) == (1, 0, ())
        assert linnworks.searched[1]["DateFrom"] == "2026-11-11"  # from the kept position, a day's overlap
        third = await poll_once(source, system, tenant, connection, database, bootstrap, date(2026, 12, 21))
        assert third.read == 0  # closed and out of the window: nothing left to read

    versions = await _versions(bootstrap, tenant, 2)
    assert [(v.po_version, v.purchase_order.status) for v in versions] == [
        (1, PurchaseOrderStatus.PARTIALLY_RECEIVED),
        (2, PurchaseOrderStatus.RECEIVED),
    ]
    conn = await asyncpg.connect(database)
    try:
        row = await conn.fetchrow("SELECT position, open_ids::text FROM poller.positions WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    assert row is not None
    assert (row["position"], json.loads(row["open_ids"])) == ("2026-12-21", [])


async def test_the_skuvault_poller_publishes_each_order_with_its_receives(services: LocalServices, tenant: str) -> None:
    getpos = json.loads((FIXTURES / "skuvault-partial.json").read_text())
    order = getpos["PurchaseOrders"][0]

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path.endswith("getReceivesHistory"):
            return httpx.Response(200, json={"Receives": getpos["Receives"], "Corrections": []})
        if "PONumbers" in body or (body.get("Status") is None and body["PageNumber"] == 0):
            return httpx.Response(200, json={"PurchaseOrders": [order]})
        return httpx.Response(200, json={"PurchaseOrders": []})

    system = PurchaseOrderSystem.SKUVAULT
    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
        source = SkuVaultPurchaseOrders(http, Tokens("tenant", "user"), Spacing({}))
        done = await poll_once(
            source,
            system,
            tenant,
            f"{tenant}-sv",
            services.stack.database_url,
            services.stack.bootstrap_servers,
            date(2026, 11, 9),
        )
    assert (done.read, done.position.open_ids) == (1, ("SV-7781",))
    (version,) = await _versions(services.stack.bootstrap_servers, tenant, 1)
    assert (version.purchase_order.po_number, len(version.purchase_order.receipts)) == ("SV-7781", 2)


async def test_the_x_series_poller_keeps_its_version_cursor_and_publishes_each_consignment(
    services: LocalServices, tenant: str
) -> None:
    """A cursor that is no date (X-Series' version) is kept as it is; the round re-reads nothing closed."""
    fake = XSeries()
    system = PurchaseOrderSystem.LIGHTSPEED_X
    database, bootstrap = services.stack.database_url, services.stack.bootstrap_servers
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake.handle)) as http:
        source = LightspeedXPurchaseOrders(http, Store("roastery", "token-x"))
        done = await poll_once(source, system, tenant, f"{tenant}-x", database, bootstrap, date(2026, 11, 9))
        assert (done.read, done.still_open, done.position.cursor) == (1, 0, "827406")
        again = await poll_once(source, system, tenant, f"{tenant}-x", database, bootstrap, date(2026, 11, 10))
        assert again.read == 0 and fake.paths[-1] == "/consignments?after=827406"  # from the kept version
    (version,) = await _versions(bootstrap, tenant, 1)
    assert (version.purchase_order.po_number, version.purchase_order.lines[0].sku) == ("PO-0714", "COFFEE-BAG")
