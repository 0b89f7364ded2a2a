"""QuickBooks Desktop's status codes routed as the books interface needs: go on, try again later, or refuse
the document with what a bookkeeper should do about it."""

from __future__ import annotations

from ledgerflow.contracts import ErrorDetail
from ledgerflow.ledger_writer.books import BooksError, Refused
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Answer

NOT_FOUND = (1, 500)  # "nothing matched" is information, not an error
LINKED_TO_CLOSED = 570
STALE_EDIT_SEQUENCE = 3200
# The company file is busy, locked or briefly unable: the same request succeeds later.
TRANSIENT = (1000, 1010, 3170, 3175, 3176, 3231, 3391, STALE_EDIT_SEQUENCE)

_FIXES = {
    3070: "A value is longer than QuickBooks Desktop takes (document numbers at most 11 characters, customer "
    "names 41, item names 31). For document numbers, set the connection's `numbering.too_long` or a shorter "
    "`numbering.prefix`; then replay the order.",
    3100: "The name is already used in QuickBooks by another customer, vendor, employee or item (they share "
    "names). Rename one of them in QuickBooks, or map the name with a rule, then replay the order.",
    3120: "The document it refers to is no longer in QuickBooks (deleted there). Resync the order "
    "(`ledgerflow resync --delete`) to post it again.",
    3140: "Create what the message names in QuickBooks (or let the connection create missing customers and "
    "items), then replay the order.",
    3171: "The order's date is on or before the company's closing date. Move the closing date in QuickBooks "
    "(Company > Set Closing Date), then replay the order.",
    3210: "QuickBooks refused an amount (a payment larger than what is due). Check the order's payments, then "
    "replay the order.",
    3250: "This QuickBooks edition or its preferences do not allow the document. Sales orders need QuickBooks "
    "Premier or Enterprise with sales orders turned on (Edit > Preferences > Sales & Customers); or change the "
    "connection's mode to invoices. Then replay the order.",
    1030: "This QuickBooks edition does not support the request (sales orders need Premier or Enterprise). "
    "Change the connection's mode, or upgrade QuickBooks, then replay the order.",
    3260: "The ledgerflow application lacks permission in this company file. In QuickBooks, Edit > Preferences > "
    "Integrated Applications: allow ledgerflow to read and modify the company file, then replay the order.",
}
_DEFAULT_FIX = "Correct the order or the company file as the message says, then replay the order."


class Busy(BooksError):
    """QuickBooks could not do it now (a record in use, a stale copy, an internal error): tried again later."""


def check(answer: Answer, what: str) -> None:
    """Raise unless the request succeeded (an answer with a warning succeeded: its data came back)."""
    if answer.ok:
        return
    code = answer.status_code
    if code in TRANSIENT or (code == 3180 and "lock" in answer.message.lower()):
        raise Busy(f"QuickBooks could not {what} now ({code}: {answer.message})")
    raise Refused(refusal(answer, what))


def refusal(answer: Answer, what: str) -> ErrorDetail:
    code = answer.status_code
    return ErrorDetail(
        code=f"qbd.{code}",
        message=f"QuickBooks Desktop refused to {what}: {answer.message.strip()}",
        fix=_FIXES.get(code, _FIXES.get(3260) if 3260 <= code <= 3264 else _DEFAULT_FIX),
    )
