"""Erply's purchase orders, as a poller reads them (classic API, form-encoded ``POST https://{clientCode}.erply.com/
api/``): ``verifyUser`` for a session key, ``getPurchaseDocuments`` of type ``PRCORDER`` changed since the last
round (``changedSince``, Unix seconds, page by page), then each purchase order by id with the documents made from it
(its ``baseToDocuments``, read with ``getRowsForAllInvoices=1``) as the one response the normalizer takes.

Erply meters calls per account per hour (error 1002 until the next hour) and per address (150 per 30 seconds, else
HTTP 429 for ten seconds): both are kept to here, and a spent hour ends the round, to go on at the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx

from ledgerflow.ingest.polling.pacing import WindowQuota, unthrottled
from ledgerflow.ingest.polling.rounds import Changes

PAGE = 100  # recordsOnPage's maximum
FIRST_WINDOW = timedelta(days=30)
OPEN_STATUSES = frozenset({"PENDING", "READY", "PARTIALLY_RECEIVED"})
SESSION_EXPIRED = frozenset({"1054", "1055"})
HOURLY_CALLS = 1000  # the older pages' figure; newer accounts have 6,000 (``hourly_calls``)


@dataclass(frozen=True)
class Account:
    client_code: str
    username: str
    password: str


class ErplyError(Exception):
    """Erply answered ``responseStatus: error``: the code and what it means for the poller."""

    def __init__(self, code: str, request: str) -> None:
        spent = " : the account's hourly quota is spent, the next round goes on" if code == "1002" else ""
        super().__init__(f"Erply refused {request} (error {code}){spent}")
        self.code = code


class ErplyPurchaseOrders:
    def __init__(
        self, http: httpx.AsyncClient, account: Account, hourly_calls: int = HOURLY_CALLS, api_url: str | None = None
    ) -> None:
        self._http = http
        self._account = account
        self._url = api_url or f"https://{account.client_code}.erply.com/api/"
        self._hourly = WindowQuota(hourly_calls, 3600)
        self._per_address = WindowQuota(150, 30)
        self._session: str | None = None

    async def changes(self, cursor: str | None, today: date) -> Changes:
        """Purchase orders changed at or after the cursor (the newest ``lastModified`` seen last round)."""
        since = int(cursor) if cursor else int(datetime.combine(today - FIRST_WINDOW, time(), UTC).timestamp())
        ids: list[str] = []
        newest = since
        page = 1
        while True:
            fields = {"type": "PRCORDER", "changedSince": str(since), "recordsOnPage": str(PAGE), "pageNo": str(page)}
            answer = await self._call("getPurchaseDocuments", fields)
            records = answer.get("records") or []
            for record in records:
                ids.append(str(record["id"]))
                newest = max(newest, int(record.get("lastModified") or since))
            total = int((answer.get("status") or {}).get("recordsTotal") or 0)
            if not records or page * PAGE >= total:
                return Changes(list(dict.fromkeys(ids)), str(newest))
            page += 1

    async def read(self, po_id: str) -> dict[str, Any]:
        answer = await self._call("getPurchaseDocuments", {"id": po_id})
        records = list(answer.get("records") or [])
        made = [str(doc["id"]) for po in records for doc in po.get("baseToDocuments") or []]
        if made:
            fields = {"ids": ",".join(made), "getRowsForAllInvoices": "1", "recordsOnPage": str(PAGE)}
            records += (await self._call("getPurchaseDocuments", fields)).get("records") or []
        return {"status": answer.get("status"), "records": records}

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool:
        orders = [r for r in payload.get("records") or [] if r.get("type") == "PRCORDER"]
        return any(str(r.get("status")) in OPEN_STATUSES for r in orders)

    async def _call(self, request: str, fields: dict[str, str]) -> dict[str, Any]:
        for attempt in range(2):
            try:
                return await self._post(request, {**fields, "sessionKey": await self._session_key()})
            except ErplyError as error:
                if error.code not in SESSION_EXPIRED or attempt:
                    raise
                self._session = None  # the session key expired (about an hour): sign in again, once
        raise AssertionError("unreachable")

    async def _session_key(self) -> str:
        if self._session is None:
            a = self._account
            answer = await self._post("verifyUser", {"username": a.username, "password": a.password})
            self._session = str(answer["records"][0]["sessionKey"])
        return self._session

    async def _post(self, request: str, fields: dict[str, str]) -> dict[str, Any]:
        form = {"clientCode": self._account.client_code, "request": request, "sendContentType": "1", **fields}

        async def send() -> httpx.Response:
            await self._hourly.wait()
            await self._per_address.wait()
            return await self._http.post(self._url, data=form)

        # A 429 is this address sending too many: Erply refuses it for ten seconds.
        answer: dict[str, Any] = (await unthrottled(send, "Erply", 10.0)).json()
        status = answer.get("status") or {}
        if status.get("responseStatus") == "error":
            raise ErplyError(str(status.get("errorCode")), request)
        return answer
