"""What rules set on a plan reaches the QuickBooks Online bodies: class, location, accounts and tax codes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledgerflow.contracts import DocumentType, LineKind, NumberedDocument, PlannedDocument, PlannedLine
from ledgerflow.ledger_writer.targets.qbo import mapping

IDS = {("Class", "Camping"): "c1", ("Class", "Online"): "c2", ("Department", "West"): "d1",
       ("Account", "A/R EUR"): "a1", ("Account", "Stripe Clearing"): "a2", ("TaxCode", "NON"): "NON"}  # fmt: skip


def _doc(doc_type: DocumentType, **fields: object) -> PlannedDocument:
    lines = (
        PlannedLine(kind=LineKind.ITEM, item_name="TENT-2P", unit_price=Decimal(10), amount=Decimal(10),
                    class_name="Camping", tax_code="NON", line_id="9001"),
        PlannedLine(kind=LineKind.DISCOUNT, item_name="Discount", unit_price=Decimal(-1), amount=Decimal(-1),
                    class_name="Camping"),
    )  # fmt: skip
    base: dict[str, object] = {"key": "k", "type": doc_type, "currency": "USD", "txn_date": date(2026, 11, 20),
                               "total": Decimal(9), "memo": "shopify order 1001"}  # fmt: skip
    if doc_type is not DocumentType.PAYMENT:
        base["lines"] = lines
    return PlannedDocument.model_validate({**base, **fields})


def test_an_invoice_gets_class_location_receivable_account_and_line_refs() -> None:
    doc = _doc(DocumentType.INVOICE, class_name="Online", location="West", receivable_account="A/R EUR",
               deposit_account="Stripe Clearing")  # fmt: skip
    assert mapping.ref_names(doc) == [
        ("Class", "Online"), ("Department", "West"), ("Account", "A/R EUR"), ("Class", "Camping"), ("TaxCode", "NON"),
    ]  # fmt: skip
    body = mapping.sales_form(
        NumberedDocument(document=doc, doc_number="1001", number_space="invoice"), "7", {"TENT-2P": "3"}, (), IDS
    )
    assert (body["ClassRef"], body["DepartmentRef"], body["ARAccountRef"]) == (
        {"value": "c2"}, {"value": "d1"}, {"value": "a1"},
    )  # fmt: skip
    assert "DepositToAccountRef" not in body  # an invoice is not deposited
    item, discount = body["Line"]
    assert item["SalesItemLineDetail"]["ClassRef"] == {"value": "c1"}
    assert item["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert discount["DiscountLineDetail"] == {"PercentBased": False, "ClassRef": {"value": "c1"}}


def test_a_payment_gets_its_deposit_and_receivable_accounts() -> None:
    doc = _doc(DocumentType.PAYMENT, deposit_account="Stripe Clearing", receivable_account="A/R EUR")
    body = mapping.payment(NumberedDocument(document=doc, number_space="x"), "7", [("5", "Invoice")], IDS)
    assert (body["DepositToAccountRef"], body["ARAccountRef"]) == ({"value": "a2"}, {"value": "a1"})


def test_without_rules_the_bodies_are_as_before() -> None:
    doc = _doc(DocumentType.SALES_RECEIPT).model_copy(
        update={
            "lines": tuple(
                line.model_copy(update={"class_name": None, "tax_code": None})
                for line in _doc(DocumentType.SALES_RECEIPT).lines
            )
        }
    )
    assert mapping.ref_names(doc) == []
    body = mapping.sales_form(NumberedDocument(document=doc, number_space="x"), "7", {"TENT-2P": "3"})
    assert not {"ClassRef", "DepartmentRef", "ARAccountRef", "DepositToAccountRef"} & set(body)
    assert set(body["Line"][0]["SalesItemLineDetail"]) == {"ItemRef", "Qty", "UnitPrice"}
