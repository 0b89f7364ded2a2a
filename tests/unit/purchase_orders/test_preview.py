"""`ledgerflow preview --kind purchase_order`: the documents a system's purchase order would become, nothing posted."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ledgerflow.cli.main import app

from .helpers import FIXTURES

CONNECTION = """
target: {target}
vendors:
  "6ba7b811-9dad-41d1-80b4-00c04fd430c8": Roastery Supply
  Northwind Textiles: Northwind
"""


def _preview(tmp_path: Path, system: str, fixture: str, target: str = "quickbooks_online") -> tuple[int, str]:
    connection = tmp_path / "connection.yaml"
    connection.write_text(CONNECTION.format(target=target))
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--kind",
            "purchase_order",
            "--channel",
            system,
            "--connection",
            str(connection),
            "--json",
            str(FIXTURES / fixture),
        ],
    )
    return result.exit_code, result.output


def test_x_series_purchase_order_and_its_invoiced_delivery_on_online(tmp_path: Path) -> None:
    code, output = _preview(tmp_path, "lightspeed_x", "lightspeed_x-purchase-order-delivered.json")
    assert code == 0, output
    body = json.loads(output)
    assert (body["purchase_order"]["number"], body["receipt_policy"]) == ("PO-1001", "receipt-as-bill")
    assert [(d["type"], d["books_document"], d["number"], d["vendor"], d["total"]) for d in body["documents"]] == [
        ("purchase_order", "PurchaseOrder", "PO-1001", "Roastery Supply", "25.00"),
        ("bill", "Bill", "SUP-7781", "Roastery Supply", "15.00"),
    ]
    assert body["documents"][1]["applies_to"] == ["purchase_order"]


def test_desktop_numbers_fit_eleven_characters_and_the_memo_keeps_the_full_number(tmp_path: Path) -> None:
    code, output = _preview(tmp_path, "skuvault", "skuvault-partial.json", "quickbooks_desktop")
    assert code == 0, output
    body = json.loads(output)
    order = body["documents"][0]
    assert order["number"] == "SV-7781" and body["receipt_policy"] == "item-receipt"
    assert [d["books_document"] for d in body["documents"]] == ["PurchaseOrder", "ItemReceipt", "ItemReceipt"]
    payload = json.loads((FIXTURES / "skuvault-partial.json").read_text())
    payload["PurchaseOrders"][0]["PoNumber"] = "SV-2026-000007781"
    for receive in payload["Receives"]:
        if receive["PONumber"] == "SV-7781":
            receive["PONumber"] = "SV-2026-000007781"
    (tmp_path / "long.json").write_text(json.dumps(payload))
    connection = tmp_path / "connection.yaml"
    result = CliRunner().invoke(
        app,
        [
            "preview",
            "--kind",
            "purchase_order",
            "--channel",
            "skuvault",
            "--connection",
            str(connection),
            "--json",
            str(tmp_path / "long.json"),
        ],
    )
    order = json.loads(result.output)["documents"][0]
    assert order["number"] == "6-000007781"  # the tail, 11 characters
    assert order["memo"].startswith("SKU Vault purchase order SV-2026-000007781")


def test_an_unmapped_vendor_is_shown_as_an_error_and_exits_1(tmp_path: Path) -> None:
    code, output = _preview(tmp_path, "linnworks", "linnworks-partial-gbp.json")
    assert code == 1
    body = json.loads(output)
    assert body["documents"] == [] and body["errors"][0]["code"] == "purchase_order.vendor_unmapped"


def test_a_purchase_order_that_cannot_be_read_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Result": []}))
    result = CliRunner().invoke(app, ["preview", "--kind", "purchase_order", "--channel", "linnworks", str(bad)])
    assert result.exit_code == 2
    assert "purchase_order.headers_only" in result.output and "Traceback" not in result.output
