"""How a later version, a ledger event or a resync moves an order forward (L1-L3): never a document twice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledgerflow.contracts import (
    DocumentAction,
    DocumentType,
    ErrorDetail,
    PlannedDocument,
    TransactionMode,
)
from ledgerflow.planner.state import KnownDocument, fingerprint

_SALES_ORDER_TYPES = (DocumentType.SALES_ORDER, DocumentType.ESTIMATE)


@dataclass(frozen=True)
class Progress:
    """What this version adds to the order's documents, and what it would change in posted ones."""

    new: tuple[PlannedDocument, ...]
    unchanged: tuple[PlannedDocument, ...]
    changes: tuple[str, ...]


def progress(desired: Sequence[PlannedDocument], known: Mapping[str, KnownDocument]) -> Progress:
    new, unchanged, changes = [], [], []
    for doc in desired:
        before = known.get(doc.key)
        if before is None or before.status == "failed":
            new.append(doc)
        elif doc.type is not DocumentType.PAYMENT and before.fingerprint != fingerprint(doc):
            changes.append(
                f"the {doc.type.value.replace('_', ' ')} would now total {doc.total} (was {before.total})"
                if doc.total != before.total
                else f"the {doc.type.value.replace('_', ' ')}'s lines or customer changed"
            )
        else:
            unchanged.append(doc)
    return Progress(tuple(new), tuple(unchanged), tuple(changes))


def changed_after_posting(order_number: str, changes: Sequence[str]) -> ErrorDetail:
    return ErrorDetail(
        code="order.changed_after_posting",
        message=f"order {order_number} was edited in the channel after its documents were planned: "
        + "; ".join(changes)
        + ". The documents in QuickBooks were left as they are.",
        fix="Edit the document in QuickBooks to match, or delete the order's documents there and run "
        f"`ledgerflow resync --order {order_number} --delete`.",
    )


def choose_mode(
    stored: TransactionMode | None,
    configured: TransactionMode,
    known: Mapping[str, KnownDocument],
    *,
    resync: bool,
) -> TransactionMode:
    """An order keeps the mode it was first planned in: an unpaid order invoiced under paid/unpaid routing
    that is paid later gets its payment, not a sales receipt as well. A resync takes the connection's
    current mode (the seed's "change your mode, then resync") unless the order's posting document differs."""
    if stored is None:
        return configured
    if not resync:
        return stored
    created = {k.type for k in known.values() if k.action is DocumentAction.CREATE and k.status != "failed"}
    receipt_wanted = configured is TransactionMode.SALES_RECEIPTS
    if (DocumentType.INVOICE in created and receipt_wanted) or (
        DocumentType.SALES_RECEIPT in created and not receipt_wanted
    ):
        return stored
    return configured


def completes_something(invoice_key: str, known: Mapping[str, KnownDocument]) -> bool:
    """Whether a posted document is an invoice that sales orders wait on (so ``completion`` may have work)."""
    invoice = known.get(invoice_key)
    if invoice is None or invoice.type is not DocumentType.INVOICE:
        return False
    return any(k in known and known[k].type in _SALES_ORDER_TYPES for k in invoice.links)


def completion(
    invoice_key: str, known: Mapping[str, KnownDocument], template: PlannedDocument
) -> list[PlannedDocument]:
    """The invoice of a sales order is posted: close the sales order, apply the payments recorded against it.

    ``template`` carries the order's currency, date, customer and memo.
    """
    invoice = known.get(invoice_key)
    if invoice is None or invoice.type is not DocumentType.INVOICE:
        return []
    sales_orders = [known[k] for k in invoice.links if k in known and known[k].type in _SALES_ORDER_TYPES]
    actions = []
    for sales_order in sales_orders:
        actions.append(
            template.model_copy(
                update={
                    "key": f"{sales_order.key}/close",
                    "type": sales_order.type,
                    "action": DocumentAction.CLOSE,
                    "target": sales_order.key,
                    "total": sales_order.total,
                    "applies_to": (),
                }
            )
        )
    if sales_orders:
        for payment in known.values():
            unapplied = payment.type is DocumentType.PAYMENT and payment.action is DocumentAction.CREATE
            if unapplied and not payment.links and payment.status != "failed":
                actions.append(
                    template.model_copy(
                        update={
                            "key": f"{payment.key}/apply",
                            "type": DocumentType.PAYMENT,
                            "action": DocumentAction.APPLY,
                            "target": payment.key,
                            "total": payment.total,
                            "applies_to": (invoice.key,),
                        }
                    )
                )
    return [a for a in actions if a.key not in known]
