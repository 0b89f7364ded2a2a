"""Amazon SP-API orders: Orders v0 (``getOrders``/``getOrder`` + ``getOrderItems``) and Orders 2026-01-01.

The version is told from the order's own keys: v0 orders carry ``AmazonOrderId`` (PascalCase), 2026-01-01 orders
carry ``orderId`` (camelCase).

Payload shapes accepted
-----------------------
Orders v0 needs two calls, so its payload is a composite::

    {"order": <Order>, "items": [<OrderItem>, ...]}

``<Order>`` is one element of ``getOrders`` ``payload.Orders`` (or the ``payload`` of ``getOrder``) and ``items``
is ``getOrderItems`` ``payload.OrderItems`` (the whole ``getOrderItems`` response, ``{"payload": {...}}``, is
accepted there too). The two raw responses side by side are accepted as well::

    {"getOrder" | "getOrders": {"payload": ...},
     "getOrderItems": {"payload": {"AmazonOrderId": ..., "OrderItems": [...]}}}

where a ``getOrders`` page holding several orders is narrowed to the one ``getOrderItems`` names. A v0 order
without its items cannot be booked (``getOrders`` has no lines), but it is still read far enough to give the
precise reason, e.g. that a ``Pending`` order has no total yet.

Orders 2026-01-01 carries its items inside the order: the bare ``<Order>``, the ``getOrder`` response
``{"order": <Order>}`` and a ``searchOrders`` page holding one order ``{"orders": [<Order>]}`` are accepted.
Request ``includedData=PROCEEDS,FULFILLMENT`` (plus BUYER, RECIPIENT, PAYMENT, TAX where wanted): without
proceeds there is no total and without fulfilment no status.

Payment state (R3)
------------------
Amazon publishes no payment status. Its order status is documented in payment terms (``Pending``: "payment has
not been authorized"; ``Unshipped``: "payment has been authorized"), and Amazon charges the buyer when the order
ships. The state is therefore read from the payment method fields first (``PaymentMethod``,
``PaymentMethodDetails``, ``PaymentExecutionDetail``; ``payment.paymentExecutions`` in 2026) and then from the
payment meaning the status is documented to carry:

===================================  ==============  ================  ====================================
status (v0 / 2026)                   card & other    COD, Invoice      convenience store (CVS)
===================================  ==============  ================  ====================================
Pending, PendingAvailability         unpaid          on_terms [*]      on_terms (buyer pays at the store)
Unshipped, PartiallyShipped          authorized      on_terms [*]      paid
Shipped, InvoiceUnconfirmed          paid            on_terms [*]      paid
Canceled / CANCELLED                 voided          voided            voided
Unfulfillable, anything else         unknown         unknown           unknown
===================================  ==============  ================  ====================================

[*] sub-payments already made (gift card, points) are tenders: partially_paid, or paid when they cover the total.

Amazon's selling fees and refunds are not in the Orders API (they come from the Finances API), so ``refunds`` is
always empty here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
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
from ledgerflow.contracts.canonical import ZERO, FeeLine
from ledgerflow.ingest.normalizers.errors import NormalizationError
from ledgerflow.ingest.normalizers.fields import currency_code, decimal, quantity, required, timestamp

_V0_FIX = (
    'Publish {"order": <getOrder payload>, "items": <getOrderItems payload.OrderItems>} '
    "with every page of getOrderItems."
)
_ONE_ORDER_FIX = (
    'Publish one Amazon order: Orders v0 as {"order": <Order>, "items": <OrderItems>}, '
    "or one Orders 2026-01-01 order (getOrder)."
)
_V2026_FIX = "Publish the 2026-01-01 getOrder body with includedData=PROCEEDS,FULFILLMENT (plus BUYER, RECIPIENT)."

# Marketplaces whose list prices exclude sales tax (tax is added at checkout). Everywhere else Amazon shows
# VAT/GST/consumption-tax inclusive prices, and v0 ItemPrice is that inclusive price with ItemTax the tax inside it
# (amzn/selling-partner-api-models issue #4858); OrderTotal then does not add ItemTax on top.
_TAX_EXCLUSIVE_MARKETPLACES = frozenset({"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"})  # US, CA
_TAX_INCLUSIVE_MARKETPLACES = frozenset(
    {
        "A1AM78C64UM0Y8", "A2Q3Y263D00KWC",  # MX, BR
        "A28R8C7NBKEWEA", "A1RKKUPIHCS9HS", "A1F83G8C2ARO7P", "A13V1IB3VIYZZH", "AMEN7PMS3EDWL",  # IE ES UK FR BE
        "A1805IZSGTT6HS", "A1PA6795UKMFR9", "APJ6JRA9NG5V4", "A2NODRKZP88ZB9", "AE08WJ6YKNBMC",  # NL DE IT SE ZA
        "A1C3SOZRARQ6R3", "ARBP9OOSHTCHU", "A33AVAJ2PDY3EV", "A17E79C6D8DWNP", "A2VIGQ35RCS4UG",  # PL EG TR SA AE
        "A21TJRUUN4KGV", "A19VAU5U5O7RUS", "A39IBJ37TRP1C6", "A1VC38T7YXB528",  # IN SG AU JP
    }
)  # fmt: skip


class _Stage(Enum):
    """Where the order is, in the payment terms Amazon's status documentation uses."""

    PENDING = "pending"  # placed, payment not authorised
    READY = "ready"  # authorised, nothing shipped
    PARTIAL = "partial"  # some items shipped
    SHIPPED = "shipped"  # all shipped: Amazon has charged the buyer
    CANCELLED = "cancelled"
    UNFULFILLABLE = "unfulfillable"  # multi-channel fulfilment: Amazon takes no payment for these


_V0_STAGES = {
    "PendingAvailability": _Stage.PENDING,
    "Pending": _Stage.PENDING,
    "Unshipped": _Stage.READY,
    "PartiallyShipped": _Stage.PARTIAL,
    "Shipped": _Stage.SHIPPED,
    "InvoiceUnconfirmed": _Stage.SHIPPED,
    "Canceled": _Stage.CANCELLED,
    "Unfulfillable": _Stage.UNFULFILLABLE,
}
_V2026_STAGES = {
    "PENDING_AVAILABILITY": _Stage.PENDING,
    "PENDING": _Stage.PENDING,
    "UNSHIPPED": _Stage.READY,
    "PARTIALLY_SHIPPED": _Stage.PARTIAL,
    "SHIPPED": _Stage.SHIPPED,
    "CANCELLED": _Stage.CANCELLED,
    "UNFULFILLABLE": _Stage.UNFULFILLABLE,
}
_FULFILLMENT = {
    _Stage.PARTIAL: FulfillmentState.PARTIALLY_FULFILLED,
    _Stage.SHIPPED: FulfillmentState.FULFILLED,
    _Stage.CANCELLED: FulfillmentState.CANCELLED,
}
# Prepaid methods: Amazon authorises at checkout and charges at shipment.
_PREPAID_STATES = {
    _Stage.PENDING: PaymentState.UNPAID,
    _Stage.READY: PaymentState.AUTHORIZED,
    # Amazon charges each shipment as it leaves; the amount captured so far is not in the Orders API.
    _Stage.PARTIAL: PaymentState.AUTHORIZED,
    _Stage.SHIPPED: PaymentState.PAID,
}


class _Method(Enum):
    PREPAID = "prepaid"
    PAY_LATER = "pay_later"  # cash on delivery, Amazon Business pay-by-invoice: an open receivable
    PAY_AT_STORE = "pay_at_store"  # konbini: the buyer pays before Amazon releases the order


_PAY_LATER_METHODS = frozenset({"cod", "cashondelivery", "invoice"})
_PAY_AT_STORE_METHODS = frozenset({"cvs", "conveniencestore"})

# Buyer-paid charges other than items and shipping, by their 2026 proceeds category (v0 has the first two).
_BREAKDOWN_FEES = {"GIFT_WRAP": "Gift wrap", "COD_FEE": "Cash on delivery fee", "OTHER": "Other charges"}
_TIP = "Delivery tip"


# ---------------------------------------------------------------------------------------------------------------
# Entry point and payload location


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    source = _locate(payload)
    if source.version == "v0":
        return _normalize_v0(source)
    return _normalize_2026(source.order)


@dataclass(frozen=True)
class _Source:
    version: str
    order: dict[str, Any]
    items: Any = None  # v0 only: getOrderItems OrderItems, a response body, or None when not sent
    items_next_token: Any = None


def _locate(payload: dict[str, Any]) -> _Source:
    if not isinstance(payload, dict):
        raise _not_an_order(f"the payload is a {type(payload).__name__}, not a JSON object")
    if any(key in payload for key in ("getOrder", "getOrders", "getOrderItems")):
        return _from_raw_responses(payload)
    body = _unwrap_response(payload, "payload")
    if "order" in body:
        order = _object(body["order"], "order")
        return _source(order, body.get("items"))
    for key in ("orders", "Orders"):  # a searchOrders (2026) or getOrders (v0) page
        if key in body:
            return _source(_only_order(body[key], key, None), body.get("items"))
    return _source(body, None)


def _source(order: dict[str, Any], items: Any) -> _Source:
    if "AmazonOrderId" in order:
        next_token = None
        if isinstance(items, dict):
            items_body = _unwrap_response(items, "items")
            next_token = items_body.get("NextToken")
            items = items_body.get("OrderItems")
        return _Source("v0", order, items, next_token)
    if "orderId" in order:
        return _Source("2026-01-01", order)
    raise _not_an_order("it has neither AmazonOrderId (Orders v0) nor orderId (Orders 2026-01-01)")


def _from_raw_responses(payload: dict[str, Any]) -> _Source:
    items_body = _unwrap_response(payload.get("getOrderItems") or {}, "getOrderItems")
    wanted = _optional_text(items_body.get("AmazonOrderId"), "getOrderItems.payload.AmazonOrderId")
    if "getOrder" in payload:
        order = _object(_unwrap_response(payload["getOrder"], "getOrder"), "getOrder.payload")
    elif "getOrders" not in payload:
        raise _not_an_order("getOrderItems came without the order it belongs to (getOrder or getOrders)", _V0_FIX)
    else:
        orders_body = _unwrap_response(payload.get("getOrders"), "getOrders")
        order = _only_order(orders_body.get("Orders"), "getOrders.payload.Orders", wanted)
    if "AmazonOrderId" not in order:
        raise _not_an_order("getOrder/getOrders does not hold an Orders v0 order (no AmazonOrderId)")
    if wanted is not None and _text(order.get("AmazonOrderId")) != wanted:
        raise NormalizationError(
            "payload.order_mismatch",
            f"getOrderItems is for Amazon order {wanted} but the order is {order.get('AmazonOrderId')!r}",
            "Publish each order with its own getOrderItems response.",
        )
    items = items_body.get("OrderItems") if "getOrderItems" in payload else None
    return _Source("v0", order, items, items_body.get("NextToken"))


def _unwrap_response(value: Any, where: str) -> dict[str, Any]:
    """SP-API v0 wraps every response body in ``{"payload": ...}``; take the body either way."""
    body = _object(value, where)
    if "payload" in body:
        return _object(body["payload"], f"{where}.payload")
    return body


def _only_order(listed: Any, where: str, wanted: str | None) -> dict[str, Any]:
    orders = [_object(o, f"{where}[{i}]") for i, o in enumerate(_list(listed, where))]
    if wanted is not None:
        orders = [o for o in orders if _text(o.get("AmazonOrderId")) == wanted] or orders
    if len(orders) != 1:
        raise _not_an_order(
            f"{where} holds {len(orders)} orders; one payload is one order",
            "Publish each order on its own (for v0, with the getOrderItems response that names it).",
        )
    return orders[0]


# ---------------------------------------------------------------------------------------------------------------
# Money


@dataclass(frozen=True)
class _MoneyReader:
    """Reads Amazon ``Money`` objects of one order: v0 ``{CurrencyCode, Amount}``, 2026 ``{currencyCode, amount}``."""

    currency: str
    amount_key: str
    currency_key: str

    def optional(self, value: Any, where: str) -> Decimal | None:
        if value is None:
            return None
        money = _object(value, where, f"a money object {{{self.currency_key}, {self.amount_key}}}")
        code = money.get(self.currency_key)
        if code is not None and code != "":
            code = currency_code(code, f"{where}.{self.currency_key}")
            if code != self.currency:
                raise NormalizationError(
                    "payload.bad_currency",
                    f"{where} is in {code} but the order is in {self.currency}",
                    "Amazon's own sample data mixes currencies; a real order has one currency. "
                    "Check the order in Seller Central.",
                )
        return _exact_amount(required(money, self.amount_key, where), self.currency, f"{where}.{self.amount_key}")

    def charge(self, value: Any, where: str) -> Decimal:
        """A price, fee or tax: absent is zero, negative is an error."""
        amount = self.optional(value, where)
        if amount is None:
            return ZERO
        if amount < 0:
            raise NormalizationError("payload.bad_number", f"{where} is {amount}: a charge cannot be negative")
        return amount

    def reduction(self, value: Any, where: str) -> Decimal:
        """A discount: Amazon sends positive amounts to subtract; a negated one (some exports) means the same."""
        amount = self.optional(value, where)
        return ZERO if amount is None else abs(amount)


def _exact_amount(value: Any, currency: str, where: str) -> Decimal:
    number = decimal(value, where)
    scaled = quantize(number, currency)
    if scaled != number:
        # Amazon's own JPY sample has "25.99": rounding it would invent money, so it is refused instead.
        raise NormalizationError(
            "payload.bad_number",
            f"{where} is {value!r}: {currency} has {currency_exponent(currency)} decimal places",
            "Check the amount and currency of the order in Seller Central.",
        )
    return scaled


def _order_currency(money: Any, amount_key: str, currency_key: str, where: str) -> str:
    obj = _object(money, where, f"a money object {{{currency_key}, {amount_key}}}")
    return currency_code(required(obj, currency_key, where), f"{where}.{currency_key}")


def _unit_price(gross: Decimal, qty: Decimal) -> Decimal:
    """Amazon gives the line total (price x quantity); the unit price is derived, exact where it divides."""
    unit = gross / qty
    if unit * qty != gross:
        unit = unit.quantize(Decimal("1e-10"))  # 3 for 10.00: the line still rebuilds to 10.00 to the cent
    return unit


# ---------------------------------------------------------------------------------------------------------------
# Charges shared by both versions: shipping, buyer-paid fees, unallocated discounts, tax by liability


@dataclass
class _Charges:
    shipping: Decimal = ZERO
    shipping_discount: Decimal = ZERO
    shipping_tax: Decimal = ZERO
    fees: dict[str, list[Decimal]] = field(default_factory=dict)  # title -> [amount, tax]
    order_discount: Decimal = ZERO
    tax_by_collector: dict[str | None, Decimal] = field(default_factory=dict)  # None: the seller's own tax
    itemised: bool = False  # 2026: some item carries its own proceeds breakdowns

    def add_fee(self, title: str, amount: Decimal, tax: Decimal = ZERO) -> None:
        if amount or tax:
            entry = self.fees.setdefault(title, [ZERO, ZERO])
            entry[0] += amount
            entry[1] += tax

    def add_tax(self, collector: str | None, amount: Decimal) -> None:
        if amount:
            self.tax_by_collector[collector] = self.tax_by_collector.get(collector, ZERO) + amount

    @property
    def total_tax(self) -> Decimal:
        return sum(self.tax_by_collector.values(), ZERO)

    def shipping_lines(self, title: str) -> tuple[ShippingLine, ...]:
        if not (self.shipping or self.shipping_discount or self.shipping_tax):
            return ()
        return (
            ShippingLine(title=title, amount=self.shipping, discount=self.shipping_discount, tax=self.shipping_tax),
        )

    def fee_lines(self) -> tuple[FeeLine, ...]:
        return tuple(FeeLine(title=title, amount=amount, tax=tax) for title, (amount, tax) in self.fees.items())

    def tax_lines(self) -> tuple[TaxLine, ...]:
        # The Orders API names no jurisdiction, only who remits: Amazon (marketplace facilitator) or the seller.
        return tuple(
            TaxLine(title="Tax", amount=amount)
            if collector is None
            else TaxLine(title=f"Tax collected by {collector}", amount=amount, channel_liable=True)
            for collector, amount in self.tax_by_collector.items()
        )

    def net_of_tax(self, lines: tuple[OrderLine, ...]) -> Decimal:
        return (
            sum((line.net for line in lines), ZERO)
            + self.shipping
            - self.shipping_discount
            + sum((amount for amount, _ in self.fees.values()), ZERO)
            - self.order_discount
        )


# ---------------------------------------------------------------------------------------------------------------
# Orders v0


def _normalize_v0(source: _Source) -> CanonicalOrder:
    order = source.order
    order_id = _id(order, "AmazonOrderId", "order")
    status = _optional_text(order.get("OrderStatus"), "order.OrderStatus")
    stage = _V0_STAGES.get(status) if status else None
    currency, total = _v0_total(order, order_id, status, stage)
    money = _MoneyReader(currency, "Amount", "CurrencyCode")
    charges = _Charges()
    lines = _v0_lines(source, order_id, status, money, charges)
    method = _v0_method(order)
    # The model documents PaymentExecutionDetail for COD orders only (its IBA sample is mock data in BRL).
    executions = _v0_executions(order, money) if method is _Method.PAY_LATER else ()
    state = _payment_state(stage, method, executions, total)
    buyer = _object_or_empty(order.get("BuyerInfo"), "order.BuyerInfo")
    return CanonicalOrder(
        channel=Channel.AMAZON,
        channel_order_id=order_id,
        order_number=order_id,  # the 3-7-7 id is what buyer and seller both see; SellerOrderId is optional
        ordered_at=timestamp(required(order, "PurchaseDate", "order"), "order.PurchaseDate"),
        channel_status=status,
        currency=currency,
        taxes_included=_v0_taxes_included(order, currency, total, lines, charges),
        customer=_v0_customer(order),
        shipping_address=_v0_address(order.get("ShippingAddress")),
        lines=lines,
        shipping_lines=charges.shipping_lines(
            _optional_text(order.get("ShipServiceLevel"), "order.ShipServiceLevel") or "Shipping"
        ),
        fees=charges.fee_lines(),
        tax_lines=charges.tax_lines(),
        order_discount=charges.order_discount,
        payments=_payments(state, method, executions, total),
        payment_methods=_v0_payment_methods(order),
        payment_state=state,
        fulfillment_state=_fulfillment(stage),
        channel_total=total,
        note=_purchase_order_note(buyer.get("PurchaseOrderNumber"), "order.BuyerInfo.PurchaseOrderNumber"),
    )


def _v0_total(order: dict[str, Any], order_id: str, status: str | None, stage: _Stage | None) -> tuple[str, Decimal]:
    raw = order.get("OrderTotal")
    if raw is None or raw == {}:
        if stage is _Stage.PENDING:
            raise _payment_not_authorized(order_id, status, "OrderTotal")
        raise NormalizationError(
            "payload.missing_field",
            f"order.OrderTotal is missing (Amazon order {order_id}, status {status})",
            "Amazon omits OrderTotal until the payment is authorised (and on orders cancelled before that); "
            "publish the order once it has one.",
        )
    currency = _order_currency(raw, "Amount", "CurrencyCode", "order.OrderTotal")
    total = _MoneyReader(currency, "Amount", "CurrencyCode").charge(raw, "order.OrderTotal")
    return currency, total


def _payment_not_authorized(order_id: str, status: str | None, total_field: str) -> NormalizationError:
    # Deliberate: a Pending order is refused rather than booked as unpaid with a total summed from its items.
    # Amazon has not authorised the buyer's payment, publishes no total, and may still change the amounts or
    # cancel the order (a failed authorisation cancels it). A total derived from the items would also make the
    # balance check prove nothing. The order normalizes normally once it reaches Unshipped.
    return NormalizationError(
        "payload.payment_not_authorized",
        f"Amazon order {order_id} is {status}: the buyer's payment is not authorised yet, so Amazon publishes "
        f"no {total_field} and the order may still change or be cancelled",
        "Publish the order again once its status is Unshipped (or later); Amazon then adds the order total.",
    )


def _v0_lines(
    source: _Source, order_id: str, status: str | None, money: _MoneyReader, charges: _Charges
) -> tuple[OrderLine, ...]:
    if source.items is None:
        raise NormalizationError(
            "payload.missing_field",
            f"the order items of Amazon order {order_id} are missing: getOrders/getOrder has no lines",
            _V0_FIX,
        )
    if source.items_next_token:
        raise NormalizationError(
            "payload.incomplete_items",
            f"getOrderItems for Amazon order {order_id} has a NextToken: more items follow on another page",
            "Fetch every getOrderItems page (pass NextToken until it is absent) and publish all items together.",
        )
    items = _list(source.items, "items")
    lines = tuple(
        line for i, item in enumerate(items) if (line := _v0_item(_object(item, f"items[{i}]"), i, money, charges))
    )
    if not lines:
        raise NormalizationError(
            "payload.no_lines", f"Amazon order {order_id} ({status}) has no order items with a quantity", _V0_FIX
        )
    return lines


def _v0_item(item: dict[str, Any], index: int, money: _MoneyReader, charges: _Charges) -> OrderLine | None:
    where = f"items[{index}]"
    line_id = _id(item, "OrderItemId", where)
    gross = money.optional(item.get("ItemPrice"), f"{where}.ItemPrice")
    qty = _sold_quantity(item, "QuantityOrdered", gross, where)
    if qty is None:
        return None
    if gross is None:
        required(item, "ItemPrice", where)  # raises: a sold item without a price cannot be booked
        gross = ZERO
    if gross < 0:
        raise NormalizationError("payload.bad_number", f"{where}.ItemPrice is {gross}: a price cannot be negative")
    collector = _v0_tax_collector(item, where)
    line_tax = _net_tax(money, item, "ItemTax", "PromotionDiscountTax", where)
    _v0_item_charges(item, where, money, charges, collector)
    charges.add_tax(collector, line_tax)
    return OrderLine(
        line_id=line_id,
        sku=_optional_text(item.get("SellerSKU"), f"{where}.SellerSKU"),
        title=_line_title(item.get("Title"), item.get("ASIN"), where, index),
        quantity=qty,
        unit_price=_unit_price(gross, qty),
        discount=money.reduction(item.get("PromotionDiscount"), f"{where}.PromotionDiscount"),
        tax=line_tax,
    )


def _v0_item_charges(
    item: dict[str, Any], where: str, money: _MoneyReader, charges: _Charges, collector: str | None
) -> None:
    charges.shipping += money.charge(item.get("ShippingPrice"), f"{where}.ShippingPrice")
    charges.shipping_discount += money.reduction(item.get("ShippingDiscount"), f"{where}.ShippingDiscount")
    shipping_tax = _net_tax(money, item, "ShippingTax", "ShippingDiscountTax", where)
    charges.shipping_tax += shipping_tax
    charges.add_tax(collector, shipping_tax)
    charges.add_fee(_BREAKDOWN_FEES["COD_FEE"], money.charge(item.get("CODFee"), f"{where}.CODFee"))
    charges.order_discount += money.reduction(item.get("CODFeeDiscount"), f"{where}.CODFeeDiscount")
    # Gift wrap sits in the item's BuyerInfo (restricted data), beside the gift message.
    buyer = _object_or_empty(item.get("BuyerInfo"), f"{where}.BuyerInfo")
    wrap_tax = money.charge(buyer.get("GiftWrapTax"), f"{where}.BuyerInfo.GiftWrapTax")
    charges.add_fee(
        _BREAKDOWN_FEES["GIFT_WRAP"],
        money.charge(buyer.get("GiftWrapPrice"), f"{where}.BuyerInfo.GiftWrapPrice"),
        wrap_tax,
    )
    charges.add_tax(collector, wrap_tax)


def _net_tax(money: _MoneyReader, item: dict[str, Any], tax_key: str, discount_tax_key: str, where: str) -> Decimal:
    """Tax on a charge less the tax on its discount: the model defines both as separate positive amounts."""
    tax = money.charge(item.get(tax_key), f"{where}.{tax_key}")
    discount_tax = money.reduction(item.get(discount_tax_key), f"{where}.{discount_tax_key}")
    if discount_tax > tax:
        raise NormalizationError(
            "payload.bad_number",
            f"{where}.{discount_tax_key} is {discount_tax}, more than {where}.{tax_key} {tax}: "
            "the tax on an item cannot become negative",
            "Check the order's tax in Seller Central.",
        )
    return tax - discount_tax


def _v0_tax_collector(item: dict[str, Any], where: str) -> str | None:
    collection = _object_or_empty(item.get("TaxCollection"), f"{where}.TaxCollection")
    if _optional_text(collection.get("Model"), f"{where}.TaxCollection.Model") != "MarketplaceFacilitator":
        return None
    return _optional_text(collection.get("ResponsibleParty"), f"{where}.TaxCollection.ResponsibleParty") or "Amazon"


def _v0_taxes_included(
    order: dict[str, Any], currency: str, total: Decimal, lines: tuple[OrderLine, ...], charges: _Charges
) -> bool:
    marketplace = _optional_text(order.get("MarketplaceId"), "order.MarketplaceId")
    if marketplace in _TAX_EXCLUSIVE_MARKETPLACES:
        return False
    if marketplace in _TAX_INCLUSIVE_MARKETPLACES:
        return True
    # A marketplace not in the tables: the order total says whether the tax came on top of the prices or inside.
    return bool(charges.total_tax) and quantize(charges.net_of_tax(lines), currency) == total


def _v0_method(order: dict[str, Any]) -> _Method:
    return _method_of([_optional_text(order.get("PaymentMethod"), "order.PaymentMethod"), *_v0_payment_methods(order)])


def _v0_payment_methods(order: dict[str, Any]) -> tuple[str, ...]:
    details = _list(order.get("PaymentMethodDetails") or [], "order.PaymentMethodDetails")
    methods = tuple(
        m for i, d in enumerate(details) if (m := _optional_text(d, f"order.PaymentMethodDetails[{i}]")) is not None
    )
    if methods:
        return methods
    method = _optional_text(order.get("PaymentMethod"), "order.PaymentMethod")
    return (method,) if method else ()


@dataclass(frozen=True)
class _Execution:
    method: str
    amount: Decimal
    reference: str | None = None


def _v0_executions(order: dict[str, Any], money: _MoneyReader) -> tuple[_Execution, ...]:
    """COD sub-payments (``PaymentExecutionDetail``): COD, GC (gift card), PointsAccount, Invoice."""
    executions = []
    for i, raw in enumerate(_list(order.get("PaymentExecutionDetail") or [], "order.PaymentExecutionDetail")):
        where = f"order.PaymentExecutionDetail[{i}]"
        execution = _object(raw, where)
        method = _id(execution, "PaymentMethod", where)
        executions.append(_Execution(method, money.charge(required(execution, "Payment", where), f"{where}.Payment")))
    return tuple(executions)


def _v0_customer(order: dict[str, Any]) -> Customer | None:
    buyer = _object_or_empty(order.get("BuyerInfo"), "order.BuyerInfo")
    tax_info = _object_or_empty(buyer.get("BuyerTaxInfo"), "order.BuyerInfo.BuyerTaxInfo")
    return _customer(
        name=_optional_text(buyer.get("BuyerName"), "order.BuyerInfo.BuyerName"),
        email=_optional_text(buyer.get("BuyerEmail"), "order.BuyerInfo.BuyerEmail"),
        company=_optional_text(tax_info.get("CompanyLegalName"), "order.BuyerInfo.BuyerTaxInfo.CompanyLegalName"),
    )


def _v0_address(value: Any) -> Address | None:
    return _address(
        _object_or_empty(value, "order.ShippingAddress"),
        "order.ShippingAddress",
        ("Name", "CompanyName", "AddressLine1", "AddressLine2", "AddressLine3", "City", "StateOrRegion"),
        ("PostalCode", "CountryCode", "Phone"),
    )


# ---------------------------------------------------------------------------------------------------------------
# Orders 2026-01-01


def _normalize_2026(order: dict[str, Any]) -> CanonicalOrder:
    order_id = _id(order, "orderId", "order")
    fulfillment = _object_or_empty(order.get("fulfillment"), "order.fulfillment")
    status = _optional_text(fulfillment.get("fulfillmentStatus"), "order.fulfillment.fulfillmentStatus")
    stage = _V2026_STAGES.get(status) if status else None
    proceeds = _object_or_empty(order.get("proceeds"), "order.proceeds")
    currency, total = _v2026_total(proceeds, order_id, status, stage)
    if status is None:
        raise NormalizationError("payload.missing_field", "order.fulfillment.fulfillmentStatus is missing", _V2026_FIX)
    money = _MoneyReader(currency, "amount", "currencyCode")
    charges = _Charges()
    items = _list(required(order, "orderItems", "order"), "order.orderItems")
    lines = tuple(
        line
        for i, item in enumerate(items)
        if (line := _v2026_item(_object(item, f"order.orderItems[{i}]"), i, money, charges))
    )
    if not lines:
        raise NormalizationError("payload.no_lines", f"Amazon order {order_id} has no order items with a quantity")
    _v2026_order_breakdowns(proceeds, money, charges)
    executions = _v2026_executions(order, money)
    method = _method_of([e.method for e in executions])
    state = _payment_state(stage, method, executions, total)
    buyer = _object_or_empty(order.get("buyer"), "order.buyer")
    recipient = _object_or_empty(order.get("recipient"), "order.recipient")
    service = _optional_text(fulfillment.get("fulfillmentServiceLevel"), "order.fulfillment.fulfillmentServiceLevel")
    return CanonicalOrder(
        channel=Channel.AMAZON,
        channel_order_id=order_id,
        order_number=order_id,  # the 3-7-7 id; orderAliases SELLER_ORDER_ID is the seller's optional own reference
        ordered_at=timestamp(required(order, "createdTime", "order"), "order.createdTime"),
        channel_status=status,
        currency=currency,
        # The 2026 proceeds breakdowns are parts that add up to the total (the model's UK getOrder example adds
        # TAX on top of ITEM even in a VAT marketplace), so tax is always on top here.
        taxes_included=False,
        customer=_customer(
            name=_optional_text(buyer.get("buyerName"), "order.buyer.buyerName"),
            email=_optional_text(buyer.get("buyerEmail"), "order.buyer.buyerEmail"),
            company=_optional_text(buyer.get("buyerCompanyName"), "order.buyer.buyerCompanyName"),
        ),
        shipping_address=_address(
            _object_or_empty(recipient.get("deliveryAddress"), "order.recipient.deliveryAddress"),
            "order.recipient.deliveryAddress",
            ("name", "companyName", "addressLine1", "addressLine2", "addressLine3", "city", "stateOrRegion"),
            ("postalCode", "countryCode", "phone"),
        ),
        lines=lines,
        shipping_lines=charges.shipping_lines((service or "Shipping").replace("_", " ").capitalize()),
        fees=charges.fee_lines(),
        tax_lines=charges.tax_lines(),
        order_discount=charges.order_discount,
        payments=_payments(state, method, executions, total),
        payment_methods=tuple(dict.fromkeys(e.method for e in executions)),
        payment_state=state,
        fulfillment_state=_fulfillment(stage),
        channel_total=total,
        note=_purchase_order_note(buyer.get("buyerPurchaseOrderNumber"), "order.buyer.buyerPurchaseOrderNumber"),
    )


def _v2026_total(
    proceeds: dict[str, Any], order_id: str, status: str | None, stage: _Stage | None
) -> tuple[str, Decimal]:
    raw = proceeds.get("grandTotal")
    if raw is None:
        if stage is _Stage.PENDING:
            raise _payment_not_authorized(order_id, status, "proceeds.grandTotal")
        raise NormalizationError(
            "payload.missing_field", f"order.proceeds.grandTotal is missing (Amazon order {order_id})", _V2026_FIX
        )
    currency = _order_currency(raw, "amount", "currencyCode", "order.proceeds.grandTotal")
    return currency, _MoneyReader(currency, "amount", "currencyCode").charge(raw, "order.proceeds.grandTotal")


def _v2026_item(item: dict[str, Any], index: int, money: _MoneyReader, charges: _Charges) -> OrderLine | None:
    where = f"order.orderItems[{index}]"
    line_id = _id(item, "orderItemId", where)
    product = _object_or_empty(item.get("product"), f"{where}.product")
    collector = _v2026_tax_collector(item, where)
    gross, discount, tax = _v2026_item_proceeds(item, where, money, charges, collector)
    if gross is None:  # no ITEM proceeds: the line is the unit price times the quantity
        price = _object_or_empty(product.get("price"), f"{where}.product.price")
        unit = money.optional(price.get("unitPrice"), f"{where}.product.price.unitPrice")
        qty = _sold_quantity(item, "quantityOrdered", unit, where)
        if qty is None:
            return None
        if unit is None:
            raise NormalizationError(
                "payload.missing_field",
                f"{where} has neither proceeds ITEM nor product.price.unitPrice, so it has no price",
                _V2026_FIX,
            )
        gross = unit * qty
    else:
        qty = _sold_quantity(item, "quantityOrdered", gross, where)
        if qty is None:
            return None
    return OrderLine(
        line_id=line_id,
        sku=_optional_text(product.get("sellerSku"), f"{where}.product.sellerSku"),
        title=_line_title(product.get("title"), product.get("asin"), f"{where}.product", index),
        quantity=qty,
        unit_price=_unit_price(gross, qty),
        discount=discount,
        tax=tax,
    )


def _v2026_item_proceeds(
    item: dict[str, Any], where: str, money: _MoneyReader, charges: _Charges, collector: str | None
) -> tuple[Decimal | None, Decimal, Decimal]:
    """The item's proceeds breakdowns: its gross (ITEM) and line discount and tax; the rest goes to ``charges``."""
    proceeds = _object_or_empty(item.get("proceeds"), f"{where}.proceeds")
    gross: Decimal | None = None
    discount = tax = ZERO
    for j, raw in enumerate(_list(proceeds.get("breakdowns") or [], f"{where}.proceeds.breakdowns")):
        bwhere = f"{where}.proceeds.breakdowns[{j}]"
        breakdown = _object(raw, bwhere)
        kind = _breakdown_type(breakdown, bwhere)
        subtotal = required(breakdown, "subtotal", bwhere)
        charges.itemised = True
        if kind == "ITEM":
            gross = (gross or ZERO) + money.charge(subtotal, f"{bwhere}.subtotal")
        elif kind == "SHIPPING":
            charges.shipping += money.charge(subtotal, f"{bwhere}.subtotal")
        elif kind in _BREAKDOWN_FEES:
            charges.add_fee(_BREAKDOWN_FEES[kind], money.charge(subtotal, f"{bwhere}.subtotal"))
        elif kind == "DISCOUNT":
            discount += _v2026_discount(breakdown, bwhere, money, charges)
        elif kind == "TAX":
            tax += _v2026_tax(breakdown, bwhere, money, charges, collector)
        else:
            raise _unknown_breakdown(kind, bwhere)
    return gross, discount, tax


def _v2026_discount(breakdown: dict[str, Any], where: str, money: _MoneyReader, charges: _Charges) -> Decimal:
    """The item-price part of a DISCOUNT; shipping and fee parts (``detailedBreakdowns``) go to ``charges``."""
    total = money.reduction(breakdown["subtotal"], f"{where}.subtotal")
    elsewhere = ZERO
    for subtype, value, dwhere in _detailed(breakdown, where):
        if subtype == "SHIPPING":
            amount = money.reduction(value, dwhere)
            charges.shipping_discount += amount
            elsewhere += amount
        elif subtype in _BREAKDOWN_FEES:
            amount = money.reduction(value, dwhere)
            charges.order_discount += amount
            elsewhere += amount
    if elsewhere > total:
        raise NormalizationError(
            "payload.bad_number", f"{where}.detailedBreakdowns add up to {elsewhere}, more than its subtotal {total}"
        )
    return total - elsewhere


def _v2026_tax(
    breakdown: dict[str, Any], where: str, money: _MoneyReader, charges: _Charges, collector: str | None
) -> Decimal:
    """The item-price part of a TAX; the whole amount counts in the order's tax, by who remits it."""
    total = money.charge(breakdown["subtotal"], f"{where}.subtotal")
    charges.add_tax(collector, total)
    elsewhere = ZERO
    for subtype, value, dwhere in _detailed(breakdown, where):
        if subtype == "SHIPPING":
            amount = money.charge(value, dwhere)
            charges.shipping_tax += amount
            elsewhere += amount
        elif subtype in _BREAKDOWN_FEES:
            amount = money.charge(value, dwhere)
            charges.add_fee(_BREAKDOWN_FEES[subtype], ZERO, amount)
            elsewhere += amount
    if elsewhere > total:
        raise NormalizationError(
            "payload.bad_number", f"{where}.detailedBreakdowns add up to {elsewhere}, more than its subtotal {total}"
        )
    return total - elsewhere


def _detailed(breakdown: dict[str, Any], where: str) -> list[tuple[str | None, Any, str]]:
    details = []
    for k, raw in enumerate(_list(breakdown.get("detailedBreakdowns") or [], f"{where}.detailedBreakdowns")):
        dwhere = f"{where}.detailedBreakdowns[{k}]"
        detail = _object(raw, dwhere)
        details.append((_optional_text(detail.get("subtype"), f"{dwhere}.subtype"), detail.get("value"), dwhere))
    return details


def _v2026_order_breakdowns(proceeds: dict[str, Any], money: _MoneyReader, charges: _Charges) -> None:
    """Order-level proceeds: every category but DELIVERY_TIP aggregates the items', per the model.

    They are read only when no item carries its own breakdowns (then the lines come from unit prices).
    """
    for j, raw in enumerate(_list(proceeds.get("breakdowns") or [], "order.proceeds.breakdowns")):
        where = f"order.proceeds.breakdowns[{j}]"
        breakdown = _object(raw, where)
        kind = _breakdown_type(breakdown, where)
        subtotal = required(breakdown, "subtotal", where)
        if kind == "DELIVERY_TIP":
            charges.add_fee(_TIP, money.charge(subtotal, f"{where}.subtotal"))
        elif kind not in ("ITEM", "SHIPPING", "TAX", "DISCOUNT", *_BREAKDOWN_FEES):
            raise _unknown_breakdown(kind, where)
        elif charges.itemised or kind == "ITEM":
            continue
        elif kind == "SHIPPING":
            charges.shipping += money.charge(subtotal, f"{where}.subtotal")
        elif kind == "TAX":
            charges.add_tax(None, money.charge(subtotal, f"{where}.subtotal"))
        elif kind == "DISCOUNT":
            charges.order_discount += money.reduction(subtotal, f"{where}.subtotal")
        else:
            charges.add_fee(_BREAKDOWN_FEES[kind], money.charge(subtotal, f"{where}.subtotal"))


def _breakdown_type(breakdown: dict[str, Any], where: str) -> str:
    return _id(breakdown, "type", where).upper()


def _unknown_breakdown(kind: str, where: str) -> NormalizationError:
    return NormalizationError(
        "payload.unknown_amount_type",
        f"{where}.type is {kind!r}, not a proceeds category ledgerflow knows "
        "(ITEM, SHIPPING, GIFT_WRAP, COD_FEE, OTHER, TAX, DISCOUNT, DELIVERY_TIP)",
        "Report the new category so its accounting can be decided; the order cannot balance without it.",
    )


def _v2026_tax_collector(item: dict[str, Any], where: str) -> str | None:
    tax = _object_or_empty(item.get("tax"), f"{where}.tax")
    for k, raw in enumerate(_list(tax.get("taxCollections") or [], f"{where}.tax.taxCollections")):
        cwhere = f"{where}.tax.taxCollections[{k}]"
        collection = _object(raw, cwhere)
        if _optional_text(collection.get("model"), f"{cwhere}.model") == "MARKETPLACE_FACILITATOR":
            return _optional_text(collection.get("responsibleParty"), f"{cwhere}.responsibleParty") or "Amazon"
    return None


def _v2026_executions(order: dict[str, Any], money: _MoneyReader) -> tuple[_Execution, ...]:
    payment = _object_or_empty(order.get("payment"), "order.payment")
    executions = []
    for i, raw in enumerate(_list(payment.get("paymentExecutions") or [], "order.payment.paymentExecutions")):
        where = f"order.payment.paymentExecutions[{i}]"
        execution = _object(raw, where)
        executions.append(
            _Execution(
                method=_id(execution, "paymentMethod", where),
                amount=money.charge(required(execution, "paymentAmount", where), f"{where}.paymentAmount"),
                reference=_optional_text(execution.get("authorizationCode"), f"{where}.authorizationCode"),
            )
        )
    return tuple(executions)


# ---------------------------------------------------------------------------------------------------------------
# Payment state and payments (both versions)


def _method_of(names: list[str | None]) -> _Method:
    keys = {"".join(ch for ch in name.lower() if ch.isalnum()) for name in names if name}
    if keys & _PAY_LATER_METHODS:
        return _Method.PAY_LATER
    if keys & _PAY_AT_STORE_METHODS:
        return _Method.PAY_AT_STORE
    return _Method.PREPAID


def _prepaid(executions: tuple[_Execution, ...]) -> tuple[_Execution, ...]:
    return tuple(e for e in executions if _method_of([e.method]) is _Method.PREPAID)


def _payment_state(
    stage: _Stage | None, method: _Method, executions: tuple[_Execution, ...], total: Decimal
) -> PaymentState:
    if stage is None or stage is _Stage.UNFULFILLABLE:
        return PaymentState.UNKNOWN  # the raw status stays in channel_status
    if stage is _Stage.CANCELLED:
        return PaymentState.VOIDED
    if method is _Method.PAY_LATER:
        prepaid = sum((e.amount for e in _prepaid(executions)), ZERO)
        if prepaid and prepaid >= total:
            return PaymentState.PAID
        return PaymentState.PARTIALLY_PAID if prepaid else PaymentState.ON_TERMS
    if method is _Method.PAY_AT_STORE:
        return PaymentState.ON_TERMS if stage is _Stage.PENDING else PaymentState.PAID
    return _PREPAID_STATES[stage]


def _payments(
    state: PaymentState, method: _Method, executions: tuple[_Execution, ...], total: Decimal
) -> tuple[OrderPayment, ...]:
    if state not in (PaymentState.PAID, PaymentState.PARTIALLY_PAID):
        return ()
    prepaid = _prepaid(executions)
    if method is _Method.PAY_LATER or (prepaid and sum((e.amount for e in prepaid), ZERO) == total):
        return tuple(
            OrderPayment(transaction_id=e.reference, method=e.method, tender=_tender(e.method), amount=e.amount)
            for e in prepaid
            if e.amount
        )
    # Amazon collects from the buyer and pays the seller in its settlement; the Orders API has no transaction id.
    return (OrderPayment(method="Amazon", amount=total),)


def _tender(method: str) -> Literal["payment", "gift_card", "store_credit"]:
    key = method.lower()
    if key == "gc" or "gift" in key:
        return "gift_card"
    if "point" in key:
        return "store_credit"
    return "payment"


def _fulfillment(stage: _Stage | None) -> FulfillmentState:
    return _FULFILLMENT.get(stage, FulfillmentState.UNFULFILLED) if stage is not None else FulfillmentState.UNFULFILLED


# ---------------------------------------------------------------------------------------------------------------
# Buyer, addresses, notes


def _customer(name: str | None, email: str | None, company: str | None) -> Customer | None:
    """Amazon gives no customer id and only a relay email; a buyer without any of these is left out."""
    if not (name or email or company):
        return None
    first, _, last = (name or "").partition(" ")
    # BuyerName is one string; display_name rejoins first and last, so the split never changes the name shown.
    return Customer(email=email, first_name=first or None, last_name=last.strip() or None, company=company)


def _address(obj: dict[str, Any], where: str, keys: tuple[str, ...], tail: tuple[str, ...]) -> Address | None:
    name, company, line1, line2, line3, city, region = (_optional_text(obj.get(k), f"{where}.{k}") for k in keys)
    postal_code, country_code, phone = (_optional_text(obj.get(k), f"{where}.{k}") for k in tail)
    address = Address(
        name=name,
        company=company,
        line1=line1,
        line2=", ".join(p for p in (line2, line3) if p) or None,
        city=city,
        region=region,
        postal_code=postal_code,
        country_code=country_code,
        phone=phone,
    )
    return address if any(address.model_dump().values()) else None


def _purchase_order_note(value: Any, where: str) -> str | None:
    number = _optional_text(value, where)
    return f"Purchase order {number}" if number else None


def _line_title(title: Any, asin: Any, where: str, index: int) -> str:
    named = _optional_text(title, f"{where}.title")
    if named:
        return named
    asin_text = _optional_text(asin, f"{where}.asin")
    return f"ASIN {asin_text}" if asin_text else f"Item {index + 1}"


# ---------------------------------------------------------------------------------------------------------------
# Strict shape readers: a wrong JSON type is an error naming the field, never a KeyError or TypeError


def _sold_quantity(item: dict[str, Any], key: str, gross: Decimal | None, where: str) -> Decimal | None:
    """The ordered quantity, or None for a cancelled item that Amazon keeps with quantity 0 and no price."""
    raw = item.get(key)
    if not isinstance(raw, bool) and isinstance(raw, int | str) and str(raw).strip() == "0" and not gross:
        return None
    return quantity(required(item, key, where), f"{where}.{key}")


def _id(obj: dict[str, Any], key: str, where: str) -> str:
    value = _optional_text(required(obj, key, where), f"{where}.{key}")
    if value is None:
        required({}, key, where)  # raises payload.missing_field for a blank id
    return str(value)


def _optional_text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _malformed(value, where, "a text value")
    text = str(value).strip()
    return text or None


def _text(value: Any) -> str | None:
    """Lenient text for comparisons only (selecting an order); never raises."""
    return value.strip() if isinstance(value, str) else None


def _object(value: Any, where: str, expected: str = "an object") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _malformed(value, where, expected)
    return value


def _object_or_empty(value: Any, where: str) -> dict[str, Any]:
    return {} if value is None else _object(value, where)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _malformed(value, where, "a list")
    return value


def _malformed(value: Any, where: str, expected: str) -> NormalizationError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return NormalizationError(
        "payload.malformed",
        f"{where} is {shown} ({type(value).__name__}), not {expected}",
        "Publish the order exactly as the SP-API returns it.",
    )


def _not_an_order(reason: str, fix: str = _ONE_ORDER_FIX) -> NormalizationError:
    return NormalizationError("payload.not_an_order", f"the Amazon payload is not one order: {reason}", fix)
