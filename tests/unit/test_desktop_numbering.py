"""Desktop's short numbers and names: what happens to a long order number is the connection's choice."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerflow.cli.main import app
from ledgerflow.contracts import (
    BooksTarget,
    DocumentType,
    LineKind,
    NumberingPolicy,
    PlannedDocument,
    PlannedLine,
    TooLongPolicy,
)
from ledgerflow.numbering.rules import number_limit, order_document_number
from ledgerflow.planner.connections import ConnectionSettings
from ledgerflow.planner.names import fit_names
from ledgerflow.runtime.errors import StageError

AMAZON = "v0-us-shipped-tax-promo-giftwrap"  # order 113-4829157-2750630


def test_desktop_takes_eleven_characters_and_online_twenty_one() -> None:
    policy = NumberingPolicy()
    assert number_limit(policy, BooksTarget.QUICKBOOKS_DESKTOP) == 11
    assert number_limit(policy, BooksTarget.QUICKBOOKS_ONLINE) == 21
    assert number_limit(policy.model_copy(update={"max_length": 8}), BooksTarget.QUICKBOOKS_DESKTOP) == 8


def test_a_long_number_keeps_its_tail_by_default() -> None:
    number = order_document_number("114-3941689-8772232", "AZ-", 11)
    assert number == "AZ-" + "114-3941689-8772232"[-8:]
    assert len(number) == 11


def test_a_long_number_stops_the_order_when_the_connection_says_so() -> None:
    with pytest.raises(StageError) as raised:
        order_document_number("114-3941689-8772232", "AZ-", 11, TooLongPolicy.STOP)
    detail = raised.value.detail
    assert detail.code == "number.too_long"
    assert "at most 11 characters" in detail.message
    assert "numbering.too_long: keep_tail" in (detail.fix or "")


def test_connection_files_written_for_online_before_desktop_existed_still_load() -> None:
    settings = ConnectionSettings.model_validate({"tenant": "acme", "connection": "shop", "channel": "shopify",
                                                  "target": "qbo"})  # fmt: skip
    assert settings.target is BooksTarget.QUICKBOOKS_ONLINE
    desktop = ConnectionSettings.model_validate({"tenant": "acme", "connection": "shop", "channel": "shopify",
                                                 "target": "quickbooks_desktop"})  # fmt: skip
    assert desktop.target is BooksTarget.QUICKBOOKS_DESKTOP


def test_names_are_shortened_to_what_desktop_takes_and_left_alone_for_online() -> None:
    long_customer = "Wolfeschlegelsteinhausenbergerdorff Trading Company"  # 51 characters
    long_item = "ULTRA-LIGHT-TENT-TWO-PERSON-GREEN-2025"  # 38 characters
    doc = PlannedDocument(
        key="k", type=DocumentType.SALES_ORDER, currency="USD", txn_date=date(2026, 1, 2),
        customer_name=long_customer, total=Decimal("10.00"), memo="m",
        lines=(PlannedLine(kind=LineKind.ITEM, item_name=long_item, unit_price=Decimal(10), amount=Decimal(10)),),
    )  # fmt: skip
    desktop = fit_names(doc, BooksTarget.QUICKBOOKS_DESKTOP)
    assert desktop.customer_name == long_customer[:41].rstrip()
    assert desktop.lines[0].item_name == long_item[:31]
    assert fit_names(doc, BooksTarget.QUICKBOOKS_ONLINE) is doc


def test_preview_shows_what_a_desktop_company_file_would_get(tmp_path: Path) -> None:
    shown = CliRunner().invoke(app, ["preview", "--sample", AMAZON, "--target", "quickbooks_desktop", "--json"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["target"] == "quickbooks_desktop"
    assert [(d["books_document"], d["number"]) for d in body["documents"]] == [
        ("Invoice", "157-2750630"),
        ("ReceivePayment", None),
    ]  # fmt: skip  (113-4829157-2750630: its last 11 characters)
    online = json.loads(CliRunner().invoke(app, ["preview", "--sample", AMAZON, "--json"]).stdout)
    assert [(d["books_document"], d["number"]) for d in online["documents"]] == [
        ("Invoice", "113-4829157-2750630"), ("Payment", None),
    ]  # fmt: skip


def test_preview_shows_the_error_a_long_number_stops_with(tmp_path: Path) -> None:
    connection = tmp_path / "connection.yaml"
    connection.write_text("mode: sales_orders\nnumbering: {too_long: stop}\n")
    shown = CliRunner().invoke(app, ["preview", "--sample", AMAZON, "--target", "quickbooks_desktop",
                                     "--connection", str(connection)])  # fmt: skip
    assert shown.exit_code == 1
    assert "number.too_long" in shown.output and "at most 11 characters" in shown.output
