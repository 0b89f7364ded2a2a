"""InvoiceAdd's links: ``LinkToTxnID`` (all open sales-order lines), line-level ``LinkToTxn``, ``SetCredit``.

Linking exists only in InvoiceAdd (the Mod schemas have no link elements, so a Mod that tries fails to parse).
A closed or fully invoiced sales order is skipped with 570; the caller refuses the invoice if nothing is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from ledgerflow.qbd_sim.company import ledger, status
from ledgerflow.qbd_sim.company.context import Context
from ledgerflow.qbd_sim.company.intake import Reader
from ledgerflow.qbd_sim.company.lines import price_line, read_line
from ledgerflow.qbd_sim.company.records import Line, Ref, Txn
from ledgerflow.qbd_sim.company.values import money


@dataclass
class Linked:
    lines: list[Line] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tax_item: Ref | None = None  # the first linked order's, used when the invoice names none


def linked_order(ctx: Context, txn_id: str, party: Ref, order_type: str, into: str) -> Txn:
    """The order a new document links to: there, of the type the link takes, and the same customer's (vendor's)."""
    order = ctx.store.txns.get(txn_id)
    if order is None:
        raise status.not_found(txn_id)
    if order.type != order_type:
        raise status.invalid_reference(order_type, txn_id, into)
    if order.entity != party:
        who = "vendor" if order_type == "PurchaseOrder" else "customer"
        raise status.save_error(into, f'The transaction "{txn_id}" belongs to a different {who}.')
    return order


def _order(ctx: Context, txn_id: str, customer: Ref) -> Txn:
    return linked_order(ctx, txn_id, customer, "SalesOrder", "Invoice")


def _copy(ctx: Context, order: Txn, source: Line) -> Line:
    return copy_open_line(ctx, order, source, ledger.ordered(source) - ledger.invoiced(ctx.store, order, source))


def copy_open_line(ctx: Context, order: Txn, source: Line, remaining: Decimal) -> Line:
    """An order's line brought onto the document that links it, for what is left of it (``remaining``)."""
    kept = ("ClassRef", "CustomerRef", "Other1", "Other2", "UnitOfMeasure")
    line = Line(
        ctx.store.new_line_id(),
        item=source.item,
        desc=source.desc,
        rate=source.rate,
        rate_percent=source.rate_percent,
        tax_code=source.tax_code,
        link=(order.txn_id, source.line_id),
        fields={k: v for k, v in source.fields.items() if k in kept},
    )
    if source.quantity is not None:
        line.quantity = remaining
        line.amount = money(source.rate * remaining) if source.rate is not None else source.amount
    else:
        line.amount = source.amount
    return line


def link_lines(ctx: Context, body: etree._Element, customer: Ref) -> Linked:
    linked = Linked()
    whole = [ctx.txn_ref(element) for element in body.findall("LinkToTxnID")]
    partial = {element.findtext("LinkToTxn/TxnID") for element in body.findall("InvoiceLineAdd")} - {None}
    for txn_id in whole:
        if txn_id in partial:
            raise status.save_error("Invoice", f'The transaction "{txn_id}" is linked both in full and by line.')
        order = _order(ctx, txn_id, customer)
        linked.tax_item = linked.tax_item or order.tax_item
        if ledger.order_closed(ctx.store, ctx.switches, order):
            linked.warnings.append(status.cannot_link(txn_id))
            continue
        for source in order.lines:
            if ledger.line_open(ctx.store, ctx.switches, order, source) and not _tax_line_held(ctx, source):
                linked.lines.append(_copy(ctx, order, source))
    for element in body:
        if element.tag not in ("InvoiceLineAdd", "InvoiceLineGroupAdd"):
            continue
        link = element.find("LinkToTxn")
        if link is None:
            linked.lines.append(read_line(ctx, "Invoice", element))
            continue
        if element.find("ItemRef") is not None:
            raise status.save_error("Invoice", "A line linked to another transaction cannot name an item.")
        order = _order(ctx, link.findtext("TxnID") or "", customer)
        billed = order.line(link.findtext("TxnLineID") or "")
        if billed is None:
            raise status.not_found(link.findtext("TxnLineID") or "")
        linked.tax_item = linked.tax_item or order.tax_item
        if not ledger.line_open(ctx.store, ctx.switches, order, billed):
            linked.warnings.append(status.cannot_link(order.txn_id))
            continue
        line = _copy(ctx, order, billed)
        reader = Reader(ctx.store, element, "Invoice line")
        if reader.has("SalesTaxCodeRef"):
            line.tax_code = reader.ref("SalesTaxCodeRef")
        override(line, reader, "Rate")
        line.fields.update(
            reader.echo(
                "ItemRef",
                "Desc",
                "Quantity",
                "Rate",
                "RatePercent",
                "Amount",
                "SalesTaxCodeRef",
                "LinkToTxn",
                "DataExt",
            )
        )
        linked.lines.append(line)
    return linked


def override(line: Line, reader: Reader, price: str) -> None:
    """What a linked line sends over what it took from the order's line: description, quantity, ``price`` (Rate,
    or an item line's Cost) and amount, priced again when any of the last three is sent."""
    if reader.has("Desc"):
        line.desc = reader.text("Desc")
    if reader.has("Quantity"):
        line.quantity = reader.decimal("Quantity")
    if reader.has(price):
        line.rate = reader.decimal(price)
    amount = reader.decimal("Amount")
    if amount is not None or reader.has("Quantity") or reader.has(price):
        price_line(line, item_rate=line.rate, amount=amount)


def _tax_line_held(ctx: Context, line: Line) -> bool:
    if not ctx.switches.tax_line_keeps_sales_order_open or line.item is None:
        return False
    entry = ctx.store.entries.get(line.item.list_id)
    return entry is not None and entry.kind in ("ItemSalesTax", "ItemSalesTaxGroup")


def read_set_credits(ctx: Context, body: etree._Element, invoice: Txn, customer: Ref) -> list[tuple[str, Decimal]]:
    """``SetCredit``: credit memos of the same customer, each within what it has left and the invoice owes."""
    credits: list[tuple[str, Decimal]] = []
    owed = ledger.total(ctx.store, invoice)
    for element in body.findall("SetCredit"):
        credit_id, amount = read_credit(ctx, element, customer, exclude=invoice.txn_id)
        owed -= amount
        if owed < 0:
            raise status.invalid_value("AppliedAmount", f"{amount}", "You cannot pay more than the amount due.")
        credits.append((credit_id, amount))
    return credits


def read_credit(ctx: Context, element: etree._Element, customer: Ref, *, exclude: str) -> tuple[str, Decimal]:
    credit_element = element.find("CreditTxnID")
    assert credit_element is not None
    credit_id = ctx.txn_ref(credit_element)
    credit = ctx.store.txns.get(credit_id)
    if credit is None or credit.type != "CreditMemo" or credit.entity != customer:
        raise status.not_found(credit_id)
    amount = Reader(ctx.store, element, "SetCredit").decimal("AppliedAmount") or Decimal(0)
    left = ledger.credit_remaining(ctx.store, credit)
    already = sum((a for cid, a in _current_use(ctx, exclude, credit_id)), Decimal(0))
    if amount > left + already:
        raise status.invalid_value("AppliedAmount", f"{amount}", "The credit applied exceeds the credit available.")
    return credit_id, amount


def _current_use(ctx: Context, source_id: str, credit_id: str) -> list[tuple[str, Decimal]]:
    """What the transaction being edited already takes from this credit (it is given back by the edit)."""
    source = ctx.store.txns.get(source_id)
    if source is None:
        return []
    uses = [(cid, amount) for cid, amount in source.set_credits if cid == credit_id]
    for application in source.applications:
        uses.extend((cid, amount) for cid, amount in application.credits if cid == credit_id)
    return uses
