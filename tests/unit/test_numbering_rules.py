"""N1: the channel's order number, with the connection's prefix, within the target's length limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerflow.numbering.rules import QBO_DOC_NUMBER_LIMIT, order_document_number
from ledgerflow.runtime.errors import StageError


def test_order_number_with_prefix() -> None:
    assert order_document_number("1001", "AZ-") == "AZ-1001"


def test_long_numbers_keep_the_prefix_and_the_tail() -> None:
    number = order_document_number("114-3941689-8772232", "AZ-")
    assert number == "AZ-14-3941689-8772232"
    assert len(number) == QBO_DOC_NUMBER_LIMIT


def test_desktop_limit_of_eleven() -> None:
    assert order_document_number("000000003123", "M-", limit=11) == "M-000003123"


def test_whitespace_never_reaches_the_books() -> None:
    assert order_document_number(" 10 01 ") == "1001"


@pytest.mark.parametrize(("number", "prefix"), [("", "X"), ("1", "P" * 21)])
def test_impossible_numbers_are_refused(number: str, prefix: str) -> None:
    with pytest.raises(StageError):
        order_document_number(number, prefix)


@given(st.text(alphabet="0123456789-ABC", min_size=1, max_size=40), st.text(alphabet="XYZ-", max_size=6))
def test_numbers_are_deterministic_and_fit(number: str, prefix: str) -> None:
    result = order_document_number(number, prefix)
    assert result == order_document_number(number, prefix)
    assert len(result) <= QBO_DOC_NUMBER_LIMIT
    assert result.startswith(prefix)
