"""qbXML's scalar types: reading them strictly (3010/3020/3040) and writing them as QuickBooks does."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from ledgerflow.qbd_sim.company import status

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_NUMBER = re.compile(r"^-?(\d+)(?:\.(\d+))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)?)?$")
# Decimal places each numeric type accepts (AMTTYPE is money; PRICETYPE, QUANTYPE and PERCENTTYPE go further).
AMOUNT_PLACES = 2
PRICE_PLACES = 5


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def text(element: etree._Element | None) -> str | None:
    return None if element is None else (element.text or "")


def child_text(parent: etree._Element, name: str) -> str | None:
    return text(parent.find(name))


def to_bool(value: str, field: str) -> bool:
    # The XSD boolean lexical space: a client sending "True" or "yes" is wrong, and QuickBooks says so.
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise status.bad_boolean(value, field)


def to_decimal(value: str, field: str, places: int = AMOUNT_PLACES) -> Decimal:
    match = _NUMBER.match(value.strip())
    if match is None or len(match.group(2) or "") > places:
        raise status.bad_amount(value, field)
    return Decimal(value.strip())


def to_int(value: str, field: str) -> int:
    if not re.fullmatch(r"\d+", value.strip()):
        raise status.bad_amount(value, field)
    return int(value)


def to_date(value: str, field: str) -> date:
    if not _DATE.match(value):
        raise status.bad_date(value, field)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise status.bad_date(value, field) from exc


def to_datetime(value: str, field: str, *, end_of_day: bool, tz_of: datetime) -> datetime:
    """DATETIMETYPE filters accept a bare date too; it then covers the whole day."""
    if not _DATETIME.match(value):
        raise status.bad_date(value, field)
    try:
        if "T" not in value:
            day = date.fromisoformat(value)
            clock = datetime.max.time() if end_of_day else datetime.min.time()
            return datetime.combine(day, clock, tz_of.tzinfo)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise status.bad_date(value, field) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz_of.tzinfo)


def fmt_money(value: Decimal) -> str:
    return f"{money(value):.2f}"


def fmt_number(value: Decimal) -> str:
    """Quantities, rates and percentages: as entered, without trailing zeros, never in exponent form."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def fmt_rate(value: Decimal) -> str:
    return f"{value:.2f}" if value == money(value) else fmt_number(value)


def fmt_datetime(value: datetime) -> str:
    return value.isoformat(timespec="seconds")
