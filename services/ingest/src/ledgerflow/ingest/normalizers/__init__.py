"""Channel payload -> canonical order. One module per channel; each is a pure function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerflow.contracts import CanonicalOrder, Channel
from ledgerflow.ingest.normalizers import shopify
from ledgerflow.ingest.normalizers.errors import NormalizationError

Normalizer = Callable[[dict[str, Any]], CanonicalOrder]

NORMALIZERS: dict[Channel, Normalizer] = {
    Channel.SHOPIFY: shopify.normalize,
}


def normalize(channel: Channel, payload: dict[str, Any]) -> CanonicalOrder:
    """Normalize one order and check that its parts add up to the channel's own total."""
    normalizer = NORMALIZERS.get(channel)
    if normalizer is None:
        supported = ", ".join(sorted(NORMALIZERS))
        raise NormalizationError(
            "channel.unsupported",
            f"orders from channel '{channel}' cannot be normalized yet (supported: {supported})",
            "Publish the order through a supported channel or the custom-store format.",
        )
    order = normalizer(payload)
    check_balance(order)
    return order


def check_balance(order: CanonicalOrder) -> None:
    difference = order.balance_difference()
    if difference:
        raise NormalizationError(
            "order.unbalanced",
            f"order {order.order_number}: the channel total is {order.channel_total} {order.currency} but its "
            f"lines, shipping, fees, discounts and tax add up to {order.computed_total()} "
            f"{order.currency} (difference {difference})",
            "Check the order in the channel for edits, fees or discounts that its payload does not show, "
            "then republish it.",
        )


__all__ = ["NORMALIZERS", "NormalizationError", "normalize"]
