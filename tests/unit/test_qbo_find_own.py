"""The writer finds its own earlier documents in QuickBooks Online by what identifies them, never by their total:
QuickBooks' automated sales tax may have changed the total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

import asyncpg

from ledgerflow.contracts import DocumentType, LineKind, MatchingPolicy, NumberedDocument, PlannedDocument, PlannedLine
from ledgerflow.ledger_writer.books import Company, Draft
from ledgerflow.ledger_writer.targets.qbo.books import QboBooks
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient

MEMO = "shopify order #1001"


class Candidates:
    """A client whose every query answers the same records, and remembers the WHERE it was asked."""

    def __init__(self, *records: dict[str, Any]) -> None:
        self.records = list(records)
        self.asked: list[str] = []

    async def query(self, realm: str, entity: str, where: str) -> list[dict[str, Any]]:
        self.asked.append(where)
        return self.records


class Intents:
    """The writer's intents table, as far as ``find_own`` asks it: which ids other documents hold already."""

    def __init__(self, held: dict[str, str] | None = None) -> None:
        self.held = held or {}  # books id -> the document key that holds it

    async def fetch(self, query: str, tenant: str, entity: str, ids: list[str], key: str) -> list[dict[str, str]]:
        assert "document_intents" in query
        return [{"external_id": i} for i in ids if self.held.get(i, key) != key]


def _books(client: Candidates, intents: Intents | None = None) -> QboBooks:
    fake = cast("QuickBooksClient", client)
    pool = cast("asyncpg.Pool", intents or Intents())
    return QboBooks(pool, fake, Company("acme", "realm"), MatchingPolicy(), "")


def _numbered(number: str | None) -> NumberedDocument:
    line = PlannedLine(kind=LineKind.ITEM, item_name="TENT", unit_price=Decimal(100), amount=Decimal(100))
    doc = PlannedDocument(key="k/invoice", type=DocumentType.INVOICE, currency="USD", txn_date=date(2026, 1, 2),
                          customer_name="Jane", total=Decimal(100), memo=MEMO, lines=(line,))  # fmt: skip
    return NumberedDocument(document=doc, doc_number=number, number_space="invoice")


def _record(record_id: str, memo: str, item: str, total: str) -> dict[str, Any]:
    line = {"DetailType": "SalesItemLineDetail", "Amount": 100, "SalesItemLineDetail": {"ItemRef": {"value": item}}}
    subtotal = {"DetailType": "SubTotalLineDetail", "Amount": 100, "SubTotalLineDetail": {}}
    return {"Id": record_id, "SyncToken": "0", "PrivateNote": memo, "TotalAmt": total, "Line": [line, subtotal]}


DRAFT = Draft("Invoice", {"Line": [{"DetailType": "SalesItemLineDetail", "Amount": Decimal(100),
                                    "SalesItemLineDetail": {"ItemRef": {"value": "7"}}}]}, "42")  # fmt: skip


async def test_a_document_quickbooks_taxed_is_still_found_as_ours() -> None:
    client = Candidates(_record("5", MEMO, "7", "108.25"))
    found = await _books(client).find_own(_numbered("1001"), DRAFT)
    assert found is not None and (found.external_id, found.total) == ("5", Decimal("108.25"))
    assert client.asked == ["DocNumber = '1001'"]


async def test_without_a_number_by_customer_and_date_and_never_another_memo() -> None:
    client = Candidates(_record("5", "typed in by the bookkeeper", "7", "100"))
    assert await _books(client).find_own(_numbered(None), DRAFT) is None
    assert client.asked == ["CustomerRef = '42' AND TxnDate = '2026-01-02'"]


async def test_of_two_documents_of_the_order_the_one_with_the_same_lines() -> None:
    client = Candidates(_record("5", MEMO, "8", "100"), _record("6", MEMO, "7", "108.25"))
    found = await _books(client).find_own(_numbered(None), DRAFT)
    assert found is not None and found.external_id == "6"


async def test_a_sibling_already_posted_is_never_taken_for_this_document() -> None:
    """A split tender's two payments share the order's memo, customer and date: after a lost response for the
    second, the first (already another document's) is not adopted as the second."""
    first = {"Id": "21", "SyncToken": "0", "PrivateNote": MEMO, "TotalAmt": "25.00", "Line": []}
    client = Candidates(first)
    held = Intents({"21": "k/payment/0"})
    payment = _numbered(None).document.model_copy(update={"key": "k/payment/1", "type": DocumentType.PAYMENT})
    numbered = NumberedDocument(document=payment, doc_number=None, number_space="payment")
    assert await _books(client, held).find_own(numbered, Draft("Payment", {"TotalAmt": Decimal(76)}, "42")) is None
    assert await _books(client).find_own(numbered, Draft("Payment", {"TotalAmt": Decimal(76)}, "42")) is not None
