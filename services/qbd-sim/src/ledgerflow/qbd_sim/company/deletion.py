"""TxnDel: a transaction is removed and its effects on other documents are undone."""

from __future__ import annotations

from lxml import etree

from ledgerflow.qbd_sim.company import ledger, status
from ledgerflow.qbd_sim.company.context import Context, Result
from ledgerflow.qbd_sim.company.records import Txn
from ledgerflow.qbd_sim.company.settings import Switches
from ledgerflow.qbd_sim.company.store import Store


def delete(store: Store, switches: Switches, txn: Txn) -> None:
    for source_id in list(store.applied_to.get(txn.txn_id, ())):
        # Payments and invoices that used this invoice or credit memo lose that application.
        source = store.txns[source_id]
        source.set_credits = [c for c in source.set_credits if c[0] != txn.txn_id]
        for application in source.applications:
            application.credits = [c for c in application.credits if c[0] != txn.txn_id]
        source.applications = [a for a in source.applications if a.txn_id != txn.txn_id]
        store.index_applications(source)
    if txn.type == "Invoice" and not switches.delete_invoice_reopens_sales_order:
        for line in txn.lines:
            order = store.txns.get(line.link[0]) if line.link else None
            ordered = order.line(line.link[1]) if order and line.link else None
            if ordered is not None:
                ordered.invoiced_kept += ledger.billed_quantity(line)
    if txn.type in ("SalesOrder", "PurchaseOrder"):
        for invoice_id in list(store.billed_by.get(txn.txn_id, ())):
            invoice = store.txns[invoice_id]
            for line in invoice.lines:
                if line.link and line.link[0] == txn.txn_id:
                    line.link = None
            store.index_billing(invoice)
    txn.lines, txn.applications, txn.set_credits = [], [], []
    store.index_billing(txn)
    store.index_applications(txn)
    store.applied_to.pop(txn.txn_id, None)
    store.billed_by.pop(txn.txn_id, None)
    del store.txns[txn.txn_id]


def txn_del(ctx: Context, request: etree._Element) -> Result:
    txn_type = request.findtext("TxnDelType") or ""
    txn_id = request.findtext("TxnID") or ""
    txn = ctx.store.txns.get(txn_id)
    if txn is None or txn.type != txn_type:
        raise status.not_found(txn_id)
    ctx.check_closing_date(txn_type, txn.txn_date)
    delete(ctx.store, ctx.switches, txn)
    plain = [("TxnDelType", txn_type), ("TxnID", txn_id), ("TimeDeleted", ctx.store.now().isoformat())]
    if txn.ref_number:
        plain.append(("RefNumber", txn.ref_number))
    return Result(plain=plain)
