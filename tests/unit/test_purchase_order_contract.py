"""The canonical purchase order: a versioned message like the canonical order, money as Decimal, ids that hold."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ledgerflow.contracts import (
    MESSAGE_MODELS,
    CanonicalPurchaseOrder,
    MessageMeta,
    PurchaseOrderLine,
    PurchaseOrderNormalized,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    PurchaseReceipt,
    RawPurchaseOrderEnvelope,
    ReceiptLine,
    Topic,
    VendorRef,
)


def _po(**changes: object) -> CanonicalPurchaseOrder:
    fields: dict[str, object] = {
        "system": PurchaseOrderSystem.LINNWORKS,
        "source_po_id": "3f1c2b9a",
        "po_number": "PO-2041",
        "vendor": VendorRef(source_id="b7e2"),
        "ordered_on": date(2026, 11, 2),
        "currency": "gbp",
        "status": PurchaseOrderStatus.PARTIALLY_RECEIVED,
        "source_status": "PARTIAL",
        "lines": (
            PurchaseOrderLine(
                line_id="a1", sku="MUG", quantity=Decimal(24), unit_cost=Decimal("3.5"), received=Decimal(30)
            ),
            PurchaseOrderLine(line_id="a2", sku="MUG", quantity=Decimal(12), unit_cost=Decimal("3.25")),
        ),
        "receipts": (
            PurchaseReceipt(
                receipt_id="501",
                received_on=date(2026, 11, 10),
                lines=(ReceiptLine(line_id="a1", quantity=Decimal(30)),),
            ),
        ),
    }
    fields.update(changes)
    return CanonicalPurchaseOrder.model_validate(fields)


def test_round_trips_through_json_with_decimal_money_as_text() -> None:
    message = PurchaseOrderNormalized(
        meta=MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4()),
        connection_id="acme-linnworks",
        po_version=1,
        content_hash="x",
        purchase_order=_po(),
    )
    body = message.model_dump_json()
    assert json.loads(body)["purchase_order"]["lines"][1]["unit_cost"] == "3.25"
    again = PurchaseOrderNormalized.model_validate_json(body)
    assert again == message and isinstance(again.purchase_order.lines[0].unit_cost, Decimal)
    assert again.meta.schema_version == 1 and again.purchase_order.currency == "GBP"


def test_over_receipt_and_open_quantity() -> None:
    over, short = _po().lines
    assert over.over_received and over.open_quantity == 0
    assert short.open_quantity == 12
    assert _po().net_total() == Decimal("123.00")


def test_a_receipt_naming_a_line_not_on_the_order_is_refused() -> None:
    with pytest.raises(ValidationError, match="names line zz"):
        _po(
            receipts=(
                PurchaseReceipt(
                    receipt_id="9",
                    received_on=date(2026, 11, 10),
                    lines=(ReceiptLine(line_id="zz", quantity=Decimal(1)),),
                ),
            )
        )


def test_lines_need_distinct_ids_even_with_the_same_sku() -> None:
    line = PurchaseOrderLine(line_id="a1", sku="MUG", quantity=Decimal(1), unit_cost=Decimal(1))
    with pytest.raises(ValidationError, match="distinct line ids"):
        _po(lines=(line, line), receipts=())


def test_a_vendor_is_named_by_id_or_by_name() -> None:
    assert VendorRef(name="Northwind").label == "Northwind"
    with pytest.raises(ValidationError, match="id or its name"):
        VendorRef()


def test_terminal_states() -> None:
    assert {s for s in PurchaseOrderStatus if s.terminal} == {
        PurchaseOrderStatus.RECEIVED,
        PurchaseOrderStatus.CLOSED,
        PurchaseOrderStatus.CANCELLED,
    }


def test_registered_with_the_other_messages_on_topics_of_their_own() -> None:
    assert MESSAGE_MODELS["raw_purchase_order_envelope"] is RawPurchaseOrderEnvelope
    assert MESSAGE_MODELS["purchase_order_normalized"] is PurchaseOrderNormalized
    assert (Topic.RAW_PURCHASE_ORDERS.value, Topic.NORMALIZED_PURCHASE_ORDERS.value) == (
        "purchase_orders.raw",
        "purchase_orders.normalized",
    )
