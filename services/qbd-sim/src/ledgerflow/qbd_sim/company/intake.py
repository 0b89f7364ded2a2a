"""Reading one request aggregate (a header, a line, an application) into typed values.

Every reference is resolved (3140 when it names nothing) and every scalar converted (3010/3020/3040) whether
or not the rules use it, because QuickBooks checks the whole request before it saves anything. What the rules
do not interpret is kept in ``echo`` and written back in the Ret.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerflow.qbd_sim.company import status, values
from ledgerflow.qbd_sim.company.records import Ref
from ledgerflow.qbd_sim.company.store import Store

_BOOLEANS = {
    "IsActive",
    "IsPending",
    "IsFinanceCharge",
    "IsToBePrinted",
    "IsToBeEmailed",
    "IsManuallyClosed",
    "IsAutoApply",
    "IsVendorEligibleFor1099",
    "DefaultShipTo",
    "AssignEvenIfUsed",
    "AllowOverride",
    "Override",
    "IncludeLineItems",
    "IncludeLinkedTxns",
}
_DATES = {
    "TxnDate",
    "DueDate",
    "ShipDate",
    "ServiceDate",
    "ExpectedDate",
    "OpenBalanceDate",
    "JobStartDate",
    "JobProjectedEndDate",
    "JobEndDate",
    "InventoryDate",
    "FromTxnDate",
    "ToTxnDate",
}
_AMOUNTS = {
    "Amount",
    "OpenBalance",
    "CreditLimit",
    "TotalAmount",
    "PaymentAmount",
    "DiscountAmount",
    "AppliedAmount",
    "TotalValue",
}
_PRECISE = {
    "Quantity",
    "Rate",
    "Cost",
    "RatePercent",
    "Price",
    "PricePercent",
    "SalesPrice",
    "PurchaseCost",
    "TaxRate",
    "ExchangeRate",
    "MarkupRate",
    "MarkupRatePercent",
    "ReorderPoint",
    "Max",
    "QuantityOnHand",
}
_INTEGERS = {"MaxReturned", "ExpirationMonth", "ExpirationYear"}


def convert(name: str, raw: str) -> Any:
    if name in _BOOLEANS:
        return values.to_bool(raw, name)
    if name in _DATES:
        return values.to_date(raw, name)
    if name in _AMOUNTS:
        return values.to_decimal(raw, name)
    if name in _PRECISE:
        return values.to_decimal(raw, name, values.PRICE_PLACES)
    if name in _INTEGERS:
        return values.to_int(raw, name)
    return raw


class Reader:
    def __init__(self, store: Store, element: etree._Element, where: str) -> None:
        self.store = store
        self.element = element
        self.where = where
        self._values: dict[str, list[Any]] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            name = str(child.tag)
            self._values.setdefault(name, []).append(self._read(name, child))

    def _read(self, name: str, child: etree._Element) -> Any:
        if name == "ParentRef":
            return child  # its target list depends on what is being added; the handler resolves it
        if name.endswith("Ref") and name != "AdditionalContactRef":
            return self.store.resolve(child, self.where)
        if len(child) or name in ("BillAddress", "ShipAddress", "VendorAddress"):
            return child
        return convert(name, child.text or "")

    def has(self, name: str) -> bool:
        return name in self._values

    def get(self, name: str) -> Any:
        found = self._values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[Any]:
        return list(self._values.get(name, []))

    def text(self, name: str) -> str | None:
        value = self.get(name)
        return None if value is None else str(value)

    def ref(self, name: str) -> Ref | None:
        value = self.get(name)
        return value if isinstance(value, Ref) else None

    def decimal(self, name: str) -> Decimal | None:
        value = self.get(name)
        return value if isinstance(value, Decimal) else None

    def flag(self, name: str) -> bool | None:
        value = self.get(name)
        return value if isinstance(value, bool) else None

    def day(self, name: str) -> date | None:
        value = self.get(name)
        return value if isinstance(value, date) else None

    def elements(self, name: str) -> list[etree._Element]:
        return [child for child in self.element if child.tag == name]

    def echo(self, *handled: str) -> dict[str, Any]:
        """Everything the rules leave alone, by name (repeatable elements as lists)."""
        echoed: dict[str, Any] = {}
        for name, found in self._values.items():
            if name in handled:
                continue
            echoed[name] = found if len(found) > 1 or name in _REPEATABLE else found[0]
        return echoed


_REPEATABLE = {"ShipToAddress", "AdditionalContactRef", "PrefillAccountRef", "DataExt"}


def check_lengths(overlong: list[tuple[str, str, int]]) -> None:
    if overlong:
        field, value, _ = overlong[0]
        raise status.too_long(value, field)
