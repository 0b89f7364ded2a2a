"""The accounting systems ledgerflow posts to, and the limits each puts on what it is sent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BooksTarget(StrEnum):
    QUICKBOOKS_ONLINE = "quickbooks_online"
    QUICKBOOKS_DESKTOP = "quickbooks_desktop"

    @classmethod
    def _missing_(cls, value: object) -> BooksTarget | None:
        # Connection files written before Desktop existed say "qbo".
        return cls.QUICKBOOKS_ONLINE if value == "qbo" else None

    @property
    def label(self) -> str:
        return "QuickBooks Online" if self is BooksTarget.QUICKBOOKS_ONLINE else "QuickBooks Desktop"


@dataclass(frozen=True)
class TargetLimits:
    """Field lengths the books refuse to exceed (QuickBooks Desktop: qbXML 13.0 schema)."""

    doc_number: int  # sales orders, invoices, receipts, credit memos, estimates, purchase orders
    payment_reference: int  # a payment's own number (Desktop's ReceivePayment RefNumber)
    customer_name: int
    vendor_name: int
    item_name: int
    bill_number: int = 21  # a bill's or item receipt's number: the supplier's invoice number (Desktop: 20)


LIMITS = {
    BooksTarget.QUICKBOOKS_ONLINE: TargetLimits(
        doc_number=21, payment_reference=21, customer_name=100, vendor_name=100, item_name=100
    ),
    BooksTarget.QUICKBOOKS_DESKTOP: TargetLimits(
        doc_number=11, payment_reference=20, customer_name=41, vendor_name=41, item_name=31, bill_number=20
    ),
}


def fit_name(name: str, limit: int) -> str:
    """A name the books take: the first ``limit`` characters, without trailing spaces.

    The start is kept (unlike document numbers) because names are read and sorted from the left.
    """
    return name if len(name) <= limit else name[:limit].rstrip()
