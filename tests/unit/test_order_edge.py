"""What an order must be to go on into the books: a real currency, a plausible date, payments within its total,
and sizes the books and brokers take (the pipeline's edge, after the channel's payload is read)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ledgerflow.cli.samples import SampleOrder
from ledgerflow.contracts import Channel
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.ingest.normalizers.edge import MAX_LINES, check_edge
from ledgerflow.ingest.normalizers.errors import NormalizationError


@pytest.fixture
def custom(samples: dict[str, SampleOrder]) -> dict[str, Any]:
    return samples["paid-tax-shipping-discount"].payload()


def refusal(payload: dict[str, Any]) -> NormalizationError:
    with pytest.raises(NormalizationError) as refused:
        check_edge(normalize(Channel.CUSTOM, payload))
    return refused.value


def test_the_sample_goes_on(custom: dict[str, Any]) -> None:
    check_edge(normalize(Channel.CUSTOM, custom))


@pytest.mark.parametrize("currency", ["XYZ", "ÉÜR"])
def test_a_currency_that_is_not_iso_4217_is_refused(custom: dict[str, Any], currency: str) -> None:
    error = refusal({**custom, "currency": currency})
    assert error.detail.code == "order.currency_unknown" and currency in error.detail.message


@pytest.mark.parametrize("created_at", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"])
def test_an_order_dated_out_of_any_plausible_window_is_refused(custom: dict[str, Any], created_at: str) -> None:
    error = refusal({**custom, "created_at": created_at})
    assert error.detail.code == "order.date_implausible" and created_at[:4] in error.detail.message


def test_payments_over_the_total_are_refused_before_anything_posts(custom: dict[str, Any]) -> None:
    payload = copy.deepcopy(custom)
    payload["payments"].append({"transaction_id": "pi_again", "method": "card", "amount": "44.03"})
    error = refusal(payload)
    assert error.detail.code == "order.overpaid"
    assert "88.06 EUR was paid" in error.detail.message and "total of 44.03 EUR" in error.detail.message


def test_too_many_lines_and_too_long_texts_are_refused_with_the_limit(custom: dict[str, Any]) -> None:
    line = {"id": "1", "sku": "PIN", "title": "Pin", "quantity": "1", "unit_price": "0.01"}
    total = f"{(MAX_LINES + 1) / 100:.2f}"
    many = {**custom, "lines": [{**line, "id": str(n)} for n in range(MAX_LINES + 1)], "shipping": [], "taxes": [],
            "total": total, "payments": [{"transaction_id": "t", "method": "card", "amount": total}]}  # fmt: skip
    assert refusal(many).detail.code == "order.too_many_lines"

    long_sku = copy.deepcopy(custom)
    long_sku["lines"][0]["sku"] = "S" * 201
    error = refusal(long_sku)
    assert error.detail.code == "order.field_too_long" and "SKU of 201 characters" in error.detail.message
    assert "at most 200" in error.detail.message and len(error.detail.message) < 300
