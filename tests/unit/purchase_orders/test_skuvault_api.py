"""The SKU Vault poller's client: final states asked for explicitly, pages read to the end, and each purchase
order read again with its receive history as a bundle the normalizer takes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ledgerflow.cli.main import app
from ledgerflow.contracts import PurchaseOrderStatus, PurchaseOrderSystem
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order
from ledgerflow.ingest.polling.linnworks import Spacing
from ledgerflow.ingest.polling.skuvault import SkuVaultPurchaseOrders, Tokens

from .helpers import load


class SkuVault:
    def __init__(self) -> None:
        self.getpos = load("skuvault-partial.json")
        self.bodies: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert (body["TenantToken"], body["UserToken"]) == ("tenant", "user")
        self.bodies.append(body)
        order = self.getpos["PurchaseOrders"][0]
        if request.url.path.endswith("getReceivesHistory"):
            assert body["PoNumberFilter"] == ["SV-7781"]
            return httpx.Response(200, json={"Receives": self.getpos["Receives"], "Corrections": []})
        if "PONumbers" in body:
            return httpx.Response(200, json={"PurchaseOrders": [order]})
        # The window: the open order on the first page of the default statuses, nothing else.
        found = [order] if body.get("Status") is None and body["PageNumber"] == 0 else []
        return httpx.Response(200, json={"PurchaseOrders": found})


@pytest.fixture
def fake() -> SkuVault:
    return SkuVault()


def _client(fake: SkuVault) -> SkuVaultPurchaseOrders:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    return SkuVaultPurchaseOrders(http, Tokens("tenant", "user"), Spacing({}))


async def test_the_window_asks_for_completed_and_cancelled_too(fake: SkuVault) -> None:
    numbers = await _client(fake).changed_since(date(2026, 11, 5), date(2026, 11, 6))
    assert numbers == ["SV-7781"]
    statuses = [b.get("Status") for b in fake.bodies]
    assert {None, "Completed", "Cancelled"} <= set(statuses)
    assert fake.bodies[0]["ModifiedAfterDateTimeUtc"] == "2026-11-04T00:00:00Z"  # a day's overlap


async def test_a_purchase_order_is_read_with_its_receives_as_a_bundle_the_normalizer_takes(fake: SkuVault) -> None:
    client = _client(fake)
    bundle = await client.read("SV-7781")
    po = normalize_purchase_order(PurchaseOrderSystem.SKUVAULT, bundle)
    assert (po.po_number, po.status, len(po.receipts)) == ("SV-7781", PurchaseOrderStatus.PARTIALLY_RECEIVED, 2)
    assert client.still_open(bundle)
    bundle["PurchaseOrder"]["Status"] = "Completed"
    assert not client.still_open(bundle)


def test_polling_erply_without_its_account_names_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LEDGERFLOW_ERPLY_CLIENT_CODE", "LEDGERFLOW_ERPLY_USERNAME", "LEDGERFLOW_ERPLY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        app,
        [
            "poll",
            "--tenant",
            "acme",
            "--connection",
            "acme-erply",
            "--system",
            "erply",
            "--database-url",
            "postgresql://nowhere.invalid/x",
            "--bootstrap",
            "127.0.0.1:1",
        ],
    )
    assert result.exit_code == 2
    assert "LEDGERFLOW_ERPLY_CLIENT_CODE, LEDGERFLOW_ERPLY_USERNAME, LEDGERFLOW_ERPLY_PASSWORD" in result.output


def test_polling_skuvault_without_its_tokens_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGERFLOW_SKUVAULT_TENANT_TOKEN", raising=False)
    monkeypatch.delenv("LEDGERFLOW_SKUVAULT_USER_TOKEN", raising=False)
    result = CliRunner().invoke(
        app,
        [
            "poll",
            "--tenant",
            "acme",
            "--connection",
            "acme-sv",
            "--system",
            "skuvault",
            "--database-url",
            "postgresql://nowhere.invalid/x",
            "--bootstrap",
            "127.0.0.1:1",
        ],
    )
    assert result.exit_code == 2
    assert "LEDGERFLOW_SKUVAULT_TENANT_TOKEN, LEDGERFLOW_SKUVAULT_USER_TOKEN" in result.output
