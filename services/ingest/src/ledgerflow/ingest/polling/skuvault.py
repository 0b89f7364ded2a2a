"""SKU Vault's purchase orders, as a poller reads them: ``getPOs`` by modification date (asking for Completed and
Cancelled as well, which it leaves out by default), and each purchase order again by number with its receive
history (``getReceivesHistory``), as one bundle.

SKU Vault counts these as heavy calls (about five a minute per user): give ledgerflow a user of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from ledgerflow.ingest.polling.linnworks import Spacing
from ledgerflow.ingest.polling.rounds import DatedSource

BASE_URL = "https://app.skuvault.com/api/purchaseorders"
PER_MINUTE = {"getPOs": 5, "getReceivesHistory": 5}
FINAL = ("Completed", "Cancelled")
OVERLAP = timedelta(days=1)
HISTORY_FROM = "2000-01-01T00:00:00Z"  # a purchase order's receives, whenever they were


@dataclass(frozen=True)
class Tokens:
    tenant_token: str
    user_token: str


class SkuVaultPurchaseOrders(DatedSource):
    def __init__(self, http: httpx.AsyncClient, tokens: Tokens, spacing: Spacing | None = None) -> None:
        self._http = http
        self._tokens = tokens
        self._spacing = spacing or Spacing(PER_MINUTE)

    async def changed_since(self, since: date | None, today: date) -> list[str]:
        """Numbers of the purchase orders modified in the window, in every status (final ones too)."""
        start = (since - OVERLAP) if since else today - timedelta(days=30)
        window = {
            "ModifiedAfterDateTimeUtc": f"{start.isoformat()}T00:00:00Z",
            "ModifiedBeforeDateTimeUtc": f"{(today + OVERLAP).isoformat()}T00:00:00Z",
        }
        numbers: list[str] = []
        for status in (None, *FINAL):
            page = 0
            while True:
                body = {**window, "PageNumber": page, "IncludeProducts": False} | ({"Status": status} if status else {})
                found = (await self._call("getPOs", body)).get("PurchaseOrders") or []
                numbers += [str(po["PoNumber"]) for po in found if po.get("PoNumber")]
                if not found:
                    break
                page += 1
        return list(dict.fromkeys(numbers))

    async def read(self, po_number: str) -> dict[str, Any]:
        orders = (await self._call("getPOs", {"PONumbers": [po_number], "IncludeProducts": True}))["PurchaseOrders"]
        history = await self._call(
            "getReceivesHistory",
            {"PoNumberFilter": [po_number], "PageNumber": 0, "ReceivedAfterDateTimeUTC": HISTORY_FROM},
        )
        order = next(po for po in orders if str(po.get("PoNumber")) == po_number)
        return {
            "PurchaseOrder": order,
            "Receives": history.get("Receives") or [],
            "Corrections": history.get("Corrections") or [],
        }

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool:
        return (payload.get("PurchaseOrder") or {}).get("Status") not in FINAL

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        await self._spacing.wait(method)
        tokens = {"TenantToken": self._tokens.tenant_token, "UserToken": self._tokens.user_token}
        response = await self._http.post(f"{BASE_URL}/{method}", json={**body, **tokens})
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer
