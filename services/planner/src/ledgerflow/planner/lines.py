"""Canonical order -> document lines ($1): items, shipping, discounts, fees and tax."""

from __future__ import annotations

from decimal import Decimal

from ledgerflow.contracts import CanonicalOrder, LineKind, PlannedLine, quantize
from ledgerflow.contracts.canonical import ZERO
from ledgerflow.planner.settings import ItemNames


def document_lines(order: CanonicalOrder, items: ItemNames) -> tuple[PlannedLine, ...]:
    lines = [
        PlannedLine(
            kind=LineKind.GIFT_CARD if line.gift_card else LineKind.ITEM,
            item_name=items.gift_card if line.gift_card else (line.sku or items.fallback),
            description=line.title,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=quantize(line.gross, order.currency),
            taxable=line.taxable,
            line_id=line.line_id,
        )
        for line in order.lines
    ]
    for shipping in order.shipping_lines:
        if shipping.amount:
            lines.append(_single(LineKind.SHIPPING, items.shipping, shipping.title, shipping.amount))
    for fee in order.fees:
        lines.append(_single(LineKind.FEE, items.fee, fee.title, fee.amount))
    discount = (
        sum((line.discount for line in order.lines), ZERO)
        + sum((s.discount for s in order.shipping_lines), ZERO)
        + order.order_discount
    )
    if discount:
        lines.append(_single(LineKind.DISCOUNT, items.discount, "Discounts", -discount))
    if order.total_tax and not order.taxes_included:
        titles = ", ".join(t.title for t in order.tax_lines)
        lines.append(_single(LineKind.TAX, items.tax, titles or "Tax", order.total_tax))
    return tuple(lines)


def _single(kind: LineKind, item: str, description: str, amount: Decimal) -> PlannedLine:
    return PlannedLine(kind=kind, item_name=item, description=description, unit_price=amount, amount=amount)


def lines_total(lines: tuple[PlannedLine, ...]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def order_memo(order: CanonicalOrder) -> str:
    """The memo every document of the order carries: how later documents and duplicates are found (N2)."""
    return f"{order.channel.value} order {order.order_number}"
