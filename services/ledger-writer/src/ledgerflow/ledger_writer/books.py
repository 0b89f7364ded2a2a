"""The books interface: what the posting core and the company queues need from an accounting system.

A target (QuickBooks Online today, QuickBooks Desktop next) implements it in its own folder under
``targets/``; nothing outside that folder knows how the target is spoken to. The core keeps exactly-once
itself (intents, look-ups before a re-send); a target turns documents into its own requests and its
answers and faults into the records and errors below.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from ledgerflow.contracts import (
    BooksTarget,
    DocumentType,
    ErrorDetail,
    MatchingPolicy,
    NumberedDocument,
    ReferenceItem,
)


@dataclass(frozen=True)
class Company:
    """One company's books: the tenant that owns it and the target's id for it (a QuickBooks realm)."""

    tenant_id: str
    company_id: str


@dataclass(frozen=True)
class BooksRecord:
    """A document as the books hold it."""

    external_id: str
    version: str = "0"  # what a change must name to be accepted (QuickBooks Online's SyncToken)
    doc_number: str | None = None
    total: Decimal | None = None
    balance: Decimal | None = None
    memo: str | None = None
    trace_id: str | None = None  # the books' id for the call that wrote it (QuickBooks Online's intuit_tid)


@dataclass(frozen=True)
class Linked:
    """A document already in the books that another refers to (an invoice a payment applies to)."""

    external_id: str
    kind: str  # the target's name for the document's kind, as its intent recorded it


@dataclass(frozen=True)
class Draft:
    """A document ready to send: the target's request, and what finds it again in the books (its customer)."""

    kind: str
    request: Any
    customer_id: str | None = None


@dataclass(frozen=True)
class ReferenceSnapshot:
    """The items (with their preferred vendors and costs) and vendors a company's books hold (M6)."""

    items: Sequence[ReferenceItem]
    vendors: Sequence[str] = field(default_factory=tuple)


class BooksError(Exception):
    """Anything a target raises to the core."""


class Refused(BooksError):
    """The books refused this document: the order fails with the books' reason; others are unaffected."""

    def __init__(self, error: ErrorDetail, trace_id: str | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.trace_id = trace_id  # the books' id for the refused call


class NumberTaken(Refused):
    """The document's number is held by ``holder`` in the books: ours from an earlier attempt, or another's."""

    def __init__(self, error: ErrorDetail, holder: BooksRecord) -> None:
        super().__init__(error)
        self.holder = holder


class ReferenceMissing(BooksError):
    """The books lack a customer, item, vendor or account the document needs, and it may not be created."""

    def __init__(self, error: ErrorDetail) -> None:
        super().__init__(error.message)
        self.error = error


class AmbiguousOutcome(BooksError):
    """The request may or may not have taken effect: look the document up before sending it again."""


class Throttled(BooksError):
    """The books asked this company's callers to slow down; the command is tried again later."""

    def __init__(self, retry_after: float | None) -> None:
        super().__init__("the books throttled the company")
        self.retry_after = retry_after


class CompanyUnavailable(BooksError):
    """Nothing can reach this company's books (credentials refused, access withdrawn): its queue pauses.

    Every command of the company would fail the same way, so none is failed: they wait, with ``error``
    telling the operator what to fix, until the company is resumed.
    """

    def __init__(self, error: ErrorDetail) -> None:
        super().__init__(error.message)
        self.error = error


class Unreachable(BooksError):
    """The books cannot be reached now, through nobody's fault: QuickBooks Desktop is reached only while its
    Web Connector is connected. The command waits, untried and uncounted, until they can be reached again."""


class Books(Protocol):
    """One company's books, as one command sees them (its matching policy: how customers and items are found)."""

    def kind(self, doc_type: DocumentType) -> str:
        """The target's name for this type of document (QuickBooks Online posts sales orders as estimates)."""
        ...

    async def draft(self, numbered: NumberedDocument, linked: Sequence[Linked]) -> Draft:
        """The request that creates the document; finds or creates its customer and items as the policy says.

        Raises ``ReferenceMissing`` or ``Refused``.
        """
        ...

    async def create(self, draft: Draft, request_id: uuid.UUID) -> BooksRecord:
        """Send it. The same ``request_id`` on every attempt. Raises ``AmbiguousOutcome``, ``Refused``
        (``NumberTaken`` for a number in use), ``Throttled`` or ``CompanyUnavailable``."""
        ...

    async def find_own(self, numbered: NumberedDocument, draft: Draft) -> BooksRecord | None:
        """This document, if an earlier attempt put it in the books: by number, or by customer, date and memo."""
        ...

    async def exists(self, document: Linked) -> bool:
        """Whether a document posted earlier is still in the books (a resync re-posts a deleted one)."""
        ...

    async def recent_numbers(self, kind: str) -> list[str]:
        """The numbers of the documents of this kind created last: where the books' sequence stands (N2)."""
        ...

    async def close_sales_order(self, sales_order: Linked, request_key: uuid.UUID) -> BooksRecord:
        """Close it, unless it is closed already (linking an invoice may have done it)."""
        ...

    async def apply_payment(self, payment: Linked, invoices: Sequence[Linked], request_key: uuid.UUID) -> BooksRecord:
        """Apply what is unapplied of the payment to the invoices, unless it is applied already."""
        ...

    async def update_purchase_order(
        self, purchase_order: Linked, numbered: NumberedDocument, request_key: uuid.UUID
    ) -> BooksRecord:
        """Give the posted purchase order the lines of ``numbered``, unless it has them already. Raises ``Refused``
        where the books cannot."""
        ...


class Target(Protocol):
    """An accounting system: the books of each company, and how fast each may be called."""

    name: str

    def company_of(self, tenant_id: str, books: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE) -> Company:
        """The company a tenant's documents for these books go to."""
        ...

    def calls_in(self, company: Company) -> bool:
        """Whether the company's books are reached only while they call in (a Web Connector): the queue then
        leases the company only while they are connected."""
        ...

    def books(self, company: Company, matching: MatchingPolicy, attempt: str) -> Books:
        """The company's books for one command; ``attempt`` tells a redelivery (same) from a replay (new)."""
        ...

    def in_flight_limit(self, company: Company) -> int:
        """How many of the company's documents may be on their way at once."""
        ...

    async def reference_data(self, company: Company) -> ReferenceSnapshot:
        """The company's items and vendors, read from its books."""
        ...

    def rate_state(self, company: Company) -> RateState:
        """Where the company's share of the books' rate stands, to hand over to the next writer."""
        ...

    def restore_rate(self, company: Company, state: RateState) -> None:
        """Continue from a state another writer left (a company moving between writers must not burst)."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class RateState:
    """A company's rate budget as handed from one writer to the next: tokens left, and a pause still running."""

    tokens: float | None = None
    paused_for: float = 0.0
    used_last_minute: int = 0
    limit_per_minute: int = 0
    throttled: int = 0  # times the books throttled the company, since this writer first called it
    rested_for: float = 0.0  # seconds since the last writer let the company go: its budget refilled meanwhile
