"""Document numbers from order numbers (N1), within the target's length limit."""

from __future__ import annotations

from ledgerflow.contracts import DocumentType
from ledgerflow.runtime.errors import StageError

QBO_DOC_NUMBER_LIMIT = 21

# Sales orders (estimates on QuickBooks Online), invoices, sales receipts and purchase orders are
# numbered apart in the books; each type here names the sequence it draws from.
NUMBER_SPACES: dict[DocumentType, str] = {
    DocumentType.INVOICE: "invoice",
    DocumentType.SALES_RECEIPT: "sales_receipt",
    DocumentType.SALES_ORDER: "sales_order",
    DocumentType.ESTIMATE: "sales_order",
    DocumentType.PURCHASE_ORDER: "purchase_order",
    DocumentType.CREDIT_MEMO: "credit_memo",
    DocumentType.REFUND_RECEIPT: "refund_receipt",
    DocumentType.PAYMENT: "payment",
}


def order_document_number(order_number: str, prefix: str = "", limit: int = QBO_DOC_NUMBER_LIMIT) -> str:
    """``prefix + order_number``, shortened deterministically when longer than ``limit``.

    A long number keeps the prefix and the *last* characters of the order number: consecutive
    orders differ at the right, so the tail is what keeps their numbers apart
    (``AZ-`` + ``114-3941689-8772232`` is 22 characters and becomes ``AZ-14-3941689-8772232``).
    The full order number stays in the memo, where matching looks for it.
    """
    number = "".join(order_number.split())
    if not number:
        raise StageError("number.empty", "the order has no number to use as document number")
    room = limit - len(prefix)
    if room < 1:
        raise StageError(
            "number.prefix_too_long",
            f"the prefix {prefix!r} leaves no room for the order number within {limit} characters",
            f"Use a prefix shorter than {limit} characters.",
        )
    return prefix + number[-room:]
