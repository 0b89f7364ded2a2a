"""SKU Vault: one purchase order of ``purchaseorders/getPOs`` (``{"PurchaseOrder": {...}}``, or the response itself
holding exactly one), with the ``Receives`` and ``Corrections`` of ``getReceivesHistory`` for it.

SKU Vault names no currency and no tax on a purchase order (the account's currency applies) and names the supplier
by name only. Lines have no id: they are keyed by position.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ledgerflow.contracts import (
    CanonicalPurchaseOrder,
    ChargeKind,
    PurchaseCharge,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    PurchaseReceipt,
    ReceiptLine,
    VendorRef,
)
from ledgerflow.ingest.normalizers.purchase_orders.common import (
    day,
    many,
    non_negative,
    number,
    obj,
    refuse,
    required,
    required_day,
    text,
)

SYSTEM = PurchaseOrderSystem.SKUVAULT
STATUSES = {"NoneReceived", "PartiallyReceived", "Completed", "Cancelled"}
BUNDLE = (
    'Publish {"PurchaseOrder": <one PO of getPOs>, "Receives": [...], "Corrections": [...]} (the last two from '
    "getReceivesHistory filtered by the PO number): see docs/purchase-orders.md."
)


def normalize(payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    order = _the_order(payload)
    number_ = text(order.get("PoNumber"))
    if number_ is None:
        raise refuse(SYSTEM, "missing_number", "the purchase order has no PoNumber", BUNDLE)
    supplier = text(order.get("SupplierName"))
    if supplier is None:
        raise refuse(
            SYSTEM,
            "no_supplier",
            f"purchase order {number_} has no SupplierName",
            "Choose the supplier on the purchase order in SKU Vault, then publish it again.",
        )
    lines = []
    for i, item in enumerate(many(order.get("LineItems"), "LineItems", SYSTEM)):
        where = f"LineItems[{i}]"
        # Whether Quantity includes QuantityTo3PL is not documented: Quantity alone is what was ordered here.
        quantity = non_negative(item.get("Quantity") or 0, f"{where}.Quantity")
        cost = non_negative(item.get("Cost") or 0, f"{where}.Cost")
        sku = text(item.get("SKU"))
        lines.append(
            PurchaseOrderLine(
                line_id=str(i + 1),
                sku=sku,
                product_id=text(item.get("ProductId")),
                title=text(item.get("Variant")) or text(item.get("Identifier")),
                quantity=quantity,
                unit_cost=cost,
                received=non_negative(item.get("ReceivedQuantity") or 0, f"{where}.ReceivedQuantity"),
                cancelled=quantity == 0,
            )
        )
    receipts = _receipts(payload, number_, tuple(lines))
    status = _status(order.get("Status"), tuple(lines), number_)
    return CanonicalPurchaseOrder(
        system=SYSTEM,
        source_po_id=str(order.get("PoId") or number_),
        po_number=number_,
        vendor=VendorRef(name=supplier),
        ordered_on=required_day(order.get("OrderDate") or order.get("CreatedDate"), "PurchaseOrder.OrderDate", SYSTEM),
        expected_on=day(order.get("ArrivalDueDate"), "PurchaseOrder.ArrivalDueDate"),
        status=status,
        source_status=str(order.get("Status")),
        ship_to=" / ".join(p for p in (text(order.get("ShipToWarehouse")), text(order.get("ShipToAddress"))) if p)
        or None,
        memo=text(order.get("PublicNotes")),
        private_note="\n".join(
            p
            for p in (f"SKU Vault purchase order {number_} ({order.get('PoId')})", text(order.get("PrivateNotes")))
            if p
        ),
        lines=tuple(lines),
        charges=tuple(_charge(c, i) for i, c in enumerate(many(order.get("Costs"), "Costs", SYSTEM))),
        receipts=receipts,
    )


def _the_order(payload: dict[str, Any]) -> dict[str, Any]:
    if "PurchaseOrder" in payload:
        return obj(payload["PurchaseOrder"], "PurchaseOrder", SYSTEM, BUNDLE)
    if "PurchaseOrders" in payload:
        orders = many(payload["PurchaseOrders"], "PurchaseOrders", SYSTEM)
        if len(orders) != 1:
            raise refuse(
                SYSTEM,
                "not_one_order",
                f"the getPOs response holds {len(orders)} purchase orders; a message carries one",
                "Publish each purchase order of the response on its own (with its receives).",
            )
        return orders[0]
    if "Receives" in payload or "Corrections" in payload:
        raise refuse(SYSTEM, "bad_shape", "this is a receive history without its purchase order", BUNDLE)
    raise refuse(SYSTEM, "bad_shape", "the payload holds no PurchaseOrder", BUNDLE)


def _status(value: Any, lines: tuple[PurchaseOrderLine, ...], number_: str) -> PurchaseOrderStatus:
    if value not in STATUSES:
        raise refuse(
            SYSTEM,
            "unknown_status",
            f"purchase order {number_} has Status {value!r}; SKU Vault's are NoneReceived, "
            "PartiallyReceived, Completed and Cancelled",
            "Ask getPOs for every status, Completed included, and publish the order as it returns it.",
        )
    if value == "Cancelled":
        return PurchaseOrderStatus.CANCELLED
    active = [line for line in lines if not line.cancelled]
    if value == "Completed":
        short = any(line.received < line.quantity for line in active)
        return PurchaseOrderStatus.CLOSED if short else PurchaseOrderStatus.RECEIVED
    received = any(line.received > 0 for line in active)
    return PurchaseOrderStatus.PARTIALLY_RECEIVED if received else PurchaseOrderStatus.OPEN


def _charge(cost: dict[str, Any], index: int) -> PurchaseCharge:
    where = f"Costs[{index}]"
    amount = number(required(cost, "Amount", where), f"{where}.Amount")
    kind_text = str(cost.get("Type") or "").lower()
    if amount < 0:
        kind = ChargeKind.DISCOUNT
    elif "ship" in kind_text or "freight" in kind_text:
        kind = ChargeKind.SHIPPING
    else:
        kind = ChargeKind.OTHER
    return PurchaseCharge(kind=kind, title=text(cost.get("Type")) or text(cost.get("Note")) or "Cost", amount=amount)


def _receipts(
    payload: dict[str, Any], number_: str, lines: tuple[PurchaseOrderLine, ...]
) -> tuple[PurchaseReceipt, ...]:
    """Receives grouped by (received date-time, warehouse): one event each. A correction is an event of its own,
    the change in quantity, so a receipt already billed is adjusted rather than silently rewritten."""
    by_sku: dict[str, str] = {}
    for line in lines:
        if line.sku:
            by_sku.setdefault(line.sku.upper(), line.line_id)
    groups: dict[str, list[tuple[str, Any, Any]]] = defaultdict(list)
    for i, row in enumerate(many(payload.get("Receives"), "Receives", SYSTEM)):
        if text(row.get("PONumber")) != number_:
            continue  # the history is read by date and may hold other orders' receives
        where = f"Receives[{i}]"
        stamp = text(row.get("ReceivedDate")) or text(row.get("ReceiptDate"))
        if stamp is None:
            raise refuse(SYSTEM, "missing_date", f"{where} has no ReceivedDate", BUNDLE)
        key = f"{stamp}|{text(row.get('Warehouse')) or ''}"
        groups[key].append((where, row, stamp))
    receipts = []
    for key, rows in groups.items():
        received = tuple(
            ReceiptLine(
                line_id=_line_for(row.get("SKU"), by_sku, where, number_),
                quantity=number(row.get("Quantity") or 0, f"{where}.Quantity"),
            )
            for where, row, _ in rows
            if number(row.get("Quantity") or 0, f"{where}.Quantity")
        )
        if received:
            when = day(rows[0][2], f"{rows[0][0]}.ReceivedDate")
            assert when is not None
            receipts.append(PurchaseReceipt(receipt_id=key, received_on=when, lines=received))
    for i, row in enumerate(many(payload.get("Corrections"), "Corrections", SYSTEM)):
        if text(row.get("PONumber")) != number_:
            continue
        where = f"Corrections[{i}]"
        change = number(row.get("NewQuantity") or 0, f"{where}.NewQuantity") - number(
            row.get("OldQuantity") or 0, f"{where}.OldQuantity"
        )
        when = day(row.get("CorrectedDate"), f"{where}.CorrectedDate")
        if not change:
            continue
        if when is None:
            raise refuse(SYSTEM, "missing_date", f"{where} has no CorrectedDate", BUNDLE)
        receipts.append(
            PurchaseReceipt(
                receipt_id=f"correction|{row.get('CorrectedDate')}|{row.get('SKU')}",
                received_on=when,
                lines=(ReceiptLine(line_id=_line_for(row.get("SKU"), by_sku, where, number_), quantity=change),),
            )
        )
    return tuple(receipts)


def _line_for(sku: Any, by_sku: dict[str, str], where: str, number_: str) -> str:
    key = (text(sku) or "").upper()
    if key not in by_sku:
        raise refuse(
            SYSTEM,
            "unknown_line",
            f"{where} receives SKU {sku!r}, which is not on purchase order {number_}",
            "Publish the purchase order as SKU Vault returns it now (a line may have been added).",
        )
    return by_sku[key]
