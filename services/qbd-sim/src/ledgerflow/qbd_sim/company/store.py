"""The company file's tables, identifiers, clock and number sequences, and reference resolution (3100/3140)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from lxml import etree

from ledgerflow.qbd_sim.company import status
from ledgerflow.qbd_sim.company.records import ITEM_KINDS, NAME_KINDS, Entry, Ref, Txn, namespace

ACCOUNT = ("Account",)
# What each reference element may point at, and how QuickBooks names that list in a 3140 message.
REF_TARGETS: dict[str, tuple[tuple[str, ...], str]] = {
    "CustomerRef": (("Customer",), "Customer"),
    "VendorRef": (("Vendor",), "Vendor"),
    "PrefVendorRef": (("Vendor",), "Vendor"),
    "TaxVendorRef": (("Vendor",), "Vendor"),
    "ShipToEntityRef": (NAME_KINDS, "Entity"),
    "ItemRef": (ITEM_KINDS, "Item"),
    "ItemGroupRef": (("ItemGroup",), "Item"),
    "ItemSalesTaxRef": (("ItemSalesTax", "ItemSalesTaxGroup"), "Item Sales Tax"),
    "ARAccountRef": (ACCOUNT, "Account"),
    "AccountRef": (ACCOUNT, "Account"),
    "DepositToAccountRef": (ACCOUNT, "Account"),
    "IncomeAccountRef": (ACCOUNT, "Account"),
    "ExpenseAccountRef": (ACCOUNT, "Account"),
    "COGSAccountRef": (ACCOUNT, "Account"),
    "AssetAccountRef": (ACCOUNT, "Account"),
    "DiscountAccountRef": (ACCOUNT, "Account"),
    "OverrideItemAccountRef": (ACCOUNT, "Account"),
    "PrefillAccountRef": (ACCOUNT, "Account"),
    "ClassRef": (("Class",), "Class"),
    "DiscountClassRef": (("Class",), "Class"),
    "TemplateRef": (("Template",), "Template"),
    "TermsRef": (("Terms",), "Terms"),
    "SalesRepRef": (("SalesRep",), "Sales Rep"),
    "ShipMethodRef": (("ShipMethod",), "Ship Method"),
    "CustomerMsgRef": (("CustomerMsg",), "Customer Message"),
    "SalesTaxCodeRef": (("SalesTaxCode",), "Sales Tax Code"),
    "CustomerSalesTaxCodeRef": (("SalesTaxCode",), "Sales Tax Code"),
    "PaymentMethodRef": (("PaymentMethod",), "Payment Method"),
    "PreferredPaymentMethodRef": (("PaymentMethod",), "Payment Method"),
    "PriceLevelRef": (("PriceLevel",), "Price Level"),
    "CurrencyRef": (("Currency",), "Currency"),
    "UnitOfMeasureSetRef": (("UnitOfMeasureSet",), "Unit Of Measure Set"),
    "OverrideUOMSetRef": (("UnitOfMeasureSet",), "Unit Of Measure Set"),
    "InventorySiteRef": (("InventorySite",), "Inventory Site"),
    "InventorySiteLocationRef": (("InventorySite",), "Inventory Site"),
    "CustomerTypeRef": (("CustomerType",), "Customer Type"),
    "VendorTypeRef": (("VendorType",), "Vendor Type"),
    "JobTypeRef": (("JobType",), "Job Type"),
    "BillingRateRef": (("BillingRate",), "Billing Rate"),
}
_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")


def next_number(last: str) -> str | None:
    """QuickBooks' "next number": the trailing digits of the last number entered, plus one, width kept."""
    match = _TRAILING_DIGITS.match(last)
    if match is None:
        return None
    digits = match.group(2)
    return f"{match.group(1)}{int(digits) + 1:0{len(digits)}d}"


class Store:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.entries: dict[str, Entry] = {}
        self._names: dict[tuple[str, str], str] = {}
        self.txns: dict[str, Txn] = {}
        # invoice or credit memo TxnID -> the payments/invoices applying to it (payments, credits)
        self.applied_to: defaultdict[str, set[str]] = defaultdict(set)
        self._targets: dict[str, set[str]] = {}
        # SalesOrder TxnID -> invoices billing its lines
        self.billed_by: defaultdict[str, set[str]] = defaultdict(set)
        self._billed: dict[str, set[str]] = {}
        self.last_number: dict[str, str] = {}
        self.company_data_ext: dict[tuple[str, str], str] = {}
        self.closing_date: date | None = None
        self._list_counter = 0x80000000
        self._txn_counter = 0x19F  # real TxnIDs look like "1A2-1700000000"
        self._txn_number = 0
        self._last_second = 0

    # -- identifiers and time --------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock().replace(microsecond=0)

    def _epoch(self) -> int:
        return int(self._clock().timestamp())

    def new_list_id(self) -> str:
        self._list_counter += 1
        return f"{self._list_counter:08X}-{self._epoch()}"

    def new_txn_id(self) -> str:
        self._txn_counter += 1
        return f"{self._txn_counter:X}-{self._epoch()}"

    new_line_id = new_txn_id  # TxnLineIDs share the TxnID format and counter

    def new_txn_number(self) -> int:
        self._txn_number += 1
        return self._txn_number

    def new_txn(self, txn_type: str, entity: Ref | None, txn_date: date, **fields: Any) -> Txn:
        """A transaction as an Add makes it: fresh ids, number and EditSequence, created and modified now."""
        stamp = self.now()
        return Txn(
            txn_type,
            self.new_txn_id(),
            self.new_txn_number(),
            stamp,
            stamp,
            self.edit_sequence(),
            entity,
            txn_date,
            **fields,
        )

    def edit_sequence(self, previous: str | None = None) -> str:
        # Epoch seconds, as QuickBooks writes them, but never repeated: two Mods in one second must differ.
        value = self._epoch()
        if previous is not None and previous.isdigit():
            value = max(value, int(previous) + 1)
        return str(value)

    # -- lists -----------------------------------------------------------------------------------------------

    def add_entry(self, kind: str, name: str, *, parent: Ref | None = None, **fields: Any) -> Entry:
        full_name = f"{parent.full_name}:{name}" if parent else name
        key = (namespace(kind), full_name.casefold())
        if key in self._names:
            raise status.name_in_use(full_name)
        stamp = self.now()
        entry = Entry(kind, self.new_list_id(), name, full_name, stamp, stamp, self.edit_sequence(), parent)
        entry.fields.update(fields)
        self.entries[entry.list_id] = entry
        self._names[key] = entry.list_id
        return entry

    def by_name(self, kinds: Iterable[str], full_name: str) -> Entry | None:
        kinds = tuple(kinds)
        for space in {namespace(kind) for kind in kinds}:
            list_id = self._names.get((space, full_name.casefold()))
            if list_id is not None and self.entries[list_id].kind in kinds:
                return self.entries[list_id]
        return None

    def of_kind(self, *kinds: str) -> list[Entry]:
        return [entry for entry in self.entries.values() if entry.kind in kinds]

    def resolve(self, element: etree._Element, where: str, kinds: tuple[str, ...] | None = None) -> Ref:
        """A ``…Ref`` element to the list element it names; ListID wins over FullName when both are sent."""
        name = str(element.tag)
        targets, label = REF_TARGETS.get(name, ((), name.removesuffix("Ref")))
        kinds = kinds or targets
        list_id = element.findtext("ListID")
        full_name = element.findtext("FullName")
        entry: Entry | None = None
        if list_id is not None:
            candidate = self.entries.get(list_id)
            entry = candidate if candidate is not None and candidate.kind in kinds else None
        elif full_name is not None:
            entry = self.by_name(kinds, full_name)
        if entry is None:
            raise status.invalid_reference(label, list_id or full_name or "", where)
        return entry.ref

    # -- transactions ----------------------------------------------------------------------------------------

    def index_applications(self, txn: Txn) -> None:
        """Re-point the application indexes after a payment or invoice was saved (or, with no targets, deleted)."""
        for target in self._targets.pop(txn.txn_id, set()):
            self.applied_to[target].discard(txn.txn_id)
        targets = {credit for credit, _ in txn.set_credits}
        for application in txn.applications:
            targets.add(application.txn_id)
            targets.update(credit for credit, _ in application.credits)
        for target in targets:
            self.applied_to[target].add(txn.txn_id)
        if targets:
            self._targets[txn.txn_id] = targets

    def index_billing(self, invoice: Txn) -> None:
        for order in self._billed.pop(invoice.txn_id, set()):
            self.billed_by[order].discard(invoice.txn_id)
        orders = {line.link[0] for line in invoice.lines if line.link is not None}
        for order in orders:
            self.billed_by[order].add(invoice.txn_id)
        if orders:
            self._billed[invoice.txn_id] = orders

    def of_entity(self, list_id: str, *types: str) -> list[Txn]:
        return [
            txn
            for txn in self.txns.values()
            if txn.entity is not None and txn.entity.list_id == list_id and (not types or txn.type in types)
        ]

    def note_number(self, txn_type: str, ref_number: str | None) -> None:
        if ref_number:
            self.last_number[txn_type] = ref_number

    def auto_number(self, txn_type: str) -> str | None:
        return next_number(self.last_number.get(txn_type, "0"))
