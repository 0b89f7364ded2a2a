"""``ledgerflow preview``: the dry run's JSON shape and its errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledgerflow.cli.main import app
from ledgerflow.cli.samples import SampleOrder

runner = CliRunner()


def _write(tmp_path: Path, body: Any, name: str = "order.json") -> Path:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def test_json_preview_shape(samples: dict[str, SampleOrder]) -> None:
    path = samples["acme-1001-paid-tax-shipping-discount"].path
    result = runner.invoke(app, ["preview", "--channel", "shopify", "--json", str(path)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert {k: body["order"][k] for k in ("channel", "number", "currency", "total", "payment_state")} == {
        "channel": "shopify", "number": "1001", "currency": "USD", "total": "340.11", "payment_state": "paid",
    }  # fmt: skip
    assert [(d["type"], d["number"], d["total"]) for d in body["documents"]] == [
        ("invoice", "1001", "340.11"),
        ("payment", None, "340.11"),
    ]
    assert body["documents"][0]["lines"][0] == {
        "kind": "item", "item": "TENT-2P", "description": "Two-person tent",
        "quantity": "1", "unit_price": "249.00", "amount": "249.00", "class": None, "tax_code": None,
    }  # fmt: skip
    assert body["errors"] == []
    assert body["rules"] == {"fired": [], "not_imported": None, "before": None}


def test_mode_and_connection_prefix(samples: dict[str, SampleOrder], tmp_path: Path) -> None:
    connection = _write(tmp_path, "mode: invoices\nnumbering: {prefix: 'SH-'}\n", "connection.yaml")
    path = samples["acme-1001-paid-tax-shipping-discount"].path
    result = runner.invoke(
        app, ["preview", "--channel", "shopify", "--connection", str(connection), "--json", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert [(d["type"], d["number"]) for d in json.loads(result.stdout)["documents"]] == [("invoice", "SH-1001")]
    receipts = runner.invoke(app, ["preview", "--channel", "shopify", "--mode", "sales_receipts", "--json", str(path)])
    assert [d["type"] for d in json.loads(receipts.stdout)["documents"]] == ["sales_receipt"]


def test_planning_problems_are_listed_and_exit_non_zero(samples: dict[str, SampleOrder]) -> None:
    path = samples["acme-1002-bank-deposit-unpaid"].path
    result = runner.invoke(app, ["preview", "--channel", "shopify", "--mode", "sales_receipts", "--json", str(path)])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["documents"] == []
    assert body["errors"][0]["code"] == "order.not_paid"


def _one_line_error(result: Any) -> str:
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return str(lines[0])


def test_unbalanced_order_exits_with_one_line(shopify_paid: dict[str, Any], tmp_path: Path) -> None:
    shopify_paid["order"]["total_price"] = "1.00"
    line = _one_line_error(runner.invoke(app, ["preview", "--channel", "shopify", str(_write(tmp_path, shopify_paid))]))
    assert "order.unbalanced" in line and "1.00 USD" in line


def test_file_that_is_not_json_exits_with_one_line(tmp_path: Path) -> None:
    line = _one_line_error(runner.invoke(app, ["preview", "--channel", "shopify", str(_write(tmp_path, "{oops"))]))
    assert "is not JSON" in line


def test_missing_file_exits_with_one_line(tmp_path: Path) -> None:
    line = _one_line_error(runner.invoke(app, ["preview", "--channel", "shopify", str(tmp_path / "nope.json")]))
    assert "cannot read" in line


def test_invalid_connection_file_lists_the_problem(samples: dict[str, SampleOrder], tmp_path: Path) -> None:
    connection = _write(tmp_path, "mode: sometimes\n", "connection.yaml")
    path = samples["acme-1001-paid-tax-shipping-discount"].path
    line = _one_line_error(
        runner.invoke(app, ["preview", "--channel", "shopify", "--connection", str(connection), str(path)])
    )
    assert "mode" in line


def test_human_output_shows_documents(samples: dict[str, SampleOrder]) -> None:
    result = runner.invoke(
        app, ["preview", "--channel", "shopify", str(samples["acme-1001-paid-tax-shipping-discount"].path)]
    )
    assert result.exit_code == 0
    assert "invoice 1001" in result.stdout and "TENT-2P" in result.stdout


def test_an_oversized_order_is_refused_before_anything_is_published(tmp_path: Path) -> None:
    huge = _write(tmp_path, {"order": {"id": 1, "note": "x" * 1_100_000}})
    result = runner.invoke(
        app,
        ["publish", "--tenant", "acme", "--connection", "shop", "--channel", "shopify",
         "--bootstrap", "127.0.0.1:1", str(huge)],
    )  # fmt: skip
    line = _one_line_error(result)
    assert "bytes" in line and "orders.raw" in line


def test_every_sample_order_previews_in_every_mode(samples: dict[str, SampleOrder]) -> None:
    for name, sample in samples.items():
        result = runner.invoke(app, ["preview", "--sample", name, "--all-modes", "--json"])
        assert result.exit_code == 0, (name, result.output)
        by_mode = {body["mode"]: body for body in json.loads(result.stdout)}
        assert set(by_mode) == {
            "invoices", "invoices_with_payments", "sales_receipts", "sales_orders", "sales_orders_invoices",
            "sales_orders_invoices_pos", "estimates",
        }, name  # fmt: skip
        for mode, body in by_mode.items():
            types = [d["type"] for d in body["documents"]]
            if mode == "sales_receipts" and body["errors"]:
                assert [e["code"] for e in body["errors"]] == ["order.not_paid"], name
                continue
            assert body["errors"] == [], (name, mode, body["errors"])
            first = {"invoices": "invoice", "invoices_with_payments": "invoice", "sales_receipts": "sales_receipt",
                     "estimates": "estimate"}.get(mode, "sales_order")  # fmt: skip
            assert types[0] == first, (name, mode, types)
        pos = [d for d in by_mode["sales_orders_invoices_pos"]["documents"] if d["type"] == "purchase_order"]
        assert pos and all(d["vendor"] for d in pos), name
        assert sample.channel == by_mode["invoices"]["order"]["channel"]


def test_preview_names_the_samples_when_one_is_unknown() -> None:
    result = runner.invoke(app, ["preview", "--sample", "nope"])
    assert result.exit_code == 2
    assert "acme-1001-paid-tax-shipping-discount" in result.stderr


@pytest.mark.timeout(30)
def test_preview_shows_markup_and_control_characters_in_the_data_as_text(
    tmp_path: Path, samples: dict[str, SampleOrder]
) -> None:
    payload = samples["acme-1001-paid-tax-shipping-discount"].payload()
    payload["order"]["customer"].update(first_name="[/bold]", last_name="[link=http://evil.example]x[/link]")
    payload["order"]["line_items"][0]["title"] = "Tent\x1b[31m red"
    result = runner.invoke(app, ["preview", "--channel", "shopify", str(_write(tmp_path, payload))])
    assert result.exit_code == 0, result.output
    assert "[/bold] [link=http://evil.example]x[/link]" in result.stdout
    assert "\x1b[31m" not in result.stdout


@pytest.mark.timeout(30)
def test_preview_of_an_order_with_a_huge_number_refuses_it_in_one_line(
    tmp_path: Path, samples: dict[str, SampleOrder]
) -> None:
    payload = samples["paid-tax-shipping-discount"].payload()
    payload["number"] = "9" * 1_000_000
    result = runner.invoke(app, ["preview", "--channel", "custom", str(_write(tmp_path, payload))])
    assert result.exit_code == 2, result.output[-500:]
    assert "order number of 1,000,000 characters" in result.output and "at most 64" in result.output
    assert len(result.output) < 2_000


def test_preview_shows_a_long_value_cut(tmp_path: Path, samples: dict[str, SampleOrder]) -> None:
    payload = samples["paid-tax-shipping-discount"].payload()
    payload["lines"][0]["title"] = "T" * 900
    result = runner.invoke(app, ["preview", "--channel", "custom", str(_write(tmp_path, payload))])
    assert result.exit_code == 0, result.output[-500:]
    assert "(900 characters)" in result.stdout.replace("\n", "")


@pytest.mark.parametrize(
    ("setting", "books_total", "sent_total"), [("plan", "340.11", None), ("books", None, "315.10")]
)
def test_preview_shows_how_the_tax_reaches_quickbooks(
    samples: dict[str, SampleOrder], tmp_path: Path, setting: str, books_total: str | None, sent_total: str | None
) -> None:
    connection = tmp_path / "connection.yaml"
    connection.write_text(f"matching: {{sales_tax: {setting}}}\n")
    path = samples["acme-1001-paid-tax-shipping-discount"].path
    result = runner.invoke(app, ["preview", "--channel", "shopify", "--json", "--connection", str(connection),
                                 str(path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    invoice, payment = json.loads(result.stdout)["documents"]
    tax = invoice["sales_tax"]
    assert (tax["mode"], tax["order_tax"], tax["books_total"], tax.get("sent_total")) == (
        setting, "25.01", books_total, sent_total,
    )  # fmt: skip
    # with QuickBooks computing the tax, the payment pays what the books then say
    assert (payment["sales_tax"] is None) == (setting == "plan")
