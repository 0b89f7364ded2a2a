"""Lightspeed Retail X-Series' purchase orders, as a poller reads them (consignments API 2.0, bearer token): the
``SUPPLIER`` consignments changed after the last round's version (``after`` = the last ``version.max``, page by
page), then each consignment with its products, and the SKUs of products whose rows carry none (``/products/{id}``,
kept for the poller's life), as one bundle.

X-Series' webhooks are nudges that may never come, so the version cursor is the source of truth. Calls are kept
within 300 per register plus 50 per five minutes, and a 429 waits its ``Retry-After``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from ledgerflow.ingest.polling.pacing import WindowQuota, unthrottled
from ledgerflow.ingest.polling.rounds import Changes

PAGE = 100
FINAL = frozenset({"RECEIVED", "CANCELLED"})


@dataclass(frozen=True)
class Store:
    domain_prefix: str
    token: str
    registers: int = 1  # the retailer's registers: its share of the rate limit grows with them


class LightspeedXPurchaseOrders:
    def __init__(self, http: httpx.AsyncClient, store: Store, api_url: str | None = None) -> None:
        self._http = http
        self._store = store
        self._api = (api_url or f"https://{store.domain_prefix}.retail.lightspeed.app").rstrip("/") + "/api/2.0"
        self._quota = WindowQuota(300 * store.registers + 50, 300)
        self._skus: dict[str, str | None] = {}

    async def changes(self, cursor: str | None, today: date) -> Changes:
        """Supplier consignments with a version after the cursor (every one, the first time)."""
        params = {"type": "SUPPLIER", "page_size": str(PAGE)}
        rows, newest = await self._pages("/consignments", params, cursor or "0")
        return Changes(list(dict.fromkeys(str(row["id"]) for row in rows)), newest)

    async def read(self, consignment_id: str) -> dict[str, Any]:
        consignment = await self._get(f"/consignments/{consignment_id}", {})
        products, _ = await self._pages(f"/consignments/{consignment_id}/products", {"page_size": str(PAGE)}, "0")
        skus = {}
        for row in products:
            product_id = str(row.get("product_id") or "")
            if product_id and not row.get("product_sku"):
                sku = await self._sku(product_id)
                if sku:
                    skus[product_id] = sku
        return {"consignment": consignment, "products": {"data": products}, "skus": skus}

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool:
        consignment = (payload.get("consignment") or {}).get("data") or {}
        return consignment.get("status") not in FINAL and not consignment.get("deleted_at")

    async def _sku(self, product_id: str) -> str | None:
        if product_id not in self._skus:
            product = (await self._get(f"/products/{product_id}", {})).get("data") or {}
            self._skus[product_id] = str(product["sku"]) if product.get("sku") else None
        return self._skus[product_id]

    async def _pages(self, path: str, params: dict[str, str], after: str) -> tuple[list[dict[str, Any]], str]:
        """Every row after a version, and the last version read (a list ends with an empty page)."""
        rows: list[dict[str, Any]] = []
        while True:
            answer = await self._get(path, {**params, "after": after})
            page = answer.get("data") or []
            if not page:
                return rows, after
            rows += page
            after = str((answer.get("version") or {}).get("max") or max(int(row.get("version") or 0) for row in page))

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        async def send() -> httpx.Response:
            await self._quota.wait()
            headers = {"Authorization": f"Bearer {self._store.token}"}
            return await self._http.get(f"{self._api}{path}", params=params, headers=headers)

        answer: dict[str, Any] = (await unthrottled(send, "X-Series", 60.0)).json()
        return answer
