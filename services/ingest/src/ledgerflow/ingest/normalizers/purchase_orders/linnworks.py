"""Linnworks: the response of ``PurchaseOrder/Get_PurchaseOrder`` (header, items, additional costs, delivered
records), optionally with ``Supplier`` (the row of ``Inventory/GetSuppliers``) for the vendor's name."""

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
    optional_obj,
    refuse,
    required,
    required_day,
    text,
    unit,
)

SYSTEM = PurchaseOrderSystem.LINNWORKS
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
# The vendor reference pages render the enum by position; the spec and client code use the names.
STATUSES = ("PENDING", "OPEN", "PARTIAL", "DELIVERED")
TAX_EXCLUSIVE, TAX_INCLUSIVE, NO_TAX = 0, 1, 2
# Σ line costs against TotalCost: Linnworks rounds each line to the penny.
TOLERANCE_PER_LINE = Decimal("0.01")
FIX = "Publish the response of PurchaseOrder/Get_PurchaseOrder for one purchase order, as Linnworks returns it."


def normalize(payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    if "Result" in payload and "PurchaseOrderHeader" not in payload:
        raise refuse(
            SYSTEM,
            "headers_only",
            "this is a Search_PurchaseOrders2 result: it holds purchase order headers without their items",
            "For each pkPurchaseID in the result, call PurchaseOrder/Get_PurchaseOrder and publish that response.",
        )
    header = obj(payload.get("PurchaseOrderHeader"), "PurchaseOrderHeader", SYSTEM, FIX)
    po_id = str(required(header, "pkPurchaseID", "PurchaseOrderHeader"))
    number_ = text(header.get("ExternalInvoiceNumber"))
    if number_ is None:
        raise refuse(
            SYSTEM,
            "missing_number",
            f"purchase order {po_id} has no ExternalInvoiceNumber (its purchase order reference), so it "
            "has no number for the books",
            "Give the purchase order a reference in Linnworks and publish it again.",
        )
    tax_type = _tax_type(header.get("UnitAmountTaxIncludedType", TAX_EXCLUSIVE))
    items = many(payload.get("PurchaseOrderItem"), "PurchaseOrderItem", SYSTEM)
    charges = tuple(
        _charge(c, i, header) for i, c in enumerate(many(payload.get("AdditionalCosts"), "AdditionalCosts", SYSTEM))
    )
    lines = _lines(items, header, charges, tax_type, number_)
    receipts = _receipts(many(payload.get("DeliveredRecords"), "DeliveredRecords", SYSTEM), lines)
    status = _status(header.get("Status"), lines)
    supplier = optional_obj(payload.get("Supplier"))
    supplier_id = str(header.get("fkSupplierId") or EMPTY_GUID)
    location = text(header.get("fkLocationId"))
    total_cost = number(header.get("TotalCost", 0), "PurchaseOrderHeader.TotalCost")
    tax = sum((line.tax for line in lines), ZERO) + sum((c.tax for c in charges), ZERO)
    rate = number(header.get("ConversionRate") or 0, "PurchaseOrderHeader.ConversionRate")
    return CanonicalPurchaseOrder(
        system=SYSTEM,
        source_po_id=po_id,
        po_number=number_,
        # An empty GUID is the account's default supplier: the vendor map takes "default" for it.
        vendor=VendorRef(
            source_id="default" if supplier_id == EMPTY_GUID else supplier_id, name=text(supplier.get("SupplierName"))
        ),
        vendor_reference=text(header.get("SupplierReferenceNumber")),
        ordered_on=required_day(header.get("DateOfPurchase"), "PurchaseOrderHeader.DateOfPurchase", SYSTEM),
        # DateOfDelivery is not read: it equals DateOfPurchase until the order is fully delivered.
        expected_on=day(header.get("QuotedDeliveryDate"), "PurchaseOrderHeader.QuotedDeliveryDate"),
        currency=text(header.get("Currency")),
        exchange_rate=rate if rate > 0 else None,
        status=status,
        source_status=str(header.get("Status")),
        ship_to=None if location in (None, EMPTY_GUID) else location,
        private_note=f"Linnworks purchase order {number_} ({po_id})",
        lines=lines,
        charges=charges,
        receipts=receipts,
        source_total=total_cost - tax if total_cost else None,
    )


def _tax_type(value: Any) -> int:
    names = {"TaxExclusive": TAX_EXCLUSIVE, "TaxInclusive": TAX_INCLUSIVE, "NoTax": NO_TAX}
    if isinstance(value, str) and value in names:
        return names[value]
    if value in (0, 1, 2) and not isinstance(value, bool):
        return int(value)
    raise refuse(SYSTEM, "bad_field", f"UnitAmountTaxIncludedType is {value!r}, not 0, 1 or 2", FIX)


def _lines(
    items: list[dict[str, Any]], header: dict[str, Any], charges: tuple[PurchaseCharge, ...], tax_type: int, po: str
) -> tuple[PurchaseOrderLine, ...]:
    """``Cost`` is the line total including tax by the spec, a unit cost in some integrations: the header's
    ``TotalCost`` says which this order uses."""
    rows = []
    for i, item in enumerate(items):
        where = f"PurchaseOrderItem[{i}]"
        quantity = non_negative(item.get("Quantity", 0), f"{where}.Quantity")
        cost = non_negative(item.get("Cost", 0), f"{where}.Cost")
        tax = ZERO if tax_type == NO_TAX else non_negative(item.get("Tax") or 0, f"{where}.Tax")
        rows.append((item, where, quantity, cost, tax))
    extra = sum((c.amount + c.tax for c in charges), ZERO)
    as_totals = sum((cost for _, _, _, cost, _ in rows), ZERO) + extra
    as_units = sum((q * c + (ZERO if tax_type == TAX_INCLUSIVE else t) for _, _, q, c, t in rows), ZERO) + extra
    total = number(header.get("TotalCost", 0), "PurchaseOrderHeader.TotalCost")
    tolerance = TOLERANCE_PER_LINE * (len(rows) + 1)
    if not total or abs(as_totals - total) <= tolerance:
        unit_costs = False
    elif abs(as_units - total) <= tolerance:
        unit_costs = True
    else:
        raise refuse(
            SYSTEM,
            "unbalanced",
            f"purchase order {po}: TotalCost is {total}, but its items add up to {as_totals} when Cost is "
            f"read as each line's total (as Linnworks documents it) and to {as_units} when read as a unit "
            "cost",
            "Check the purchase order's items and additional costs in Linnworks (an edit that did not "
            "recalculate the total), then publish it again.",
        )
    lines = []
    for item, where, quantity, cost, tax in rows:
        if unit_costs:
            gross = quantity * cost
            net_line = gross - tax if tax_type == TAX_INCLUSIVE else gross
        else:
            net_line = cost - tax
        if net_line < 0:
            raise refuse(SYSTEM, "bad_field", f"{where}: its tax {tax} exceeds its cost {cost}", FIX)
        lines.append(
            PurchaseOrderLine(
                line_id=str(required(item, "pkPurchaseItemId", where)),
                sku=text(item.get("SKU")),
                product_id=text(item.get("fkStockItemId")),
                title=text(item.get("ItemTitle")),
                quantity=quantity,
                unit_cost=unit(net_line / quantity) if quantity else ZERO,
                tax=tax,
                tax_rate=number(item.get("TaxRate") or 0, f"{where}.TaxRate") if tax else None,
                received=non_negative(item.get("Delivered") or 0, f"{where}.Delivered"),
                # IsDeleted means the stock item left the inventory, not that the line was cancelled.
                cancelled=quantity == 0,
            )
        )
    return tuple(lines)


def _charge(cost: dict[str, Any], index: int, header: dict[str, Any]) -> PurchaseCharge:
    where = f"AdditionalCosts[{index}]"
    currency, own = text(header.get("Currency")), text(cost.get("Currency"))
    if own and currency and own.upper() != currency.upper():
        raise refuse(
            SYSTEM,
            "mixed_currencies",
            f"{where} is in {own}, the purchase order in {currency}",
            "Enter the additional cost in the purchase order's currency in Linnworks, then publish the "
            "purchase order again.",
        )
    amount = number(cost.get("SubTotalLineCost", 0), f"{where}.SubTotalLineCost")
    shipping = cost.get("AdditionalCostTypeIsShippingType") is True
    kind = ChargeKind.SHIPPING if shipping else (ChargeKind.DISCOUNT if amount < 0 else ChargeKind.OTHER)
    title = text(cost.get("AdditionalCostTypeName")) or ("Shipping" if shipping else "Additional cost")
    return PurchaseCharge(kind=kind, title=title, amount=amount, tax=number(cost.get("Tax") or 0, f"{where}.Tax"))


def _receipts(records: list[dict[str, Any]], lines: tuple[PurchaseOrderLine, ...]) -> tuple[PurchaseReceipt, ...]:
    """One delivery (``fkDeliveryId``) is one receipt event, whatever number of rows it has."""
    known = {line.line_id for line in lines}
    grouped: dict[str, list[tuple[dict[str, Any], str]]] = defaultdict(list)
    for i, record in enumerate(records):
        where = f"DeliveredRecords[{i}]"
        if not number(record.get("DeliveredQuantity") or 0, f"{where}.DeliveredQuantity"):
            continue
        line_id = str(required(record, "fkPurchaseItemId", where))
        if line_id not in known:
            raise refuse(
                SYSTEM,
                "unknown_line",
                f"{where} delivers against item {line_id}, which is not on the purchase order",
                FIX,
            )
        grouped[str(required(record, "fkDeliveryId", where))].append((record, where))
    receipts = []
    for delivery, rows in grouped.items():
        dates = [day(r.get("CreatedDateTime"), f"{w}.CreatedDateTime") for r, w in rows]
        dated = [d for d in dates if d is not None]
        if not dated:
            raise refuse(SYSTEM, "missing_date", f"delivery {delivery} has no CreatedDateTime", FIX)
        receipts.append(
            PurchaseReceipt(
                receipt_id=delivery,
                received_on=min(dated),
                lines=tuple(
                    ReceiptLine(
                        line_id=str(r["fkPurchaseItemId"]),
                        quantity=number(r["DeliveredQuantity"], f"{w}.DeliveredQuantity"),
                        unit_cost=non_negative(r["UnitCost"], f"{w}.UnitCost") if r.get("UnitCost") else None,
                    )
                    for r, w in rows
                ),
            )
        )
    return tuple(receipts)


def _status(value: Any, lines: tuple[PurchaseOrderLine, ...]) -> PurchaseOrderStatus:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(STATUSES):
        value = STATUSES[value]
    if value not in STATUSES:
        raise refuse(
            SYSTEM,
            "unknown_status",
            f"Status is {value!r}; Linnworks purchase orders are PENDING, OPEN, PARTIAL or DELIVERED (0 to 3)",
            FIX,
        )
    active = [line for line in lines if not line.cancelled]
    if value == "PENDING":
        return PurchaseOrderStatus.DRAFT
    if value == "DELIVERED":
        # A PO can be moved to DELIVERED by hand: only the quantities say whether every line arrived.
        short = any(line.received < line.quantity for line in active)
        return PurchaseOrderStatus.CLOSED if short else PurchaseOrderStatus.RECEIVED
    received = any(line.received > 0 for line in active)
    return PurchaseOrderStatus.PARTIALLY_RECEIVED if received else PurchaseOrderStatus.OPEN
