"""The QuickBooks query language: SELECT * | count(*) FROM Entity [WHERE a op v [AND ...]] [ORDERBY ...]
[STARTPOSITION n] [MAXRESULTS n]. No OR, no joins, one entity."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerflow.qbo_sim.errors import QboFault

MAX_RESULTS = 1000

_STATEMENT = re.compile(
    r"^\s*select\s+(?P<what>\*|count\(\*\))\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+orderby\s+(?P<order>\w+(?:\.\w+)?)(?:\s+(?P<dir>asc|desc))?)?"
    r"(?:\s+startposition\s+(?P<start>\d+))?"
    r"(?:\s+maxresults\s+(?P<max>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(
    r"^\s*(?P<field>\w+(?:\.\w+)?)\s*(?P<op><=|>=|=|<|>|\bin\b|\blike\b)\s*(?P<value>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_STRING = r"'(?:[^'\\]|\\.)*'"


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    conditions: tuple[Condition, ...]
    order_by: str | None
    descending: bool
    start: int
    max_results: int


def parse_error(statement: str, why: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {why} in '{statement}'")


def _collapsed(statement: str) -> str:
    """Whitespace runs outside quoted strings as one space: the patterns below then never scan a long run over and
    over (a WHERE padded with thousands of spaces took quadratic time)."""
    out: list[str] = []
    quoted = escaped = spaced = False
    for char in statement.strip():
        if quoted:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "'":
                quoted = False
            continue
        if char.isspace():
            if not spaced:
                out.append(" ")
            spaced = True
            continue
        spaced = False
        quoted = char == "'"
        out.append(char)
    return "".join(out)


def parse(statement: str) -> Query:
    match = _STATEMENT.match(_collapsed(statement))
    if match is None:
        raise parse_error(statement, "Encountered an unexpected token")
    conditions = tuple(_conditions(match["where"], statement)) if match["where"] else ()
    return Query(
        entity=match["entity"],
        count=match["what"] != "*",
        conditions=conditions,
        order_by=match["order"],
        descending=(match["dir"] or "").lower() == "desc",
        start=max(int(match["start"] or 1), 1),
        max_results=min(int(match["max"] or 100), MAX_RESULTS),
    )


def _split_on_and(where: str) -> list[str]:
    """The conditions of a WHERE (whitespace already collapsed), split on AND outside quoted strings."""
    parts, start, index, quoted = [], 0, 0, False
    lowered = where.lower()
    while index < len(where):
        char = where[index]
        if quoted:
            if char == "\\":
                index += 2
                continue
            quoted = char != "'"
        elif char == "'":
            quoted = True
        elif lowered.startswith(" and ", index):
            parts.append(where[start:index])
            index += 5
            start = index
            continue
        index += 1
    parts.append(where[start:])
    return parts


def _conditions(where: str, statement: str) -> list[Condition]:
    parts = _split_on_and(where)
    result = []
    for part in parts:
        if re.search(r"\s+or\s+", part, re.IGNORECASE) and "'" not in part:
            raise parse_error(statement, "OR is not supported")
        match = _CONDITION.match(part)
        if match is None:
            raise parse_error(statement, f"Invalid condition '{part}'")
        op = match["op"].lower()
        result.append(Condition(match["field"], op, _value(match["value"], op, statement)))
    return result


def _value(text: str, op: str, statement: str) -> Any:
    if op == "in":
        inner = text.strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise parse_error(statement, "IN needs a parenthesised list")
        return [_scalar(v.strip(), statement) for v in re.findall(rf"{_STRING}|[^,()\s]+", inner[1:-1])]
    return _scalar(text, statement)


def _scalar(text: str, statement: str) -> Any:
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return Decimal(text)
    except InvalidOperation:
        raise parse_error(statement, f"Invalid value {text}") from None


def _like(text: str, pattern: str) -> bool:
    """``%`` matches any run of characters, case aside: matched left to right, in time linear in the text (a
    regular expression of many ``%`` backtracked for seconds on one value)."""
    text, parts = text.casefold(), pattern.casefold().split("%")
    if len(parts) == 1:
        return text == parts[0]
    first, *middle, last = parts
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for part in middle:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _field(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        # References are compared by their value: CustomerRef = '58'.
        value = value.get(part)
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    if isinstance(value, dict) and "Address" in value:
        return value["Address"]  # PrimaryEmailAddr = 'a@b.example'
    return value


def _matches(record: dict[str, Any], condition: Condition) -> bool:
    actual = _field(record, condition.field)
    expected = condition.value
    if actual is None:
        return False
    if condition.op == "like":
        return _like(str(actual), str(expected))
    if condition.op == "in":
        return any(_equal(actual, v) for v in expected)
    if condition.op == "=":
        return _equal(actual, expected)
    left, right = _comparable(actual, expected)
    return bool(
        {
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[condition.op]
    )


def _equal(actual: Any, expected: Any) -> bool:
    left, right = _comparable(actual, expected)
    return bool(left == right)


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any]:
    if isinstance(expected, Decimal) or (isinstance(actual, Decimal | int | float) and not isinstance(actual, bool)):
        try:
            return Decimal(str(actual)), Decimal(str(expected))
        except InvalidOperation:
            return str(actual), str(expected)
    if isinstance(expected, bool):
        return bool(actual), expected
    return str(actual), str(expected)


def _creation(record: dict[str, Any]) -> int:
    identifier = str(record.get("Id", ""))
    return int(identifier) if identifier.isdigit() else 0


def indexed_equality(query: Query, fields: tuple[str, ...]) -> tuple[str, str] | None:
    """A ``field = 'value'`` condition on an indexed field, which narrows the records to scan."""
    for condition in query.conditions:
        if condition.op == "=" and condition.field in fields and isinstance(condition.value, str):
            return condition.field, condition.value
    return None


def run(query: Query, records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    selected = [r for r in records if all(_matches(r, c) for c in query.conditions)]
    if query.count:
        return {"totalCount": len(selected)}
    if query.order_by:
        # Ties (documents created in the same second) keep creation order, newest first when descending.
        selected.sort(
            key=lambda r: (str(_field(r, query.order_by or "") or ""), _creation(r)), reverse=query.descending
        )
    page = selected[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}  # QuickBooks leaves the entity key out when nothing matches
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
