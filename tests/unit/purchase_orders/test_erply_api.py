"""The Erply poller's client against an Erply of our own: form-encoded calls with the client code, a session key
from verifyUser (signed in again when it expires), purchase orders changed since the cursor page by page, each read
with the documents made from it, and the account's quotas kept to."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from ledgerflow.contracts import PurchaseOrderStatus, PurchaseOrderSystem
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order
from ledgerflow.ingest.polling.erply import Account, ErplyError, ErplyPurchaseOrders
from ledgerflow.ingest.polling.pacing import WindowQuota

from .helpers import load

URL = "https://501234.erply.com/api/"


def _ok(records: list[dict[str, Any]], total: int | None = None) -> httpx.Response:
    status = {"responseStatus": "ok", "errorCode": 0, "recordsTotal": len(records) if total is None else total,
              "recordsInResponse": len(records)}  # fmt: skip
    return httpx.Response(200, json={"status": status, "records": records})


def _error(code: int) -> httpx.Response:
    return httpx.Response(200, json={"status": {"responseStatus": "error", "errorCode": code}, "records": []})


class Erply:
    def __init__(self) -> None:
        self.documents = load("erply-partial-eur.json")["records"]
        self.forms: list[dict[str, str]] = []
        self.sessions = 0
        self.expire_next = True

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == URL and request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = dict(parse_qsl(request.content.decode()))
        assert (form["clientCode"], form["sendContentType"]) == ("501234", "1")
        self.forms.append(form)
        if form["request"] == "verifyUser":
            assert (form["username"], form["password"]) == ("api-ledgerflow", "pw")
            self.sessions += 1
            return _ok([{"sessionKey": f"session-{self.sessions}"}])
        assert form["request"] == "getPurchaseDocuments"
        if self.expire_next:  # the first session key has expired by the time it is used
            self.expire_next = False
            return _error(1054)
        assert form["sessionKey"] == f"session-{self.sessions}"
        if "changedSince" in form:
            assert (form["type"], form["changedSince"], form["recordsOnPage"]) == ("PRCORDER", "1794200000", "100")
            page = int(form["pageNo"])
            ids = range(1, 101) if page == 1 else [9001]
            return _ok([{"id": i, "type": "PRCORDER", "lastModified": 1794200000 + i} for i in ids], total=101)
        if form.get("id") == "9001":
            return _ok([self.documents[0]])
        assert (form["ids"], form["getRowsForAllInvoices"]) == ("9050", "1")
        return _ok([self.documents[1]])


def _client(fake: Erply, hourly: int = 1000) -> ErplyPurchaseOrders:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    return ErplyPurchaseOrders(http, Account("501234", "api-ledgerflow", "pw"), hourly_calls=hourly)


async def test_changed_purchase_orders_page_by_page_after_signing_in_again() -> None:
    fake = Erply()
    changes = await _client(fake).changes("1794200000", date(2026, 11, 10))
    assert len(changes.ids) == 101 and changes.cursor == str(1794200000 + 9001)
    assert fake.sessions == 2  # the expired key was replaced once
    assert [f["pageNo"] for f in fake.forms if "pageNo" in f] == ["1", "1", "2"]


async def test_a_purchase_order_is_read_with_the_documents_made_from_it() -> None:
    fake = Erply()
    fake.expire_next = False
    client = _client(fake)
    bundle = await client.read("9001")
    po = normalize_purchase_order(PurchaseOrderSystem.ERPLY, bundle)
    assert (po.po_number, po.status, len(po.receipts)) == ("4410", PurchaseOrderStatus.PARTIALLY_RECEIVED, 1)
    assert client.still_open(bundle)


async def test_a_spent_hourly_quota_ends_the_round_with_its_reason() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        return _ok([{"sessionKey": "s"}]) if form["request"] == "verifyUser" else _error(1002)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    with pytest.raises(ErplyError, match="hourly quota is spent"):
        await ErplyPurchaseOrders(http, Account("501234", "u", "p")).changes(None, date(2026, 11, 10))


async def test_calls_beyond_a_quota_wait_for_the_oldest_to_leave_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    clock = [1000.0]

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr("ledgerflow.ingest.polling.pacing.asyncio.sleep", sleep)
    monkeypatch.setattr("ledgerflow.ingest.polling.pacing.time.monotonic", lambda: clock[0])
    quota = WindowQuota(2, 30)
    for _ in range(3):
        await quota.wait()
    assert slept == [30.0]
