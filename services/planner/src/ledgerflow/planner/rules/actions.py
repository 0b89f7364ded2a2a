"""What each kind of action does to the order (or to the effects planning honours), and the changes it reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ledgerflow.contracts import CanonicalOrder, OrderPayment, PaymentState, ShippingLine, quantize
from ledgerflow.contracts.canonical import ZERO
from ledgerflow.planner.rules.effects import (
    CLASSIFIED,
    CUSTOMERS,
    DEPOSITED,
    NUMBERED,
    ORDER_LINES,
    RECEIVABLE,
    SALES_FORMS,
    Change,
    Effects,
)
from ledgerflow.planner.rules.fields import FIELDS
from ledgerflow.planner.rules.model import (
    CopyField,
    DepositAccount,
    DiscountItem,
    DoNotImport,
    MarkUnpaid,
    OrderNumberPrefix,
    OverrideShipping,
    ReceivableAccount,
    RemapSku,
    SetClass,
    SetLineClass,
    SetLocation,
    SetTaxCode,
    ShippingItem,
    SingleCustomer,
    TaxLines,
)


@dataclass
class Subject:
    """The order as the rules so far left it, the effects they recorded, and the rule now applying."""

    order: CanonicalOrder
    effects: Effects
    rule: str
    lines: Sequence[int]  # indexes of the lines the rule's conditions hold for
    may_skip: bool = True


def apply(action: Any, subject: Subject) -> list[Change]:
    return _ACTIONS[type(action)](action, subject)


def _remap_sku(action: RemapSku, subject: Subject) -> list[Change]:
    changes = []
    lines = list(subject.order.lines)
    for index in subject.lines:
        line = lines[index]
        if line.sku == action.source:
            lines[index] = line.model_copy(update={"sku": action.to})
            changes.append(Change(f"line {line.line_id} sku", action.source, action.to, ORDER_LINES))
    if changes:
        subject.order = subject.order.model_copy(update={"lines": tuple(lines)})
    return changes


def _setting(name: str, what: str, documents: frozenset[Any]) -> Callable[[Any, Subject], list[Change]]:
    """An action that sets one of the effects: items, accounts, class, location, prefix, customer."""

    def set_value(action: Any, subject: Subject) -> list[Change]:
        value = str(getattr(action, _VALUE_FIELD[type(action)]))
        before = getattr(subject.effects, name)
        setattr(subject.effects, name, value)
        return [] if before == value else [Change(what, before, value, documents)]

    return set_value


_VALUE_FIELD: dict[type, str] = {
    ShippingItem: "item", DiscountItem: "item", DepositAccount: "account", ReceivableAccount: "account",
    SetClass: "name", SetLocation: "name", OrderNumberPrefix: "prefix", SingleCustomer: "name",
}  # fmt: skip


def _line_class(action: SetLineClass, subject: Subject) -> list[Change]:
    return _per_line(subject, subject.effects.line_classes, action.name, "class")


def _tax_code(action: SetTaxCode, subject: Subject) -> list[Change]:
    effects = subject.effects
    if action.lines is TaxLines.ITEMS:
        return _per_line(subject, effects.line_tax_codes, action.code, "tax code")
    name = "shipping_tax_code" if action.lines is TaxLines.SHIPPING else "discount_tax_code"
    before = getattr(effects, name)
    setattr(effects, name, action.code)
    return [] if before == action.code else [Change(f"{action.lines.value} tax code", before, action.code, SALES_FORMS)]


def _per_line(subject: Subject, values: dict[str, str], value: str, what: str) -> list[Change]:
    changes = []
    for index in subject.lines:
        line_id = subject.order.lines[index].line_id
        before = values.get(line_id)
        values[line_id] = value
        if before != value:
            changes.append(Change(f"line {line_id} {what}", before, value, SALES_FORMS))
    return changes


def _do_not_import(action: DoNotImport, subject: Subject) -> list[Change]:
    why = f"rule {subject.rule!r}" + (f": {action.reason}" if action.reason else "")
    if not subject.may_skip:
        kept = f"yes: {why} does not stop an order whose documents were planned before"
        return [Change("import", "yes", kept, frozenset())]
    subject.effects.skip = why
    return [Change("import", "yes", f"no ({why})")]


def _override_shipping(action: OverrideShipping, subject: Subject) -> list[Change]:
    order = subject.order
    amount = quantize(Decimal(str(action.amount).strip()), order.currency)
    before = sum((s.net for s in order.shipping_lines), ZERO)
    if before == amount and all(not s.discount for s in order.shipping_lines):
        return []
    title = order.shipping_lines[0].title if order.shipping_lines else "Shipping"
    code = order.shipping_lines[0].code if order.shipping_lines else None
    tax = sum((s.tax for s in order.shipping_lines), ZERO)
    total = quantize(order.channel_total - before + amount, order.currency)
    payments = _payments_for(order, total)
    subject.order = order.model_copy(
        update={
            "shipping_lines": (ShippingLine(title=title, code=code, amount=amount, tax=tax),),
            "channel_total": total,
            "payments": payments,
        }
    )
    changes = [Change("shipping", str(before), str(amount)), Change("total", str(order.channel_total), str(total))]
    paid_after = sum((p.amount for p in payments), ZERO)
    if paid_after != order.amount_paid:
        changes.append(Change("amount paid", str(order.amount_paid), str(paid_after)))
    return changes


def _payments_for(order: CanonicalOrder, total: Decimal) -> tuple[OrderPayment, ...]:
    """An order paid in full stays paid in full at its new total; no order is left paid more than its total."""
    paid = order.amount_paid
    target = total if paid == order.channel_total else min(paid, total)
    if target == paid or not order.payments:
        return order.payments
    payments = list(order.payments)
    difference = target - paid
    for index in reversed(range(len(payments))):
        amount = payments[index].amount
        new = max(amount + difference, ZERO)
        difference -= new - amount
        payments[index] = payments[index].model_copy(update={"amount": new})
        if not difference:
            break
    return tuple(p for p in payments if p.amount)


def _mark_unpaid(_action: MarkUnpaid, subject: Subject) -> list[Change]:
    order = subject.order
    if order.payment_state is PaymentState.UNPAID and not order.payments:
        return []
    subject.order = order.model_copy(update={"payment_state": PaymentState.UNPAID, "payments": ()})
    changes = [Change("payment state", order.payment_state.value, PaymentState.UNPAID.value)]
    if order.payments:
        changes.append(Change("payments", str(order.amount_paid), None))
    return changes


def _copy_field(action: CopyField, subject: Subject) -> list[Change]:
    source, target = FIELDS[action.source], FIELDS[action.to]
    assert target.write is not None
    changes = []
    places: Sequence[int | None] = subject.lines if target.per_line else [None]
    for index in places:
        order = subject.order
        line = order.lines[index] if index is not None else None
        value, before = source.read(order, line), target.read(order, line)
        if value is None:
            continue  # nothing to copy: the target keeps its value
        text = _text(value)
        if text != before:
            subject.order = target.write(order, index, text)
            if line is not None:
                what, shown_on = f"line {line.line_id} {target.path.removeprefix('line.')}", ORDER_LINES
            else:
                what = target.path.removeprefix("order.")
                shown_on = CUSTOMERS if what.startswith("customer.") else SALES_FORMS
            changes.append(Change(what, before, text, shown_on))
    return changes


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


_ACTIONS: dict[type, Callable[[Any, Subject], list[Change]]] = {
    RemapSku: _remap_sku,
    ShippingItem: _setting("shipping_item", "shipping item", SALES_FORMS),
    DiscountItem: _setting("discount_item", "discount item", SALES_FORMS),
    DepositAccount: _setting("deposit_account", "deposit account", DEPOSITED),
    ReceivableAccount: _setting("receivable_account", "receivable account", RECEIVABLE),
    SetClass: _setting("class_name", "class", CLASSIFIED),
    SetLocation: _setting("location", "location", CLASSIFIED),
    OrderNumberPrefix: _setting("prefix", "order number prefix", NUMBERED),
    SingleCustomer: _setting("single_customer", "customer", CUSTOMERS),
    SetLineClass: _line_class,
    SetTaxCode: _tax_code,
    DoNotImport: _do_not_import,
    OverrideShipping: _override_shipping,
    MarkUnpaid: _mark_unpaid,
    CopyField: _copy_field,
}
