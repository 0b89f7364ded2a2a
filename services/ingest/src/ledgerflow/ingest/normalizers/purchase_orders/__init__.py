"""A system's purchase order -> the canonical purchase order. One module per system; each is a pure function."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from pydantic import ValidationError

from ledgerflow.contracts import CanonicalPurchaseOrder, PurchaseOrderSystem, quantize
from ledgerflow.ingest.normalizers.edge import CURRENCIES
from ledgerflow.ingest.normalizers.errors import NormalizationError

PurchaseOrderNormalizer = Callable[[dict[str, Any]], CanonicalPurchaseOrder]

MAX_LINES = 2_000
MAX_NUMBER = 64
# Each line is rounded to the cent by the source; more than that between the lines and the source's own total is
# a purchase order that does not add up.
TOLERANCE_PER_LINE = Decimal("0.01")


def normalizer_for(system: PurchaseOrderSystem) -> PurchaseOrderNormalizer:
    module = importlib.import_module(f"{__name__}.{system.value}")
    return cast("PurchaseOrderNormalizer", module.normalize)


def normalize_purchase_order(system: PurchaseOrderSystem, payload: Any) -> CanonicalPurchaseOrder:
    """Normalize one purchase order and check what the books will need of it."""
    if not isinstance(payload, dict):
        raise NormalizationError(
            "payload.not_a_purchase_order",
            f"a {system.label} purchase order is a JSON object, not {type(payload).__name__}",
            "Publish one purchase order per message, as docs/purchase-orders.md shows for the system.",
        )
    try:
        order = normalizer_for(system)(payload)
    except NormalizationError as exc:
        if exc.detail.fix is None:  # the shared field readers say what and why; how to fix is the same for all
            fix = f"Correct the field in {system.label}, or publish the purchase order as its API returns it."
            exc.detail = exc.detail.model_copy(update={"fix": fix})
        raise
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the purchase order"
        raise NormalizationError(
            "purchase_order.invalid",
            f"{system.label}: the purchase order cannot be taken: {where}: {first['msg']}",
            "Correct the purchase order in the system, then publish it again.",
        ) from exc
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:
        raise NormalizationError(
            "payload.malformed",
            f"the {system.label} payload does not have the shape of a purchase order ({type(exc).__name__}: {exc})",
            "Publish the purchase order exactly as the system's API returns it (see docs/purchase-orders.md).",
        ) from exc
    check_purchase_order(order)
    return _flag_zero_costs(order)


def _flag_zero_costs(order: CanonicalPurchaseOrder) -> CanonicalPurchaseOrder:
    """A zero cost is possible (SKU Vault fills a missing cost from the product, which may have none) and is
    posted, but said, never silently."""
    zero = [line.sku or f"line {line.line_id}" for line in order.active_lines if line.quantity and not line.unit_cost]
    if not zero:
        return order
    warning = f"zero unit cost on {', '.join(zero)}: check the cost in {order.system.label}"
    return order.model_copy(update={"warnings": (*order.warnings, warning)})


def check_purchase_order(order: CanonicalPurchaseOrder) -> None:
    """What any purchase order must be to go on to the books, whichever system it came from."""
    label = f"{order.system.label} purchase order {order.po_number[:MAX_NUMBER]}"
    if order.currency is not None and order.currency not in CURRENCIES:
        raise NormalizationError(
            "purchase_order.currency_unknown",
            f"{label}: {order.currency!r} is not an ISO 4217 currency",
            "Set the purchase order's currency to a three-letter ISO 4217 code in the system.",
        )
    if len(order.po_number) > MAX_NUMBER:
        raise NormalizationError(
            "purchase_order.field_too_long",
            f"{label}: its number has {len(order.po_number)} characters; at most {MAX_NUMBER} are taken",
            "Give the purchase order a shorter number in the system.",
        )
    if len(order.lines) > MAX_LINES:
        raise NormalizationError(
            "purchase_order.too_many_lines",
            f"{label} has {len(order.lines):,} lines; at most {MAX_LINES:,} are taken",
            "Split the purchase order in the system, or enter it by hand.",
        )
    if not order.active_lines and not order.status.terminal:
        raise NormalizationError(
            "purchase_order.no_lines",
            f"{label} has no lines to order",
            "Add the products to the purchase order in the system (or cancel it), then publish it again.",
        )
    if order.source_total is not None:
        computed = order.net_total()
        tolerance = TOLERANCE_PER_LINE * (len(order.lines) + len(order.charges) + 1)
        if abs(computed - order.source_total) > tolerance:
            currency = order.currency or ""
            raise NormalizationError(
                "purchase_order.unbalanced",
                f"{label}: the system's total before tax is {order.source_total} {currency}, but its lines and "
                f"charges add up to {quantize(computed, order.currency or 'USD')} {currency}".replace("  ", " "),
                "Check the purchase order in the system for an edit that did not recalculate its total, then "
                "publish it again.",
            )


__all__ = ["check_purchase_order", "normalize_purchase_order", "normalizer_for"]
