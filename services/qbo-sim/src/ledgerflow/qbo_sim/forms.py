"""Fields QuickBooks Online computes and adds to what it stores, so that clients meet them as in production.

The recorded answers carry a trailing SubTotal line (a client that indexes or counts ``Line`` meets it),
``name`` on references, default tax codes and deposit accounts, and ``LineEx`` on applied payment lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerflow.qbo_sim.company import Company

UNDEPOSITED_FUNDS = "Undeposited Funds"
SUBTOTAL = "SubTotalLineDetail"
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
    "JPY": "Japanese Yen",
    "CHF": "Swiss Franc",
    "SEK": "Swedish Krona",
    "NZD": "New Zealand Dollar",
    "MXN": "Mexican Peso",
}


def without_subtotals(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A form read back and sent again carries the SubTotal line QuickBooks added; it is recomputed, not kept."""
    return [line for line in lines if line.get("DetailType") != SUBTOTAL]


def subtotal_line(lines: list[dict[str, Any]]) -> dict[str, Any]:
    amount = sum((line["Amount"] for line in lines if line.get("DetailType") == "SalesItemLineDetail"), Decimal(0))
    return {"Amount": amount, "DetailType": SUBTOTAL, SUBTOTAL: {}}


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def named(company: Company, ref: Any, entity: str, field: str) -> Any:
    """A reference with the name of what it points to, as QuickBooks answers it."""
    if not isinstance(ref, dict) or not ref.get("value"):
        return ref
    record = company.get(entity, str(ref["value"]))
    if record is None:
        return ref
    return {"value": str(ref["value"]), "name": record.get(field)}


def sales_lines(company: Company, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Item lines with their item's name, income account and, when none was sent, the NON tax code."""
    shown = []
    for line in lines:
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict):
            detail = {**detail, "ItemRef": named(company, detail.get("ItemRef"), "Item", "Name")}
            detail.setdefault("TaxCodeRef", {"value": "NON"})
            item = company.get("Item", str((detail.get("ItemRef") or {}).get("value")))
            if item is not None and item.get("IncomeAccountRef") and "ItemAccountRef" not in detail:
                detail["ItemAccountRef"] = named(company, item["IncomeAccountRef"], "Account", "Name")
            line = {**line, "SalesItemLineDetail": detail}
        shown.append(line)
    return shown


def default_deposit(company: Company) -> dict[str, Any] | None:
    found = company.find("Account", "Name", UNDEPOSITED_FUNDS)
    return {"value": found[0]["Id"], "name": UNDEPOSITED_FUNDS} if found else None


def line_ex(invoice: dict[str, Any]) -> dict[str, Any]:
    """What QuickBooks adds to an applied payment line (JAXB's verbose ``any`` list, as its JSON shows it)."""

    def pair(name: str, value: Any) -> dict[str, Any]:
        return {
            "name": "{http://schema.intuit.com/finance/v3}NameValue",
            "declaredType": "com.intuit.schema.finance.v3.NameValue",
            "scope": "javax.xml.bind.JAXBElement$GlobalScope",
            "value": {"Name": name, "Value": str(value)},
            "nil": False,
            "globalScope": True,
            "typeSubstituted": False,
        }

    return {
        "any": [
            pair("txnId", invoice["Id"]),
            pair("txnOpenBalance", invoice.get("Balance", 0)),
            pair("txnReferenceNumber", invoice.get("DocNumber") or ""),
        ]
    }
