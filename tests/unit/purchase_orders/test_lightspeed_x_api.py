"""The X-Series poller's client against an X-Series of our own: bearer token, supplier consignments after the
version cursor until an empty page, each consignment with its products, and SKUs looked up once per product."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from ledgerflow.contracts import PurchaseOrderStatus, PurchaseOrderSystem
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order
from ledgerflow.ingest.polling.lightspeed_x import LightspeedXPurchaseOrders, Store

from .helpers import load

API = "https://roastery.retail.lightspeed.app/api/2.0"


class XSeries:
    def __init__(self) -> None:
        self.bundle = load("lightspeed_x-consignment-received-short.json")
        self.paths: list[str] = []
        self.throttle_next = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer token-x" and str(request.url).startswith(API)
        if self.throttle_next:
            self.throttle_next = False
            return httpx.Response(429, headers={"Retry-After": "0"})
        path, params = request.url.path.removeprefix("/api/2.0"), request.url.params
        self.paths.append(f"{path}?after={params.get('after')}")
        consignment = self.bundle["consignment"]["data"]
        if path == "/consignments":
            assert (params["type"], params["page_size"]) == ("SUPPLIER", "100")
            if params["after"] == "0":
                return httpx.Response(200, json={"data": [consignment], "version": {"min": 827406, "max": 827406}})
            return httpx.Response(200, json={"data": [], "version": None})
        if path == f"/consignments/{consignment['id']}":
            return httpx.Response(200, json=self.bundle["consignment"])
        if path.endswith("/products"):
            rows = self.bundle["products"]["data"] if params["after"] == "0" else []
            return httpx.Response(200, json={"data": rows, "version": {"min": 1, "max": 20813790} if rows else None})
        assert path == "/products/fa16cdf8-063c-11e4-a0f5-b8ca3a64f8f4"
        return httpx.Response(200, json={"data": {"id": "fa16cdf8-063c-11e4-a0f5-b8ca3a64f8f4", "sku": "COFFEE-BAG"}})


def _client(fake: XSeries) -> LightspeedXPurchaseOrders:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    return LightspeedXPurchaseOrders(http, Store("roastery", "token-x"))


async def test_supplier_consignments_after_the_version_cursor_until_an_empty_page() -> None:
    fake = XSeries()
    changes = await _client(fake).changes(None, date(2026, 11, 10))
    assert (changes.ids, changes.cursor) == (["7dbe52cd-0ae4-11e4-a0f5-b8ca3a64f8f4"], "827406")
    assert fake.paths == ["/consignments?after=0", "/consignments?after=827406"]


async def test_a_consignment_is_read_with_its_products_and_their_skus_looked_up_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr("ledgerflow.ingest.polling.pacing.asyncio.sleep", no_sleep)
    fake = XSeries()
    fake.throttle_next = True  # a 429 first: waited out and asked again
    client = _client(fake)
    bundle = await client.read("7dbe52cd-0ae4-11e4-a0f5-b8ca3a64f8f4")
    assert bundle["skus"] == {"fa16cdf8-063c-11e4-a0f5-b8ca3a64f8f4": "COFFEE-BAG"}
    assert sum(p.startswith("/products/") for p in fake.paths) == 1  # three rows of one product, one lookup
    po = normalize_purchase_order(PurchaseOrderSystem.LIGHTSPEED_X, bundle)
    assert (po.po_number, po.status) == ("PO-0714", PurchaseOrderStatus.CLOSED)
    assert not client.still_open(bundle)
