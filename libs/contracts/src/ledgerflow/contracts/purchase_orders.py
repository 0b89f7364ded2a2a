"""The canonical purchase order: one shape for the purchase orders of every system that makes its own.

Erply, Lightspeed (X-Series and R-Series), Linnworks and SKU Vault raise purchase orders themselves; ledgerflow reads
them instead of deriving one per sale (mission M6). Amounts are net of tax and in ``currency`` (the books' home
currency when the source names none), and quantities are Decimal because some systems order by measure.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledgerflow.contracts.envelope import ConnectionId, MessageMeta
from ledgerflow.contracts.money import CurrencyCode

ZERO = Decimal(0)


class PurchaseOrderSystem(StrEnum):
    """The ordering and inventory systems whose own purchase orders ledgerflow reads."""

    LIGHTSPEED_X = "lightspeed_x"  # Lightspeed Retail X-Series (formerly Vend)
    LIGHTSPEED_R = "lightspeed_r"  # Lightspeed Retail R-Series
    LINNWORKS = "linnworks"
    SKUVAULT = "skuvault"
    ERPLY = "erply"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    PurchaseOrderSystem.LIGHTSPEED_X: "Lightspeed X-Series",
    PurchaseOrderSystem.LIGHTSPEED_R: "Lightspeed R-Series",
    PurchaseOrderSystem.LINNWORKS: "Linnworks",
    PurchaseOrderSystem.SKUVAULT: "SKU Vault",
    PurchaseOrderSystem.ERPLY: "Erply",
}


class PurchaseOrderStatus(StrEnum):
    """Where the order stands with the vendor, read from the source's own status and its quantities.

    ``draft`` never reaches the books. ``closed`` is a short-close: the source ended the order with lines still
    short, so the books close the purchase order and never bill the remainder.
    """

    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CLOSED, PurchaseOrderStatus.CANCELLED)


class ReceiptKind(StrEnum):
    """What a receipt event is in the source: goods only, goods with the supplier's invoice, or the invoice alone
    for goods that came earlier (Erply's waybill, then its invoice)."""

    GOODS = "goods"
    GOODS_AND_INVOICE = "goods_and_invoice"
    INVOICE_ONLY = "invoice_only"


class ChargeKind(StrEnum):
    SHIPPING = "shipping"
    OTHER = "other"
    DISCOUNT = "discount"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VendorRef(_Part):
    """The supplier as the source names it: by id, by name, or both (SKU Vault knows names only)."""

    source_id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _named_somehow(self) -> VendorRef:
        if not self.source_id and not self.name:
            raise ValueError("a vendor needs the source's id or its name")
        return self

    @property
    def label(self) -> str:
        if self.name and self.source_id:
            return f"{self.name} ({self.source_id})"
        return self.name or self.source_id or ""


class PurchaseOrderLine(_Part):
    """A line of the order. ``line_id`` is the source's line key (or its position where the source has none);
    the SKU is a lookup value and never a key, because one SKU can sit on several lines."""

    line_id: str
    sku: str | None = Field(default=None, description="None when the source names the product by id only.")
    product_id: str | None = Field(default=None, description="The source's own product id.")
    title: str | None = None
    quantity: Decimal = Field(ge=0, description="Ordered; 0 for a line removed from the order.")
    unit_cost: Decimal = Field(ge=0, description="Net of tax and discount, in the order's currency.")
    tax: Decimal = Field(default=ZERO, ge=0, description="Tax on the line, total (informational: POs post net).")
    tax_rate: Decimal | None = Field(default=None, description="Percent, 20 = 20 %.")
    received: Decimal = Field(default=ZERO, ge=0, description="Received so far, cumulative; may exceed quantity.")
    cancelled: bool = Field(default=False, description="Removed or cancelled: not posted, never received.")

    @property
    def open_quantity(self) -> Decimal:
        return ZERO if self.cancelled else max(self.quantity - self.received, ZERO)

    @property
    def over_received(self) -> bool:
        return self.received > self.quantity


class PurchaseCharge(_Part):
    """Freight, duty or other charges on the order (or a discount, as a negative amount), net of tax."""

    kind: ChargeKind
    title: str
    amount: Decimal
    tax: Decimal = ZERO


class ReceiptLine(_Part):
    line_id: str = Field(description="The purchase order line received against.")
    quantity: Decimal = Field(description="Received in this event; negative for a correction that takes back.")
    unit_cost: Decimal | None = Field(default=None, description="The receipt's own cost, when it has one.")


class PurchaseReceipt(_Part):
    """One receipt event with a stable id (delivery, shipment, invoice), so a replay never posts a second bill."""

    receipt_id: str
    kind: ReceiptKind = ReceiptKind.GOODS
    received_on: date
    lines: tuple[ReceiptLine, ...]
    supplier_invoice: str | None = Field(default=None, description="The supplier's invoice number, when known.")
    invoice_date: date | None = None
    due_date: date | None = None
    total: Decimal | None = Field(default=None, description="The source's own total of the receipt, when it has one.")
    links_to: str | None = Field(
        default=None, description="An invoice for goods received earlier: the receipt id of those goods."
    )


class CanonicalPurchaseOrder(BaseModel):
    """A source system's purchase order in ledgerflow's own terms."""

    model_config = ConfigDict(extra="forbid")

    system: PurchaseOrderSystem
    source_po_id: str = Field(description="The source's id of the order: the idempotency key.")
    po_number: str = Field(description="The number a person sees; the document number in the books.")
    vendor: VendorRef
    vendor_reference: str | None = Field(default=None, description="The supplier's own reference for the order.")
    ordered_on: date = Field(description="The date the order was placed (the books' transaction date).")
    expected_on: date | None = Field(default=None, description="When the goods are due (the books' due date).")
    currency: CurrencyCode | None = Field(
        default=None, description="None: the source names no currency, so the books' home currency applies."
    )
    exchange_rate: Decimal | None = Field(
        default=None, gt=0, description="Home-currency units per one unit of ``currency``."
    )
    status: PurchaseOrderStatus
    source_status: str = Field(description="The source's own status, verbatim, for the memo and for support.")
    ship_to: str | None = None
    memo: str | None = Field(default=None, description="Printed for the vendor.")
    private_note: str | None = Field(default=None, description="Internal; the source and its id are added to it.")
    lines: tuple[PurchaseOrderLine, ...]
    charges: tuple[PurchaseCharge, ...] = ()
    receipts: tuple[PurchaseReceipt, ...] = Field(
        default=(),
        description="Dated receipt events, where the source has them; otherwise the lines' cumulative ``received``.",
    )
    source_total: Decimal | None = Field(default=None, description="The source's own net total, for the check.")
    warnings: tuple[str, ...] = Field(default=(), description="What the bookkeeper should look at (zero costs).")

    @model_validator(mode="after")
    def _receipts_name_lines(self) -> CanonicalPurchaseOrder:
        known = {line.line_id for line in self.lines}
        if len(known) != len(self.lines):
            raise ValueError("purchase order lines need distinct line ids")
        for receipt in self.receipts:
            for line in receipt.lines:
                if line.line_id not in known:
                    raise ValueError(f"receipt {receipt.receipt_id} names line {line.line_id}, not on the order")
        return self

    @property
    def active_lines(self) -> tuple[PurchaseOrderLine, ...]:
        return tuple(line for line in self.lines if not line.cancelled)

    @property
    def short_closed(self) -> bool:
        return self.status is PurchaseOrderStatus.CLOSED

    def line(self, line_id: str) -> PurchaseOrderLine:
        return next(line for line in self.lines if line.line_id == line_id)

    def net_total(self) -> Decimal:
        """Lines (quantity x net unit cost) and charges, unrounded."""
        lines = sum((line.quantity * line.unit_cost for line in self.active_lines), ZERO)
        return lines + sum((charge.amount for charge in self.charges), ZERO)


class RawPurchaseOrderEnvelope(BaseModel):
    """A source system's purchase order exactly as its API returned it (the parts of one order bundled), with who it
    belongs to. The shape of ``payload`` per system is in docs/purchase-orders.md."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["raw_purchase_order"] = "raw_purchase_order"
    meta: MessageMeta
    connection_id: ConnectionId
    system: PurchaseOrderSystem
    source: Literal["publish", "webhook", "poller", "replay"] = "publish"
    payload: dict[str, Any] = Field(description="The system's own JSON, untouched.")


class PurchaseOrderNormalized(BaseModel):
    """A version of a canonical purchase order; later versions of the same order carry higher numbers."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["purchase_order_normalized"] = "purchase_order_normalized"
    meta: MessageMeta
    connection_id: str
    po_version: int = Field(ge=1)
    content_hash: str
    purchase_order: CanonicalPurchaseOrder
