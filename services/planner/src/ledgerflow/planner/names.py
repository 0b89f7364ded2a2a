"""Names as the target's books take them: QuickBooks Desktop's customer, vendor and item names are short."""

from __future__ import annotations

from ledgerflow.contracts import LIMITS, BooksTarget, PlannedDocument, fit_name


def fit_names(doc: PlannedDocument, target: BooksTarget) -> PlannedDocument:
    """The document with its customer, vendor and item names within the target's lengths.

    Every version of an order is planned the same way, so a shortened name finds the same customer or item
    again; the order's full customer name stays on the order in ledgerflow.
    """
    limits = LIMITS[target]
    update: dict[str, object] = {}
    if doc.customer_name is not None and len(doc.customer_name) > limits.customer_name:
        update["customer_name"] = fit_name(doc.customer_name, limits.customer_name)
    if doc.vendor_name is not None and len(doc.vendor_name) > limits.vendor_name:
        update["vendor_name"] = fit_name(doc.vendor_name, limits.vendor_name)
    if any(len(line.item_name) > limits.item_name for line in doc.lines):
        update["lines"] = tuple(
            line.model_copy(update={"item_name": fit_name(line.item_name, limits.item_name)})
            if len(line.item_name) > limits.item_name
            else line
            for line in doc.lines
        )
    return doc.model_copy(update=update) if update else doc
