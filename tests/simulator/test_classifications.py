"""Classes, locations (departments), tax codes and accounts on transactions: what rules set, the books check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.simulator.conftest import Qbo, invoice_body, payment_body


def _code(response: Any) -> str:
    return str(response.json()["Fault"]["Error"][0]["code"])


async def _named(qbo: Qbo, resource: str, name: str) -> str:
    entity = {"class": "Class", "department": "Department"}[resource]
    return str((await qbo.create(resource, {"Name": name}))[entity]["Id"])


async def test_classes_and_departments_are_name_lists_found_by_name(qbo: Qbo) -> None:
    klass = await _named(qbo, "class", "Camping")
    department = await _named(qbo, "department", "Online")
    assert (await qbo.query("select * from Class where Name = 'Camping'"))["Class"][0]["Id"] == klass
    assert (await qbo.query("select * from Department where Name = 'Online'"))["Department"][0]["Id"] == department
    duplicate = await qbo.post("class", {"Name": "Camping"})
    assert _code(duplicate) == "6240"
    assert _code(await qbo.post("department", {})) == "2020"


async def test_tax_codes_are_found_by_name(qbo: Qbo) -> None:
    codes = (await qbo.query("select * from TaxCode where Name = 'NON'"))["TaxCode"]
    assert [(c["Id"], c["Taxable"]) for c in codes] == [("NON", False)]


async def test_an_invoice_carries_class_location_receivable_account_and_line_refs(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    klass, department = await _named(qbo, "class", "Camping"), await _named(qbo, "department", "Online")
    receivable = (await qbo.query("select * from Account where Name = 'Accounts Receivable (A/R)'"))["Account"][0]
    body = invoice_body(customer, item)
    body.update(
        ClassRef={"value": klass}, DepartmentRef={"value": department}, ARAccountRef={"value": receivable["Id"]}
    )
    body["Line"][0]["SalesItemLineDetail"].update(ClassRef={"value": klass}, TaxCodeRef={"value": "NON"})
    body["Line"].append({"DetailType": "DiscountLineDetail", "Amount": Decimal(5),
                         "DiscountLineDetail": {"PercentBased": False, "ClassRef": {"value": klass}}})  # fmt: skip
    invoice = (await qbo.create("invoice", body))["Invoice"]
    assert (invoice["ClassRef"], invoice["DepartmentRef"]) == ({"value": klass}, {"value": department})
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert invoice["TotalAmt"] == 35

    payment = payment_body(customer, invoice["Id"], 35.0)
    checking = (await qbo.query("select * from Account where Name = 'Checking'"))["Account"][0]["Id"]
    payment["DepositToAccountRef"] = {"value": checking}
    assert (await qbo.create("payment", payment))["Payment"]["DepositToAccountRef"] == {"value": checking}


async def test_a_class_location_or_account_that_does_not_exist_is_refused(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    for field in ("ClassRef", "DepartmentRef", "ARAccountRef", "DepositToAccountRef"):
        body = {**invoice_body(customer, item, number=None), field: {"value": "999"}}
        assert _code(await qbo.post("invoice", body)) == "2500", field
    line_class = invoice_body(customer, item, number=None)
    line_class["Line"][0]["SalesItemLineDetail"]["ClassRef"] = {"value": "999"}
    assert _code(await qbo.post("invoice", line_class)) == "2500"
