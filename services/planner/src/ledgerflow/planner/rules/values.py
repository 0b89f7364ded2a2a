"""A condition's value in its field's own type: text, a decimal, a date, one of a field's choices, a compiled
pattern. Whatever does not fit is refused with a message that names the field, the operator and what is wrong."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerflow.planner.rules.fields import FIELDS, FieldSpec, FieldType, unknown_field_message
from ledgerflow.planner.rules.model import Condition, Op
from ledgerflow.planner.rules.patterns import compiled, pattern_problem


class RuleError(ValueError):
    """What is wrong with a condition, in words a merchant can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_ORDERED = (FieldType.DECIMAL, FieldType.INTEGER, FieldType.DATE, FieldType.DATETIME)
_TEXTUAL = (FieldType.TEXT, FieldType.TEXT_LIST)
_OPS: dict[FieldType, tuple[Op, ...]] = {
    **dict.fromkeys(_ORDERED, (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN, Op.IN, Op.NOT_IN)),
    **dict.fromkeys(_TEXTUAL, (Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.STARTS_WITH, Op.MATCHES)),
    FieldType.BOOLEAN: (Op.EQ, Op.NE),
    FieldType.CHOICE: (Op.EQ, Op.NE, Op.IN, Op.NOT_IN),
}


def field_spec(path: str) -> FieldSpec:
    spec = FIELDS.get(path)
    if spec is None:
        raise RuleError(unknown_field_message(path))
    return spec


def typed_values(condition: Condition) -> tuple[FieldSpec, tuple[Any, ...]]:
    """The condition's value(s) in the field's own type; raises ``RuleError`` saying what does not fit."""
    spec = field_spec(condition.field)
    op, raw = condition.op, condition.value
    allowed = _OPS[spec.type]
    if op not in allowed:
        names = ", ".join(o.value for o in allowed)
        raise RuleError(f"{spec.path} is {_a(spec.type)} field: {op.value} does not apply to it (use {names})")
    if op in (Op.BETWEEN, Op.IN, Op.NOT_IN):
        if not isinstance(raw, list):
            shape = "[low, high]" if op is Op.BETWEEN else "a list of values"
            raise RuleError(f"{op.value} takes {shape}, got {_show(raw)}")
        if op is Op.BETWEEN and len(raw) != 2:
            raise RuleError(f"between takes two values [low, high], got {len(raw)}")
        if not raw:
            raise RuleError(f"{op.value} needs at least one value")
        values = tuple(_typed(spec, op, v) for v in raw)
        if op is Op.BETWEEN and values[0] > values[1]:
            raise RuleError(f"between {raw[0]} and {raw[1]} can never match: the low end must come first")
        return spec, values
    if isinstance(raw, list):
        raise RuleError(f"{op.value} takes one value, got a list (use in for several)")
    if raw is None and op not in (Op.EQ, Op.NE):
        raise RuleError(f"{op.value} needs a value")
    return spec, (None if raw is None else _typed(spec, op, raw),)


def _typed(spec: FieldSpec, op: Op, raw: Any) -> Any:
    if raw is None:
        raise RuleError("a list may not hold null")
    kind = spec.type
    if isinstance(raw, bool) and kind is not FieldType.BOOLEAN:
        raise RuleError(f"{spec.path} is {_a(kind)} field, got the boolean {str(raw).lower()}")
    if op is Op.MATCHES:
        if not isinstance(raw, str):
            raise RuleError(f"matches takes a pattern (text), got {_show(raw)}")
        problem = pattern_problem(raw)
        if problem is not None:
            raise RuleError(problem)
        return compiled(raw)
    if op is Op.STARTS_WITH and (not isinstance(raw, str) or not raw):
        raise RuleError(f"starts_with takes non-empty text, got {_show(raw)}")
    if kind in _TEXTUAL:
        text = str(raw)
        return text.upper() if spec.upper_case else text
    if kind is FieldType.CHOICE:
        choice = str(raw).lower()
        if choice not in spec.choices:
            raise RuleError(f"{spec.path} is one of {', '.join(spec.choices)}; {_show(raw)} is not")
        return choice
    if kind is FieldType.BOOLEAN:
        if not isinstance(raw, bool):
            raise RuleError(f"{spec.path} is true or false, got {_show(raw)}")
        return raw
    if kind is FieldType.DECIMAL:
        return _decimal(spec, raw)
    if kind is FieldType.INTEGER:
        if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().lstrip("-").isdigit() and len(raw) < 20):
            return int(raw)
        raise RuleError(f"{spec.path} is a whole number, got {_show(raw)}")
    if kind is FieldType.DATE:
        return _date(spec, raw)
    return _datetime(spec, raw)


def _decimal(spec: FieldSpec, raw: Any) -> Decimal:
    try:
        value = Decimal(raw if isinstance(raw, int) else str(raw).strip())
    except (InvalidOperation, ValueError):
        raise RuleError(f"{spec.path} is a decimal amount, got {_show(raw)}") from None
    if not value.is_finite() or abs(value) >= Decimal("1e15"):
        raise RuleError(f"{spec.path} is a decimal amount, got {_show(raw)}")
    return value


def _date(spec: FieldSpec, raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise RuleError(f"{spec.path} is a date (YYYY-MM-DD), got {_show(raw)}") from None


def _datetime(spec: FieldSpec, raw: Any) -> datetime:
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise RuleError(
            f"{spec.path} is a date and time with its UTC offset (2026-11-01T00:00:00+00:00), got {_show(raw)}; "
            "use order.ordered_on to compare dates"
        )
    return value


def _a(kind: FieldType) -> str:
    return f"{'an' if kind.value[0] in 'aeiou' else 'a'} {kind.value}"


def _show(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."
