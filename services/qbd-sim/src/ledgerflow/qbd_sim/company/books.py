"""A company file's documents as a bookkeeper reconciles them, in the Online simulator's ``books.dump`` shape."""

from __future__ import annotations

from typing import Any

from ledgerflow.qbd_sim.company import ledger
from ledgerflow.qbd_sim.company.lists import CURRENCIES
from ledgerflow.qbd_sim.company.records import Txn
from ledgerflow.qbd_sim.company.settings import Switches
from ledgerflow.qbd_sim.company.store import Store
from ledgerflow.qbd_sim.company.values import fmt_money

_CODES = dict(CURRENCIES)
_TAX_ITEMS = ("ItemSalesTax", "ItemSalesTaxGroup")


def _status(store: Store, switches: Switches, txn: Txn) -> str:
    if txn.type == "SalesOrder":
        if txn.manually_closed:
            return "closed"
        if ledger.fully_invoiced(store, switches, txn):
            return "fully_invoiced"
        return "open" if not any(ledger.invoiced(store, txn, line) for line in txn.lines) else "partially_invoiced"
    if txn.type == "Invoice":
        owed = ledger.balance(store, txn)
        if owed == 0:
            return "paid"
        return "partially_paid" if ledger.reductions(store, txn) else "open"
    if txn.type == "ReceivePayment":
        unused = ledger.unused_payment(txn)
        if unused == 0:
            return "applied"
        return "unapplied" if unused == txn.total_amount else "partially_applied"
    if txn.type == "CreditMemo":
        return "applied" if ledger.credit_remaining(store, txn) == 0 else "open"
    if txn.type == "PurchaseOrder":
        if txn.manually_closed:
            return "closed"
        if ledger.fully_received(store, txn):
            return "received"
        return "partially_received" if any(ledger.received(store, txn, ln) for ln in txn.lines) else "open"
    if txn.type == "ItemReceipt":
        return "received"
    if txn.type == "SalesReceipt":
        return "paid"
    return "open"


def _currency(store: Store, switches: Switches, txn: Txn) -> str:
    entity = store.entries.get(txn.entity.list_id) if txn.entity else None
    ref = entity.fields.get("CurrencyRef") if entity and switches.multicurrency else None
    return _CODES.get(ref.full_name, "USD") if ref is not None else "USD"


def _linked(store: Store, txn: Txn) -> list[str]:
    if txn.type == "ReceivePayment":
        linked = []
        for application in txn.applications:
            linked.append(f"Invoice:{application.txn_id}")
            linked.extend(f"CreditMemo:{credit_id}" for credit_id, _ in application.credits)
        return linked
    return [f"{link.txn_type}:{link.txn_id}" for link in ledger.linked_txns(store, txn)]


def _reference(txn: Txn) -> str | None:
    if txn.type == "ReceivePayment":
        return txn.ref_number
    value = txn.fields.get("CheckNumber" if txn.type == "SalesReceipt" else "PONumber")
    return value if isinstance(value, str) else None


def _balance(store: Store, txn: Txn) -> str | None:
    if txn.type == "Invoice":
        return fmt_money(ledger.balance(store, txn))
    if txn.type == "Bill":
        return fmt_money(ledger.total(store, txn))  # bills are never paid here
    if txn.type == "ReceivePayment":
        return fmt_money(ledger.unused_payment(txn))
    return None


def document(store: Store, switches: Switches, txn: Txn) -> dict[str, Any]:
    vendor = txn.type in ("PurchaseOrder", *ledger.RECEIVING)
    return {
        "type": txn.type,
        "id": txn.txn_id,
        "doc_number": txn.ref_number,
        "date": txn.txn_date.isoformat(),
        "customer": None if vendor or txn.entity is None else txn.entity.full_name,
        "vendor": txn.entity.full_name if vendor and txn.entity else None,
        "currency": _currency(store, switches, txn),
        "total": fmt_money(ledger.total(store, txn)),
        "balance": _balance(store, txn),
        "status": _status(store, switches, txn),
        "memo": txn.memo,
        "reference": _reference(txn),
        "linked": _linked(store, txn),
    }


def dump(store: Store, switches: Switches, *, path: str, edition: str) -> dict[str, Any]:
    """Documents in creation order; ``items`` leaves out sales-tax items (the default one comes with the file)."""
    return {
        "company": path,
        "edition": edition,
        "customers": len(store.of_kind("Customer")),
        "vendors": len(store.of_kind("Vendor")),
        "items": len([e for e in store.entries.values() if e.kind.startswith("Item") and e.kind not in _TAX_ITEMS]),
        "documents": [document(store, switches, txn) for txn in store.txns.values()],
    }
