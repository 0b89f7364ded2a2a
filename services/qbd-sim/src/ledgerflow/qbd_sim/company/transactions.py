"""Sales forms and purchase orders: Add and Mod, their lines, numbering, tax and the edition rules."""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal

from lxml import etree

from ledgerflow.qbd_sim.company import linking, lists, status
from ledgerflow.qbd_sim.company.context import Context, Result
from ledgerflow.qbd_sim.company.intake import Reader
from ledgerflow.qbd_sim.company.lines import LINE_FIELDS, price_line, read_line
from ledgerflow.qbd_sim.company.records import Line, Ref, Txn
from ledgerflow.qbd_sim.company.rets import txn_ret
from ledgerflow.qbd_sim.company.settings import Edition

FORMS = ("SalesOrder", "Invoice", "SalesReceipt", "CreditMemo", "Estimate", "PurchaseOrder")
_HEADER_FIELDS = (
    "TxnID",
    "EditSequence",
    "CustomerRef",
    "VendorRef",
    "TxnDate",
    "RefNumber",
    "Memo",
    "ItemSalesTaxRef",
    "IsManuallyClosed",
    "LinkToTxnID",
    "SetCredit",
)


def line_names(txn_type: str) -> tuple[str, ...]:
    return (f"{txn_type}LineAdd", f"{txn_type}LineGroupAdd", f"{txn_type}LineMod", f"{txn_type}LineGroupMod")


def check_edition(ctx: Context, txn_type: str) -> None:
    if txn_type in ctx.switches.disabled_types:
        raise status.feature_unavailable()
    if txn_type != "SalesOrder":
        return
    if ctx.edition is Edition.PRO:
        raise status.feature_unavailable(ctx.switches.pro_sales_order_code)
    if not ctx.switches.sales_orders_enabled:
        raise status.feature_unavailable()


def tax_item(ctx: Context, given: Ref | None, customer: Ref | None) -> tuple[Ref | None, Decimal]:
    """The transaction's ItemSalesTaxRef: as sent, else the customer's, else the company default."""
    ref = given
    if ref is None and customer is not None:
        entry = ctx.store.entries.get(customer.list_id)
        found = entry.fields.get("ItemSalesTaxRef") if entry else None
        ref = found if isinstance(found, Ref) else None
    if ref is None:
        default = ctx.store.by_name(("ItemSalesTax",), lists.DEFAULT_TAX_ITEM)
        ref = default.ref if default else None
    entry = ctx.store.entries.get(ref.list_id) if ref else None
    rate = entry.fields.get("TaxRate") if entry else None
    return ref, rate if isinstance(rate, Decimal) else Decimal(0)


def _entity(ctx: Context, reader: Reader, txn_type: str) -> Ref | None:
    if txn_type == "PurchaseOrder":
        vendor = reader.ref("VendorRef")
        if vendor is None:  # optional in the XSD, required by QuickBooks
            raise status.missing_element("VendorRef")
        return vendor
    return reader.ref("CustomerRef")


def add_form(ctx: Context, body: etree._Element, txn_type: str) -> Result:
    check_edition(ctx, txn_type)
    store = ctx.store
    reader = Reader(store, body, txn_type)
    entity = _entity(ctx, reader, txn_type)
    txn_date = reader.day("TxnDate") or ctx.today()
    ctx.check_closing_date(txn_type, txn_date)
    if reader.has("RefNumber"):
        ref_number = reader.text("RefNumber") or None
    elif ctx.switches.auto_number and txn_type in ctx.switches.auto_number_types:
        ref_number = store.auto_number(txn_type)
    else:
        ref_number = None
    warnings: list[str] = []
    lines: list[Line] = []
    given_tax_item = reader.ref("ItemSalesTaxRef")
    if txn_type == "Invoice":
        assert entity is not None
        linked = linking.link_lines(ctx, body, entity)
        lines.extend(linked.lines)
        warnings.extend(linked.warnings)
        given_tax_item = given_tax_item or linked.tax_item
    else:
        for element in body:
            if element.tag in line_names(txn_type):
                lines.append(read_line(ctx, txn_type, element))
    if not lines:
        reason = " ".join([*warnings, "You cannot save an empty transaction."])
        raise status.save_error(txn_type, reason)
    item, rate = tax_item(ctx, given_tax_item, entity) if txn_type != "PurchaseOrder" else (None, Decimal(0))
    txn = store.new_txn(
        txn_type,
        entity,
        txn_date,
        ref_number=ref_number,
        memo=reader.text("Memo"),
        lines=lines,
        tax_item=item,
        tax_rate=rate,
        manually_closed=bool(reader.flag("IsManuallyClosed")),
        fields=reader.echo(*_HEADER_FIELDS, *line_names(txn_type)),
    )
    if txn_type == "Invoice":
        assert entity is not None
        txn.set_credits = linking.read_set_credits(ctx, body, txn, entity)
    store.txns[txn.txn_id] = txn
    if reader.has("RefNumber") or ref_number:
        store.note_number(txn_type, ref_number)
    store.index_billing(txn)
    store.index_applications(txn)
    result = Result(rets=[txn_ret(store, ctx.switches, txn)], txn_id=txn.txn_id)
    if warnings:
        result.code, result.message = 570, " ".join(warnings)
    return result


def find(ctx: Context, txn_id: str, txn_type: str) -> Txn:
    txn = ctx.store.txns.get(txn_id)
    if txn is None or txn.type != txn_type:
        raise status.not_found(txn_id)
    return txn


def open_for_edit(ctx: Context, body: etree._Element, txn_type: str) -> Txn:
    """The transaction a Mod names, checked (3120, 3200, 3171) and copied, so a failing Mod changes nothing."""
    txn = find(ctx, body.findtext("TxnID") or "", txn_type)
    edit_sequence = body.findtext("EditSequence") or ""
    if edit_sequence != txn.edit_sequence:
        raise status.stale_edit_sequence(edit_sequence)
    ctx.check_closing_date(txn_type, txn.txn_date)
    return copy.deepcopy(txn)


def save_edit(ctx: Context, txn: Txn) -> None:
    ctx.check_closing_date(txn.type, txn.txn_date)
    txn.modified = ctx.store.now()
    txn.edit_sequence = ctx.store.edit_sequence(txn.edit_sequence)
    ctx.store.txns[txn.txn_id] = txn
    ctx.store.index_billing(txn)
    ctx.store.index_applications(txn)


def modify_form(ctx: Context, body: etree._Element, txn_type: str) -> Result:
    txn = open_for_edit(ctx, body, txn_type)
    reader = Reader(ctx.store, body, txn_type)
    entity_field = "VendorRef" if txn_type == "PurchaseOrder" else "CustomerRef"
    if reader.has(entity_field):
        txn.entity = reader.ref(entity_field)
    if reader.has("TxnDate"):
        txn.txn_date = reader.day("TxnDate") or txn.txn_date
    if reader.has("RefNumber"):
        txn.ref_number = reader.text("RefNumber") or None
    if reader.has("Memo"):
        txn.memo = reader.text("Memo")
    if reader.has("ItemSalesTaxRef"):
        txn.tax_item, txn.tax_rate = tax_item(ctx, reader.ref("ItemSalesTaxRef"), txn.entity)
    if reader.has("IsManuallyClosed"):
        txn.manually_closed = bool(reader.flag("IsManuallyClosed"))
    txn.fields.update(reader.echo(*_HEADER_FIELDS, *line_names(txn_type)))
    mods = [element for element in body if element.tag in line_names(txn_type)]
    if mods:
        keep_unlisted = txn_type == "SalesOrder" and not ctx.switches.so_line_mods_delete_unlisted
        txn.lines = _modify_lines(ctx, txn, mods, keep_unlisted=keep_unlisted)
    if txn_type == "Invoice" and body.find("SetCredit") is not None:
        assert txn.entity is not None
        listed = linking.read_set_credits(ctx, body, txn, txn.entity)
        replaced = {credit for credit, _ in listed}
        txn.set_credits = [c for c in txn.set_credits if c[0] not in replaced] + listed
    if not txn.lines:
        raise status.save_error(txn_type, "You cannot save an empty transaction.")
    save_edit(ctx, txn)
    return Result(rets=[txn_ret(ctx.store, ctx.switches, txn)], txn_id=txn.txn_id)


def _modify_lines(ctx: Context, txn: Txn, mods: list[etree._Element], *, keep_unlisted: bool) -> list[Line]:
    lines: list[Line] = []
    listed: set[str] = set()
    for element in mods:
        if str(element.tag).endswith("GroupMod"):
            raise status.invalid_reference("Item", element.findtext("ItemGroupRef/FullName") or "", f"{txn.type} line")
        line_id = element.findtext("TxnLineID") or ""
        if line_id == "-1":
            lines.append(read_line(ctx, txn.type, element))
            continue
        existing = txn.line(line_id)
        if existing is None:
            raise status.not_found(line_id)
        listed.add(line_id)
        lines.append(_apply_line_mod(ctx, txn, existing, element))
    if keep_unlisted:
        kept = [line for line in txn.lines if line.line_id not in listed]
        order = {line.line_id: index for index, line in enumerate(txn.lines)}
        lines = sorted(kept + lines, key=lambda line: order.get(line.line_id, len(order)))
    return lines


def _apply_line_mod(ctx: Context, txn: Txn, line: Line, element: etree._Element) -> Line:
    reader = Reader(ctx.store, element, f"{txn.type} line")
    changed = replace(line, fields=dict(line.fields))
    if reader.has("ItemRef"):
        changed.item = reader.ref("ItemRef")
    if reader.has("Desc"):
        changed.desc = reader.text("Desc")
    if reader.has("Quantity"):
        changed.quantity = reader.decimal("Quantity")
    if reader.has("Rate"):
        changed.rate, changed.rate_percent = reader.decimal("Rate"), None
    if reader.has("RatePercent"):
        changed.rate_percent, changed.rate = reader.decimal("RatePercent"), None
    if reader.has("SalesTaxCodeRef"):
        changed.tax_code = reader.ref("SalesTaxCodeRef")
    if reader.has("IsManuallyClosed"):
        changed.manually_closed = bool(reader.flag("IsManuallyClosed"))
    changed.fields.update(reader.echo(*LINE_FIELDS))
    amount = reader.decimal("Amount")
    if amount is not None or reader.has("Quantity") or reader.has("Rate"):
        price_line(changed, item_rate=None, amount=amount)
    return changed
