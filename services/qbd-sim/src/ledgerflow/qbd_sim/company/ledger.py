"""Figures QuickBooks derives from the stored documents: totals, tax, balances, invoiced quantities, links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledgerflow.qbd_sim.company.records import Line, Txn
from ledgerflow.qbd_sim.company.settings import Switches
from ledgerflow.qbd_sim.company.store import Store
from ledgerflow.qbd_sim.company.values import ZERO, money

ONE = Decimal(1)


@dataclass(frozen=True)
class Link:
    """A ``LinkedTxn`` as seen from one side."""

    txn_id: str
    txn_type: str
    txn_date: date
    ref_number: str | None
    link_type: str  # QUANTYPE (sales order <-> invoice) or AMTTYPE (payments and credits)
    amount: Decimal


def line_taxable(store: Store, txn: Txn, line: Line) -> bool:
    customer_code = txn.fields.get("CustomerSalesTaxCodeRef")
    if customer_code is None and txn.entity is not None:
        entity = store.entries.get(txn.entity.list_id)
        customer_code = entity.fields.get("SalesTaxCodeRef") if entity else None
    for code in (line.tax_code, customer_code):
        if code is not None:
            entry = store.entries.get(code.list_id)
            if entry is None or not entry.fields.get("IsTaxable", False):
                return False
    return line.tax_code is not None


def subtotal(txn: Txn) -> Decimal:
    return money(sum((line.amount for line in txn.lines), ZERO))


def sales_tax(store: Store, txn: Txn) -> Decimal:
    if txn.type == "PurchaseOrder":
        return ZERO
    taxable = sum((line.amount for line in txn.lines if line_taxable(store, txn, line)), ZERO)
    return money(taxable * txn.tax_rate / 100)


def total(store: Store, txn: Txn) -> Decimal:
    if txn.type == "ReceivePayment":
        return money(txn.total_amount)
    return money(subtotal(txn) + sales_tax(store, txn))


def reductions(store: Store, invoice: Txn) -> Decimal:
    """Payments, discounts and credits applied to an invoice."""
    applied = sum((amount for _, amount in invoice.set_credits), ZERO)
    for source_id in store.applied_to.get(invoice.txn_id, ()):
        source = store.txns[source_id]
        for application in source.applications:
            if application.txn_id == invoice.txn_id:
                applied += application.amount + application.discount
                applied += sum((amount for _, amount in application.credits), ZERO)
    return money(applied)


def balance(store: Store, invoice: Txn) -> Decimal:
    return money(total(store, invoice) - reductions(store, invoice))


def credit_used(store: Store, credit: Txn) -> Decimal:
    used = ZERO
    for source_id in store.applied_to.get(credit.txn_id, ()):
        source = store.txns[source_id]
        used += sum((amount for txn_id, amount in source.set_credits if txn_id == credit.txn_id), ZERO)
        for application in source.applications:
            used += sum((amount for txn_id, amount in application.credits if txn_id == credit.txn_id), ZERO)
    return money(used)


def credit_remaining(store: Store, credit: Txn) -> Decimal:
    return money(total(store, credit) - credit_used(store, credit))


def unused_payment(payment: Txn) -> Decimal:
    return money(payment.total_amount - sum((a.amount for a in payment.applications), ZERO))


def customer_balance(store: Store, list_id: str) -> Decimal:
    owed = ZERO
    for txn in store.of_entity(list_id, "Invoice", "ReceivePayment", "CreditMemo"):
        if txn.type == "Invoice":
            owed += balance(store, txn)
        elif txn.type == "ReceivePayment":
            owed -= unused_payment(txn)
        else:
            owed -= credit_remaining(store, txn)
    return money(owed)


# -- sales orders -------------------------------------------------------------------------------------------


def ordered(line: Line) -> Decimal:
    return line.quantity if line.quantity is not None else ONE


def billed_quantity(line: Line) -> Decimal:
    return line.quantity if line.quantity is not None else ONE


def invoiced(store: Store, order: Txn, line: Line) -> Decimal:
    billed = line.invoiced_kept
    for invoice_id in store.billed_by.get(order.txn_id, ()):
        for invoice_line in store.txns[invoice_id].lines:
            if invoice_line.link == (order.txn_id, line.line_id):
                billed += billed_quantity(invoice_line)
    return billed


def _is_tax_line(store: Store, line: Line) -> bool:
    entry = store.entries.get(line.item.list_id) if line.item else None
    return entry is not None and entry.kind in ("ItemSalesTax", "ItemSalesTaxGroup")


def line_fully_invoiced(store: Store, switches: Switches, order: Txn, line: Line) -> bool:
    if switches.tax_line_keeps_sales_order_open and _is_tax_line(store, line):
        return False  # Connex: such a line is never billed by linking, so the order never closes
    return invoiced(store, order, line) >= ordered(line)


def line_open(store: Store, switches: Switches, order: Txn, line: Line) -> bool:
    if line.item is None or order.manually_closed or line.manually_closed:
        return False
    return not line_fully_invoiced(store, switches, order, line)


def fully_invoiced(store: Store, switches: Switches, order: Txn) -> bool:
    item_lines = [line for line in order.lines if line.item is not None]
    return bool(item_lines) and all(line_fully_invoiced(store, switches, order, line) for line in item_lines)


def order_closed(store: Store, switches: Switches, order: Txn) -> bool:
    return not any(line_open(store, switches, order, line) for line in order.lines)


# -- purchase orders ----------------------------------------------------------------------------------------

RECEIVING = ("ItemReceipt", "Bill")


def received(store: Store, order: Txn, line: Line, *, types: tuple[str, ...] = RECEIVING) -> Decimal:
    """What item receipts and bills linked to this purchase-order line took in: more than ordered is allowed."""
    quantity = ZERO
    for source_id in store.billed_by.get(order.txn_id, ()):
        source = store.txns[source_id]
        if source.type in types:
            linked = [ln for ln in source.lines if ln.link == (order.txn_id, line.line_id)]
            quantity += sum((billed_quantity(ln) for ln in linked), ZERO)
    return quantity


def line_received(store: Store, order: Txn, line: Line) -> bool:
    return received(store, order, line) >= ordered(line)


def receivable(store: Store, order: Txn, line: Line) -> bool:
    """A purchase-order line goods may still be received against (QuickBooks closes a line once received)."""
    if line.item is None or order.manually_closed or line.manually_closed:
        return False
    return not line_received(store, order, line)


def fully_received(store: Store, order: Txn) -> bool:
    item_lines = [line for line in order.lines if line.item is not None]
    return bool(item_lines) and all(line_received(store, order, line) for line in item_lines)


def purchase_order_closed(store: Store, order: Txn) -> bool:
    return not any(receivable(store, order, line) for line in order.lines)


# -- links --------------------------------------------------------------------------------------------------


def _link(txn: Txn, link_type: str, amount: Decimal) -> Link:
    return Link(txn.txn_id, txn.type, txn.txn_date, txn.ref_number, link_type, money(amount))


def linked_txns(store: Store, txn: Txn) -> list[Link]:
    links: list[Link] = []
    if txn.type in ("SalesOrder", "PurchaseOrder"):
        for invoice_id in sorted(store.billed_by.get(txn.txn_id, ()), key=_creation(store)):
            invoice = store.txns[invoice_id]
            amount = sum((ln.amount for ln in invoice.lines if ln.link and ln.link[0] == txn.txn_id), ZERO)
            links.append(_link(invoice, "QUANTYPE", amount))
    if txn.type in ("Invoice", *RECEIVING):
        orders: dict[str, Decimal] = {}
        for line in txn.lines:
            if line.link is not None:
                orders[line.link[0]] = orders.get(line.link[0], ZERO) + line.amount
        links.extend(_link(store.txns[o], "QUANTYPE", a) for o, a in orders.items() if o in store.txns)
        for credit_id, amount in txn.set_credits:
            links.append(_link(store.txns[credit_id], "AMTTYPE", -amount))
    if txn.type in ("Invoice", "CreditMemo"):
        for source_id in sorted(store.applied_to.get(txn.txn_id, ()), key=_creation(store)):
            source = store.txns[source_id]
            amount = sum((amt for cid, amt in source.set_credits if cid == txn.txn_id), ZERO)
            for application in source.applications:
                if application.txn_id == txn.txn_id:
                    amount += application.amount
                amount += sum((amt for cid, amt in application.credits if cid == txn.txn_id), ZERO)
            links.append(_link(source, "AMTTYPE", -amount))
    return links


def _creation(store: Store) -> Callable[[str], int]:
    order = {txn_id: index for index, txn_id in enumerate(store.txns)}
    return lambda txn_id: order.get(txn_id, len(order))
