"""Sales tax, currencies and batches as QuickBooks Online has them (qbo-real-behaviour.md D15, D23, D34)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from tests.simulator.conftest import ADMIN, TOKEN, Qbo, SimServer, invoice_body


async def _automated_tax(qbo: Qbo, rate: str | None) -> None:
    response = await qbo.http.put(f"/admin/realms/{qbo.realm}/company", json={"sales_tax_rate": rate})
    assert response.status_code == 200, response.text


def _taxable(body: dict[str, Any]) -> dict[str, Any]:
    body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] = {"value": "TAX"}
    return body


async def test_d15_automated_sales_tax_is_added_on_taxable_lines(qbo: Qbo) -> None:
    await _automated_tax(qbo, "8")
    customer, item = await qbo.customer_and_item()
    body = _taxable(invoice_body(customer, item, qty=1, price="582.50"))
    untaxed = {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": Decimal(10)}
    body["Line"].append({"DetailType": "SalesItemLineDetail", "Amount": Decimal(10), "SalesItemLineDetail": untaxed})
    invoice = (await qbo.create("invoice", body))["Invoice"]
    # recorded: 582.50 taxable at 8% is 46.60; the untaxed line adds 10
    assert (invoice["TxnTaxDetail"]["TotalTax"], invoice["TotalAmt"], invoice["Balance"]) == (46.6, 639.1, 639.1)
    assert invoice["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == 582.5
    preferences = (await qbo.http.get(f"/v3/company/{qbo.realm}/preferences")).json()["Preferences"]
    assert preferences["TaxPrefs"]["UsingSalesTax"] is True


async def test_d15_a_stated_tax_is_kept(qbo: Qbo) -> None:
    await _automated_tax(qbo, "8")
    customer, item = await qbo.customer_and_item()
    stated = _taxable(invoice_body(customer, item)) | {"TxnTaxDetail": {"TotalTax": 0}}
    invoice = (await qbo.create("invoice", stated))["Invoice"]
    assert (invoice["TxnTaxDetail"]["TotalTax"], invoice["TotalAmt"]) == (0, 40)


async def test_d15_no_tax_for_a_tax_exempt_customer_or_a_company_without_sales_tax(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    assert (await qbo.create("invoice", _taxable(invoice_body(customer, item, number="1"))))["Invoice"][
        "TotalAmt"
    ] == 40
    await _automated_tax(qbo, "8")
    exempt = (await qbo.create("customer", {"DisplayName": "Exempt", "Taxable": False}))["Customer"]["Id"]
    assert (await qbo.create("invoice", _taxable(invoice_body(exempt, item, number="2"))))["Invoice"]["TotalAmt"] == 40


async def test_d23_a_customer_has_one_currency_and_its_documents_use_it(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    euro = invoice_body(customer, item, number="EU-1") | {"CurrencyRef": {"value": "EUR"}}
    response = await qbo.post("invoice", euro)
    assert (response.status_code, response.json()["Fault"]["Error"][0]["code"]) == (400, "6000")
    assert "customer's currency (USD)" in response.json()["Fault"]["Error"][0]["Detail"]
    eur = await qbo.create("customer", {"DisplayName": "Jane Cooper (EUR)", "CurrencyRef": {"value": "EUR"}})
    euro["CustomerRef"] = {"value": eur["Customer"]["Id"]}
    invoice = (await qbo.create("invoice", euro | {"ExchangeRate": Decimal("1.1")}))["Invoice"]
    assert (invoice["CurrencyRef"]["value"], invoice["ExchangeRate"], invoice["HomeTotalAmt"]) == ("EUR", 1.1, 44)
    payment = {"CustomerRef": {"value": customer}, "TotalAmt": 40, "CurrencyRef": {"value": "EUR"}}
    assert (await qbo.post("payment", payment)).status_code == 400


async def test_d23_a_company_without_multicurrency_takes_only_its_home_currency(qbo: Qbo) -> None:
    response = await qbo.http.put(f"/admin/realms/{qbo.realm}/company", json={"multi_currency": False})
    assert response.status_code == 200
    refused = await qbo.post("customer", {"DisplayName": "Euro Buyer", "CurrencyRef": {"value": "EUR"}})
    assert "Multicurrency is off" in refused.json()["Fault"]["Error"][0]["Detail"]


async def test_d34_items_of_one_batch_cannot_use_each_others_results(qbo: Qbo) -> None:
    _, item = await qbo.customer_and_item()
    batch: dict[str, list[dict[str, Any]]] = {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch Buyer"}},
        {"bId": "2", "operation": "create", "Invoice": invoice_body("{created}", item)},
    ]}  # fmt: skip
    first = (await qbo.create("customer", {"DisplayName": "Probe"}))["Customer"]["Id"]
    # the customer the batch creates takes the next id: the invoice names it
    batch["BatchItemRequest"][1]["Invoice"]["CustomerRef"] = {"value": str(int(first) + 1)}
    answer = await qbo.http.post(f"/v3/company/{qbo.realm}/batch", json=_plain(batch))
    created, invoice = answer.json()["BatchItemResponse"]
    assert created["Customer"]["Id"] == str(int(first) + 1)
    assert invoice["Fault"]["Error"][0]["code"] == "2500"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


async def test_d15_d23_new_companies_take_the_tax_rate_and_currency_setting_from_the_command_line(
    start_sim: Callable[..., SimServer],
) -> None:
    server = start_sim("--token", TOKEN, "--limits", "off", "--sales-tax-rate", "8", "--multi-currency", "off")
    async with httpx.AsyncClient(base_url=server.url, headers=ADMIN) as admin:
        settings = (await admin.get("/admin/realms/fresh/company")).json()
    assert (settings["sales_tax_rate"], settings["multi_currency"]) == (8, False)
