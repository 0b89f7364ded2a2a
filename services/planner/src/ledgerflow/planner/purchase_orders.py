"""M6: one purchase order per vendor per order, from each item's preferred vendor and purchase cost."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ledgerflow.contracts import (
    CanonicalOrder,
    DocumentType,
    ErrorDetail,
    LineKind,
    PlannedDocument,
    PlannedLine,
    ReferenceItem,
    quantize,
)
from ledgerflow.planner.lines import document_lines, order_memo
from ledgerflow.planner.settings import ItemNames


def purchase_orders(
    order: CanonicalOrder, key_prefix: str, items: ItemNames, catalog: Mapping[str, ReferenceItem] | None
) -> tuple[tuple[PlannedDocument, ...], tuple[ErrorDetail, ...]]:
    """The order's purchase orders, or none and one error naming every item that lacks a vendor or a cost."""
    catalog = catalog or {}
    by_vendor: dict[str, list[PlannedLine]] = {}
    missing: list[str] = []
    for line in document_lines(order, items):
        if line.kind is not LineKind.ITEM:
            continue  # shipping, tax, discounts and gift cards are not bought from a vendor
        item = catalog.get(line.item_name)
        if item is None:
            missing.append(f"{line.item_name}: not among the items synced from QuickBooks")
        elif not item.vendor_name or item.purchase_cost is None:
            lacks = [what for what, absent in (("no preferred vendor", not item.vendor_name),
                                               ("no purchase cost", item.purchase_cost is None)) if absent]  # fmt: skip
            missing.append(f"{item.name}: {' and '.join(lacks)}")
        else:
            cost = item.purchase_cost
            by_vendor.setdefault(item.vendor_name, []).append(
                PlannedLine(
                    kind=LineKind.ITEM,
                    item_name=item.name,
                    sku=item.sku,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=cost,
                    amount=quantize(line.quantity * cost, order.currency),
                )
            )
    if missing:
        return (), (_incomplete(order, missing),)
    documents = tuple(
        PlannedDocument(
            key=f"{key_prefix}/{DocumentType.PURCHASE_ORDER.value}/{sequence}",
            type=DocumentType.PURCHASE_ORDER,
            currency=order.currency,
            txn_date=order.ordered_at.date(),
            vendor_name=vendor,
            lines=tuple(lines),
            total=sum((line.amount for line in lines), quantize(Decimal(0), order.currency)),
            memo=order_memo(order),
            sequence=sequence,
        )
        for sequence, (vendor, lines) in enumerate(by_vendor.items())
    )
    return documents, ()


def _incomplete(order: CanonicalOrder, missing: list[str]) -> ErrorDetail:
    return ErrorDetail(
        code="purchase_order.items_incomplete",
        message=f"no purchase order was made for order {order.order_number}: " + "; ".join(missing),
        fix="In QuickBooks, give each item a preferred vendor and a purchase cost, then run "
        f"`ledgerflow refdata sync` and `ledgerflow resync --order {order.order_number}`.",
    )
