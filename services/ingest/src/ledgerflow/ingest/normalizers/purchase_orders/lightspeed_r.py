"""Lightspeed Retail R-Series: an ``Order`` read with ``load_relations=["OrderLines", "Vendor", "Note"]``, bundled
with its shipments:

    {"Order": {..., "OrderLines": {"OrderLine": [...]}}, "OrderShipments": {"OrderShipment": [...]}}

Each shipment may carry its ``OrderShipmentItems`` (``{"OrderShipmentItem": ...}``). A line's SKU comes from its
``Item`` relation when loaded (``OrderLines.Item``), or from an optional ``"skus": {itemID: sku}``.

Every value is a JSON string, and one relation is an object where several are an array. Costs are read in the
merchant's currency (``price``, after the order's discount): the vendor-currency twins are never mixed in.
"""

from __future__ import annotations

from typing import Any

from ledgerflow.contracts import (
    CanonicalPurchaseOrder,
    ChargeKind,
    PurchaseCharge,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    PurchaseReceipt,
    ReceiptKind,
    ReceiptLine,
    VendorRef,
)
from ledgerflow.ingest.normalizers.purchase_orders.common import (
    day,
    joined,
    many,
    non_negative,
    number,
    obj,
    optional_obj,
    refuse,
    required,
    text,
    truthy,
)

SYSTEM = PurchaseOrderSystem.LIGHTSPEED_R
BUNDLE = (
    'Publish {"Order": {... "OrderLines": {"OrderLine": [...]}}, "OrderShipments": {"OrderShipment": [...]}}: read the '
    'order with load_relations=["OrderLines","Vendor"] and its shipments from /Order/{orderID}/Shipment.json.'
)


def normalize(payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    if "Order" not in payload:
        found = next((k for k in ("OrderLine", "OrderShipment", "OrderShipmentItem") if k in payload), None)
        what = f"this is an {found} without its Order" if found else "the payload has no Order"
        raise refuse(SYSTEM, "bad_shape", what, BUNDLE)
    order = obj(payload["Order"], "Order", SYSTEM, BUNDLE)
    order_id = str(required(order, "orderID", "Order"))
    relation = order.get("OrderLines")
    if relation is None:
        raise refuse(SYSTEM, "bad_shape", f"order {order_id} comes without its OrderLines", BUNDLE)
    rows = many(relation.get("OrderLine") if isinstance(relation, dict) else relation, "Order.OrderLines", SYSTEM)
    skus = optional_obj(payload.get("skus"))
    lines = tuple(_line(row, i, order_id, skus or {}) for i, row in enumerate(rows))
    receipts = _shipments(payload.get("OrderShipments"), order_id, lines)
    vendor_id = text(order.get("vendorID"))
    vendor = optional_obj(order.get("Vendor"))
    if vendor_id in (None, "0"):
        raise refuse(
            SYSTEM,
            "no_supplier",
            f"order {order_id} has no vendor (vendorID is {order.get('vendorID')!r})",
            "Choose the vendor on the purchase order in Lightspeed, then publish it again.",
        )
    ordered = day(order.get("orderedDate"), "Order.orderedDate")
    note = optional_obj(order.get("Note"))
    charges = [
        PurchaseCharge(
            kind=ChargeKind.SHIPPING, title="Shipping", amount=number(order.get("shipCost") or 0, "Order.shipCost")
        )
    ]
    other = number(order.get("otherCost") or 0, "Order.otherCost")
    charges.append(
        PurchaseCharge(
            kind=ChargeKind.DISCOUNT if other < 0 else ChargeKind.OTHER,
            title="Discount" if other < 0 else "Other costs",
            amount=other,
        )
    )
    ref = text(order.get("refNum"))
    vendor_currency = text(order.get("vendorCurrencyCode"))
    return CanonicalPurchaseOrder(
        system=SYSTEM,
        source_po_id=order_id,
        po_number=ref or order_id,
        vendor=VendorRef(source_id=vendor_id, name=text(vendor.get("name"))),
        # An order never placed has no orderedDate: it is a draft, dated by its creation until it is placed.
        ordered_on=ordered or day(order.get("createTime"), "Order.createTime") or _missing_date(order_id),
        expected_on=day(order.get("arrivalDate"), "Order.arrivalDate"),
        status=_status(order, ordered is not None, lines),
        source_status=_source_status(order),
        ship_to=text(order.get("shopID")),
        memo=text(order.get("shipInstructions")),
        private_note=joined(
            f"Lightspeed R-Series purchase order {ref or order_id} (order {order_id})",
            f"vendor currency {vendor_currency} at {order.get('vendorCurrencyRate')}" if vendor_currency else None,
            text(order.get("stockInstructions")),
            text(note.get("note")),
            "costs were modified after shipment" if truthy(order.get("costsModifiedAfterShipment")) else None,
        ),
        lines=lines,
        charges=tuple(c for c in charges if c.amount),
        receipts=receipts,
    )


def _missing_date(order_id: str) -> Any:
    raise refuse(SYSTEM, "missing_date", f"order {order_id} has neither an orderedDate nor a createTime", BUNDLE)


def _line(row: dict[str, Any], index: int, order_id: str, skus: dict[str, Any]) -> PurchaseOrderLine:
    where = f"OrderLine[{index}]"
    line_order = text(row.get("orderID"))
    if line_order is not None and line_order != order_id:
        raise refuse(
            SYSTEM,
            "foreign_line",
            f"{where} (orderLineID {row.get('orderLineID')}) belongs to order {line_order}, not order {order_id}",
            BUNDLE,
        )
    item_id = text(row.get("itemID"))
    item = optional_obj(row.get("Item"))
    sku = text(item.get("customSku")) or text(item.get("manufacturerSku")) or text(item.get("systemSku"))
    quantity = non_negative(required(row, "quantity", where), f"{where}.quantity")
    return PurchaseOrderLine(
        line_id=str(required(row, "orderLineID", where)),
        sku=sku or text(skus.get(item_id or "")),
        product_id=item_id,
        title=text(item.get("description")),
        quantity=quantity,
        # price already has the order's discount in it: originalPrice plus a discount line would count it twice.
        unit_cost=non_negative(required(row, "price", where), f"{where}.price"),
        # numReceived is received but not checked in: not stock yet.
        received=non_negative(row.get("checkedIn") or 0, f"{where}.checkedIn"),
        cancelled=quantity == 0,
    )


def _status(order: dict[str, Any], placed: bool, lines: tuple[PurchaseOrderLine, ...]) -> PurchaseOrderStatus:
    if truthy(order.get("archived")):
        return PurchaseOrderStatus.CANCELLED
    if not placed:
        return PurchaseOrderStatus.DRAFT
    active = [line for line in lines if not line.cancelled]
    if truthy(order.get("complete")):
        # Check-in completed with lines short is a short-close: the rest is never billed.
        short = any(line.received < line.quantity for line in active)
        return PurchaseOrderStatus.CLOSED if short else PurchaseOrderStatus.RECEIVED
    if any(line.received > 0 for line in active):
        return PurchaseOrderStatus.PARTIALLY_RECEIVED
    return PurchaseOrderStatus.OPEN


def _source_status(order: dict[str, Any]) -> str:
    if truthy(order.get("archived")):
        return "archived"
    if truthy(order.get("complete")):
        return "complete"
    if text(order.get("receivedDate")):
        return "check-in"
    return "ordered" if text(order.get("orderedDate")) else "open"


def _shipments(relation: Any, order_id: str, lines: tuple[PurchaseOrderLine, ...]) -> tuple[PurchaseReceipt, ...]:
    """One shipment is one receipt event; its items name items, and an item's first line on the order takes them."""
    if isinstance(relation, dict) and "OrderShipment" in relation:
        relation = relation["OrderShipment"]
    by_item: dict[str, str] = {}
    for line in lines:
        if line.product_id:
            by_item.setdefault(line.product_id, line.line_id)
    receipts = []
    for i, shipment in enumerate(many(relation, "OrderShipments", SYSTEM)):
        where = f"OrderShipment[{i}]"
        shipment_id = str(required(shipment, "orderShipmentID", where))
        if text(shipment.get("orderID")) not in (None, order_id):
            raise refuse(
                SYSTEM,
                "foreign_shipment",
                f"shipment {shipment_id} belongs to order {shipment.get('orderID')}, not order {order_id}",
                BUNDLE,
            )
        items = shipment.get("OrderShipmentItems")
        if isinstance(items, dict):
            items = items.get("OrderShipmentItem")
        if items is None:
            raise refuse(
                SYSTEM,
                "bad_shape",
                f"shipment {shipment_id} comes without its OrderShipmentItems",
                'Read shipments with load_relations=["OrderShipmentItems"] and publish them again.',
            )
        received: list[ReceiptLine] = []
        for j, item in enumerate(many(items, f"{where}.OrderShipmentItems", SYSTEM)):
            item_id = str(required(item, "itemID", f"{where}.OrderShipmentItem[{j}]"))
            if item_id not in by_item:
                raise refuse(
                    SYSTEM,
                    "unknown_line",
                    f"shipment {shipment_id} receives item {item_id}, which is on no line of order {order_id}",
                    BUNDLE,
                )
            quantity = number(required(item, "qtyReceived", f"{where} item"), f"{where} item qtyReceived")
            if quantity:
                received.append(ReceiptLine(line_id=by_item[item_id], quantity=quantity))
        received_on = day(shipment.get("receptionDate") or shipment.get("createTime"), f"{where}.receptionDate")
        if received_on is None or not received:
            continue
        due = day(shipment.get("paymentDueDate"), f"{where}.paymentDueDate")
        receipts.append(
            PurchaseReceipt(
                receipt_id=shipment_id,
                # A shipment with a payment due date is the supplier's invoice: a bill, with the invoice's dates.
                kind=ReceiptKind.GOODS_AND_INVOICE if due else ReceiptKind.GOODS,
                received_on=received_on,
                lines=tuple(received),
                supplier_invoice=text(shipment.get("shipmentPackingRefNum")),
                invoice_date=received_on if due else None,
                due_date=due,
            )
        )
    return tuple(receipts)
