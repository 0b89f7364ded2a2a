"""``ledgerflow preview``: normalize, plan and number one order without Kafka or posting (O5)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ledgerflow.contracts import (
    LIMITS,
    BooksTarget,
    CanonicalOrder,
    CanonicalPurchaseOrder,
    Channel,
    DocumentAction,
    DocumentType,
    LineKind,
    MatchingPolicy,
    NumberingMode,
    NumberingPolicy,
    PlannedDocument,
    PurchaseOrderSystem,
    ReferenceItem,
    SalesTax,
    TransactionMode,
)
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.ingest.normalizers.edge import check_edge
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order
from ledgerflow.ledger_writer.targets.qbd.mapping import KINDS as DESKTOP_KINDS
from ledgerflow.ledger_writer.targets.qbo.mapping import ENTITIES as ONLINE_ENTITIES
from ledgerflow.numbering.rules import number_limit, order_document_number, order_number_with_sequence
from ledgerflow.planner.connections import ConfigError, load_settings
from ledgerflow.planner.handler import document_key_prefix
from ledgerflow.planner.modes import plan
from ledgerflow.planner.names import fit_names
from ledgerflow.planner.rules import Outcome, Rule, RuleSet, compile_rules, evaluate, load_rule_set, rule_set_problems
from ledgerflow.planner.settings import InvoiceWhen, ItemNames, PlanOptions, RefundMode
from ledgerflow.planner.settings_yaml import read_yaml
from ledgerflow.planner.source_purchase_orders import PurchaseOrderSettings, ReceiptPolicy, plan_purchase_order
from ledgerflow.runtime.errors import StageError

PREVIEW_TENANT = "preview"


class PreviewConnection(BaseModel):
    """The settings a preview honours from ``--connection FILE``."""

    model_config = ConfigDict(extra="forbid")

    connection_id: str = "preview"
    mode: TransactionMode = TransactionMode.INVOICES_WITH_PAYMENTS
    target: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE
    numbering: NumberingPolicy = NumberingPolicy()
    items: ItemNames = ItemNames()
    invoice_when: InvoiceWhen = InvoiceWhen.ORDER
    refunds: RefundMode = RefundMode.NONE
    refund_account: str = "Undeposited Funds"
    rounding_cap: Decimal = Decimal(0)
    creates_purchase_orders: bool = False
    matching: MatchingPolicy = MatchingPolicy()
    rules: list[Rule] = []
    # Purchase orders from the systems that make them (--kind purchase_order).
    vendors: dict[str, str] = {}
    receipt_policy: ReceiptPolicy | None = None
    home_currency: str = "USD"

    def purchase_order_settings(self) -> PurchaseOrderSettings:
        return PurchaseOrderSettings(
            target=self.target,
            receipt_policy=self.receipt_policy,
            vendors=self.vendors,
            home_currency=self.home_currency,
        )

    def options(self) -> PlanOptions:
        return PlanOptions(
            items=self.items,
            invoice_when=self.invoice_when,
            refunds=self.refunds,
            refund_account=self.refund_account,
            rounding_cap=self.rounding_cap,
            creates_purchase_orders=self.creates_purchase_orders,
        )


# What each document is called in the target's books (QuickBooks Online posts a sales order as an estimate).
BOOKS_DOCUMENTS: dict[BooksTarget, dict[DocumentType, str]] = {
    BooksTarget.QUICKBOOKS_ONLINE: {**ONLINE_ENTITIES, DocumentType.BILL: "Bill"},
    BooksTarget.QUICKBOOKS_DESKTOP: {
        **DESKTOP_KINDS,
        DocumentType.BILL: "Bill",
        DocumentType.ITEM_RECEIPT: "ItemReceipt",
    },
}


class PreviewInputError(Exception):
    """The order or the connection file cannot be read; the message is one line."""


@dataclass(frozen=True)
class Preview:
    order: CanonicalOrder
    mode: TransactionMode
    documents: list[dict[str, Any]]
    errors: list[dict[str, str]]
    rules: Outcome | None = None
    target: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE

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
            "target": self.target.value,
            "documents": self.documents,
            "errors": self.errors,
            "canonical": order.model_dump(mode="json"),
            "rules": _rules(self.rules),
        }


def _rules(outcome: Outcome | None) -> dict[str, Any]:
    """The dry run of the rules: which fired, what each changed, and the order before them (``canonical`` is
    the order after them)."""
    if outcome is None:
        return {"fired": [], "not_imported": None, "before": None}
    fired = [
        {"rule": rule.name, "position": rule.index, "changes": [str(change) for change in rule.changes]}
        for rule in outcome.fired
    ]
    before = outcome.before.model_dump(mode="json") if outcome.order is not outcome.before else None
    return {"fired": fired, "not_imported": outcome.effects.skip, "before": before}


def load_connection(path: Path | None) -> PreviewConnection:
    if path is None:
        return PreviewConnection()
    try:
        raw = read_yaml(path) or {}
        connection = PreviewConnection.model_validate(raw)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        if isinstance(exc, ValidationError):
            found = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise PreviewInputError(f"connection file {path} is not valid: {found}") from None
        raise PreviewInputError(f"cannot read connection file {path}: {exc}") from None
    problems = rule_set_problems(RuleSet(tenant=PREVIEW_TENANT, rules=connection.rules))
    if problems:
        raise PreviewInputError(f"connection file {path}: the rules are not valid: {'; '.join(problems)}")
    return connection


def load_rules(path: Path, tenant: str | None = None) -> list[Rule]:
    """Rules from a settings file (``config apply``'s, with ``rules: {tenant: [...]}``) or a plain list of rules."""
    try:
        raw = read_yaml(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise PreviewInputError(f"cannot read rules file {path}: {exc}") from None
    if isinstance(raw, list):
        rule_set, problems = load_rule_set(tenant or PREVIEW_TENANT, raw, prefix="rules file ")
        if rule_set is None:
            raise PreviewInputError(f"rules file {path} is not valid: {'; '.join(problems)}")
        return rule_set.rules
    try:
        rule_sets = load_settings(path).rule_sets
    except ConfigError as exc:
        raise PreviewInputError(f"rules file {path} is not valid: {'; '.join(str(exc).splitlines())}") from None
    chosen = [r for r in rule_sets if tenant is None or r.tenant == tenant]
    if len(chosen) != 1:
        tenants = ", ".join(r.tenant for r in rule_sets) or "none"
        raise PreviewInputError(f"rules file {path}: name one tenant with --tenant (the file has rules for: {tenants})")
    return chosen[0].rules


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
        raw = read_yaml(path) or []
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
    check_edge(order)
    prefix = document_key_prefix(PREVIEW_TENANT, connection.connection_id, channel.value, order.channel_order_id)
    mode = connection.mode
    ruled = evaluate(compile_rules(RuleSet(tenant=PREVIEW_TENANT, rules=connection.rules), 1), order,
                     connection.connection_id)  # fmt: skip
    if ruled.skipped:
        return Preview(ruled.order, mode, [], [], ruled)
    order, connection = ruled.order, connection.model_copy(update=ruled.effects.settings_update(connection))
    try:
        result = ruled.on_plan(plan(order, mode, key_prefix=prefix, options=connection.options(), catalog=catalog))
        documents = [fit_names(doc, connection.target) for doc in result.documents]
        numbers = [_number(order, doc, connection.numbering, connection.target) for doc in documents]
    except StageError as err:
        return Preview(order, mode, [], [{"code": err.detail.code, "message": err.detail.message}], ruled)
    shown = [
        _document(doc, number, connection.target) | {"sales_tax": _sales_tax(doc, connection)}
        for doc, number in zip(documents, numbers, strict=True)
    ]
    problems = [{"code": p.code, "message": p.message} for p in result.problems]
    return Preview(order, mode, shown, problems, ruled, connection.target)


def _number(order: CanonicalOrder, doc: PlannedDocument, policy: NumberingPolicy, target: BooksTarget) -> str | None:
    """The number the document would get; in next-number mode only the books know it, so none."""
    if doc.type is DocumentType.PAYMENT or doc.action is not DocumentAction.CREATE:
        return None
    if policy.mode is NumberingMode.NEXT_NUMBER:
        return None
    base = order_number_with_sequence(order.order_number, doc.sequence)
    prefix = policy.prefix_for(order.channel.value)
    return order_document_number(base, prefix, number_limit(policy, target), policy.too_long)


_TAXED = (DocumentType.INVOICE, DocumentType.SALES_RECEIPT, DocumentType.SALES_ORDER, DocumentType.ESTIMATE,
          DocumentType.CREDIT_MEMO, DocumentType.REFUND_RECEIPT)  # fmt: skip


def _sales_tax(doc: PlannedDocument, connection: PreviewConnection) -> dict[str, Any] | None:
    """How the document's tax reaches QuickBooks Online, and what that does to its total in the books."""
    if connection.target is not BooksTarget.QUICKBOOKS_ONLINE:
        return None
    tax = connection.matching.sales_tax
    if doc.type is DocumentType.PAYMENT:
        if tax is SalesTax.PLAN:
            return None
        return {"mode": tax.value, "note": "pays the invoice's balance as QuickBooks keeps it, its tax included"}
    if doc.type not in _TAXED:
        return None
    order_tax = sum((line.amount for line in doc.lines if line.kind is LineKind.TAX), Decimal(0))
    if tax is SalesTax.PLAN:
        note = "the order's tax is sent as a line; QuickBooks, told to add none of its own, keeps this total"
        return {"mode": tax.value, "order_tax": str(order_tax), "books_total": str(doc.total), "note": note}
    sent = doc.total - order_tax
    return {"mode": tax.value, "order_tax": str(order_tax), "sent_total": str(sent), "books_total": None,
            "note": f"the order's tax line ({order_tax}) is left out; QuickBooks adds its own tax on the lines coded "
            f"TAX, so the books' total is {sent} plus that tax, not {doc.total}"}  # fmt: skip


def _document(doc: PlannedDocument, number: str | None, target: BooksTarget) -> dict[str, Any]:
    return {
        "type": doc.type.value,
        "action": doc.action.value,
        "books_document": BOOKS_DOCUMENTS[target].get(doc.type, doc.type.value),
        "number": number,
        "vendor": doc.vendor_name,
        "date": doc.txn_date.isoformat(),
        "customer": doc.customer_name,
        "currency": doc.currency,
        "total": str(doc.total),
        "memo": doc.memo,
        "applies_to": [key.rsplit("/", 1)[-1] for key in doc.applies_to],
        "class": doc.class_name,
        "location": doc.location,
        "deposit_account": doc.deposit_account,
        "receivable_account": doc.receivable_account,
        "lines": [
            {
                "kind": line.kind.value,
                "item": line.item_name,
                "description": line.description,
                "quantity": _plain(line.quantity),
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
                "class": line.class_name,
                "tax_code": line.tax_code,
            }
            for line in doc.lines
        ],
        "rules": [{"rule": applied.rule, "changes": list(applied.changes)} for applied in doc.applied_rules],
    }


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


@dataclass(frozen=True)
class PurchaseOrderPreview:
    purchase_order: CanonicalPurchaseOrder
    target: BooksTarget
    policy: ReceiptPolicy
    documents: list[dict[str, Any]]
    errors: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        po = self.purchase_order
        return {
            "purchase_order": {
                "system": po.system.value,
                "id": po.source_po_id,
                "number": po.po_number,
                "vendor": po.vendor.label,
                "date": po.ordered_on.isoformat(),
                "currency": po.currency,
                "status": po.status.value,
                "warnings": list(po.warnings),
            },
            "target": self.target.value,
            "receipt_policy": self.policy.value,
            "documents": self.documents,
            "errors": self.errors,
            "canonical": po.model_dump(mode="json"),
        }


def preview_purchase_order(
    system: PurchaseOrderSystem, payload: dict[str, Any], connection: PreviewConnection
) -> PurchaseOrderPreview:
    """Raises ``StageError`` when the purchase order cannot be normalized; what stops it in the books is listed."""
    po = normalize_purchase_order(system, payload)
    settings = connection.purchase_order_settings()
    prefix = document_key_prefix(PREVIEW_TENANT, connection.connection_id, system.value, po.source_po_id)
    result = plan_purchase_order(po, settings, prefix)
    policy = connection.numbering
    try:
        shown = [
            _document(
                fit_names(doc, connection.target),
                _purchase_order_number(po, doc, policy, connection.target),
                connection.target,
            )
            for doc in result.documents
        ]
    except StageError as err:
        return PurchaseOrderPreview(
            po, connection.target, settings.policy, [], [{"code": err.detail.code, "message": err.detail.message}]
        )
    problems = [{"code": p.code, "message": p.message} for p in result.problems]
    return PurchaseOrderPreview(po, connection.target, settings.policy, shown, problems)


def _purchase_order_number(
    po: CanonicalPurchaseOrder, doc: PlannedDocument, policy: NumberingPolicy, target: BooksTarget
) -> str | None:
    """The purchase order takes the system's number, a bill the supplier's invoice number, each fitted to the books
    (the full numbers stay in the memo)."""
    if doc.type is DocumentType.BILL:
        # The supplier's invoice number, within what the books take for a bill.
        return None if doc.doc_number is None else order_document_number(doc.doc_number, "", LIMITS[target].bill_number)
    if doc.type is not DocumentType.PURCHASE_ORDER or doc.action is not DocumentAction.CREATE:
        return None
    if policy.mode is NumberingMode.NEXT_NUMBER:
        return None
    return order_document_number(
        po.po_number, policy.prefix_for(po.system.value), number_limit(policy, target), policy.too_long
    )
