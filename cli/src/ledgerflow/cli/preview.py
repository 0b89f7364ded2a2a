"""``ledgerflow preview``: normalize, plan and number one order without Kafka or posting (O5)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ledgerflow.contracts import (
    CanonicalOrder,
    Channel,
    DocumentAction,
    DocumentType,
    NumberingMode,
    NumberingPolicy,
    PlannedDocument,
    ReferenceItem,
    TransactionMode,
)
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.numbering.rules import order_document_number, order_number_with_sequence
from ledgerflow.planner.handler import document_key_prefix
from ledgerflow.planner.modes import plan
from ledgerflow.planner.settings import InvoiceWhen, ItemNames, PlanOptions, RefundMode
from ledgerflow.runtime.errors import StageError

PREVIEW_TENANT = "preview"


class PreviewConnection(BaseModel):
    """The settings a preview honours from ``--connection FILE``."""

    model_config = ConfigDict(extra="forbid")

    connection_id: str = "preview"
    mode: TransactionMode = TransactionMode.INVOICES_WITH_PAYMENTS
    numbering: NumberingPolicy = NumberingPolicy()
    items: ItemNames = ItemNames()
    invoice_when: InvoiceWhen = InvoiceWhen.ORDER
    refunds: RefundMode = RefundMode.NONE
    refund_account: str = "Undeposited Funds"
    rounding_cap: Decimal = Decimal(0)
    creates_purchase_orders: bool = False

    def options(self) -> PlanOptions:
        return PlanOptions(
            items=self.items,
            invoice_when=self.invoice_when,
            refunds=self.refunds,
            refund_account=self.refund_account,
            rounding_cap=self.rounding_cap,
            creates_purchase_orders=self.creates_purchase_orders,
        )


class PreviewInputError(Exception):
    """The order or the connection file cannot be read; the message is one line."""


@dataclass(frozen=True)
class Preview:
    order: CanonicalOrder
    mode: TransactionMode
    documents: list[dict[str, Any]]
    errors: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        order = self.order
        return {
            "order": {
                "channel": order.channel.value,
                "id": order.channel_order_id,
                "number": order.order_number,
                "date": order.ordered_at.isoformat(),
                "currency": order.currency,
                "total": str(order.channel_total),
                "tax": str(order.total_tax),
                "paid": str(order.amount_paid),
                "payment_state": order.payment_state.value,
                "fulfillment_state": order.fulfillment_state.value,
                "customer": order.customer.display_name if order.customer else None,
            },
            "mode": self.mode.value,
            "documents": self.documents,
            "errors": self.errors,
            "canonical": order.model_dump(mode="json"),
        }


def load_connection(path: Path | None) -> PreviewConnection:
    if path is None:
        return PreviewConnection()
    try:
        raw = yaml.safe_load(path.read_text()) or {}
        return PreviewConnection.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise PreviewInputError(f"cannot read connection file {path}: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PreviewInputError(f"connection file {path} is not valid: {problems}") from None


def load_payload(path: Path) -> dict[str, Any]:
    import json

    try:
        payload = json.loads(path.read_text())
    except OSError as exc:
        raise PreviewInputError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise PreviewInputError(f"{path} is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PreviewInputError(f"{path} holds a JSON {type(payload).__name__}, not an order object")
    return payload


def load_items(path: Path) -> dict[str, ReferenceItem]:
    """Items as the books hold them (name, sku, vendor_name, purchase_cost), for purchase orders."""
    try:
        raw = yaml.safe_load(path.read_text()) or []
        items = [ReferenceItem.model_validate(entry) for entry in raw]
    except (OSError, yaml.YAMLError) as exc:
        raise PreviewInputError(f"cannot read items file {path}: {exc}") from None
    except (ValidationError, TypeError) as exc:
        raise PreviewInputError(f"items file {path} is not a list of items: {exc}") from None
    catalog = {item.name: item for item in items}
    catalog.update({item.sku: item for item in items if item.sku and item.sku not in catalog})
    return catalog


def preview(
    channel: Channel,
    payload: dict[str, Any],
    connection: PreviewConnection,
    catalog: dict[str, ReferenceItem] | None = None,
) -> Preview:
    """Raises ``StageError`` when the order cannot be normalized; planning problems are listed instead."""
    order = normalize(channel, payload)
    prefix = document_key_prefix(PREVIEW_TENANT, connection.connection_id, channel.value, order.channel_order_id)
    mode = connection.mode
    try:
        result = plan(order, mode, key_prefix=prefix, options=connection.options(), catalog=catalog)
        numbers = [_number(order, doc, connection.numbering) for doc in result.documents]
    except StageError as err:
        return Preview(order, mode, [], [{"code": err.detail.code, "message": err.detail.message}])
    documents = [_document(doc, number) for doc, number in zip(result.documents, numbers, strict=True)]
    problems = [{"code": p.code, "message": p.message} for p in result.problems]
    return Preview(order, mode, documents, problems)


def _number(order: CanonicalOrder, doc: PlannedDocument, policy: NumberingPolicy) -> str | None:
    """The number the document would get; in next-number mode only the books know it, so none."""
    if doc.type is DocumentType.PAYMENT or doc.action is not DocumentAction.CREATE:
        return None
    if policy.mode is NumberingMode.NEXT_NUMBER:
        return None
    base = order_number_with_sequence(order.order_number, doc.sequence)
    return order_document_number(base, policy.prefix_for(order.channel.value), policy.max_length)


def _document(doc: PlannedDocument, number: str | None) -> dict[str, Any]:
    return {
        "type": doc.type.value,
        "number": number,
        "vendor": doc.vendor_name,
        "date": doc.txn_date.isoformat(),
        "customer": doc.customer_name,
        "currency": doc.currency,
        "total": str(doc.total),
        "memo": doc.memo,
        "applies_to": [key.rsplit("/", 1)[-1] for key in doc.applies_to],
        "lines": [
            {
                "kind": line.kind.value,
                "item": line.item_name,
                "description": line.description,
                "quantity": _plain(line.quantity),
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in doc.lines
        ],
    }


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
