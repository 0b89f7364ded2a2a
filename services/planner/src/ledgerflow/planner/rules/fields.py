"""The fields a rule may test or write: a whitelist of paths into the canonical order and its lines, each with
its type. Nothing outside this list can be reached from a rule, so a rule cannot touch anything it should not."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ledgerflow.contracts import Address, CanonicalOrder, Channel, Customer, FulfillmentState, OrderLine, PaymentState
from ledgerflow.contracts.canonical import ZERO


class FieldType(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"  # one of a fixed set of values
    TEXT_LIST = "text list"  # a condition holds when it holds for any element


Reader = Callable[[CanonicalOrder, OrderLine | None], Any]
# Writers return the order with the value written; ``line`` is the index of the line a line field is on.
Writer = Callable[[CanonicalOrder, int | None, str], CanonicalOrder]


@dataclass(frozen=True)
class FieldSpec:
    path: str
    type: FieldType
    read: Reader
    description: str
    choices: tuple[str, ...] = ()
    write: Writer | None = None
    per_line: bool = field(init=False)  # read once per line rather than once per order
    upper_case: bool = field(init=False)  # stored upper case: a rule's "usd" means USD

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_line", self.path.startswith("line."))
        object.__setattr__(self, "upper_case", self.path.endswith(("currency", "country_code")))

    @property
    def writable(self) -> bool:
        return self.write is not None


def _order(getter: Callable[[CanonicalOrder], Any]) -> Reader:
    return lambda order, _line: getter(order)


def _line(getter: Callable[[OrderLine], Any]) -> Reader:
    def read(_order: CanonicalOrder, line: OrderLine | None) -> Any:
        return None if line is None else getter(line)

    return read


def _customer(name: str) -> Reader:
    return _order(lambda o: getattr(o.customer, name) if o.customer is not None else None)


def _address(which: str, name: str) -> Reader:
    def read(order: CanonicalOrder, _line: OrderLine | None) -> Any:
        address = getattr(order, which)
        return getattr(address, name) if address is not None else None

    return read


def _write_customer(name: str) -> Writer:
    def write(order: CanonicalOrder, _line: int | None, value: str) -> CanonicalOrder:
        customer = (order.customer or Customer()).model_copy(update={name: value})
        return order.model_copy(update={"customer": customer})

    return write


def _write_address(which: str, name: str) -> Writer:
    def write(order: CanonicalOrder, _line: int | None, value: str) -> CanonicalOrder:
        address = (getattr(order, which) or Address()).model_copy(update={name: value})
        return order.model_copy(update={which: address})

    return write


def _write_order(name: str) -> Writer:
    return lambda order, _line, value: order.model_copy(update={name: value})


def _write_line(name: str) -> Writer:
    def write(order: CanonicalOrder, line: int | None, value: str) -> CanonicalOrder:
        assert line is not None
        lines = list(order.lines)
        lines[line] = lines[line].model_copy(update={name: value})
        return order.model_copy(update={"lines": tuple(lines)})

    return write


def _shipping_total(order: CanonicalOrder) -> Decimal:
    return sum((s.amount for s in order.shipping_lines), ZERO)


def _specs() -> list[FieldSpec]:
    text, decimal, boolean = FieldType.TEXT, FieldType.DECIMAL, FieldType.BOOLEAN
    specs = [
        FieldSpec("order.channel", FieldType.CHOICE, _order(lambda o: o.channel.value), "the sales channel",
                  choices=tuple(c.value for c in Channel)),
        FieldSpec("order.channel_order_id", text, _order(lambda o: o.channel_order_id), "the channel's id"),
        FieldSpec("order.order_number", text, _order(lambda o: o.order_number), "the order number"),
        FieldSpec("order.ordered_at", FieldType.DATETIME, _order(lambda o: o.ordered_at), "when it was ordered"),
        FieldSpec("order.ordered_on", FieldType.DATE, _order(lambda o: o.ordered_at.date()),
                  "the order date, in the order's own time zone"),
        FieldSpec("order.channel_status", text, _order(lambda o: o.channel_status), "the channel's own status"),
        FieldSpec("order.currency", text, _order(lambda o: o.currency), "ISO 4217 code"),
        FieldSpec("order.presentment_currency", text, _order(lambda o: o.presentment_currency),
                  "the currency the buyer saw, when not the order's"),
        FieldSpec("order.taxes_included", boolean, _order(lambda o: o.taxes_included), "prices include tax"),
        FieldSpec("order.payment_state", FieldType.CHOICE, _order(lambda o: o.payment_state.value),
                  "payment state (R3)", choices=tuple(s.value for s in PaymentState)),
        FieldSpec("order.fulfillment_state", FieldType.CHOICE, _order(lambda o: o.fulfillment_state.value),
                  "fulfillment state", choices=tuple(s.value for s in FulfillmentState)),
        FieldSpec("order.payment_methods", FieldType.TEXT_LIST, _order(lambda o: o.payment_methods),
                  "payment methods (gateways)"),
        FieldSpec("order.channel_total", decimal, _order(lambda o: o.channel_total), "the order total"),
        FieldSpec("order.total_tax", decimal, _order(lambda o: o.total_tax), "tax on the order"),
        FieldSpec("order.amount_paid", decimal, _order(lambda o: o.amount_paid), "money received"),
        FieldSpec("order.order_discount", decimal, _order(lambda o: o.order_discount),
                  "discount not allocated to a line"),
        FieldSpec("order.shipping_total", decimal, _order(_shipping_total), "shipping charged, before discounts"),
        FieldSpec("order.line_count", FieldType.INTEGER, _order(lambda o: len(o.lines)), "number of lines"),
        FieldSpec("order.skus", FieldType.TEXT_LIST, _order(lambda o: tuple(ln.sku for ln in o.lines if ln.sku)),
                  "the SKUs of the order's lines"),
        FieldSpec("order.tags", FieldType.TEXT_LIST, _order(lambda o: o.tags), "the channel's tags"),
        FieldSpec("order.discount_codes", FieldType.TEXT_LIST, _order(lambda o: o.discount_codes), "coupon codes"),
        FieldSpec("order.shipping_lines.title", FieldType.TEXT_LIST,
                  _order(lambda o: tuple(s.title for s in o.shipping_lines)), "shipping methods"),
        FieldSpec("order.shipping_lines.code", FieldType.TEXT_LIST,
                  _order(lambda o: tuple(s.code for s in o.shipping_lines if s.code)), "shipping method codes"),
        FieldSpec("order.note", text, _order(lambda o: o.note), "the buyer's or merchant's note",
                  write=_write_order("note")),
    ]  # fmt: skip
    for name in ("channel_customer_id", "email", "first_name", "last_name", "company", "phone"):
        writer = None if name == "channel_customer_id" else _write_customer(name)
        specs.append(FieldSpec(f"order.customer.{name}", text, _customer(name), f"the customer's {name}", write=writer))
    for which in ("billing_address", "shipping_address"):
        for name in ("name", "company", "line1", "line2", "city", "region", "postal_code", "country_code", "phone"):
            writer = _write_address(which, name) if name in ("name", "company") else None
            what = {"region": "state or province", "country_code": "ISO 3166 country code"}.get(name, name)
            specs.append(FieldSpec(f"order.{which}.{name}", text, _address(which, name), what, write=writer))
    specs += [
        FieldSpec("line.line_id", text, _line(lambda ln: ln.line_id), "the channel's line id"),
        FieldSpec("line.sku", text, _line(lambda ln: ln.sku), "the line's SKU", write=_write_line("sku")),
        FieldSpec("line.title", text, _line(lambda ln: ln.title), "the product's title (the line's description)",
                  write=_write_line("title")),
        FieldSpec("line.quantity", decimal, _line(lambda ln: ln.quantity), "quantity"),
        FieldSpec("line.unit_price", decimal, _line(lambda ln: ln.unit_price), "unit price before discounts"),
        FieldSpec("line.discount", decimal, _line(lambda ln: ln.discount), "discounts on the line"),
        FieldSpec("line.tax", decimal, _line(lambda ln: ln.tax), "tax on the line"),
        FieldSpec("line.gross", decimal, _line(lambda ln: ln.gross), "quantity x unit price"),
        FieldSpec("line.net", decimal, _line(lambda ln: ln.net), "gross less discounts"),
        FieldSpec("line.taxable", boolean, _line(lambda ln: ln.taxable), "the line is taxable"),
        FieldSpec("line.gift_card", boolean, _line(lambda ln: ln.gift_card), "the line sells a gift card"),
    ]  # fmt: skip
    return specs


FIELDS: dict[str, FieldSpec] = {spec.path: spec for spec in _specs()}

# Names people reach for first, pointed at the canonical field.
_HINTS = {
    "order.total": "order.channel_total",
    "order.status": "order.channel_status or order.payment_state",
    "order.payment_method": "order.payment_methods",
    "order.tag": "order.tags",
    "order.coupon": "order.discount_codes",
    "order.coupons": "order.discount_codes",
    "order.country": "order.billing_address.country_code or order.shipping_address.country_code",
    "order.state": "order.billing_address.region or order.shipping_address.region",
    "order.shipping_method": "order.shipping_lines.title",
    "order.date": "order.ordered_on",
    "order.sku": "order.skus (any line) or line.sku (each line)",
}


def unknown_field_message(path: str) -> str:
    hint = _HINTS.get(path)
    if hint is None:
        close = difflib.get_close_matches(path, list(FIELDS), n=1, cutoff=0.75)
        hint = close[0] if close else None
    suggestion = f" (did you mean {hint}?)" if hint else ""
    return f"unknown field {path!r}{suggestion}; the fields are listed in docs/rules.md"
