"""A system's own purchase order -> the documents the books need: the purchase order, what its receipts become
under the connection's receipt policy, and its closing. A plain function of the purchase order, the connection's
settings and what was planned before, so a later version updates or closes, never duplicates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ledgerflow.contracts import (
    BooksTarget,
    CanonicalPurchaseOrder,
    ChargeKind,
    DocumentAction,
    DocumentType,
    ErrorDetail,
    LineKind,
    PlannedDocument,
    PlannedLine,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    PurchaseReceipt,
    ReceiptKind,
    quantize,
)
from ledgerflow.planner.state import KnownDocument, fingerprint

ZERO = Decimal(0)
RECEIPT_TYPES = (DocumentType.BILL, DocumentType.ITEM_RECEIPT)


class ReceiptPolicy(StrEnum):
    """What a receipt in the source becomes in the books (the bookkeeper's choice, per connection)."""

    PO_ONLY = "po-only"  # nothing: the purchase order is closed when the source closes it
    RECEIPT_AS_BILL = "receipt-as-bill"  # a bill per receipt, linked to the purchase order
    ITEM_RECEIPT = "item-receipt"  # QuickBooks Desktop: an item receipt per receipt, the bill to follow

    @classmethod
    def default_for(cls, target: BooksTarget) -> ReceiptPolicy:
        return cls.ITEM_RECEIPT if target is BooksTarget.QUICKBOOKS_DESKTOP else cls.RECEIPT_AS_BILL


@dataclass(frozen=True)
class PurchaseOrderSettings:
    """A purchase-order connection's settings. ``vendors`` maps the source's supplier id or name to the vendor's
    name in the books: vendors are never created, so an unmapped one stops the purchase order."""

    target: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE
    receipt_policy: ReceiptPolicy | None = None
    vendors: Mapping[str, str] = field(default_factory=dict)
    home_currency: str = "USD"
    charge_items: Mapping[ChargeKind, str] = field(
        default_factory=lambda: {
            ChargeKind.SHIPPING: "Freight",
            ChargeKind.OTHER: "Other charges",
            ChargeKind.DISCOUNT: "Vendor discount",
        }
    )
    rounding_item: str = "Rounding"

    @property
    def policy(self) -> ReceiptPolicy:
        return self.receipt_policy or ReceiptPolicy.default_for(self.target)


@dataclass(frozen=True)
class PurchaseOrderPlan:
    documents: tuple[PlannedDocument, ...]
    problems: tuple[ErrorDetail, ...] = ()


def plan_purchase_order(
    po: CanonicalPurchaseOrder,
    settings: PurchaseOrderSettings,
    key_prefix: str,
    known: Mapping[str, KnownDocument] | None = None,
) -> PurchaseOrderPlan:
    """The documents this version adds; what was planned before (``known``) is never planned again."""
    known = known or {}
    po_key = f"{key_prefix}/{DocumentType.PURCHASE_ORDER.value}"
    if po.status is PurchaseOrderStatus.DRAFT:
        return PurchaseOrderPlan(())  # a draft is not an order to the vendor yet
    posted = po_key in known and known[po_key].status != "failed"
    if po.status is PurchaseOrderStatus.CANCELLED and not posted:
        return PurchaseOrderPlan(())  # cancelled before it reached the books: nothing to undo
    problems = _stoppers(po, settings)
    if problems:
        return PurchaseOrderPlan((), problems)
    order = _purchase_order(po, settings, po_key)
    documents: list[PlannedDocument] = []
    if not posted:
        documents.append(order)
    elif po.status is not PurchaseOrderStatus.CANCELLED and known[po_key].fingerprint != fingerprint(order):
        change = _update(po, order, po_key, known)
        if isinstance(change, ErrorDetail):
            problems = (change,)
        elif change.key not in known:
            documents.append(change)
    receipts, receipt_problems = _receipts(po, settings, po_key, order)
    documents.extend(r for r in receipts if r.key not in known)
    if po.status.terminal:
        close = order.model_copy(
            update={"key": f"{po_key}/close", "action": DocumentAction.CLOSE, "target": po_key, "lines": ()}
        )
        if close.key not in known:
            documents.append(close)
    return PurchaseOrderPlan(tuple(documents), (*problems, *receipt_problems))


def _stoppers(po: CanonicalPurchaseOrder, settings: PurchaseOrderSettings) -> tuple[ErrorDetail, ...]:
    problems = []
    if vendor_name(po, settings) is None:
        problems.append(
            ErrorDetail(
                code="purchase_order.vendor_unmapped",
                message=f"{_label(po)}: its supplier {po.vendor.label} is not mapped to a vendor in the books",
                fix=f"Add {po.vendor.source_id or po.vendor.name!r} to the connection's vendor map (vendors are never "
                "created by ledgerflow), then replay the purchase order.",
            )
        )
    unnamed = [line.product_id or line.line_id for line in po.active_lines if not line.sku]
    if unnamed:
        problems.append(
            ErrorDetail(
                code="purchase_order.line_without_sku",
                message=f"{_label(po)}: no SKU for product {', '.join(unnamed)}, so no item in the books to order",
                fix="Give the product a SKU in the system (or publish the purchase order with its SKUs), then "
                "publish it again.",
            )
        )
    if settings.policy is ReceiptPolicy.ITEM_RECEIPT and settings.target is not BooksTarget.QUICKBOOKS_DESKTOP:
        problems.append(
            ErrorDetail(
                code="purchase_order.policy_unsupported",
                message=f"{_label(po)}: the receipt policy item-receipt needs QuickBooks Desktop; QuickBooks Online "
                "has no item receipts",
                fix="Set the connection's receipt_policy to receipt-as-bill or po-only.",
            )
        )
    return tuple(problems)


def vendor_name(po: CanonicalPurchaseOrder, settings: PurchaseOrderSettings) -> str | None:
    """The books' vendor: by the source's id first, then by its name (case aside)."""
    if po.vendor.source_id and po.vendor.source_id in settings.vendors:
        return settings.vendors[po.vendor.source_id]
    if po.vendor.name:
        by_name = {name.casefold(): vendor for name, vendor in settings.vendors.items()}
        return by_name.get(po.vendor.name.casefold())
    return None


def _purchase_order(po: CanonicalPurchaseOrder, settings: PurchaseOrderSettings, key: str) -> PlannedDocument:
    currency = po.currency or settings.home_currency
    lines = [
        PlannedLine(
            kind=LineKind.ITEM,
            item_name=line.sku or "",
            sku=line.sku,
            description=line.title,
            quantity=line.quantity,
            unit_price=line.unit_cost,
            amount=quantize(line.quantity * line.unit_cost, currency),
            line_id=line.line_id,
        )
        for line in po.active_lines
    ]
    for charge in po.charges:
        # A vendor discount is a negative charge line: QuickBooks has no discount line on purchase forms.
        kind = {ChargeKind.SHIPPING: LineKind.SHIPPING}.get(charge.kind, LineKind.FEE)
        amount = quantize(charge.amount, currency)
        lines.append(
            PlannedLine(
                kind=kind,
                item_name=settings.charge_items[charge.kind],
                description=charge.title,
                unit_price=amount,
                amount=amount,
            )
        )
    total = sum((line.amount for line in lines), quantize(ZERO, currency))
    if po.source_total is not None:
        # Each line is rounded to the cent; what that leaves from the source's own total is a line of its own.
        difference = quantize(po.source_total, currency) - total
        if difference:
            lines.append(
                PlannedLine(
                    kind=LineKind.ROUNDING, item_name=settings.rounding_item, unit_price=difference, amount=difference
                )
            )
            total += difference
    return PlannedDocument(
        key=key,
        type=DocumentType.PURCHASE_ORDER,
        currency=currency,
        txn_date=po.ordered_on,
        vendor_name=vendor_name(po, settings),
        lines=tuple(lines),
        total=total,
        memo=purchase_order_memo(po),
    )


def purchase_order_memo(po: CanonicalPurchaseOrder) -> str:
    """The full source number is always here, however the document number had to be shortened (N1, N2)."""
    parts = [f"{po.system.label} purchase order {po.po_number}"]
    if po.vendor_reference:
        parts.append(f"supplier ref {po.vendor_reference}")
    if po.memo:
        parts.append(po.memo)
    return " · ".join(parts)


def _update(
    po: CanonicalPurchaseOrder, order: PlannedDocument, po_key: str, known: Mapping[str, KnownDocument]
) -> PlannedDocument | ErrorDetail:
    """A changed purchase order is updated in the books while nothing was received against it; after that, the
    books keep what was billed and the bookkeeper decides."""
    received = [k for k in known.values() if k.type in RECEIPT_TYPES and po_key in k.links and k.status != "failed"]
    if received:
        return ErrorDetail(
            code="purchase_order.changed_after_receipt",
            message=f"{_label(po)} changed in {po.system.label} after goods were received against it in the books "
            f"(now {order.total} {order.currency}, was {known[po_key].total}); the purchase order in the books was "
            "left as it is",
            fix="Edit the purchase order in QuickBooks to match, or leave it: its bills stand as posted.",
        )
    return order.model_copy(
        update={"key": f"{po_key}/update/{fingerprint(order)}", "action": DocumentAction.UPDATE, "target": po_key}
    )


def _receipts(
    po: CanonicalPurchaseOrder, settings: PurchaseOrderSettings, po_key: str, order: PlannedDocument
) -> tuple[list[PlannedDocument], list[ErrorDetail]]:
    policy = settings.policy
    if policy is ReceiptPolicy.PO_ONLY:
        return [], []
    awaited = {r.links_to for r in po.receipts if r.kind is ReceiptKind.INVOICE_ONLY and r.links_to}
    documents: list[PlannedDocument] = []
    problems: list[ErrorDetail] = []
    for receipt in po.receipts:
        if any(line.quantity < 0 for line in receipt.lines):
            problems.append(_corrected(po, receipt))
            continue
        doc_type = _receipt_type(po, receipt, policy, awaited)
        if doc_type is None:
            continue
        links: tuple[str, ...] = (po_key,)
        if receipt.kind is ReceiptKind.INVOICE_ONLY and receipt.links_to and policy is ReceiptPolicy.ITEM_RECEIPT:
            links = (f"{_base(po_key)}/{DocumentType.ITEM_RECEIPT.value}/{receipt.links_to}",)
        documents.append(_receipt_document(po, receipt, doc_type, links, order))
    return documents, problems


def _receipt_type(
    po: CanonicalPurchaseOrder, receipt: PurchaseReceipt, policy: ReceiptPolicy, awaited: set[str]
) -> DocumentType | None:
    if policy is ReceiptPolicy.ITEM_RECEIPT:
        # The supplier's invoice is a bill of its own; goods alone are an item receipt, billed when invoiced.
        return DocumentType.ITEM_RECEIPT if receipt.kind is ReceiptKind.GOODS else DocumentType.BILL
    if receipt.kind is ReceiptKind.GOODS and (receipt.receipt_id in awaited or _awaits_invoice(po)):
        return None  # goods on a waybill: their invoice, when it comes, is the bill
    return DocumentType.BILL


def _awaits_invoice(po: CanonicalPurchaseOrder) -> bool:
    """Erply's waybills move stock without a payable: on QuickBooks Online only its invoice is a bill."""
    return po.system is PurchaseOrderSystem.ERPLY


def _receipt_document(
    po: CanonicalPurchaseOrder,
    receipt: PurchaseReceipt,
    doc_type: DocumentType,
    links: tuple[str, ...],
    order: PlannedDocument,
) -> PlannedDocument:
    by_line = {line.line_id: line for line in order.lines if line.line_id}
    lines = []
    for received in receipt.lines:
        ordered = by_line.get(received.line_id)
        source = po.line(received.line_id)
        # The supplier's invoice has its own costs; goods alone are valued at the purchase order's.
        cost = received.unit_cost if received.unit_cost is not None else source.unit_cost
        lines.append(
            PlannedLine(
                kind=LineKind.ITEM,
                item_name=ordered.item_name if ordered else source.sku or "",
                sku=source.sku,
                description=source.title,
                quantity=received.quantity,
                unit_price=cost,
                amount=quantize(received.quantity * cost, order.currency),
                line_id=received.line_id,
            )
        )
    memo = f"{po.system.label} purchase order {po.po_number} · receipt {receipt.receipt_id}"
    if receipt.supplier_invoice:
        memo = f"{memo} · supplier invoice {receipt.supplier_invoice}"
    return PlannedDocument(
        key=f"{_base(order.key)}/{doc_type.value}/{receipt.receipt_id}",
        type=doc_type,
        currency=order.currency,
        txn_date=receipt.invoice_date or receipt.received_on,
        vendor_name=order.vendor_name,
        lines=tuple(lines),
        total=sum((line.amount for line in lines), quantize(ZERO, order.currency)),
        memo=memo,
        applies_to=links,
        doc_number=receipt.supplier_invoice if doc_type is DocumentType.BILL else None,
    )


def _base(po_key: str) -> str:
    return po_key.rsplit("/", 1)[0]


def _corrected(po: CanonicalPurchaseOrder, receipt: PurchaseReceipt) -> ErrorDetail:
    return ErrorDetail(
        code="purchase_order.receipt_corrected",
        message=f"{_label(po)}: receipt {receipt.receipt_id} takes back goods received earlier; ledgerflow does not "
        "post vendor credits yet",
        fix="Enter a vendor credit (or edit the bill) in QuickBooks for the quantity taken back.",
    )


def _label(po: CanonicalPurchaseOrder) -> str:
    return f"{po.system.label} purchase order {po.po_number}"
