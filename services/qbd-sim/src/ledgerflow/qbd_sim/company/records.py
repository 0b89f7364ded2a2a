"""What the company file stores: list elements, transactions, their lines and payment applications.

Derived figures (totals, balances, invoiced quantities, links) are not stored: ``ledger`` computes them from
these records every time, so an edit or a delete can never leave a stale balance behind.

``fields`` keeps what a request sent that the rules do not interpret (addresses, class, terms, other...):
it is echoed back in the Ret, in XSD order, as QuickBooks echoes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

ITEM_KINDS = (
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemInventoryAssembly",
    "ItemFixedAsset",
    "ItemSubtotal",
    "ItemDiscount",
    "ItemPayment",
    "ItemSalesTax",
    "ItemSalesTaxGroup",
    "ItemGroup",
)
# Customers, vendors, employees and other names share one name space; so do all the item types.
NAME_KINDS = ("Customer", "Vendor", "Employee", "OtherName")


def namespace(kind: str) -> str:
    if kind in NAME_KINDS:
        return "names"
    if kind in ITEM_KINDS:
        return "items"
    return kind


@dataclass(frozen=True)
class Ref:
    list_id: str
    full_name: str


@dataclass
class Entry:
    """One list element: a customer, vendor, item, account, terms, tax code, …"""

    kind: str
    list_id: str
    name: str
    full_name: str
    created: datetime
    modified: datetime
    edit_sequence: str
    parent: Ref | None = None
    is_active: bool = True
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> Ref:
        return Ref(self.list_id, self.full_name)

    @property
    def sublevel(self) -> int:
        return self.full_name.count(":")


@dataclass
class Line:
    line_id: str
    item: Ref | None = None
    desc: str | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None
    rate_percent: Decimal | None = None
    amount: Decimal = Decimal("0.00")
    tax_code: Ref | None = None
    manually_closed: bool = False
    # An invoice line that bills a sales-order line: (SalesOrder TxnID, its TxnLineID).
    link: tuple[str, str] | None = None
    # A sales-order line: quantity billed by invoices that were deleted while the switch kept it billed.
    invoiced_kept: Decimal = Decimal(0)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Application:
    """One invoice a payment pays (and the credits and discount applied with it)."""

    txn_id: str
    amount: Decimal
    discount: Decimal = Decimal("0.00")
    credits: list[tuple[str, Decimal]] = field(default_factory=list)  # (CreditMemo TxnID, amount)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Txn:
    type: str
    txn_id: str
    txn_number: int
    created: datetime
    modified: datetime
    edit_sequence: str
    entity: Ref | None
    txn_date: date
    ref_number: str | None = None
    memo: str | None = None
    lines: list[Line] = field(default_factory=list)
    tax_item: Ref | None = None
    tax_rate: Decimal = Decimal(0)
    manually_closed: bool = False
    total_amount: Decimal = Decimal("0.00")  # ReceivePayment only: what the customer paid
    applications: list[Application] = field(default_factory=list)  # ReceivePayment
    set_credits: list[tuple[str, Decimal]] = field(default_factory=list)  # Invoice SetCredit
    fields: dict[str, Any] = field(default_factory=dict)

    def line(self, line_id: str) -> Line | None:
        return next((line for line in self.lines if line.line_id == line_id), None)
