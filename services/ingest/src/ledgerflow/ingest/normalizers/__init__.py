"""Channel payload -> canonical order. One module per channel; each is a pure function."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, cast

from ledgerflow.contracts import CanonicalOrder, Channel
from ledgerflow.ingest.normalizers.errors import NormalizationError

Normalizer = Callable[[dict[str, Any]], CanonicalOrder]


def normalizer_for(channel: Channel) -> Normalizer | None:
    """The channel's module here, ``ledgerflow.ingest.normalizers.<channel>``, exposes ``normalize(payload)``."""
    try:
        module = importlib.import_module(f"{__name__}.{channel.value}")
    except ModuleNotFoundError:
        return None
    return cast("Normalizer", module.normalize)


def supported_channels() -> list[Channel]:
    return [channel for channel in Channel if normalizer_for(channel) is not None]


def normalize(channel: Channel, payload: dict[str, Any]) -> CanonicalOrder:
    """Normalize one order and check that its parts add up to the channel's own total."""
    normalizer = normalizer_for(channel)
    if normalizer is None:
        supported = ", ".join(c.value for c in supported_channels())
        raise NormalizationError(
            "channel.unsupported",
            f"orders from channel '{channel}' cannot be normalized yet (supported: {supported})",
            "Publish the order through a supported channel or the custom-store format.",
        )
    if not isinstance(payload, dict):
        raise NormalizationError(
            "payload.not_an_order", f"a {channel} order is a JSON object, not {type(payload).__name__}"
        )
    try:
        order = normalizer(payload)
    except NormalizationError:
        raise
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:
        # A shape no rule foresaw: still a dead letter with a reason, never a crashed consumer.
        raise NormalizationError(
            "payload.malformed",
            f"the {channel} payload does not have the shape of a {channel} order ({type(exc).__name__}: {exc})",
            "Publish the order exactly as the channel's API returns it (see docs/channels.md).",
        ) from exc
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


__all__ = ["NormalizationError", "normalize", "normalizer_for", "supported_channels"]
