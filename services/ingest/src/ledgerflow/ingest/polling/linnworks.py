"""Linnworks' PurchaseOrder API, as a poller reads it: sign in with the application's id, secret and the customer's
install token, search by purchase date, and read each purchase order whole.

Calls are spaced to the documented per-method limits (Search_PurchaseOrders2 150/min, Get_PurchaseOrder 250/min).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from ledgerflow.ingest.polling.rounds import DatedSource

AUTH_URL = "https://api.linnworks.net/api/Auth/AuthorizeByApplication"
PER_MINUTE = {"Search_PurchaseOrders2": 150, "Get_PurchaseOrder": 250}
OPEN_STATUSES = frozenset({"PENDING", "OPEN", "PARTIAL", 0, 1, 2})
PAGE = 200
# Purchase dates are UTC and a clock may lag: the window starts a day before the last round's.
OVERLAP = timedelta(days=1)


@dataclass(frozen=True)
class Credentials:
    application_id: str
    application_secret: str
    token: str


class Spacing:
    """At most ``per_minute`` calls of one method a minute, spread evenly rather than in bursts."""

    def __init__(self, per_minute: dict[str, int]) -> None:
        self._gap = {method: 60.0 / count for method, count in per_minute.items()}
        self._last: dict[str, float] = {}

    async def wait(self, method: str) -> None:
        gap = self._gap.get(method, 0.0)
        wait = self._last.get(method, -gap) + gap - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last[method] = time.monotonic()


class LinnworksPurchaseOrders(DatedSource):
    def __init__(self, http: httpx.AsyncClient, credentials: Credentials, spacing: Spacing | None = None) -> None:
        self._http = http
        self._credentials = credentials
        self._spacing = spacing or Spacing(PER_MINUTE)
        self._session: tuple[str, str] | None = None  # (server, token)

    async def changed_since(self, since: date | None, today: date) -> list[str]:
        """Ids of the purchase orders placed in the window; their later receipts are found by re-reading them."""
        start = (since - OVERLAP) if since else today - timedelta(days=30)
        ids: list[str] = []
        page = 1
        while True:
            body = {"searchParameter": {"DateFrom": start.isoformat(), "DateTo": (today + OVERLAP).isoformat(),
                                        "EntriesPerPage": PAGE, "PageNumber": page}}  # fmt: skip
            answer = await self._call("Search_PurchaseOrders2", body)
            ids += [str(row["pkPurchaseID"]) for row in answer.get("Result") or []]
            if page >= int(answer.get("TotalPages") or 1):
                return ids
            page += 1

    async def read(self, purchase_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self._call("Get_PurchaseOrder", {"pkPurchaseId": purchase_id})
        return answer

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool:
        return (payload.get("PurchaseOrderHeader") or {}).get("Status") in OPEN_STATUSES

    async def _call(self, method: str, body: dict[str, Any]) -> Any:
        for attempt in range(2):
            server, token = await self._signed_in()
            await self._spacing.wait(method)
            response = await self._http.post(f"{server}/api/PurchaseOrder/{method}", json=body,
                                              headers={"Authorization": token})  # fmt: skip
            if response.status_code == 401 and attempt == 0:
                self._session = None  # the session expired: sign in again, once
                continue
            response.raise_for_status()
            return response.json()
        raise AssertionError("unreachable")

    async def _signed_in(self) -> tuple[str, str]:
        if self._session is None:
            c = self._credentials
            response = await self._http.post(AUTH_URL, json={"ApplicationId": c.application_id,
                                                             "ApplicationSecret": c.application_secret,
                                                             "Token": c.token})  # fmt: skip
            response.raise_for_status()
            session = response.json()
            self._session = (str(session["Server"]).rstrip("/"), str(session["Token"]))
        return self._session
