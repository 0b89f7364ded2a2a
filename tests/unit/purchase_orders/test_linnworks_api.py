"""The Linnworks poller's API client: pages through a search, signs in again once when the session expires, and
spaces its calls to the method's rate limit."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import httpx
import pytest

from ledgerflow.ingest.polling.linnworks import Credentials, LinnworksPurchaseOrders, Spacing
from ledgerflow.ingest.polling.positions import Position
from ledgerflow.ingest.polling.rounds import DatedSource, poll_round

CREDENTIALS = Credentials("app", "secret", "install")


class Linnworks:
    def __init__(self, pages: int = 1, expire_after: int | None = None) -> None:
        self.pages, self.expire_after, self.calls, self.sign_ins = pages, expire_after, 0, 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("AuthorizeByApplication"):
            self.sign_ins += 1
            return httpx.Response(200, json={"Server": "https://eu.test/", "Token": f"s{self.sign_ins}"})
        self.calls += 1
        if self.expire_after is not None and self.calls == self.expire_after + 1:
            return httpx.Response(401, json={"Message": "session expired"})
        page = json.loads(request.content)["searchParameter"]["PageNumber"]
        return httpx.Response(200, json={"Result": [{"pkPurchaseID": f"po-{page}"}], "TotalPages": self.pages})


def _client(fake: Linnworks) -> LinnworksPurchaseOrders:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    return LinnworksPurchaseOrders(http, CREDENTIALS, Spacing({}))


async def test_a_search_is_read_page_by_page() -> None:
    ids = await _client(Linnworks(pages=3)).changed_since(date(2026, 11, 1), date(2026, 11, 2))
    assert ids == ["po-1", "po-2", "po-3"]


async def test_an_expired_session_is_signed_in_again_once() -> None:
    fake = Linnworks(pages=2, expire_after=1)
    assert await _client(fake).changed_since(None, date(2026, 11, 2)) == ["po-1", "po-2"]
    assert fake.sign_ins == 2


async def test_calls_of_one_method_are_spaced_to_its_limit() -> None:
    spacing = Spacing({"Get_PurchaseOrder": 1200})  # one call every 50 ms
    started = time.monotonic()
    for _ in range(3):
        await spacing.wait("Get_PurchaseOrder")
    await spacing.wait("Search_PurchaseOrders2")  # another method is not held back by it
    assert time.monotonic() - started >= 0.1


class Source(DatedSource):
    def __init__(self, changed: list[str], statuses: dict[str, str]) -> None:
        self.changed, self.statuses = changed, statuses

    async def changed_since(self, since: date | None, today: date) -> list[str]:
        return self.changed

    async def read(self, purchase_id: str) -> dict[str, Any]:
        return {"PurchaseOrderHeader": {"pkPurchaseID": purchase_id, "Status": self.statuses[purchase_id]}}

    @staticmethod
    def still_open(payload: dict[str, Any]) -> bool:
        return LinnworksPurchaseOrders.still_open(payload)


async def test_a_round_rereads_the_open_ones_once_each_and_keeps_those_still_open() -> None:
    published: list[dict[str, Any]] = []

    async def publish(payloads: Any) -> None:
        published.extend(payloads)

    source = Source(["b", "c"], {"a": "DELIVERED", "b": "OPEN", "c": "PARTIAL"})
    done = await poll_round(source, Position("2026-11-01", ("a", "b")), publish, date(2026, 11, 3))
    assert [p["PurchaseOrderHeader"]["pkPurchaseID"] for p in published] == ["a", "b", "c"]
    assert done.position == Position("2026-11-03", ("b", "c"))


async def test_nothing_is_kept_when_publishing_fails() -> None:
    async def broken(payloads: Any) -> None:
        raise ConnectionError("the broker is away")

    with pytest.raises(ConnectionError):
        await poll_round(Source(["a"], {"a": "OPEN"}), Position(), broken, date(2026, 11, 3))
