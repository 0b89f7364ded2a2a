"""Reconciliation of the services' tables with the books: each document once, amounts, balances, reasons, progress."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledgerflow.cli.reconcile import IntentRow, PlannedRow, TenantState, reconcile
from ledgerflow.contracts import DeadLetter, DocumentAction, DocumentType, ErrorDetail, MessageMeta

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(minutes=10)
ORDER = "shop/shopify/1001"


def _planned(
    key: str, type_: DocumentType, total: str, status: str = "posted", links: tuple[str, ...] = ()
) -> PlannedRow:
    return PlannedRow(key, ORDER, type_, DocumentAction.CREATE, status, Decimal(total), links, None, LONG_AGO)


def _intent(entity: str, external_id: str | None, number: str | None, status: str = "posted") -> IntentRow:
    return IntentRow(entity, number, status, external_id, None, LONG_AGO)


def _books(*records: tuple[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    books: dict[str, dict[str, dict[str, Any]]] = {}
    for entity, record in records:
        books.setdefault(entity, {})[record["Id"]] = record
    return books


def _state() -> TenantState:
    return TenantState(
        orders={"shop/shopify/5400000001001": 1},
        ingested={"shop/shopify/5400000001001": 1},
        planned=[
            _planned("k/invoice", DocumentType.INVOICE, "100.00"),
            _planned("k/payment", DocumentType.PAYMENT, "100.00", links=("k/invoice",)),
        ],
        intents={"k/invoice": _intent("Invoice", "1", "1001"), "k/payment": _intent("Payment", "2", None)},
    )


INVOICE = {"Id": "1", "DocNumber": "1001", "TotalAmt": 100, "Balance": 0, "PrivateNote": "shopify order #1001",
           "CustomerRef": {"value": "7"}}  # fmt: skip
PAYMENT = {"Id": "2", "TotalAmt": 100, "PrivateNote": "shopify order #1001", "CustomerRef": {"value": "7"}}


def _run(state: TenantState, books: dict[str, dict[str, dict[str, Any]]], letters: list[DeadLetter] | None = None):
    return reconcile("acme", state, books, letters or [], now=NOW, stuck_after=timedelta(seconds=60))


def test_every_document_once_with_its_amount_and_balance_reconciles() -> None:
    result = _run(_state(), _books(("Invoice", INVOICE), ("Payment", PAYMENT)))

    assert (result.expected_documents, result.posted, result.duplicates, result.missing) == (2, 2, 0, 0)
    assert result.ok, result.problems


def test_a_second_invoice_with_the_same_number_or_a_second_payment_is_a_duplicate() -> None:
    books = _books(("Invoice", INVOICE), ("Invoice", {**INVOICE, "Id": "3"}), ("Payment", PAYMENT),
                   ("Payment", {**PAYMENT, "Id": "4"}))  # fmt: skip

    result = _run(_state(), books)

    assert result.duplicates == 2
    assert not result.ok


def test_a_document_the_books_do_not_have_is_missing_and_an_unpaid_balance_is_wrong() -> None:
    result = _run(_state(), _books(("Invoice", {**INVOICE, "Balance": 100})))

    assert (result.missing, result.wrong_balances) == (1, 1)
    assert {p.kind for p in result.problems} == {"missing", "balance"}


def test_a_wrong_total_is_reported() -> None:
    result = _run(_state(), _books(("Invoice", {**INVOICE, "TotalAmt": 99.99}), ("Payment", PAYMENT)))

    assert result.wrong_amounts == 1
    assert not result.ok


def test_a_failed_document_counts_with_its_reason_and_a_dead_letter_without_one_does_not_reconcile() -> None:
    state = _state()
    state.planned[1] = _planned("k/payment", DocumentType.PAYMENT, "100.00", status="failed", links=("k/invoice",))
    state.intents["k/payment"] = IntentRow("Payment", None, "failed", None, "QuickBooks refused the payment", LONG_AGO)
    meta = MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4())
    letters = [
        DeadLetter(meta=meta, stage="ledger-writer", source_topic="ledger.commands", payload="{}",
                   error=ErrorDetail(code="qbo.6000", message="QuickBooks refused the payment", fix="Correct it")),
        DeadLetter(meta=meta, stage="ingest", source_topic="orders.raw", payload="{}",
                   error=ErrorDetail(code="x", message=" ")),
    ]  # fmt: skip

    result = _run(state, _books(("Invoice", {**INVOICE, "Balance": 100})), letters)

    assert (result.failed, result.missing, result.wrong_balances) == (1, 0, 0)
    assert (result.dead_letters, result.dead_letters_without_reason) == (2, 1)
    assert not result.ok


def test_documents_long_planned_but_not_posted_and_versions_never_planned_are_stuck() -> None:
    state = _state()
    state.intents["k/payment"] = _intent("Payment", None, None, status="pending")
    state.ingested["shop/shopify/5400000001001"] = 2
    state.unpublished["planner"] = 3

    result = _run(state, _books(("Invoice", {**INVOICE, "Balance": 100})))

    assert result.missing == 1
    assert result.stuck == 1 + 1 + 3
    assert not result.ok


def test_a_document_keyed_in_by_hand_is_shown_but_is_not_a_problem() -> None:
    by_hand = {"Id": "9", "DocNumber": "B-1", "TotalAmt": 5, "PrivateNote": None, "CustomerRef": {"value": "8"}}

    result = _run(_state(), _books(("Invoice", INVOICE), ("Invoice", by_hand), ("Payment", PAYMENT)))

    assert result.unexplained == 1
    assert result.ok


def test_a_total_quickbooks_taxed_is_checked_against_what_it_answered_when_posted() -> None:
    state = _state()
    state.intents["k/invoice"] = IntentRow("Invoice", "1001", "posted", "1", None, LONG_AGO, Decimal("108.25"))
    state.intents["k/payment"] = IntentRow("Payment", None, "posted", "2", None, LONG_AGO, Decimal("108.25"))
    taxed = INVOICE | {"TotalAmt": 108.25, "TxnTaxDetail": {"TotalTax": 8.25}}
    paid = PAYMENT | {"TotalAmt": 108.25, "Line": [{"Amount": 108.25, "LinkedTxn": [{"TxnId": "1"}]}]}
    assert _run(state, _books(("Invoice", taxed), ("Payment", paid))).wrong_amounts == 0
    edited = taxed | {"TotalAmt": 120}  # changed in the books since
    assert _run(state, _books(("Invoice", edited), ("Payment", paid))).wrong_amounts == 1
