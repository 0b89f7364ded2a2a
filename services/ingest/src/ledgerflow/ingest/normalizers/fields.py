"""Strict readers for channel fields: a wrong type is an error naming the field, never a guess."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from ledgerflow.contracts import quantize
from ledgerflow.contracts.money import from_minor_units
from ledgerflow.ingest.normalizers.errors import NormalizationError

# Guards against absurd input (a 300-digit "price"): no order line comes near these.
MAX_NUMBER_TEXT = 40
MAX_AMOUNT = Decimal(10) ** 15  # QuickBooks amounts have at most 15 digits
MAX_MINOR_UNITS = 10**17


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
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float | Decimal):
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not a number")
    if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
        raise NormalizationError("payload.bad_number", f"{where} has {len(value)} characters, not a real amount")
    try:
        # A JSON float is read through its shortest repr, so 0.1 stays 0.1 rather than a binary tail.
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not a number") from None
    if not number.is_finite():
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not a finite number")
    if abs(number) >= MAX_AMOUNT:
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, beyond any real order amount")
    return number


def quantity(value: Any, where: str, *, fractional: bool = False) -> Decimal:
    """A line quantity: positive, and whole unless the channel sells by measure (Square's decimal strings)."""
    number = decimal(value, where)
    if number <= 0:
        raise NormalizationError("payload.bad_quantity", f"{where} is {value!r}: a sold quantity must be positive")
    if not fractional and number != number.to_integral_value():
        raise NormalizationError("payload.bad_quantity", f"{where} is {value!r}: this channel sells whole units")
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


def timestamp_assuming(value: Any, zone: tzinfo, where: str) -> datetime:
    """A date-time the channel sends without offset (WooCommerce site time, Magento UTC), in ``zone``."""
    if not isinstance(value, str):
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not a date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not a date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def timestamp_rfc2822(value: Any, where: str) -> datetime:
    """BigCommerce V2: ``Tue, 05 Mar 2019 21:40:11 +0000``."""
    if not isinstance(value, str):
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not an RFC 2822 date")
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not an RFC 2822 date") from None
    if parsed.tzinfo is None:
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}: it has no time zone")
    return parsed


def timestamp_epoch(value: Any, where: str) -> datetime:
    """Stripe: Unix epoch seconds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, not epoch seconds")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise NormalizationError("payload.bad_date", f"{where} is {value!r}, out of range") from None


def minor_units(value: Any, currency: str, where: str) -> Decimal:
    """An integer count of the currency's minor units (Square, Stripe): 1999 USD is 19.99, 1999 JPY is 1999."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not an integer amount in minor units")
    if abs(value) > MAX_MINOR_UNITS:
        raise NormalizationError("payload.bad_number", f"{where} is {value}, beyond any real order amount")
    return from_minor_units(value, currency)


def currency_code(value: Any, where: str) -> str:
    """An ISO 4217 code, upper-cased (Stripe sends ``usd``)."""
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise NormalizationError("payload.bad_currency", f"{where} is {value!r}, not a three-letter currency code")
    return value.strip().upper()


def text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None
