"""Lightspeed Retail R-Series' purchase orders, as a poller reads them: the orders changed since the last round's
time stamp (``timeStamp=>=,…``, sorted by it, page by page through ``@attributes.next``), then each order with its
lines, vendor, note and items, and its shipments with their items, as one bundle.

R-Series sends no purchase-order webhook; calls are paced by its leaky bucket (``pacing.LeakyBucket``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from ledgerflow.ingest.polling.pacing import LeakyBucket, unthrottled
from ledgerflow.ingest.polling.rounds import Changes

API = "https://api.lightspeedapp.com/API/V3/Account"
ORDER_RELATIONS = '["OrderLines","Vendor","Note","OrderLines.Item"]'
SHIPMENT_RELATIONS = '["OrderShipmentItems"]'
PAGE = 100
FIRST_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Access:
    account_id: str
    token: str  # an OAuth access token with the employee:purchase_orders scope


class LightspeedRPurchaseOrders:
    def __init__(self, http: httpx.AsyncClient, access: Access, bucket: LeakyBucket | None = None) -> None:
        self._http = http
        self._access = access
        self._bucket = bucket or LeakyBucket()
        self._base = f"{API}/{access.account_id}"

    async def changes(self, cursor: str | None, today: date) -> Changes:
        """Orders whose time stamp is at or after the cursor (the newest seen last round: one order may be seen
        twice, none missed), oldest first; the next cursor is the newest time stamp seen."""
        since = cursor or datetime.combine(today - FIRST_WINDOW, time()).isoformat() + "+00:00"
        params = {"timeStamp": f">=,{since}", "sort": "timeStamp", "limit": str(PAGE)}
        ids: list[str] = []
        newest = since
        for order in await self._all(f"{self._base}/Order.json", params, "Order", "list"):
            ids.append(str(order["orderID"]))
            newest = max(newest, str(order.get("timeStamp") or since))
        return Changes(list(dict.fromkeys(ids)), newest)

    async def read(self, order_id: str) -> dict[str, Any]:
        answer = await self._get(f"{self._base}/Order/{order_id}.json", {"load_relations": ORDER_RELATIONS}, "order")
        shipments = await self._all(
            f"{self._base}/Order/{order_id}/Shipment.json", {"load_relations": SHIPMENT_RELATIONS}, "OrderShipment",
            "shipments",
        )  # fmt: skip
        return {"Order": answer["Order"], "OrderShipments": {"OrderShipment": shipments}}

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool:
        order = payload.get("Order") or {}
        return str(order.get("complete")).lower() != "true" and str(order.get("archived")).lower() != "true"

    async def _all(self, url: str, params: dict[str, str] | None, key: str, kind: str) -> list[dict[str, Any]]:
        """Every page's records: one record comes as an object, several as an array."""
        found: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            answer = await self._get(next_url, params if next_url == url else None, kind)
            records = answer.get(key) or []
            found += records if isinstance(records, list) else [records]
            next_url = str((answer.get("@attributes") or {}).get("next") or "") or None
        return found

    async def _get(self, url: str, params: dict[str, str] | None, kind: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._access.token}", "Accept": "application/json"}

        async def send() -> httpx.Response:
            await self._bucket.wait(kind)
            response = await self._http.get(url, params=params, headers=headers)
            self._bucket.update(kind, response.headers)
            return response

        answer: dict[str, Any] = (await unthrottled(send, "R-Series", 1.0)).json()
        return answer
