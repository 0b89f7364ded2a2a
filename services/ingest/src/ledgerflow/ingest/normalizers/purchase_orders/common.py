"""Readers the purchase-order normalizers share: loose numbers, dates as the sources write them, one-or-many
relations, and refusals that say what, why and how to fix."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerflow.contracts import PurchaseOrderSystem
from ledgerflow.ingest.normalizers import fields
from ledgerflow.ingest.normalizers.errors import NormalizationError

ZERO = Decimal(0)
# Unit costs keep more places than money: QuickBooks takes unit prices to 5 decimals (Online) and a derived unit
# (a line total over its quantity) must still give back the line total.
UNIT_PLACES = Decimal("0.00001")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# .NET writes seven fractional digits; Python's parser stops at six.
_FRACTION = re.compile(r"(\.\d{6})\d+")
# Sources that write their .NET minimum date for "no date".
_NO_DATE_YEARS = frozenset({1, 1753, 1900})


def refuse(system: PurchaseOrderSystem, code: str, message: str, fix: str) -> NormalizationError:
    return NormalizationError(f"purchase_order.{code}", f"{system.label}: {message}", fix)


def obj(value: Any, where: str, system: PurchaseOrderSystem, fix: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise refuse(system, "bad_shape", f"{where} is {_kind(value)}, not a JSON object", fix)
    return value


def optional_obj(value: Any) -> dict[str, Any]:
    """A relation that may be absent (not loaded): an empty object then."""
    return value if isinstance(value, dict) else {}


def many(value: Any, where: str, system: PurchaseOrderSystem) -> list[dict[str, Any]]:
    """A list of objects; R-Series sends one relation as an object and several as an array, so both are taken."""
    if value is None or value == "":
        return []
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise refuse(
            system,
            "bad_shape",
            f"{where} is {_kind(value)}, not a list of objects",
            "Publish the parts of the purchase order exactly as the API returns them.",
        )
    return items


def required(record: dict[str, Any], field: str, where: str) -> Any:
    return fields.required(record, field, where)


def number(value: Any, where: str) -> Decimal:
    """A decimal from a string, an integer or a JSON double (read through its literal text), never a float."""
    if isinstance(value, str):
        value = value.strip()
    return fields.decimal(value, where)


def optional_number(value: Any, where: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return number(value, where)


def non_negative(value: Any, where: str) -> Decimal:
    amount = number(value, where)
    if amount < 0:
        raise NormalizationError("payload.bad_quantity", f"{where} is {value!r}: it cannot be negative")
    return amount


def unit(amount: Decimal) -> Decimal:
    return amount.quantize(UNIT_PLACES, rounding=ROUND_HALF_UP)


def day(value: Any, where: str) -> date | None:
    """The calendar date as the source wrote it (its own zone), or None for "no date" (empty, .NET minimum)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not a date (YYYY-MM-DD...)")
    text = value.strip()
    try:
        parsed = (
            date.fromisoformat(text)
            if len(text) == 10
            else datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00"))).date()
        )
    except ValueError:
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not a date (YYYY-MM-DD...)") from None
    return None if parsed.year in _NO_DATE_YEARS and parsed.month == 1 and parsed.day == 1 else parsed


def required_day(value: Any, where: str, system: PurchaseOrderSystem) -> date:
    parsed = day(value, where)
    if parsed is None:
        raise refuse(
            system,
            "missing_date",
            f"{where} is empty, so the order has no date for the books",
            "Publish the purchase order as the system returns it once it has been placed.",
        )
    return parsed


def truthy(value: Any) -> bool:
    """Booleans as the sources send them: true, "true", 1, "1"."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def text(value: Any) -> str | None:
    return fields.text(value)


def joined(*parts: str | None, sep: str = "\n") -> str | None:
    kept = [p for p in parts if p]
    return sep.join(kept) or None


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a JSON {type(value).__name__}"
