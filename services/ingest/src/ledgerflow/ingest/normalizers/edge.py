"""What a normalized order must be to go further: a real currency, a plausible date, payments within its total,
and sizes the books and the brokers take. Each refusal says which field, what it holds, and the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pycountry

from ledgerflow.contracts import CanonicalOrder
from ledgerflow.ingest.normalizers.errors import NormalizationError

# ISO 4217, as the pycountry package maintains it.
CURRENCIES = frozenset(currency.alpha_3 for currency in pycountry.currencies)
EARLIEST_ORDER = datetime(1995, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=7)  # clocks and time zones apart, an order is not dated next month
MAX_LINES = 2_000
# Characters: far above what any channel sends, far below what would make a message too large to pass on.
MAX_LENGTHS = {"order number": 64, "order id": 128, "SKU": 200, "title": 1_000, "name": 255, "email": 320,
               "note": 10_000, "tag": 255}  # fmt: skip


def check_edge(order: CanonicalOrder, now: datetime | None = None) -> None:
    """Raise ``NormalizationError`` for the first thing in ``order`` that cannot go on as it is."""
    for code in (order.currency, order.presentment_currency):
        if code is not None and code not in CURRENCIES:
            raise NormalizationError(
                "order.currency_unknown",
                f"order {_short(order.order_number)}: {code!r} is not an ISO 4217 currency",
                "Publish the order with the currency's three-letter ISO 4217 code (USD, EUR, JPY...).",
            )
    now = now or datetime.now(UTC)
    if not EARLIEST_ORDER <= order.ordered_at <= now + LATEST_AHEAD:
        raise NormalizationError(
            "order.date_implausible",
            f"order {_short(order.order_number)} is dated {order.ordered_at.isoformat()}: orders are taken from "
            f"{EARLIEST_ORDER.date()} to a week ahead",
            "Check the order's date in the channel (a default or a typing slip) and publish it again.",
        )
    refunded = sum((refund.amount for refund in order.refunds), Decimal(0))
    if order.amount_paid - refunded > order.channel_total:
        raise NormalizationError(
            "order.overpaid",
            f"order {_short(order.order_number)}: {order.amount_paid} {order.currency} was paid (less "
            f"{refunded} refunded) against a total of {order.channel_total} {order.currency}",
            "Check the order's payments in the channel: a payment recorded twice, or a refund the payload does not "
            "show; correct it there and publish the order again.",
        )
    if len(order.lines) > MAX_LINES:
        raise NormalizationError(
            "order.too_many_lines",
            f"order {_short(order.order_number)} has {len(order.lines):,} lines; at most {MAX_LINES:,} are taken",
            "Split the order in the channel, or post it by hand.",
        )
    for what, value in _texts(order):
        if value is not None and len(value) > MAX_LENGTHS[what]:
            raise NormalizationError(
                "order.field_too_long",
                f"order {_short(order.order_number)}: a {what} of {len(value):,} characters ({_short(value)}); "
                f"at most {MAX_LENGTHS[what]:,} are taken",
                f"Shorten the {what} in the channel and publish the order again.",
            )


def _texts(order: CanonicalOrder) -> list[tuple[str, str | None]]:
    customer = order.customer
    texts: list[tuple[str, str | None]] = [("order number", order.order_number), ("order id", order.channel_order_id),
                                           ("note", order.note)]  # fmt: skip
    if customer is not None:
        texts += [("name", customer.first_name), ("name", customer.last_name), ("name", customer.company),
                  ("email", customer.email)]  # fmt: skip
    for line in order.lines:
        texts += [("SKU", line.sku), ("title", line.title)]
    texts += [("title", shipping.title) for shipping in order.shipping_lines]
    texts += [("title", fee.title) for fee in order.fees]
    texts += [("tag", tag) for tag in order.tags]
    return texts


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit] + "..."
