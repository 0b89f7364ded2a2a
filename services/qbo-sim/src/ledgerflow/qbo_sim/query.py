"""The QuickBooks query language: SELECT * | count(*) FROM Entity [WHERE a op v [AND ...]] [ORDERBY a [DESC][, b]]
[STARTPOSITION n] [MAXRESULTS n] (the last two in either order). No OR, no joins, one entity.

A statement that does not parse is 4000 "Error parsing query"; one that parses but asks for what QuickBooks will
not give (an unknown entity, STARTPOSITION 0, a field that cannot be filtered) is 4001 "Invalid query".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerflow.qbo_sim.errors import QboFault, invalid_query

MAX_RESULTS = 1000

_ORDER_TERM = r"\w+(?:\.\w+)?(?:\s+(?:asc|desc))?"
_STATEMENT = re.compile(
    r"^\s*select\s+(?P<what>\*|count\(\*\))\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    rf"(?:\s+orderby\s+(?P<order>{_ORDER_TERM}(?:\s*,\s*{_ORDER_TERM})*))?"
    r"(?P<paging>(?:\s+(?:startposition|maxresults)\s+-?\d+){0,2})\s*$",
    re.IGNORECASE | re.DOTALL,
)
_PAGING = re.compile(r"(startposition|maxresults)\s+(-?\d+)", re.IGNORECASE)
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
    order: tuple[tuple[str, bool], ...]  # (field, descending), in order
    start: int
    max_results: int

    @property
    def order_by(self) -> str | None:
        return self.order[0][0] if self.order else None

    @property
    def descending(self) -> bool:
        return bool(self.order) and self.order[0][1]


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
    paging: dict[str, int] = {}
    for name, value in _PAGING.findall(match["paging"] or ""):
        if name.lower() in paging:
            raise parse_error(statement, f"{name} given twice")
        paging[name.lower()] = int(value)
    for name, value in paging.items():
        if value < 1:
            raise invalid_query(f"{name.upper()} value {value} is too small. Min allowed value is 1")
    order = tuple(
        (term.split()[0], term.split()[-1].lower() == "desc") for term in (match["order"] or "").split(",") if term
    )
    return Query(
        entity=match["entity"],
        count=match["what"] != "*",
        conditions=conditions,
        order=order,
        start=paging.get("startposition", 1),
        max_results=min(paging.get("maxresults", 100), MAX_RESULTS),
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
        if _has_or(part):
            raise parse_error(statement, 'Encountered " <OR> "OR "": OR is not supported')
        match = _CONDITION.match(part)
        if match is None:
            raise parse_error(statement, f"Invalid condition '{part}'")
        op = match["op"].lower()
        result.append(Condition(match["field"], op, _value(match["value"], op, statement)))
    return result


def _has_or(part: str) -> bool:
    """An OR outside quoted strings (``Name = 'Fish or Chips'`` is a name, not an OR)."""
    unquoted = re.sub(r"'(?:[^'\\]|\\.)*'", "''", part)
    return re.search(r"\s+or\s+", unquoted, re.IGNORECASE) is not None


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


def _sorted(records: list[dict[str, Any]], field: str, descending: bool) -> list[dict[str, Any]]:
    """Numbers (ids, amounts) in numeric order, as QuickBooks sorts them; text (a DocNumber of digits too) as text."""
    values = [_field(r, field) for r in records]
    numbers = [_number(v) for v in values]
    numeric = field == "Id" or all(isinstance(v, int | float | Decimal) for v in values if v is not None)
    if numeric and all(n is not None for v, n in zip(values, numbers, strict=True) if v is not None):
        low = Decimal("-Infinity")
        keys: list[Any] = [low if n is None else n for n in numbers]
    else:
        keys = [str(v or "") for v in values]
    order = sorted(range(len(records)), key=lambda i: keys[i], reverse=descending)
    return [records[i] for i in order]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


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
    if query.order:
        # Ties (documents created in the same second) keep creation order, newest first when descending; then
        # stable sorts from the last key to the first, so that the first key decides.
        selected.sort(key=_creation, reverse=query.order[-1][1])
        for field, descending in reversed(query.order):
            selected = _sorted(selected, field, descending)
    page = selected[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}  # QuickBooks leaves the entity key out when nothing matches
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
