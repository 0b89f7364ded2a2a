"""Document numbers from order numbers (N1), within the target's length limit."""

from __future__ import annotations

from ledgerflow.contracts import LIMITS, BooksTarget, DocumentType, NumberingPolicy, TooLongPolicy
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
    DocumentType.BILL: "bill",
    DocumentType.ITEM_RECEIPT: "item_receipt",
}
# Documents numbered by the source (a supplier's invoice number), never from a sequence of ledgerflow's: two
# suppliers may well use the same number.
SOURCE_NUMBERED = frozenset({DocumentType.BILL, DocumentType.ITEM_RECEIPT})

COLLISION_SUFFIXES = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def number_limit(policy: NumberingPolicy, target: BooksTarget) -> int:
    """The longest document number: the connection's own limit, within what its books take."""
    return min(policy.max_length, LIMITS[target].doc_number)


def order_document_number(
    order_number: str,
    prefix: str = "",
    limit: int = QBO_DOC_NUMBER_LIMIT,
    too_long: TooLongPolicy = TooLongPolicy.KEEP_TAIL,
) -> str:
    """``prefix + order_number``, shortened deterministically when longer than ``limit``.

    A long number keeps the prefix and the *last* characters of the order number: consecutive
    orders differ at the right, so the tail is what keeps their numbers apart
    (``AZ-`` + ``114-3941689-8772232`` is 22 characters and becomes ``AZ-14-3941689-8772232``).
    The full order number stays in the memo, where matching looks for it. Under ``too_long: stop`` a long
    number stops the order instead, naming the setting that decides.
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
    if len(number) > room and too_long is TooLongPolicy.STOP:
        raise StageError(
            "number.too_long",
            f"order number {number} with prefix {prefix!r} is {len(prefix) + len(number)} characters; the books "
            f"take document numbers of at most {limit} characters",
            f"Set `numbering.too_long: keep_tail` in the connection settings to keep the last {room} characters "
            "(the full order number stays in the memo), or a shorter `numbering.prefix`, then replay the order.",
        )
    return prefix + number[-room:]


def order_number_with_sequence(order_number: str, sequence: int) -> str:
    """Several documents of one type on one order (refunds): N, N-1, N-2."""
    return order_number if sequence == 0 else f"{order_number}-{sequence}"


def collision_candidates(order_number: str) -> list[str]:
    """In order-number mode, the numbers tried after a collision: 1001A, 1001B, ..."""
    return [order_number + suffix for suffix in COLLISION_SUFFIXES]


def numeric_tail(number: str, prefix: str) -> int | None:
    """The counter value of ``prefix + digits``; None for a number of another shape."""
    if not number.startswith(prefix):
        return None
    tail = number[len(prefix) :]
    return int(tail) if tail.isdigit() else None
