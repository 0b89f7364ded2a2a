"""Magento 2 / Adobe Commerce order: ``GET /V1/orders/{id}`` (``SalesDataOrderInterface``).

Payload: the bare order exactly as the REST API returns it, or a composite of several calls::

    {
      "order": {...},              # GET /V1/orders/{id}
      "invoices": [{...}, ...],    # optional: GET /V1/invoices?searchCriteria[...][field]=order_id&...
      "creditmemos": [{...}, ...]  # optional: GET /V1/creditmemos?searchCriteria[...][field]=order_id&...
    }

``invoices`` and ``creditmemos`` may also be the search result itself (``{"items": [...], "total_count": n}``).
Magento records money received with invoices and money returned with credit memos; when they are sent they are
the record of payments and refunds, otherwise the order's ``total_paid``/``total_due``/``total_refunded`` are.

How the order is read:

- **Currency.** Every amount exists twice: ``base_*`` in the website's base currency and plain in the order
  (display) currency. Magento captures and books the base amounts, so they are the ledger's; the order currency,
  when it differs, is kept as the presentment currency and total (like Shopify's presentment money).
- **Money** arrives as JSON numbers (``59.411``) or, from some integrations, strings; both go through the field
  readers, never through binary float arithmetic. Magento does not scale by currency exponent (JPY ``9010``,
  BHD ``93.2``).
- **Dates** are ``Y-m-d H:i:s`` in UTC without a zone marker.
- **Lines.** Children of bundle and configurable items are never posted next to their parent: the parent carries
  the row Magento counts in ``subtotal`` (a configurable child is priced 0; a dynamic bundle's children repeat the
  parent's price split by component). Only a parent priced 0 whose children carry the price posts the children.
- **Tax.** Lines are posted ex-tax (``price``/``row_total``) with the order's tax as tax lines, whatever the store's
  catalogue setting, so one document never mixes modes. A discount taken on a tax-inclusive price has a tax part
  (``discount_tax_compensation_amount``), which is not a discount on the ex-tax line and is taken out of it.
  Where Magento's row total differs from quantity x unit price (prices back-calculated from tax-inclusive
  catalogue prices), the difference is booked as an explicit rounding fee, never spread into the prices.
- **Discounts**: item ``discount_amount`` is positive and the order's is negative; both are read as magnitudes.
- **Adobe Commerce** gift cards, store credit and reward points reduce ``grand_total``: they are tenders, so the
  channel total is ``grand_total`` plus them. Gift wrapping and printed cards are fees the buyer pays; their tax
  is already inside the order's ``tax_amount``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from ledgerflow.contracts import (
    Address,
    CanonicalOrder,
    Channel,
    Customer,
    FulfillmentState,
    OrderLine,
    OrderPayment,
    PaymentState,
    ShippingLine,
    TaxLine,
    currency_exponent,
    quantize,
)
from ledgerflow.contracts.canonical import ZERO, FeeLine, OrderRefund
from ledgerflow.ingest.normalizers.errors import NormalizationError
from ledgerflow.ingest.normalizers.fields import (
    MAX_AMOUNT,
    currency_code,
    decimal,
    money,
    quantity,
    required,
    text,
    timestamp_assuming,
)

_PUBLISH_FIX = (
    "Publish the body of GET /V1/orders/{id}, or {'order': <that body>, 'invoices': [...], 'creditmemos': [...]} "
    "with the order's invoices and credit memos."
)

# Offline methods: an order on one of these that nothing has been paid against yet is an open receivable.
# companycredit is Adobe Commerce B2B "Payment on Account".
_TERMS_METHODS = frozenset({"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "companycredit"})
# Order states in which an order with nothing paid is simply still waiting for its money.
_AWAITING_PAYMENT = frozenset({"new", "pending_payment", "processing", "holded", "payment_review"})
_ENDED = frozenset({"canceled", "closed"})

# Magento\Sales\Model\Order\Invoice::STATE_PAID and Creditmemo::STATE_REFUNDED.
_INVOICE_PAID = 2
_CREDITMEMO_REFUNDED = 2

_HUNDRED = Decimal(100)

# Adobe Commerce tenders taken off grand_total at checkout: (amount field, canonical tender, method name).
_TENDERS: tuple[tuple[str, Literal["gift_card", "store_credit"], str], ...] = (
    ("gift_cards_amount", "gift_card", "gift_card"),
    ("customer_balance_amount", "store_credit", "store_credit"),
    ("reward_currency_amount", "store_credit", "reward_points"),
)


@dataclass(frozen=True)
class _Ledger:
    """Reads amounts in the ledger (base) currency.

    ``base_<field>`` is the base amount; where base and order currency are the same, the plain field stands in for
    a base field Magento left out (it omits nulls, and fills some base fields only on some code paths).
    """

    currency: str
    same_as_order: bool

    def amount(self, obj: dict[str, Any], field: str, where: str, *, base_key: str | None = None) -> Decimal:
        """An optional amount: absent or null is zero, as Magento's REST API leaves null fields out."""
        key, value = self._find(obj, field, base_key)
        if value is None or value == "":
            return ZERO
        return money(value, self.currency, f"{where}.{key}")

    def required_amount(self, obj: dict[str, Any], field: str, where: str) -> Decimal:
        key, value = self._find(obj, field, None)
        if value is None or value == "":
            raise NormalizationError(
                "payload.missing_field",
                f"{where}.{key} is missing",
                f"Send the document as Magento's REST API returns it, including '{key}'.",
            )
        return money(value, self.currency, f"{where}.{key}")

    def present(self, obj: dict[str, Any], field: str, *, base_key: str | None = None) -> bool:
        _, value = self._find(obj, field, base_key)
        return value is not None and value != ""

    def _find(self, obj: dict[str, Any], field: str, base_key: str | None) -> tuple[str, Any]:
        base = base_key or f"base_{field}"
        if obj.get(base) is None and self.same_as_order and obj.get(field) is not None:
            return field, obj[field]
        return base, obj.get(base)


@dataclass(frozen=True)
class _Item:
    """An order item as posted: the item itself and, for a bundle or configurable parent, its children."""

    index: int
    item: dict[str, Any]
    children: tuple[tuple[int, dict[str, Any]], ...] = ()


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    order, invoices, creditmemos = _parts(payload)
    ledger, order_currency = _currencies(order)
    extension = _object(order.get("extension_attributes"), "order.extension_attributes")
    ordered_at = timestamp_assuming(required(order, "created_at", "order"), UTC, "order.created_at")

    items = _posted_items(order)
    lines = tuple(_line(item, ledger) for item in items)
    shipping = _shipping_lines(order, extension, ledger)
    fees = _gift_wrapping(extension, ledger) + _rounding(items, lines, ledger)
    tax_lines = _tax_lines(order, extension, ledger)

    grand_total = ledger.required_amount(order, "grand_total", "order")
    tenders = _tenders(order, extension, ledger, ordered_at)
    payment = _object(order.get("payment"), "order.payment")
    method = _label(payment.get("method"))
    received = _payments(order, payment, method, invoices, ledger, grand_total)
    refunds = _refunds(order, creditmemos, ledger)
    state = (_label(order.get("state")) or "").lower()
    payment_state = _payment_state(
        state=state,
        method=method,
        grand_total=grand_total,
        paid=sum((p.amount for p in received), ZERO),
        tendered=sum((t.amount for t in tenders), ZERO),
        refunded=sum((r.amount for r in refunds), ZERO),
        authorized=ledger.amount(payment, "amount_authorized", "order.payment"),
    )
    channel_total = grand_total + sum((t.amount for t in tenders), ZERO)
    billing = _object(order.get("billing_address"), "order.billing_address")
    return CanonicalOrder(
        channel=Channel.MAGENTO,
        channel_order_id=_id(required(order, "entity_id", "order"), "order.entity_id"),
        order_number=_id(required(order, "increment_id", "order"), "order.increment_id"),
        ordered_at=ordered_at,
        channel_status=_label(order.get("status")) or state or None,
        currency=ledger.currency,
        taxes_included=False,
        customer=_customer(order, billing),
        billing_address=_address(billing),
        shipping_address=_address(_shipping_address(extension)),
        lines=lines,
        shipping_lines=shipping,
        fees=fees,
        tax_lines=tax_lines,
        order_discount=_unallocated_discount(order, items, shipping, ledger),
        payments=received + tenders,
        payment_methods=tuple(dict.fromkeys(m for m in (method, *(t.method for t in tenders)) if m)),
        payment_state=payment_state,
        fulfillment_state=_fulfillment_state(state, items),
        refunds=refunds,
        channel_total=channel_total,
        presentment_currency=None if ledger.same_as_order else order_currency,
        presentment_total=None if ledger.same_as_order else _presentment_total(order, extension, order_currency),
        note=_label(order.get("customer_note")),
    )


# --- payload shape -------------------------------------------------------------------------------------------


def _parts(
    payload: dict[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    if "order" in payload:
        order = payload["order"]
        if not isinstance(order, dict):
            raise NormalizationError(
                "payload.not_an_order",
                f"payload.order is {type(order).__name__}, not a Magento order object",
                _PUBLISH_FIX,
            )
        _require_order(order)
        order_id = _key(order.get("entity_id"))
        invoices = _documents(payload.get("invoices"), "invoices", order_id)
        creditmemos = _documents(payload.get("creditmemos"), "creditmemos", order_id)
        return order, invoices, creditmemos
    _require_order(payload)
    return payload, None, None


def _require_order(order: dict[str, Any]) -> None:
    if "order_id" in order:
        # Invoices and credit memos have items, an increment_id and an entity_id too; order_id gives them away.
        raise NormalizationError(
            "payload.not_an_order",
            f"the Magento payload is an invoice or credit memo of order {order.get('order_id')!r}, not an order",
            "Publish GET /V1/orders/{order_id} as 'order' and this document in its 'invoices' or 'creditmemos'.",
        )
    if "search_criteria" in order or "total_count" in order:
        raise NormalizationError(
            "payload.not_an_order",
            "the Magento payload is a search result (search_criteria/total_count), not one order",
            "Publish each order of the search result on its own.",
        )
    if not any(key in order for key in ("items", "increment_id", "entity_id")):
        raise NormalizationError(
            "payload.not_an_order",
            "the Magento payload has no order: expected an order with entity_id, increment_id and items",
            _PUBLISH_FIX,
        )


def _documents(value: Any, name: str, order_id: str | None) -> list[dict[str, Any]] | None:
    """Invoices or credit memos sent with the order: a list, or the search result that holds one."""
    if value is None:
        return None
    if isinstance(value, dict) and "items" in value:
        value = value["items"]
    documents = _objects(value, name)
    for i, document in enumerate(documents):
        belongs_to = _key(document.get("order_id"))
        if belongs_to is not None and order_id is not None and belongs_to != order_id:
            raise NormalizationError(
                "payload.wrong_order",
                f"{name}[{i}] belongs to order {belongs_to}, not to order {order_id}",
                f"Send only the {name} whose order_id is {order_id}.",
            )
    return documents


def _currencies(order: dict[str, Any]) -> tuple[_Ledger, str]:
    base_value = order.get("base_currency_code")
    order_value = order.get("order_currency_code")
    if base_value is None and order_value is None:
        raise NormalizationError(
            "payload.missing_field",
            "order.base_currency_code is missing (and so is order_currency_code)",
            "Send the order as Magento returns it, including base_currency_code.",
        )
    base = currency_code(base_value, "order.base_currency_code") if base_value is not None else None
    ordered = currency_code(order_value, "order.order_currency_code") if order_value is not None else None
    ledger_currency = base or ordered or ""
    order_currency = ordered or ledger_currency
    return _Ledger(ledger_currency, same_as_order=order_currency == ledger_currency), order_currency


# --- lines ---------------------------------------------------------------------------------------------------


def _posted_items(order: dict[str, Any]) -> tuple[_Item, ...]:
    items = _objects(required(order, "items", "order"), "order.items")
    if not items:
        raise NormalizationError("payload.no_lines", f"Magento order {order.get('increment_id')!r} has no items")
    known = {_key(item.get("item_id")) for item in items} - {None}
    children: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    top: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(items):
        parent = _parent_key(item)
        if parent is not None and parent in known:
            children.setdefault(parent, []).append((index, item))
        else:
            # An item whose parent is not in the payload is the only level there is: it is posted.
            top.append((index, item))
    posted: list[_Item] = []
    for index, item in top:
        kids = tuple(children.get(_key(item.get("item_id")) or "", ()))
        if kids and _priced_only_below(item, kids, index):
            posted.extend(_Item(i, child) for i, child in kids)
        else:
            posted.append(_Item(index, item, kids))
    return tuple(posted)


def _parent_key(item: dict[str, Any]) -> str | None:
    parent = _key(item.get("parent_item_id"))
    if parent is None and isinstance(item.get("parent_item"), dict):
        parent = _key(item["parent_item"].get("item_id"))
    return parent


def _priced_only_below(parent: dict[str, Any], kids: tuple[tuple[int, dict[str, Any]], ...], index: int) -> bool:
    """A parent priced 0 whose children carry prices: the children are the priced level."""
    if _number(parent.get("row_total"), f"order.items[{index}].row_total") or _number(
        parent.get("price"), f"order.items[{index}].price"
    ):
        return False
    return any(_number(child.get("price"), f"order.items[{i}].price") for i, child in kids)


def _line(posted: _Item, ledger: _Ledger) -> OrderLine:
    item, where = posted.item, f"order.items[{posted.index}]"
    qty = quantity(
        required(item, "qty_ordered", where),
        f"{where}.qty_ordered",
        fractional=_flag(item.get("is_qty_decimal")),
    )
    unit_price = ledger.required_amount(item, "price", where)
    if abs(qty * unit_price) >= MAX_AMOUNT:
        raise NormalizationError("payload.bad_number", f"{where}: qty_ordered x price is beyond any real order amount")
    discount_with_tax = abs(_with_children(posted, "discount_amount", ledger))
    discount_tax = _with_children(posted, "discount_tax_compensation_amount", ledger)
    if discount_tax > discount_with_tax:
        raise NormalizationError(
            "payload.bad_number",
            f"{where}.discount_tax_compensation_amount {discount_tax} exceeds its discount_amount {discount_with_tax}",
        )
    tax = _non_negative(_with_children(posted, "tax_amount", ledger), f"{where}.tax_amount")
    tax_percent = item.get("tax_percent")
    product_type = (_label(item.get("product_type")) or "").lower()
    return OrderLine(
        line_id=_label(item.get("item_id")) or str(posted.index),
        sku=_label(item.get("sku")),
        title=_label(item.get("name")) or _label(item.get("sku")) or f"item {posted.index + 1}",
        quantity=qty,
        unit_price=unit_price,
        discount=discount_with_tax - discount_tax,
        tax=tax,
        taxable=bool(tax) or bool(_number(tax_percent, f"{where}.tax_percent")),
        gift_card=product_type == "giftcard",
    )


def _with_children(posted: _Item, field: str, ledger: _Ledger) -> Decimal:
    """The parent's figure, or its children's sum where Magento kept the figure on the children only.

    Whether a bundle parent repeats its children's tax and discount depends on the Magento version and the
    bundle's price type; the two are never added together.
    """
    own = ledger.amount(posted.item, field, f"order.items[{posted.index}]")
    if own or not posted.children:
        return own
    return sum((ledger.amount(child, field, f"order.items[{i}]") for i, child in posted.children), ZERO)


def _rounding(items: tuple[_Item, ...], lines: tuple[OrderLine, ...], ledger: _Ledger) -> tuple[FeeLine, ...]:
    """Magento's row totals against quantity x unit price: prices back-calculated from tax-inclusive catalogue
    prices (10.00 incl. 19% VAT is 8.4034 ex-tax) make the rows differ by a cent or so.

    Only what rounding can explain (half a minor unit per unit sold, and per row) is booked; a larger gap is a
    real disagreement between the row and its price, left for the balance check to report.
    """
    half_unit = Decimal(1).scaleb(-currency_exponent(ledger.currency)) / 2
    difference = ZERO
    for posted, line in zip(items, lines, strict=True):
        if not ledger.present(posted.item, "row_total"):
            continue
        row_total = ledger.amount(posted.item, "row_total", f"order.items[{posted.index}]")
        gap = row_total - quantize(line.gross, ledger.currency)
        if abs(gap) <= (line.quantity + 1) * half_unit:
            difference += gap
    if not difference:
        return ()
    return (FeeLine(title="Rounding (Magento row totals)", amount=difference),)


# --- shipping, fees, tax, discounts --------------------------------------------------------------------------


def _shipping_lines(order: dict[str, Any], extension: dict[str, Any], ledger: _Ledger) -> tuple[ShippingLine, ...]:
    amount = ledger.amount(order, "shipping_amount", "order")
    discount_with_tax = abs(ledger.amount(order, "shipping_discount_amount", "order"))
    # The base field's name is truncated in Magento's schema (a MySQL column-name limit).
    discount_tax = ledger.amount(
        order,
        "shipping_discount_tax_compensation_amount",
        "order",
        base_key="base_shipping_discount_tax_compensation_amnt",
    )
    if not amount and not discount_with_tax:
        return ()
    if discount_tax > discount_with_tax:
        raise NormalizationError(
            "payload.bad_number",
            f"order.shipping_discount_tax_compensation_amount {discount_tax} exceeds the shipping discount "
            f"{discount_with_tax}",
        )
    shipping = _object(_first_assignment(extension).get("shipping"), "shipping_assignments[0].shipping")
    return (
        ShippingLine(
            title=_label(order.get("shipping_description")) or "Shipping",
            code=_label(shipping.get("method")) or _label(order.get("shipping_method")),
            amount=amount,
            discount=discount_with_tax - discount_tax,
            tax=_non_negative(ledger.amount(order, "shipping_tax_amount", "order"), "order.shipping_tax_amount"),
        ),
    )


def _gift_wrapping(extension: dict[str, Any], ledger: _Ledger) -> tuple[FeeLine, ...]:
    """Adobe Commerce gift wrapping: for the order, for items, and a printed card (gw_* fields, often strings)."""
    where = "order.extension_attributes"
    fees = []
    for title, prefix in (("Gift wrapping", "gw"), ("Gift wrapping (items)", "gw_items"), ("Printed card", "gw_card")):
        amount = ledger.amount(extension, f"{prefix}_price", where, base_key=f"{prefix}_base_price")
        tax = ledger.amount(extension, f"{prefix}_tax_amount", where, base_key=f"{prefix}_base_tax_amount")
        if amount:
            fees.append(FeeLine(title=title, amount=amount, tax=tax))
    return tuple(fees)


def _tax_lines(order: dict[str, Any], extension: dict[str, Any], ledger: _Ledger) -> tuple[TaxLine, ...]:
    """The order's tax by rate from ``applied_taxes``; ``tax_amount`` stays the reference for the total."""
    total = _non_negative(ledger.amount(order, "tax_amount", "order"), "order.tax_amount")
    where = "order.extension_attributes.applied_taxes"
    lines = []
    for i, applied in enumerate(_objects(extension.get("applied_taxes"), where)):
        amount = ledger.amount(applied, "amount", f"{where}[{i}]")
        if not amount:
            continue
        percent = applied.get("percent")
        lines.append(
            TaxLine(
                title=_label(applied.get("title")) or _label(applied.get("code")) or "Tax",
                rate=None if percent is None else decimal(percent, f"{where}[{i}].percent") / _HUNDRED,
                amount=amount,
            )
        )
    remainder = total - sum((line.amount for line in lines), ZERO)
    if remainder:
        lines.append(TaxLine(title="Tax" if not lines else "Tax (not broken down by rate)", amount=remainder))
    return tuple(lines)


def _unallocated_discount(
    order: dict[str, Any], items: tuple[_Item, ...], shipping: tuple[ShippingLine, ...], ledger: _Ledger
) -> Decimal:
    """Magento allocates every discount to items and shipping; a third-party rule may leave some at order level."""
    total = abs(ledger.amount(order, "discount_amount", "order"))
    allocated = sum((abs(_with_children(posted, "discount_amount", ledger)) for posted in items), ZERO)
    allocated += abs(ledger.amount(order, "shipping_discount_amount", "order")) if shipping else ZERO
    return max(total - allocated, ZERO)


# --- payments and refunds ------------------------------------------------------------------------------------


def _tenders(
    order: dict[str, Any], extension: dict[str, Any], ledger: _Ledger, ordered_at: datetime
) -> tuple[OrderPayment, ...]:
    """Adobe Commerce gift cards, store credit and reward points: redeemed at checkout, outside ``grand_total``."""
    tenders = []
    for field, tender, method in _TENDERS:
        source, where = _tender_source(order, extension, field)
        amount = _non_negative(ledger.amount(source, field, where), f"{where}.base_{field}")
        if amount:
            tenders.append(OrderPayment(tender=tender, method=method, amount=amount, paid_at=ordered_at))
    return tuple(tenders)


def _tender_source(order: dict[str, Any], extension: dict[str, Any], field: str) -> tuple[dict[str, Any], str]:
    """REST sends tenders as extension attributes; flattened exports put them on the order itself."""
    if extension.get(field) is not None or extension.get(f"base_{field}") is not None:
        return extension, "order.extension_attributes"
    return order, "order"


def _payments(
    order: dict[str, Any],
    payment: dict[str, Any],
    method: str | None,
    invoices: list[dict[str, Any]] | None,
    ledger: _Ledger,
    grand_total: Decimal,
) -> tuple[OrderPayment, ...]:
    """Money received through the payment method: the paid invoices when sent, else the order's own figures."""
    if invoices is not None:
        received = []
        for i, invoice in enumerate(invoices):
            where = f"invoices[{i}]"
            if _state_code(required(invoice, "state", where), f"{where}.state") != _INVOICE_PAID:
                continue
            created = invoice.get("created_at")
            received.append(
                OrderPayment(
                    transaction_id=_label(invoice.get("transaction_id")),
                    method=method,
                    amount=ledger.required_amount(invoice, "grand_total", where),
                    paid_at=None if created is None else timestamp_assuming(created, UTC, f"{where}.created_at"),
                )
            )
        return tuple(received)
    paid = _paid_per_order(order, payment, ledger, grand_total)
    if not paid:
        return ()
    return (OrderPayment(transaction_id=_label(payment.get("last_trans_id")), method=method, amount=paid),)


def _paid_per_order(order: dict[str, Any], payment: dict[str, Any], ledger: _Ledger, grand_total: Decimal) -> Decimal:
    if ledger.present(order, "total_paid"):
        return _non_negative(ledger.amount(order, "total_paid", "order"), "order.base_total_paid")
    if ledger.present(order, "total_due"):
        # total_due is grand_total - total_paid; the REST API leaves total_paid out while it is null.
        return max(grand_total - ledger.amount(order, "total_due", "order"), ZERO)
    return _non_negative(ledger.amount(payment, "amount_paid", "order.payment"), "order.payment.base_amount_paid")


def _refunds(
    order: dict[str, Any], creditmemos: list[dict[str, Any]] | None, ledger: _Ledger
) -> tuple[OrderRefund, ...]:
    """Refunded credit memos when sent; otherwise one refund for the order's ``total_refunded``, never both."""
    if creditmemos is not None:
        refunds = []
        for i, memo in enumerate(creditmemos):
            where = f"creditmemos[{i}]"
            if _state_code(required(memo, "state", where), f"{where}.state") != _CREDITMEMO_REFUNDED:
                continue
            number = _label(memo.get("increment_id"))
            comment = _label(memo.get("customer_note"))
            created = memo.get("created_at")
            refunds.append(
                OrderRefund(
                    refund_id=_label(memo.get("entity_id")) or number or str(i),
                    amount=_non_negative(ledger.required_amount(memo, "grand_total", where), f"{where}.grand_total"),
                    created_at=None if created is None else timestamp_assuming(created, UTC, f"{where}.created_at"),
                    note=": ".join(p for p in (f"credit memo {number}" if number else None, comment) if p) or None,
                )
            )
        return tuple(refunds)
    refunded = _non_negative(ledger.amount(order, "total_refunded", "order"), "order.base_total_refunded")
    if not refunded:
        return ()
    return (
        OrderRefund(
            refund_id="total_refunded",
            amount=refunded,
            note="the order's total_refunded; send the credit memos for one refund per credit memo",
        ),
    )


def _payment_state(
    *,
    state: str,
    method: str | None,
    grand_total: Decimal,
    paid: Decimal,
    tendered: Decimal,
    refunded: Decimal,
    authorized: Decimal,
) -> PaymentState:
    """From the money figures first; the order state only tells an unpaid order's situation apart."""
    if refunded > 0:
        # Credit memos refund the payment method's part; gift cards and store credit are refunded separately.
        return PaymentState.REFUNDED if refunded >= (paid or tendered) else PaymentState.PARTIALLY_REFUNDED
    if paid >= grand_total and (paid > 0 or grand_total == 0):
        return PaymentState.PAID  # grand_total is what the payment method owes once tenders are taken off
    if paid > 0 or tendered > 0:
        return PaymentState.PARTIALLY_PAID
    if state in _ENDED:
        return PaymentState.VOIDED
    if authorized > 0:
        return PaymentState.AUTHORIZED
    if method is not None and method.lower() in _TERMS_METHODS:
        return PaymentState.ON_TERMS
    if state in _AWAITING_PAYMENT:
        return PaymentState.UNPAID
    # "complete" with nothing paid, or a state no Magento release has: the raw status stays in channel_status.
    return PaymentState.UNKNOWN


def _presentment_total(order: dict[str, Any], extension: dict[str, Any], currency: str) -> Decimal:
    total = money(required(order, "grand_total", "order"), currency, "order.grand_total")
    for field, _, _ in _TENDERS:
        source, where = _tender_source(order, extension, field)
        value = source.get(field)
        if value is not None and value != "":
            total += money(value, currency, f"{where}.{field}")
    return total


# --- fulfilment ----------------------------------------------------------------------------------------------


def _fulfillment_state(state: str, items: tuple[_Item, ...]) -> FulfillmentState:
    if state == "canceled":
        return FulfillmentState.CANCELLED
    if state == "complete":
        return FulfillmentState.FULFILLED
    fractions = (_shipped_fraction(posted.index, posted.item, posted.children) for posted in items)
    shipped = [f for f in fractions if f is not None]
    if shipped and all(f >= 1 for f in shipped):
        return FulfillmentState.FULFILLED
    if any(f > 0 for f in shipped):
        return FulfillmentState.PARTIALLY_FULFILLED
    return FulfillmentState.UNFULFILLED


def _shipped_fraction(
    index: int, item: dict[str, Any], children: tuple[tuple[int, dict[str, Any]], ...]
) -> Decimal | None:
    """Shipped share of what is still to ship; None for virtual items and items with nothing left to ship."""
    if _flag(item.get("is_virtual")):
        return None
    where = f"order.items[{index}]"
    to_ship = (
        _number(item.get("qty_ordered"), f"{where}.qty_ordered")
        - _number(item.get("qty_canceled"), f"{where}.qty_canceled")
        - _number(item.get("qty_refunded"), f"{where}.qty_refunded")
    )
    if to_ship <= 0:
        return None
    fraction = _number(item.get("qty_shipped"), f"{where}.qty_shipped") / to_ship
    if fraction or not children:
        return fraction
    # A bundle shipped separately records shipments on its children.
    fractions = [f for f in (_shipped_fraction(i, child, ()) for i, child in children) if f is not None]
    return min(fractions) if fractions else fraction


# --- customer and addresses ----------------------------------------------------------------------------------


def _customer(order: dict[str, Any], billing: dict[str, Any]) -> Customer | None:
    guest = _flag(order.get("customer_is_guest"))
    customer_id = order.get("customer_id")
    channel_id = None if guest or customer_id is None else _id(customer_id, "order.customer_id")
    email = _label(order.get("customer_email")) or _label(billing.get("email"))
    first = _label(order.get("customer_firstname")) or _label(billing.get("firstname"))
    last = _label(order.get("customer_lastname")) or _label(billing.get("lastname"))
    company = _label(billing.get("company"))
    if not any((channel_id, email, first, last, company)):
        return None
    return Customer(
        channel_customer_id=channel_id,
        email=email,
        first_name=first,
        last_name=last,
        company=company,
        phone=_label(billing.get("telephone")),
    )


def _first_assignment(extension: dict[str, Any]) -> dict[str, Any]:
    where = "order.extension_attributes.shipping_assignments"
    assignments = _objects(extension.get("shipping_assignments"), where)
    return assignments[0] if assignments else {}


def _shipping_address(extension: dict[str, Any]) -> dict[str, Any]:
    """Magento keeps the shipping address in the shipping assignment, not on the order."""
    shipping = _object(_first_assignment(extension).get("shipping"), "shipping_assignments[0].shipping")
    return _object(shipping.get("address"), "shipping_assignments[0].shipping.address")


def _address(a: dict[str, Any]) -> Address | None:
    if not a:
        return None
    street = a.get("street")
    if isinstance(street, list):
        parts = [p for p in (_label(s) for s in street) if p]
    else:
        parts = [p.strip() for p in (_label(street) or "").splitlines() if p.strip()]
    name = " ".join(p for p in (_label(a.get(k)) for k in ("firstname", "middlename", "lastname")) if p)
    return Address(
        name=name or None,
        company=_label(a.get("company")),
        line1=parts[0] if parts else None,
        line2=", ".join(parts[1:]) or None,
        city=_label(a.get("city")),
        region=_label(a.get("region_code")) or _label(a.get("region")),
        postal_code=_label(a.get("postcode")),
        country_code=_label(a.get("country_id")),
        phone=_label(a.get("telephone")),
    )


# --- small readers -------------------------------------------------------------------------------------------


def _object(value: Any, where: str) -> dict[str, Any]:
    """An optional JSON object: absent is empty, anything but an object is an error naming the field."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NormalizationError(
            "payload.bad_shape", f"{where} is {type(value).__name__} {_short(value)}, not a JSON object", _PUBLISH_FIX
        )
    return value


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    """An optional list of JSON objects."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise NormalizationError(
            "payload.bad_shape", f"{where} is {type(value).__name__} {_short(value)}, not a list", _PUBLISH_FIX
        )
    for i, element in enumerate(value):
        if not isinstance(element, dict):
            raise NormalizationError(
                "payload.bad_shape",
                f"{where}[{i}] is {type(element).__name__} {_short(element)}, not a JSON object",
                _PUBLISH_FIX,
            )
    return value


def _id(value: Any, where: str) -> str:
    """An id as text. A JSON float is refused: an integer id above 2^53 has already lost digits as a float."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise NormalizationError(
            "payload.bad_id",
            f"{where} is {_short(value)}, not an integer or string id",
            "Send ids as the API returns them (integers or strings), never through a float.",
        )
    return str(value).strip()


def _key(value: Any) -> str | None:
    """An item or order id for matching parents and documents; None when there is none usable."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return str(value).strip() or None


def _label(value: Any) -> str | None:
    """Descriptive text (a name, a SKU, a city): scalars only, so a stray object never becomes a title."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return text(value)


def _flag(value: Any) -> bool:
    """Magento's 0/1 flags, sent as integers, booleans or strings."""
    return value is True or (not isinstance(value, bool) and value in (1, "1", "true", "True"))


def _number(value: Any, where: str) -> Decimal:
    """An optional plain number (quantity, percent): absent is zero."""
    return ZERO if value is None or value == "" else decimal(value, where)


def _state_code(value: Any, where: str) -> int:
    number = decimal(value, where)
    if number != number.to_integral_value():
        raise NormalizationError("payload.bad_number", f"{where} is {value!r}, not a state code")
    return int(number)


def _non_negative(amount: Decimal, where: str) -> Decimal:
    if amount < 0:
        raise NormalizationError("payload.bad_number", f"{where} is {amount}: it cannot be negative")
    return amount


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
