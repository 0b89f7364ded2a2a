"""The dry run: ``ledgerflow preview`` lists the rules that fired, with the order before and after them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ledgerflow.cli.main import app

runner = CliRunner()
SAMPLE = "acme-1001-paid-tax-shipping-discount"
SETTINGS = """
connections: [{tenant: acme, connection: shop, channel: shopify}]
rules:
  acme:
    - name: tents
      when: {field: line.sku, op: eq, value: TENT-2P}
      then: [{action: remap_sku, from: TENT-2P, to: TENT-TWO}, {action: set_line_class, name: Camping}]
    - name: web prefix
      when: {field: order.channel, op: eq, value: shopify}
      then: [{action: order_number_prefix, prefix: WEB-}, {action: deposit_account, account: Stripe Clearing}]
    - name: not this one
      when: {field: order.channel, op: eq, value: amazon}
      then: [{action: do_not_import}]
  globex: []
"""


def _preview(tmp_path: Path, rules: str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "rules.yaml"
    path.write_text(rules)
    result = runner.invoke(app, ["preview", "--sample", SAMPLE, "--rules", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_dry_run_lists_fired_rules_with_the_order_before_and_after(tmp_path: Path) -> None:
    code, out, _ = _preview(tmp_path, SETTINGS, "--tenant", "acme", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["rules"]["fired"] == [
        {"rule": "tents", "position": 0,
         "changes": ["line 9001 sku: TENT-2P -> TENT-TWO", "line 9001 class: (none) -> Camping"]},
        {"rule": "web prefix", "position": 1,
         "changes": ["order number prefix: (none) -> WEB-", "deposit account: (none) -> Stripe Clearing"]},
    ]  # fmt: skip
    assert body["rules"]["before"]["lines"][0]["sku"] == "TENT-2P"
    assert body["canonical"]["lines"][0]["sku"] == "TENT-TWO"
    invoice, payment = body["documents"]
    assert (invoice["number"], invoice["lines"][0]["item"], invoice["lines"][0]["class"]) == (
        "WEB-1001", "TENT-TWO", "Camping",
    )  # fmt: skip
    assert [r["rule"] for r in invoice["rules"]] == ["tents", "web prefix"]
    assert payment["deposit_account"] == "Stripe Clearing"


def test_text_dry_run(tmp_path: Path) -> None:
    code, out, _ = _preview(tmp_path, SETTINGS, "--tenant", "acme")
    assert code == 0
    assert "Rules that fired" in out and "TENT-2P -> TENT-TWO" in out
    assert "Canonical order before the rules" in out
    assert "invoice WEB-1001" in out and "Camping" in out


def test_a_rule_that_leaves_the_order_out_shows_no_documents(tmp_path: Path) -> None:
    rules = "- {name: out, when: {field: order.skus, op: eq, value: TENT-2P}, then: [{action: do_not_import}]}\n"
    code, out, _ = _preview(tmp_path, rules, "--json")
    body = json.loads(out)
    assert code == 0
    assert (body["documents"], body["rules"]["not_imported"]) == ([], "rule 'out'")
    code, out, _ = _preview(tmp_path, rules)
    assert "not imported: rule 'out'" in out


def test_a_settings_file_with_several_tenants_needs_one_named(tmp_path: Path) -> None:
    code, _, err = _preview(tmp_path, SETTINGS)
    assert code == 2
    assert "name one tenant with --tenant (the file has rules for: acme, globex)" in err


def test_invalid_rules_are_refused_with_their_problems(tmp_path: Path) -> None:
    code, _, err = _preview(
        tmp_path, "- {name: r, when: {field: order.x, op: eq, value: 1}, then: [{action: mark_unpaid}]}"
    )
    assert code == 2
    assert "rules file preview[0] 'r' when: unknown field 'order.x'" in err


def test_rules_in_the_connection_file(tmp_path: Path) -> None:
    connection = tmp_path / "connection.yaml"
    connection.write_text("mode: invoices\nrules:\n  - {name: unpaid, then: [{action: mark_unpaid}]}\n")
    result = runner.invoke(app, ["preview", "--sample", SAMPLE, "--connection", str(connection), "--json"])
    body = json.loads(result.stdout)
    assert body["canonical"]["payment_state"] == "unpaid"
    assert body["rules"]["before"]["payment_state"] == "paid"
    connection.write_text(
        "rules:\n  - {name: bad, then: [{action: set_class, name: A}, {action: set_class, name: B}]}\n"
    )
    result = runner.invoke(app, ["preview", "--sample", SAMPLE, "--connection", str(connection)])
    assert result.exit_code == 2
    assert "then[1] set_class: contradicts then[0] (A / B)" in result.stderr
