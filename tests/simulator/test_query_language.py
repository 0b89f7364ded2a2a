"""The simulator's query language: LIKE and WHERE as QuickBooks reads them, in time linear in what it is given."""

from __future__ import annotations

import pytest

from ledgerflow.qbo_sim.query import _like, parse


@pytest.mark.parametrize(
    ("text", "pattern", "matches"),
    [
        ("Jane Cooper", "jane%", True), ("Jane Cooper", "%COOPER", True), ("Jane Cooper", "%e C%", True),
        ("Jane Cooper", "Jane Cooper", True), ("Jane Cooper", "Jane", False), ("Jane", "Ja%ne%", True),
        ("abc", "a%b%c", True), ("abc", "a%c%b", False), ("ab", "a%%b", True), ("a", "a%a", False),
        ("", "%", True), ("x", "", False),
    ],
)  # fmt: skip
def test_like_matches_as_sql_does_with_percent_only(text: str, pattern: str, matches: bool) -> None:
    assert _like(text, pattern) is matches


@pytest.mark.timeout(10)
def test_a_like_of_many_percents_on_a_long_value_answers_at_once() -> None:
    assert not _like("a" * 100_000, "%a" * 12 + "%b%")


@pytest.mark.timeout(10)
def test_a_where_padded_with_whitespace_parses_at_once() -> None:
    padding = " " * 200_000
    query = parse(f"select * from Invoice where DocNumber = '1001'{padding}and{padding}TotalAmt > '5' maxresults 5")
    assert [(c.field, c.op, c.value) for c in query.conditions] == [("DocNumber", "=", "1001"),
                                                                   ("TotalAmt", ">", "5")]  # fmt: skip
    assert query.max_results == 5


def test_whitespace_inside_a_quoted_value_is_kept() -> None:
    (condition,) = parse("select * from Customer where DisplayName = 'Jane   and   Co'").conditions
    assert condition.value == "Jane   and   Co"
