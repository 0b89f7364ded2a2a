"""The R-Series poller's client against an R-Series of our own: bearer token, the time-stamp filter sorted by it,
pages followed through ``@attributes.next`` (one record as an object, several as an array), the leaky bucket kept
to, and each order read with its relations and shipments as the bundle the normalizer takes."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from ledgerflow.contracts import PurchaseOrderStatus, PurchaseOrderSystem
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order
from ledgerflow.ingest.polling.lightspeed_r import ORDER_RELATIONS, Access, LightspeedRPurchaseOrders
from ledgerflow.ingest.polling.pacing import LeakyBucket

from .helpers import load

BASE = "https://api.lightspeedapp.com/API/V3/Account/123"
BUCKET = {"X-LS-Api-Bucket-Level": "59.5/60", "X-LS-Api-Drip-Rate": "2", "X-LS-Api-Request-Cost": "1"}


class RSeries:
    def __init__(self) -> None:
        self.bundle = load("lightspeed_r-order-complete.json")
        self.calls: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer token-1"
        self.calls.append(request)
        url, params = str(request.url), request.url.params
        if request.url.path.endswith("/Order.json"):
            if params.get("offset") == "100":
                one = {"orderID": "101", "timeStamp": "2026-11-03T10:00:00+00:00"}  # a single record: an object
                return httpx.Response(200, json={"@attributes": {"next": "", "count": "101"}, "Order": one})
            assert (params["timeStamp"], params["sort"], params["limit"]) == (
                ">=,2026-11-01T00:00:00+00:00",
                "timeStamp",
                "100",
            )
            rows = [{"orderID": str(n), "timeStamp": "2026-11-02T09:00:00+00:00"} for n in range(1, 101)]
            page = {"@attributes": {"next": f"{BASE}/Order.json?offset=100", "count": "101"}, "Order": rows}
            return httpx.Response(200, json=page, headers=BUCKET)
        if url.startswith(f"{BASE}/Order/3.json"):
            assert params["load_relations"] == ORDER_RELATIONS
            return httpx.Response(200, json={"@attributes": {"count": "1"}, "Order": self.bundle["Order"]})
        assert request.url.path == "/API/V3/Account/123/Order/3/Shipment.json"
        assert params["load_relations"] == '["OrderShipmentItems"]'
        shipments = self.bundle["OrderShipments"]["OrderShipment"]
        return httpx.Response(200, json={"@attributes": {"next": "", "count": "1"}, "OrderShipment": shipments})


def _client(fake: RSeries, bucket: LeakyBucket | None = None) -> LightspeedRPurchaseOrders:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    return LightspeedRPurchaseOrders(http, Access("123", "token-1"), bucket)


async def test_orders_changed_since_the_cursor_are_read_page_by_page_and_the_cursor_moves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("ledgerflow.ingest.polling.pacing.asyncio.sleep", sleep)
    fake = RSeries()
    changes = await _client(fake).changes("2026-11-01T00:00:00+00:00", date(2026, 11, 5))
    assert len(changes.ids) == 101 and changes.ids[-1] == "101"
    assert changes.cursor == "2026-11-03T10:00:00+00:00"
    # The first page left the bucket at 59.5 of 60, draining 2 a second: the next call waited for room.
    assert slept and 0 < slept[0] <= 0.25


async def test_an_order_is_read_with_its_relations_and_shipments_as_a_bundle_the_normalizer_takes() -> None:
    bundle = await _client(RSeries()).read("3")
    po = normalize_purchase_order(PurchaseOrderSystem.LIGHTSPEED_R, bundle)
    assert (po.source_po_id, po.status, len(po.receipts)) == ("3", PurchaseOrderStatus.RECEIVED, 1)
    assert not LightspeedRPurchaseOrders.still_open(bundle)
    bundle["Order"]["complete"] = "false"
    assert LightspeedRPurchaseOrders.still_open(bundle)


async def test_a_429_waits_and_asks_again(monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = [httpx.Response(429, headers={"Retry-After": "0"})]
    monkeypatch.setattr("ledgerflow.ingest.polling.pacing.asyncio.sleep", _no_sleep)
    fake = RSeries()

    def handle(request: httpx.Request) -> httpx.Response:
        return throttled.pop() if throttled else fake.handle(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    bundle = await LightspeedRPurchaseOrders(http, Access("123", "token-1")).read("3")
    assert bundle["Order"]["orderID"] == "3"


async def _no_sleep(seconds: float) -> None:
    return None
