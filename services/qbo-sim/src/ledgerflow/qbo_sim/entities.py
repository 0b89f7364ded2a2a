"""Entity rules: required fields, references, totals, balances and document numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledgerflow.qbo_sim.faults import (
    QboFault,
    duplicate_doc_number,
    duplicate_name,
    object_not_found,
    required_missing,
)

DOC_NUMBER_LIMIT = 21
ZERO = Decimal(0)

# URL resource name -> entity name, as in /v3/company/{realm}/{resource}.
RESOURCES: dict[str, str] = {
    "customer": "Customer",
    "vendor": "Vendor",
    "item": "Item",
    "account": "Account",
    "taxcode": "TaxCode",
    "invoice": "Invoice",
    "salesreceipt": "SalesReceipt",
    "estimate": "Estimate",
    "creditmemo": "CreditMemo",
    "refundreceipt": "RefundReceipt",
    "payment": "Payment",
    "purchaseorder": "PurchaseOrder",
}
NAME_LISTS = ("Customer", "Vendor")
SALES_FORMS = ("Invoice", "SalesReceipt", "Estimate", "CreditMemo", "RefundReceipt")
TXN_TYPE_LABELS = {
    "Invoice": "Invoice",
    "SalesReceipt": "Sales Receipt",
    "Estimate": "Estimate",
    "CreditMemo": "Credit Memo",
    "RefundReceipt": "Refund Receipt",
    "PurchaseOrder": "Purchase Order",
}


@dataclass
class Company:
    """One realm's books."""

    realm_id: str
    custom_txn_numbers: bool = True
    entities: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    responses: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    last_doc_number: dict[str, str] = field(default_factory=dict)
    _next_id: int = 1

    def table(self, entity: str) -> dict[str, dict[str, Any]]:
        return self.entities.setdefault(entity, {})

    def new_id(self) -> str:
        value = str(self._next_id)
        self._next_id += 1
        return value

    def get(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        return self.table(entity).get(str(entity_id))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _money(value: Any, element: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise QboFault("2010", "Invalid or unsupported property", f"{element}: {value!r}", element=element)
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise QboFault("2010", "Invalid or unsupported property", f"{element}: {value!r}", element=element) from None


def _ref(company: Company, body: dict[str, Any], name: str, entity: str, *, required: bool) -> str | None:
    ref = body.get(name)
    if not ref or not ref.get("value"):
        if required:
            raise required_missing(name)
        return None
    value = str(ref["value"])
    record = company.get(entity, value)
    if record is None or not record.get("Active", True):
        raise object_not_found(entity, value)
    return value


def _stamp(company: Company, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    record = {**body, "Id": company.new_id(), "SyncToken": "0", "domain": "QBO", "sparse": False}
    record["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
    company.table(entity)[record["Id"]] = record
    return record


def create_name_list(company: Company, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("DisplayName") or " ".join(
        str(body[p]) for p in ("GivenName", "MiddleName", "FamilyName") if body.get(p)
    )
    if not name:
        raise QboFault("6080", "No Name Provided", "Please provide a name (DisplayName or GivenName/FamilyName).")
    for other in NAME_LISTS:
        if any(r.get("DisplayName") == name for r in company.table(other).values()):
            raise duplicate_name(name)
    return _stamp(company, entity, {**body, "DisplayName": name, "Active": body.get("Active", True)})


def create_item(company: Company, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("Name")
    if not name:
        raise required_missing("Name")
    if any(r.get("Name") == name for r in company.table("Item").values()):
        raise duplicate_name(name)
    item_type = body.get("Type", "NonInventory")
    if item_type not in ("Inventory", "NonInventory", "Service", "Group", "Category"):
        raise QboFault("2170", "Invalid Enumeration", f"Type: {item_type}", element="Type")
    return _stamp(company, "Item", {**body, "Type": item_type, "FullyQualifiedName": name, "Active": True})


def _sales_lines(company: Company, lines: Any) -> tuple[list[dict[str, Any]], Decimal]:
    if not isinstance(lines, list) or not lines:
        raise required_missing("Line")
    total = ZERO
    stored = []
    for index, line in enumerate(lines, start=1):
        detail_type = line.get("DetailType")
        amount = _money(line.get("Amount", 0), "Line.Amount")
        if detail_type == "SalesItemLineDetail":
            detail = line.get("SalesItemLineDetail") or {}
            _ref(company, detail, "ItemRef", "Item", required=True)
            qty, price = detail.get("Qty"), detail.get("UnitPrice")
            if qty is not None and price is not None:
                expected = _money(qty, "Qty") * _money(price, "UnitPrice")
                if abs(expected - amount) >= Decimal("0.005"):
                    raise QboFault(
                        "6070",
                        "Amount is not equal to UnitPrice * Qty",
                        f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
                    )
            total += amount
        elif detail_type == "DiscountLineDetail":
            total -= amount
        elif detail_type in ("DescriptionOnly", "SubTotalLineDetail"):
            pass
        else:
            raise QboFault("2170", "Invalid Enumeration", f"DetailType: {detail_type}", element="Line.DetailType")
        stored.append({**line, "Id": str(index), "LineNum": index, "Amount": amount})
    return stored, total


def _doc_number(company: Company, entity: str, body: dict[str, Any], allow_duplicate: bool) -> str | None:
    number = body.get("DocNumber")
    if number is None or number == "":
        if company.custom_txn_numbers:
            return None
        return _next_in_sequence(company.last_doc_number.get(entity))
    number = str(number)
    if len(number) > DOC_NUMBER_LIMIT:
        raise QboFault(
            "6000",
            "A business validation error has occurred while processing your request",
            f"String length is either shorter or longer than supported by specification. Min:0 Max:"
            f"{DOC_NUMBER_LIMIT} supported. Supplied length:{len(number)}",
            element="DocNumber",
        )
    if not allow_duplicate:
        for existing in company.table(entity).values():
            if existing.get("DocNumber") == number:
                raise duplicate_doc_number(number, TXN_TYPE_LABELS.get(entity, entity), existing["Id"])
    return number


def _next_in_sequence(last: str | None) -> str:
    """Last number + 1, prefix included (``App_1000`` -> ``App_1001``), as QuickBooks does."""
    if not last:
        return "1001"
    digits = len(last) - len(last.rstrip("0123456789"))
    if digits == 0:
        return last + "1"
    head, tail = last[: len(last) - digits], last[len(last) - digits :]
    return head + str(int(tail) + 1).zfill(len(tail))


def create_sales_form(company: Company, entity: str, body: dict[str, Any], *, allow_duplicate: bool) -> dict[str, Any]:
    _ref(company, body, "CustomerRef", "Customer", required=entity in ("Invoice", "Estimate", "CreditMemo"))
    lines, total = _sales_lines(company, body.get("Line"))
    number = _doc_number(company, entity, body, allow_duplicate)
    record = {**body, "Line": lines, "TotalAmt": total}
    if number is not None:
        record["DocNumber"] = number
        company.last_doc_number[entity] = number
    record.setdefault("TxnDate", datetime.now(UTC).date().isoformat())
    record.setdefault("LinkedTxn", [])
    if entity == "Invoice":
        record["Balance"] = total
    elif entity == "Estimate":
        record.setdefault("TxnStatus", "Pending")
    elif entity == "CreditMemo":
        record["RemainingCredit"] = total
        record["Balance"] = total
    else:
        record["Balance"] = ZERO
    return _stamp(company, entity, record)


def create_payment(company: Company, body: dict[str, Any]) -> dict[str, Any]:
    customer = _ref(company, body, "CustomerRef", "Customer", required=True)
    if body.get("TotalAmt") is None:
        raise required_missing("TotalAmt")
    total = _money(body["TotalAmt"], "TotalAmt")
    applied = ZERO
    links: list[tuple[dict[str, Any], Decimal]] = []
    for line in body.get("Line") or []:
        amount = _money(line.get("Amount", 0), "Line.Amount")
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") != "Invoice":
                continue
            invoice = company.get("Invoice", str(link.get("TxnId")))
            if invoice is None:
                raise object_not_found("Invoice", str(link.get("TxnId")))
            if invoice["CustomerRef"]["value"] != customer:
                raise QboFault("620", "Transaction can not be linked", "The invoice belongs to another customer.")
            if amount > invoice["Balance"]:
                raise QboFault(
                    "6000",
                    "A business validation error has occurred while processing your request",
                    f"The payment amount {amount} is more than the invoice balance {invoice['Balance']}.",
                )
            links.append((invoice, amount))
            applied += amount
    if applied > total:
        raise QboFault(
            "6000",
            "A business validation error has occurred while processing your request",
            "The amount applied to invoices exceeds the payment total.",
        )
    record = _stamp(company, "Payment", {**body, "TotalAmt": total, "UnappliedAmt": total - applied})
    for invoice, amount in links:
        invoice["Balance"] -= amount
        invoice["LinkedTxn"] = [*invoice.get("LinkedTxn", []), {"TxnId": record["Id"], "TxnType": "Payment"}]
        invoice["SyncToken"] = str(int(invoice["SyncToken"]) + 1)
    return record


def create(company: Company, entity: str, body: dict[str, Any], *, allow_duplicate: bool = False) -> dict[str, Any]:
    if entity in NAME_LISTS:
        return create_name_list(company, entity, body)
    if entity == "Item":
        return create_item(company, body)
    if entity in SALES_FORMS:
        return create_sales_form(company, entity, body, allow_duplicate=allow_duplicate)
    if entity == "Payment":
        return create_payment(company, body)
    return _stamp(company, entity, body)
