"""Lightspeed Retail X-Series: a supplier consignment (API 2.0) or a purchase order (the 2026-04 Purchase Order
Read API), each bundled with the parts its API returns separately.

    {"consignment": <GET /consignments/{id}>, "products": <GET /consignments/{id}/products>}
    {"purchase_order": <GET /purchase_orders/{id}>, "line_items": <.../line_items>,
     "deliveries": <.../deliveries>, "delivery_line_items": <.../deliveries/{id}/line_items, all deliveries>}

Each part may be the API's response (``{"data": ...}``) or its ``data``. Lines name products by id only, so an
optional ``"skus": {product_id: sku}`` (the products API, cached by the caller) gives their SKUs, and an optional
``"supplier_name"`` the supplier's name.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
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
    ZERO,
    day,
    many,
    non_negative,
    number,
    obj,
    optional_number,
    refuse,
    required,
    required_day,
    text,
)

SYSTEM = PurchaseOrderSystem.LIGHTSPEED_X
BUNDLE = (
    'Publish {"consignment": ..., "products": [...]} (API 2.0) or {"purchase_order": ..., "line_items": [...], '
    '"deliveries": [...], "delivery_line_items": [...]} (2026-04 Purchase Order API): see docs/purchase-orders.md.'
)
COSTS_SCOPE = (
    "Give the connection's token the products:read:costs scope (Lightspeed leaves costs out without it) and "
    "publish the purchase order again."
)


def normalize(payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    if "consignment" in payload:
        return _consignment(payload)
    if "purchase_order" in payload:
        return _purchase_order(payload)
    raise refuse(SYSTEM, "bad_shape", f"{_what(payload)}, not a purchase order bundle", BUNDLE)


def _what(payload: dict[str, Any]) -> str:
    """Names the part of the API a lone response is, so the refusal says what to add."""
    data = payload.get("data")
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else data
    if not isinstance(first, dict):
        return "the payload is neither a consignment nor a purchase order"
    if "total_sent_count" in first:
        return "this is a consignment's totals (GET /consignments/{id}/totals)"
    if "type" in first and "consignment_date" in first:
        return "this is a consignment without its products (GET /consignments/{id})"
    if "product_id" in first and ("count" in first or "received" in first):
        return "this is a consignment's products without the consignment (GET /consignments/{id}/products)"
    if "purchase_order_delivery_id" in first:
        return "this is a delivery's line items without their purchase order"
    if "purchase_order_id" in first and "received_quantity_total" in first:
        return "this is a purchase order's deliveries without the purchase order"
    if "purchase_order_id" in first and "cost_price" in first:
        return "this is a purchase order's line items without the purchase order"
    if "order_number" in first:
        listed = isinstance(data, list)
        return f"this is {'a list of purchase orders' if listed else 'a purchase order'} without its line items"
    return "the payload is neither a consignment nor a purchase order"


def _data(value: Any, where: str) -> Any:
    return value["data"] if isinstance(value, dict) and "data" in value else value


def _skus(payload: dict[str, Any]) -> dict[str, str]:
    skus = payload.get("skus") or {}
    return {str(k): str(v) for k, v in skus.items()} if isinstance(skus, dict) else {}


def _vendor(record: dict[str, Any], payload: dict[str, Any], where: str) -> VendorRef:
    supplier = text(record.get("supplier_id"))
    if supplier is None:
        raise refuse(
            SYSTEM,
            "no_supplier",
            f"{where} has no supplier_id, so there is no vendor to order from",
            "Choose the supplier on the order in Lightspeed, then publish it again.",
        )
    return VendorRef(source_id=supplier, name=text(payload.get("supplier_name")))


def _cost(value: Any, where: str) -> Decimal:
    if value is None:
        # Without products:read:costs the API sends null: never read as a zero cost.
        raise refuse(SYSTEM, "cost_hidden", f"{where} is null: the token may read orders but not costs", COSTS_SCOPE)
    return non_negative(value, where)


# --- API 2.0 consignments -----------------------------------------------------------------------------------------


def _consignment(payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    consignment = obj(_data(payload["consignment"], "consignment"), "consignment", SYSTEM, BUNDLE)
    kind = consignment.get("type")
    if kind != "SUPPLIER":
        raise refuse(
            SYSTEM,
            "not_a_purchase_order",
            f"consignment {consignment.get('id')} is of type {kind!r}; purchase orders are SUPPLIER "
            "consignments (OUTLET transfers, RETURNs and STOCKTAKEs are not)",
            "Publish SUPPLIER consignments only (filter the list with type=SUPPLIER).",
        )
    consignment_id = str(required(consignment, "id", "consignment"))
    products = _data(payload.get("products"), "products")
    if products is None:
        raise refuse(SYSTEM, "bad_shape", f"consignment {consignment_id} comes without its products", BUNDLE)
    skus = _skus(payload)
    lines = []
    # Product rows have no id and one product may sit on several rows: a row is keyed by its position.
    for i, row in enumerate(many(products, "products", SYSTEM)):
        where = f"products[{i}]"
        received = non_negative(row.get("received") or 0, f"{where}.received")
        # A row without "count" was added while receiving: what arrived is all that was ordered.
        ordered = received if row.get("count") is None else non_negative(row["count"], f"{where}.count")
        product = text(row.get("product_id"))
        lines.append(
            PurchaseOrderLine(
                line_id=str(i + 1),
                sku=text(row.get("product_sku")) or skus.get(product or ""),
                product_id=product,
                title=text(row.get("name")),
                quantity=ordered,
                unit_cost=_cost(row.get("cost"), f"{where}.cost"),
                received=received,
                cancelled=ordered == 0,
            )
        )
    status = _status(str(consignment.get("status")), consignment.get("deleted_at"), tuple(lines))
    reference = text(consignment.get("reference"))
    received_on = day(consignment.get("received_at"), "consignment.received_at")
    receipts: tuple[PurchaseReceipt, ...] = ()
    if status in (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CLOSED) and received_on is not None:
        # A consignment gives cumulative counts and one received_at, no delivery events: its receipt is one event,
        # when it is received, with one id, so that it is billed once. Partial receipts need the 2026 API.
        receipts = (
            PurchaseReceipt(
                receipt_id=f"{consignment_id}/received",
                received_on=received_on,
                lines=tuple(
                    ReceiptLine(line_id=line.line_id, quantity=line.received) for line in lines if line.received
                ),
                supplier_invoice=text(consignment.get("supplier_invoice")),
            ),
        )
    return CanonicalPurchaseOrder(
        system=SYSTEM,
        source_po_id=consignment_id,
        po_number=reference or consignment_id,
        vendor=_vendor(consignment, payload, f"consignment {consignment_id}"),
        vendor_reference=text(consignment.get("supplier_invoice")),
        ordered_on=required_day(
            consignment.get("consignment_date") or consignment.get("created_at"), "consignment.consignment_date", SYSTEM
        ),
        expected_on=day(consignment.get("due_at"), "consignment.due_at"),
        status=status,
        source_status=str(consignment.get("status")),
        ship_to=text(consignment.get("outlet_id")),
        memo=text(consignment.get("name")),
        private_note=f"Lightspeed X-Series consignment {reference or consignment_id} ({consignment_id})",
        lines=tuple(lines),
        receipts=tuple(r for r in receipts if r.lines),
        warnings=() if reference else (f"the consignment has no reference: its id {consignment_id} is its number",),
    )


def _status(value: str, deleted_at: Any, lines: tuple[PurchaseOrderLine, ...]) -> PurchaseOrderStatus:
    """``DISPATCHED`` can mean partly received, and ``RECEIVED`` needs one received line only: quantities decide."""
    if deleted_at or value == "CANCELLED":
        return PurchaseOrderStatus.CANCELLED
    if value in ("OPEN", "DRAFT"):
        return PurchaseOrderStatus.DRAFT  # never sent to the supplier
    active = [line for line in lines if not line.cancelled]
    if value == "RECEIVED":
        short = any(line.received < line.quantity for line in active)
        return PurchaseOrderStatus.CLOSED if short else PurchaseOrderStatus.RECEIVED
    if value in ("SENT", "DISPATCHED"):
        received = any(line.received > 0 for line in active)
        return PurchaseOrderStatus.PARTIALLY_RECEIVED if received else PurchaseOrderStatus.OPEN
    raise refuse(
        SYSTEM,
        "unknown_status",
        f"status is {value!r}; supplier orders are OPEN, SENT, DISPATCHED, RECEIVED or CANCELLED",
        "Publish the order as Lightspeed returns it; if Lightspeed added a status, report it.",
    )


# --- 2026-04 Purchase Order Read API --------------------------------------------------------------------------------


def _purchase_order(payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    order = obj(_data(payload["purchase_order"], "purchase_order"), "purchase_order", SYSTEM, BUNDLE)
    po_id = str(required(order, "id", "purchase_order"))
    number_ = text(order.get("order_number")) or po_id
    items = _data(payload.get("line_items"), "line_items")
    if items is None:
        raise refuse(SYSTEM, "bad_shape", f"purchase order {number_} comes without its line_items", BUNDLE)
    skus = _skus(payload)
    receipts = _deliveries(payload, po_id)
    received: dict[str, Decimal] = defaultdict(Decimal)
    for receipt in receipts:
        for rline in receipt.lines:
            received[rline.line_id] += rline.quantity
    lines = []
    for i, item in enumerate(many(items, "line_items", SYSTEM)):
        where = f"line_items[{i}]"
        line_id = str(required(item, "id", where))
        quantity = non_negative(item.get("quantity") or 0, f"{where}.quantity")
        product = text(item.get("product_id"))
        lines.append(
            PurchaseOrderLine(
                line_id=line_id,
                sku=text(item.get("product_sku")) or skus.get(product or ""),
                product_id=product,
                title=text(item.get("name")),
                quantity=quantity,
                unit_cost=_cost(item.get("cost_price"), f"{where}.cost_price"),
                received=received.get(line_id, ZERO),
                cancelled=quantity == 0,
            )
        )
    known = {line.line_id for line in lines}
    for receipt in receipts:
        for rline in receipt.lines:
            if rline.line_id not in known:
                raise refuse(
                    SYSTEM,
                    "unknown_line",
                    f"delivery {receipt.receipt_id} receives line item {rline.line_id}, which is not on "
                    f"purchase order {number_}",
                    BUNDLE,
                )
    charges = tuple(_charges(order.get("costs"), "costs", ChargeKind.OTHER)) + tuple(
        _charges(order.get("discounts"), "discounts", ChargeKind.DISCOUNT)
    )
    total = optional_number(order.get("cost_price_total"), "purchase_order.cost_price_total")
    return CanonicalPurchaseOrder(
        system=SYSTEM,
        source_po_id=po_id,
        po_number=number_,
        vendor=_vendor(order, payload, f"purchase order {number_}"),
        vendor_reference=text(order.get("supplier_invoice")),
        ordered_on=required_day(
            order.get("ordered_at") or order.get("created_at"), "purchase_order.created_at", SYSTEM
        ),
        expected_on=day(order.get("due_at"), "purchase_order.due_at"),
        status=_status(str(order.get("status")), order.get("deleted_at"), tuple(lines)),
        source_status=str(order.get("status")),
        ship_to=text(order.get("delivery_outlet_id")),
        memo=text(order.get("notes")),
        private_note=f"Lightspeed X-Series purchase order {number_} ({po_id})",
        lines=tuple(lines),
        charges=charges,
        receipts=receipts,
        # cost_price_total is the lines' total: charges and discounts are apart from it.
        source_total=None if total is None else total + sum((c.amount for c in charges), ZERO),
    )


def _charges(value: Any, where: str, kind: ChargeKind) -> list[PurchaseCharge]:
    charges = []
    for i, entry in enumerate(many(value, where, SYSTEM)):
        amount = number(entry.get("amount", entry.get("cost_price")), f"{where}[{i}].amount")
        signed = -abs(amount) if kind is ChargeKind.DISCOUNT else amount
        title = text(entry.get("name")) or text(entry.get("description")) or kind.value.capitalize()
        charges.append(PurchaseCharge(kind=kind, title=title, amount=signed))
    return charges


def _deliveries(payload: dict[str, Any], po_id: str) -> tuple[PurchaseReceipt, ...]:
    """Each received delivery is one receipt event; a draft delivery is not one yet."""
    rows = many(_data(payload.get("delivery_line_items"), "delivery_line_items"), "delivery_line_items", SYSTEM)
    by_delivery: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_delivery[str(row.get("purchase_order_delivery_id"))].append(row)
    receipts = []
    for i, delivery in enumerate(many(_data(payload.get("deliveries"), "deliveries"), "deliveries", SYSTEM)):
        where = f"deliveries[{i}]"
        delivery_id = str(required(delivery, "id", where))
        if str(delivery.get("purchase_order_id", po_id)) != po_id:
            raise refuse(
                SYSTEM,
                "foreign_delivery",
                f"delivery {delivery_id} belongs to purchase order {delivery.get('purchase_order_id')}, not {po_id}",
                BUNDLE,
            )
        received_on = day(delivery.get("received_at"), f"{where}.received_at")
        if delivery.get("status") == "DRAFT" or received_on is None:
            continue
        lines = tuple(
            ReceiptLine(
                line_id=str(required(row, "purchase_order_line_item_id", f"{where} line")),
                quantity=non_negative(row.get("received_quantity") or 0, f"{where} line received_quantity"),
                unit_cost=None if row.get("cost_price") is None else non_negative(row["cost_price"], f"{where} cost"),
            )
            for row in list(delivery.get("line_items") or []) + by_delivery.get(delivery_id, [])
            if number(row.get("received_quantity") or 0, f"{where} line received_quantity")
        )
        invoice = text(delivery.get("supplier_invoice"))
        invoice_date = day(delivery.get("invoice_date"), f"{where}.invoice_date")
        receipts.append(
            PurchaseReceipt(
                receipt_id=delivery_id,
                kind=ReceiptKind.GOODS_AND_INVOICE if invoice and invoice_date else ReceiptKind.GOODS,
                received_on=received_on,
                lines=lines,
                supplier_invoice=invoice,
                invoice_date=invoice_date,
                due_date=day(delivery.get("due_at"), f"{where}.due_at"),
                total=optional_number(delivery.get("cost_price_total"), f"{where}.cost_price_total"),
            )
        )
    return tuple(r for r in receipts if r.lines)
