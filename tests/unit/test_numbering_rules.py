"""N1: the channel's order number, with the connection's prefix, within the target's length limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerflow.numbering.rules import (
    QBO_DOC_NUMBER_LIMIT,
    collision_candidates,
    numeric_tail,
    order_document_number,
    order_number_with_sequence,
)
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


def test_refunds_on_one_order_are_numbered_n_n1_n2() -> None:
    assert [order_number_with_sequence("1001", i) for i in range(3)] == ["1001", "1001-1", "1001-2"]


def test_after_a_collision_order_numbers_take_a_letter() -> None:
    assert collision_candidates("1001")[:3] == ["1001A", "1001B", "1001C"]


@pytest.mark.parametrize(
    ("number", "prefix", "value"),
    [
        ("1500", "", 1500),
        ("INV-0042", "INV-", 42),
        ("INV-0042", "", None),
        ("1001A", "", None),
        ("WEB-7", "INV-", None),
    ],
)
def test_numeric_tail(number: str, prefix: str, value: int | None) -> None:
    assert numeric_tail(number, prefix) == value
