"""ItemReceiptAdd and BillAdd: goods, and the supplier's bill, received against the vendor's purchase orders.

A purchase order is linked whole (``LinkToTxnID``: every line still to be received, at what is left of it) or by
line (``ItemLineAdd/LinkToTxn``). More than ordered may be received on a linked line: QuickBooks takes it and the
purchase order shows it received. A link to a purchase order that is not there, is another vendor's, or is
closed (by hand, or every line received) is refused, and the document is not saved.
"""

from __future__ import annotations

from lxml import etree

from ledgerflow.qbd_sim.company import ledger, status
from ledgerflow.qbd_sim.company.context import Context, Result
from ledgerflow.qbd_sim.company.intake import Reader
from ledgerflow.qbd_sim.company.lines import LINE_FIELDS, read_line
from ledgerflow.qbd_sim.company.linking import copy_open_line, linked_order, override
from ledgerflow.qbd_sim.company.records import Line, Ref, Txn
from ledgerflow.qbd_sim.company.rets import txn_ret

_HEADER_FIELDS = ("VendorRef", "TxnDate", "RefNumber", "Memo", "LinkToTxnID", "ItemLineAdd", "ItemGroupLineAdd")


def _order(ctx: Context, txn_id: str, vendor: Ref, txn_type: str) -> Txn:
    return linked_order(ctx, txn_id, vendor, "PurchaseOrder", txn_type)


def _copy(ctx: Context, order: Txn, source: Line) -> Line:
    """The purchase-order line's item, description and cost, for what is still to be received of it."""
    return copy_open_line(ctx, order, source, ledger.ordered(source) - ledger.received(ctx.store, order, source))


def _linked_line(ctx: Context, element: etree._Element, vendor: Ref, txn_type: str) -> Line:
    if element.find("ItemRef") is not None:
        raise status.save_error(txn_type, "A line linked to another transaction cannot name an item.")
    order = _order(ctx, element.findtext("LinkToTxn/TxnID") or "", vendor, txn_type)
    source = order.line(element.findtext("LinkToTxn/TxnLineID") or "")
    if source is None:
        raise status.not_found(element.findtext("LinkToTxn/TxnLineID") or "")
    if not ledger.receivable(ctx.store, order, source):
        raise status.save_error(txn_type, status.cannot_link(order.txn_id))
    line = _copy(ctx, order, source)
    reader = Reader(ctx.store, element, f"{txn_type} line")
    override(line, reader, "Cost")
    line.fields.update(reader.echo(*LINE_FIELDS))
    return line


def _lines(ctx: Context, body: etree._Element, vendor: Ref, txn_type: str) -> list[Line]:
    whole = [ctx.txn_ref(element) for element in body.findall("LinkToTxnID")]
    by_line = {element.findtext("LinkToTxn/TxnID") for element in body.findall("ItemLineAdd")} - {None}
    lines: list[Line] = []
    for txn_id in whole:
        if txn_id in by_line:
            raise status.save_error(txn_type, f'The transaction "{txn_id}" is linked both in full and by line.')
        order = _order(ctx, txn_id, vendor, txn_type)
        if ledger.purchase_order_closed(ctx.store, order):
            raise status.save_error(txn_type, status.cannot_link(txn_id))
        lines.extend(_copy(ctx, order, source) for source in order.lines if ledger.receivable(ctx.store, order, source))
    for element in body:
        if element.tag == "ItemGroupLineAdd":
            raise status.invalid_reference("Item", element.findtext("ItemGroupRef/FullName") or "", f"{txn_type} line")
        if element.tag != "ItemLineAdd":
            continue
        if element.find("LinkToTxn") is not None:
            lines.append(_linked_line(ctx, element, vendor, txn_type))
        else:
            lines.append(read_line(ctx, txn_type, element))
    return lines


def add_receiving(ctx: Context, body: etree._Element, txn_type: str) -> Result:
    store = ctx.store
    reader = Reader(store, body, txn_type)
    vendor = reader.ref("VendorRef")
    assert vendor is not None  # required by the schema
    txn_date = reader.day("TxnDate") or ctx.today()
    ctx.check_closing_date(txn_type, txn_date)
    lines = _lines(ctx, body, vendor, txn_type)
    if not lines:
        raise status.save_error(txn_type, "You cannot save an empty transaction.")
    txn = store.new_txn(
        txn_type,
        vendor,
        txn_date,
        ref_number=reader.text("RefNumber") or None,
        memo=reader.text("Memo"),
        lines=lines,
        fields=reader.echo(*_HEADER_FIELDS),
    )
    store.txns[txn.txn_id] = txn
    store.note_number(txn_type, txn.ref_number)
    store.index_billing(txn)
    return Result(rets=[txn_ret(store, ctx.switches, txn)], txn_id=txn.txn_id)
