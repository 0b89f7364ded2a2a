"""Strict readers for channel fields: a wrong type is an error naming the field, never a guess."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerflow.contracts import quantize
from ledgerflow.ingest.normalizers.errors import NormalizationError


def required(obj: dict[str, Any], field: str, where: str) -> Any:
    value = obj.get(field)
    if value is None or value == "":
        raise NormalizationError(
            "payload.missing_field",
            f"{where}.{field} is missing",
            f"Send the full order as the channel returns it, including '{field}'.",
        )
    return value


def decimal(value: Any, where: str) -> Decimal:
    """Money or quantity from a decimal string, an integer, or a JSON number (read via its text)."""
    if isinstance(value, bool) or value is None:
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not a number")
    try:
        # A JSON float is read through its shortest repr, so 0.1 stays 0.1 rather than a binary tail.
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not a number") from None
    if not number.is_finite():
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not a finite number")
    return number


def money(value: Any, currency: str, where: str) -> Decimal:
    return quantize(decimal(value, where), currency)


def optional_money(value: Any, currency: str, where: str) -> Decimal | None:
    return None if value is None or value == "" else money(value, currency, where)


def timestamp(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not an ISO-8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        raise NormalizationError(
            "payload.bad_date",
            f"{where} is {value!r}: it has no time zone, so the accounting date would be a guess",
        )
    return parsed


def text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None
