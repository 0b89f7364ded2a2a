"""Stripe objects that record a sale (Checkout Session, PaymentIntent, Charge, Invoice) into canonical orders.

Stripe is a payment processor, not an order system: there is no order object. A sale is recorded by

- a Checkout Session, whose line items are in the payload only when expanded;
- a PaymentIntent or a Charge: one amount and no lines, so the order gets a single line for the whole amount;
- an Invoice (Stripe Billing), with its lines.

Payload shapes accepted; each object may also arrive as the ``data.object`` of an Event
(``{"object": "event", "type": ..., "data": {"object": {...}}}``):

- ``GET /v1/checkout/sessions/{id}?expand[]=line_items``: the session with ``line_items`` inside it;
- the composite ``{"session": <Checkout Session, or the Event carrying it>, "line_items": <list object or array>}``
  for integrations that receive ``checkout.session.completed`` (whose session never has line items) and fetch
  ``GET /v1/checkout/sessions/{id}/line_items`` separately;
- ``GET /v1/payment_intents/{id}`` (with ``latest_charge`` expanded the charge id, method and refunds are known);
- ``GET /v1/charges/{id}`` (``refunds`` and ``balance_transaction`` may be expanded);
- ``GET /v1/invoices/{id}`` with every line in ``lines.data``.

A Refund object alone is refused (``payload.refund_without_order``), see ``_refund_alone``.

Amounts are integer minor units in Stripe's exponent for the currency (see ``_stripe_exponent``), currency codes
are lowercase, dates are Unix epoch seconds.

Payment state (R3), from each object's payment fields; refunds then turn PAID into (PARTIALLY_)REFUNDED:

| object            | field = value                                                   | PaymentState   |
|-------------------|-----------------------------------------------------------------|----------------|
| Checkout Session  | payment_status = paid / no_payment_required                     | PAID           |
|                   | payment_status = unpaid, status = complete, pay-later method    | ON_TERMS       |
|                   | payment_status = unpaid, status = complete, other method        | UNPAID         |
|                   | status = expired                                                | VOIDED         |
|                   | status = open, or mode = setup                                  | not an order   |
| PaymentIntent     | status = succeeded                                              | PAID           |
|                   | status = requires_capture                                       | AUTHORIZED     |
|                   | status = processing / requires_action / requires_confirmation,  | UNPAID         |
|                   | requires_payment_method (ON_TERMS for pay-later methods)        |                |
|                   | status = requires_payment_method with last_payment_error        | FAILED         |
|                   | status = canceled                                               | VOIDED         |
| Charge            | status = succeeded, captured                                    | PAID           |
|                   | status = succeeded, not captured (refunded: released)           | AUTHORIZED (VOIDED) |
|                   | status = pending (ON_TERMS for pay-later methods)               | UNPAID         |
|                   | status = failed                                                 | FAILED         |
| Invoice           | status = paid                                                   | PAID           |
|                   | status = open / uncollectible with amount_paid or credit > 0    | PARTIALLY_PAID |
|                   | status = open, collection_method = send_invoice                 | ON_TERMS       |
|                   | status = open (charge_automatically) / uncollectible            | UNPAID         |
|                   | status = void                                                   | VOIDED         |
|                   | status = draft                                                  | not an order   |
| any               | any other string                                                | UNKNOWN        |
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NoReturn

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
from ledgerflow.contracts.canonical import ZERO, OrderRefund
from ledgerflow.ingest.normalizers.errors import NormalizationError
from ledgerflow.ingest.normalizers.fields import (
    currency_code,
    decimal,
    minor_units,
    quantity,
    required,
    timestamp_epoch,
)

# Stripe's minor unit is not always ISO 4217's (stripe.com/docs/currencies): MGA is zero-decimal at Stripe (ISO says
# 2) and ISK stays two-decimal in the API (100 = 1 krona) although ISO and QuickBooks give it no decimals.
_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# Methods where the buyer pays later on their own (bank transfer to a virtual account, vouchers paid in a shop):
# until the money arrives the sale is on terms, not a failed or pending card payment.
_PAY_LATER_METHODS = frozenset({"customer_balance", "konbini", "oxxo", "boleto", "multibanco"})
# Bank debits are pulled by Stripe and only take days to settle: unpaid, not on terms.
_DEBIT_METHODS = frozenset(
    {"us_bank_account", "sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit", "nz_bank_account", "ach_debit"}
)
_PAY_LATER_ACTIONS = {
    "display_bank_transfer_instructions": "customer_balance",
    "konbini_display_details": "konbini",
    "oxxo_display_details": "oxxo",
    "boleto_display_details": "boleto",
    "multibanco_display_details": "multibanco",
}

# Where merchants put their own order reference when they do not use client_reference_id.
_ORDER_REF_KEYS = ("order_number", "order_id", "order_reference", "order")

# Refunds that moved (or are moving) money back; failed, canceled and requires_action ones did not.
_COUNTED_REFUND_STATUSES = (None, "succeeded", "pending")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Exactly how many decimals a unit price may carry before the line is posted as one unit of its total instead.
_MAX_UNIT_DECIMALS = 6


def normalize(payload: dict[str, Any]) -> CanonicalOrder:
    obj, line_items, where_items = _unwrap(payload)
    kind = _object_kind(obj)
    if kind == "checkout.session":
        return _session_order(obj, line_items, where_items)
    if line_items is not None:
        raise NormalizationError(
            "payload.not_an_order",
            f"the composite Stripe payload's 'session' is a {kind}, not a Checkout Session",
            "Only a Checkout Session takes separately fetched line_items; publish other objects on their own.",
        )
    if kind == "payment_intent":
        return _payment_intent_order(obj)
    if kind == "charge":
        return _charge_order(obj)
    if kind == "invoice":
        return _invoice_order(obj)
    if kind == "refund":
        _refund_alone(obj)
    raise NormalizationError(
        "payload.not_an_order",
        f"the Stripe payload is a {kind!r} object, not a sale (expected checkout.session, payment_intent, charge "
        "or invoice)",
        "Publish the Checkout Session, PaymentIntent, Charge or Invoice that records the sale, or the Event "
        "carrying it (checkout.session.completed, payment_intent.succeeded, charge.succeeded, invoice.paid ...).",
    )


# --- payload shape -------------------------------------------------------------------------------------------------


def _unwrap(payload: dict[str, Any]) -> tuple[dict[str, Any], Any, str]:
    """The sale object, separately fetched session line items (composite payload) and their name in messages."""
    if "session" in payload and "object" not in payload and "id" not in payload:
        session = _event_object(_mapping(payload["session"], "session"), "session")
        if "line_items" not in payload:
            raise NormalizationError(
                "payload.missing_field",
                "the composite Stripe payload has a session but no line_items",
                "Add the result of GET /v1/checkout/sessions/{id}/line_items as 'line_items'.",
            )
        return session, payload["line_items"], "line_items"
    return _event_object(payload, "payload"), None, "session.line_items"


def _event_object(obj: dict[str, Any], where: str) -> dict[str, Any]:
    if obj.get("object") != "event" and not ("object" not in obj and isinstance(obj.get("data"), dict)):
        return obj
    event_type = obj.get("type")
    data = _optional_mapping(obj.get("data"), f"{where}.data")
    inner = data.get("object")
    if not isinstance(inner, dict):
        raise NormalizationError(
            "payload.not_an_order",
            f"the Stripe event {obj.get('id')!r} ({event_type!r}) carries no data.object",
            "Thin events only reference the object: retrieve it from the API and publish the object itself.",
        )
    return inner


def _object_kind(obj: dict[str, Any]) -> str:
    kind = obj.get("object")
    if isinstance(kind, str) and kind:
        return kind
    # Some integrations strip 'object'; Stripe's id prefixes say what the object is.
    object_id = obj.get("id")
    prefixes = {"cs_": "checkout.session", "pi_": "payment_intent", "ch_": "charge", "py_": "charge"}
    prefixes |= {"in_": "invoice", "re_": "refund", "pyr_": "refund"}
    if isinstance(object_id, str):
        for prefix, name in prefixes.items():
            if object_id.startswith(prefix):
                return name
    raise NormalizationError(
        "payload.not_an_order",
        "the Stripe payload has neither an 'object' type nor a recognisable id (cs_, pi_, ch_, in_)",
        "Publish the object exactly as the Stripe API returns it, or the Event carrying it.",
    )


def _refund_alone(refund: dict[str, Any]) -> NoReturn:
    # A Refund alone is refused rather than turned into an order that carries only a refund: it has no lines, no
    # customer and no sale to credit, so the books would get a credit memo against an invoice that does not exist,
    # and republishing the refunded charge later would book the refund twice. The charge (or the PaymentIntent or
    # Checkout Session) lists its refunds, so the refund is booked when that object is published again.
    charge = _ref_id(refund.get("charge"), "refund.charge")
    intent = _ref_id(refund.get("payment_intent"), "refund.payment_intent")
    refunded = f"charge {charge}" if charge else f"PaymentIntent {intent}" if intent else "an unnamed payment"
    raise NormalizationError(
        "payload.refund_without_order",
        f"Stripe refund {refund.get('id')!r} is not an order: it refunds {refunded}, and a refund is booked "
        "against the order it refunds",
        f"Publish the refunded charge instead (GET /v1/charges/{charge or '<charge id>'}?expand[]=refunds, or the "
        "charge.refunded event), or the Checkout Session/PaymentIntent it belongs to with its latest_charge "
        "expanded; its refunds are read from there.",
    )


# --- Checkout Session ----------------------------------------------------------------------------------------------


def _session_order(session: dict[str, Any], line_items: Any, items_where: str) -> CanonicalOrder:
    session_id = _id(session, "session")
    status = session.get("status")
    if session.get("mode") == "setup":
        raise NormalizationError(
            "payload.not_an_order",
            f"Checkout Session {session_id} is in setup mode: it saves a payment method and sells nothing",
            "Publish the Checkout Sessions in payment or subscription mode.",
        )
    if status == "open":
        raise NormalizationError(
            "payload.not_an_order",
            f"Checkout Session {session_id} is still open: the buyer has not completed the checkout",
            "Publish the session on checkout.session.completed (or async_payment_succeeded).",
        )
    currency = _currency(session, "session")
    if line_items is None:
        line_items = session.get("line_items")
        if line_items is None:
            raise NormalizationError(
                "payload.missing_field",
                f"session.line_items is missing: Checkout Session {session_id} was published without its lines",
                "Stripe returns line_items only on request: retrieve the session with expand[]=line_items, or "
                "publish {'session': ..., 'line_items': GET /v1/checkout/sessions/{id}/line_items}.",
            )
    priced = [
        _session_line(item, currency, f"{items_where}.data[{i}]", i)
        for i, item in enumerate(_list_data(line_items, items_where))
    ]
    shipping = _shipping_cost(session, currency, "session")
    details = _optional_mapping(session.get("total_details"), "session.total_details")
    breakdown = _optional_mapping(details.get("breakdown"), "session.total_details.breakdown")
    total = _amount(required(session, "amount_total", "session"), currency, "session.amount_total")
    intent = _optional_mapping_or_id(session.get("payment_intent"), "session.payment_intent")
    charges = _charges_of_intent(intent, "session.payment_intent") if intent else []
    refunds = _refunds_of_charges(charges, currency, "session.payment_intent")
    state = _session_state(session, session_id, intent)
    assembled = _assemble(
        priced,
        shipping,
        order_tax=_tax_lines_from(breakdown.get("taxes"), currency, "session.total_details.breakdown.taxes"),
        order_discount_total=_optional_amount(
            details.get("amount_discount"), currency, "session.total_details.amount_discount"
        ),
        currency=currency,
        where="session",
    )
    _check_declared_tax(assembled, details.get("amount_tax"), currency, "session.total_details.amount_tax")
    paid = total if state is PaymentState.PAID else ZERO
    latest = charges[-1] if charges else {}
    return CanonicalOrder(
        channel=Channel.STRIPE,
        channel_order_id=session_id,
        order_number=_order_number(session, "session", session.get("client_reference_id")),
        ordered_at=_epoch(session, "created", "session"),
        channel_status="expired" if status == "expired" else _string(session, "payment_status", "session"),
        currency=currency,
        taxes_included=assembled.taxes_included,
        customer=_session_customer(session),
        billing_address=_session_billing_address(session),
        shipping_address=_session_shipping_address(session),
        lines=assembled.lines,
        shipping_lines=assembled.shipping,
        tax_lines=assembled.tax_lines,
        order_discount=assembled.order_discount,
        payments=_card_payment(
            paid,
            transaction_id=_ref_id(latest.get("id"), "session.payment_intent.latest_charge.id")
            or _ref_id(session.get("payment_intent"), "session.payment_intent")
            or None,
            method=_charge_method(latest) or _single_method(session.get("payment_method_types")),
            paid_at=_optional_epoch(latest, "created", "latest_charge") or _epoch(session, "created", "session"),
        ),
        payment_methods=_methods(_charge_method(latest), session.get("payment_method_types")),
        payment_state=_after_refunds(state, paid, refunds),
        fulfillment_state=FulfillmentState.CANCELLED if state is PaymentState.VOIDED else FulfillmentState.UNFULFILLED,
        refunds=refunds,
        channel_total=total,
        note=_related_note(session, "session"),
    )


def _session_state(session: dict[str, Any], session_id: str, intent: dict[str, Any]) -> PaymentState:
    payment_status = _string(session, "payment_status", "session")
    if payment_status is None:
        raise NormalizationError("payload.missing_field", f"session.payment_status is missing ({session_id})")
    if session.get("status") == "expired":
        return PaymentState.VOIDED
    if payment_status in ("paid", "no_payment_required"):
        return PaymentState.PAID
    if payment_status == "unpaid":
        # 'complete' and 'unpaid' is an asynchronous method (bank debit, bank transfer, voucher) still under way.
        methods = _method_list(intent.get("payment_method_types")) or _method_list(session.get("payment_method_types"))
        return PaymentState.ON_TERMS if _pays_later(methods) else PaymentState.UNPAID
    return PaymentState.UNKNOWN


def _session_line(item: Any, currency: str, where: str, index: int) -> _Priced:
    item = _mapping(item, where)
    gross = _amount(required(item, "amount_subtotal", where), currency, f"{where}.amount_subtotal")
    discount = _non_negative(item.get("amount_discount"), currency, f"{where}.amount_discount")
    tax = _non_negative(item.get("amount_tax"), currency, f"{where}.amount_tax")
    total = _amount(required(item, "amount_total", where), currency, f"{where}.amount_total")
    # Stripe folds inclusive tax into amount_subtotal and adds exclusive tax on top, so the figures themselves say
    # which is which: whatever amount_total holds above subtotal - discount is exclusive, the rest of the tax is
    # inclusive. (price.tax_behavior says the same, but is missing for ad-hoc price_data and manual tax rates.)
    exclusive = total - (gross - discount)
    inclusive = tax - exclusive
    if exclusive < 0 or inclusive < 0:
        raise NormalizationError(
            "payload.inconsistent_line",
            f"{where}: amount_total {total} is neither amount_subtotal {gross} - amount_discount {discount} "
            f"nor that plus amount_tax {tax} {currency}",
            "Publish the line items exactly as Stripe returns them.",
        )
    price = _optional_mapping(item.get("price"), f"{where}.price")
    product = _optional_mapping_or_id(price.get("product"), f"{where}.price.product")
    return _Priced(
        line_id=_string(item, "id", where) or str(index),
        title=_string(item, "description", where)
        or _string(product, "name", f"{where}.price.product")
        or _string(price, "nickname", f"{where}.price")
        or f"line {index + 1}",
        sku=_sku(price, product, f"{where}.price"),
        quantity=_line_quantity(item.get("quantity"), f"{where}.quantity"),
        gross=gross,
        discount=discount,
        inclusive_tax=inclusive,
        exclusive_tax=exclusive,
        tax_lines=_tax_lines_from(item.get("taxes"), currency, f"{where}.taxes"),
    )


def _session_customer(session: dict[str, Any]) -> Customer | None:
    details = _optional_mapping(session.get("customer_details"), "session.customer_details")
    customer = _optional_mapping_or_id(session.get("customer"), "session.customer")
    return _customer(
        customer_id=_ref_id(session.get("customer"), "session.customer"),
        emails=(
            _string(details, "email", "session.customer_details"),
            _string(session, "customer_email", "session"),
            _string(customer, "email", "session.customer"),
        ),
        name=_string(details, "individual_name", "session.customer_details")
        or _string(details, "name", "session.customer_details")
        or _string(customer, "name", "session.customer"),
        company=_string(details, "business_name", "session.customer_details"),
        phone=_string(details, "phone", "session.customer_details"),
    )


def _session_billing_address(session: dict[str, Any]) -> Address | None:
    details = _optional_mapping(session.get("customer_details"), "session.customer_details")
    return _address(details.get("address"), "session.customer_details.address", details)


def _session_shipping_address(session: dict[str, Any]) -> Address | None:
    # Newer API versions moved shipping_details under collected_information; older ones had it at the top (and the
    # oldest called it shipping).
    collected = _optional_mapping(session.get("collected_information"), "session.collected_information")
    for parent, key, where in (
        (collected, "shipping_details", "session.collected_information.shipping_details"),
        (session, "shipping_details", "session.shipping_details"),
        (session, "shipping", "session.shipping"),
    ):
        if parent.get(key) is not None:
            return _shipping_address(parent[key], where)
    return None


# --- PaymentIntent and Charge: one amount, no lines -----------------------------------------------------------------


def _payment_intent_order(intent: dict[str, Any]) -> CanonicalOrder:
    intent_id = _id(intent, "payment_intent")
    currency = _currency(intent, "payment_intent")
    amount = _non_negative(required(intent, "amount", "payment_intent"), currency, "payment_intent.amount")
    status = _required_string(intent, "status", "payment_intent")
    charges = _charges_of_intent(intent, "payment_intent")
    latest = charges[-1] if charges else {}
    methods = _method_list(intent.get("payment_method_types"))
    next_action = _optional_mapping(intent.get("next_action"), "payment_intent.next_action")
    action_method = _PAY_LATER_ACTIONS.get(str(next_action.get("type")))
    state = _intent_state(status, intent, methods + ([action_method] if action_method else []))
    received = ZERO
    if state is PaymentState.PAID:
        reported = _optional_amount(intent.get("amount_received"), currency, "payment_intent.amount_received")
        received = amount if reported is None else max(min(reported, amount), ZERO)
    return _single_amount_order(
        obj=intent,
        where="payment_intent",
        object_id=intent_id,
        currency=currency,
        amount=amount,
        received=received,
        state=state,
        status=status,
        transaction_id=_ref_id(latest.get("id"), "payment_intent.latest_charge.id") or intent_id,
        method=_charge_method(latest) or action_method or _single_method(intent.get("payment_method_types")),
        refunds=_refunds_of_charges(charges, currency, "payment_intent"),
        billing=_optional_mapping(latest.get("billing_details"), "payment_intent.latest_charge.billing_details"),
        paid_at=_optional_epoch(latest, "created", "payment_intent.latest_charge"),
    )


def _intent_state(status: str, intent: dict[str, Any], methods: list[str]) -> PaymentState:
    if status == "succeeded":
        return PaymentState.PAID
    if status == "requires_capture":
        return PaymentState.AUTHORIZED
    if status == "canceled":
        return PaymentState.VOIDED
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return PaymentState.FAILED
    if status in ("processing", "requires_action", "requires_confirmation", "requires_payment_method"):
        return PaymentState.ON_TERMS if _pays_later(methods) else PaymentState.UNPAID
    return PaymentState.UNKNOWN


def _charge_order(charge: dict[str, Any]) -> CanonicalOrder:
    charge_id = _id(charge, "charge")
    currency = _currency(charge, "charge")
    amount = _non_negative(required(charge, "amount", "charge"), currency, "charge.amount")
    status = _required_string(charge, "status", "charge")
    method = _charge_method(charge)
    state = _charge_state(status, charge, [method] if method else [])
    received = _charge_received(charge, amount, currency) if state is PaymentState.PAID else ZERO
    return _single_amount_order(
        obj=charge,
        where="charge",
        object_id=charge_id,
        currency=currency,
        amount=amount,
        received=received,
        state=state,
        status=status,
        transaction_id=charge_id,
        method=method,
        refunds=_refunds_of_charges([charge], currency, "charge") if received else (),
        billing=_optional_mapping(charge.get("billing_details"), "charge.billing_details"),
        paid_at=None,
    )


def _charge_state(status: str, charge: dict[str, Any], methods: list[str]) -> PaymentState:
    if status == "failed":
        return PaymentState.FAILED
    if status == "pending":
        return PaymentState.ON_TERMS if _pays_later(methods) else PaymentState.UNPAID
    if status != "succeeded":
        return PaymentState.UNKNOWN
    if charge.get("captured") is False:
        # An uncaptured charge that is 'refunded' had its authorisation released.
        return PaymentState.VOIDED if charge.get("refunded") is True else PaymentState.AUTHORIZED
    return PaymentState.PAID


def _charge_received(charge: dict[str, Any], amount: Decimal, currency: str) -> Decimal:
    captured = _optional_amount(charge.get("amount_captured"), currency, "charge.amount_captured")
    # Pitfall 19: charges from before amount_captured existed (the public dj-stripe charge) say captured: true with
    # amount_captured: 0. A captured charge has captured something, so a zero there means "not reported": take the
    # charge amount. A positive figure below the amount is a partial capture and is what was received.
    if not captured:
        return amount
    return min(captured, amount)


def _single_amount_order(
    *,
    obj: dict[str, Any],
    where: str,
    object_id: str,
    currency: str,
    amount: Decimal,
    received: Decimal,
    state: PaymentState,
    status: str,
    transaction_id: str,
    method: str | None,
    refunds: tuple[OrderRefund, ...],
    billing: dict[str, Any],
    paid_at: datetime | None,
) -> CanonicalOrder:
    note = _related_note(obj, where)
    total = amount
    if state is PaymentState.PAID and ZERO < received < amount:
        # A partial capture released the rest of the authorisation for good: the sale is what was captured.
        total = received
        note = f"authorised {amount} {currency}, captured {received} {currency}" + (f"; {note}" if note else "")
    ordered_at = _epoch(obj, "created", where)
    customer_obj = _optional_mapping_or_id(obj.get("customer"), f"{where}.customer")
    line = OrderLine(
        line_id=object_id,
        sku=None,
        title=_string(obj, "description", where)
        or _string(obj, "statement_descriptor", where)
        or _string(obj, "calculated_statement_descriptor", where)
        or f"Stripe payment {object_id}",
        quantity=Decimal(1),
        unit_price=total,
    )
    presentment = _optional_mapping(obj.get("presentment_details"), f"{where}.presentment_details")
    presentment_currency = (
        currency_code(presentment["presentment_currency"], f"{where}.presentment_details.presentment_currency")
        if presentment.get("presentment_currency") is not None
        else None
    )
    presentment_total = (
        _amount(presentment.get("presentment_amount"), presentment_currency, f"{where}.presentment_details")
        if presentment_currency is not None
        else None
    )
    return CanonicalOrder(
        channel=Channel.STRIPE,
        channel_order_id=object_id,
        order_number=_order_number(obj, where, None),
        ordered_at=ordered_at,
        channel_status=status,
        currency=currency,
        customer=_customer(
            customer_id=_ref_id(obj.get("customer"), f"{where}.customer"),
            emails=(
                _string(billing, "email", f"{where}.billing_details"),
                _string(obj, "receipt_email", where),
                _string(customer_obj, "email", f"{where}.customer"),
            ),
            name=_string(billing, "name", f"{where}.billing_details") or _string(customer_obj, "name", where),
            company=None,
            phone=_string(billing, "phone", f"{where}.billing_details"),
        ),
        billing_address=_address(billing.get("address"), f"{where}.billing_details.address", billing),
        shipping_address=_shipping_address(obj.get("shipping"), f"{where}.shipping")
        if obj.get("shipping") is not None
        else None,
        lines=(line,),
        payments=_card_payment(received, transaction_id=transaction_id, method=method, paid_at=paid_at or ordered_at),
        payment_methods=(method,) if method else (),
        payment_state=_after_refunds(state, received, refunds),
        fulfillment_state=FulfillmentState.CANCELLED if state is PaymentState.VOIDED else FulfillmentState.UNFULFILLED,
        refunds=refunds,
        channel_total=total,
        presentment_currency=presentment_currency if presentment_currency != currency else None,
        presentment_total=presentment_total if presentment_currency != currency else None,
        note=note,
    )


def _charges_of_intent(intent: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The intent's charges when the payload has them: latest_charge expanded, or the pre-2022 charges list."""
    latest = intent.get("latest_charge")
    if isinstance(latest, dict):
        return [latest]
    if latest is not None and not isinstance(latest, str):
        raise _wrong_type(f"{where}.latest_charge", latest, "a charge id or an expanded charge")
    if intent.get("charges") is None:
        return []
    return [_mapping(c, f"{where}.charges.data[{i}]") for i, c in enumerate(_list_data(intent["charges"], where))]


def _refunds_of_charges(charges: list[dict[str, Any]], currency: str, where: str) -> tuple[OrderRefund, ...]:
    refunds: list[OrderRefund] = []
    for c, charge in enumerate(charges):
        here = f"{where}.charges[{c}]" if len(charges) > 1 else where
        refunds.extend(_refunds_of_charge(charge, currency, here))
    return tuple(refunds)


def _refunds_of_charge(charge: dict[str, Any], currency: str, where: str) -> list[OrderRefund]:
    refunds: list[OrderRefund] = []
    listed = charge.get("refunds")
    entries = _list_data(listed, f"{where}.refunds", allow_partial=True) if listed is not None else []
    for i, entry in enumerate(entries):
        here = f"{where}.refunds.data[{i}]"
        refund = _mapping(entry, here)
        if refund.get("status") not in _COUNTED_REFUND_STATUSES:
            continue
        refunds.append(
            OrderRefund(
                refund_id=_string(refund, "id", here) or f"{_ref_id(charge.get('id'), where)}/refund-{i}",
                amount=_non_negative(required(refund, "amount", here), currency, f"{here}.amount"),
                created_at=_optional_epoch(refund, "created", here),
                note=_string(refund, "reason", here),
            )
        )
    # Pitfall 6: amount_refunded is the charge's running total; the listed refunds are its parts. Count each refund
    # once: the list where it has them, and only what the list is missing (not expanded, or paginated) from the total.
    refunded = _non_negative(charge.get("amount_refunded"), currency, f"{where}.amount_refunded")
    unlisted = refunded - sum((r.amount for r in refunds), ZERO)
    if unlisted > 0:
        refunds.append(
            OrderRefund(
                refund_id=f"{_ref_id(charge.get('id'), where) or where}/amount_refunded",
                amount=unlisted,
                created_at=None,
                note="refunded per amount_refunded; the refunds themselves were not in the payload",
            )
        )
    return refunds


# --- Invoice -------------------------------------------------------------------------------------------------------


def _invoice_order(invoice: dict[str, Any]) -> CanonicalOrder:
    invoice_id = _id(invoice, "invoice")
    status = _required_string(invoice, "status", "invoice")
    if status == "draft":
        raise NormalizationError(
            "payload.not_an_order",
            f"Stripe invoice {invoice_id} is a draft: its lines, total and number can still change",
            "Publish the invoice once it is finalized (invoice.finalized, invoice.paid).",
        )
    currency = _currency(invoice, "invoice")
    lines = invoice.get("lines")
    if lines is None:
        raise NormalizationError("payload.missing_field", f"invoice.lines is missing ({invoice_id})")
    if isinstance(lines, dict) and not isinstance(lines.get("data"), list):
        # Refused rather than posted as one fallback line: the items, their tax and their discounts would be lost
        # from the books, and the invoice would need posting again once its lines were known.
        raise NormalizationError(
            "payload.lines_not_expanded",
            f"Stripe invoice {invoice_id} was published without its lines: invoice.lines holds no data list "
            f"(it is {_shown(lines)})",
            f"Read the invoice with GET /v1/invoices/{invoice_id}?expand[]=lines (or its lines with GET "
            f"/v1/invoices/{invoice_id}/lines, paging while has_more is true) and publish it with every line in "
            "lines.data.",
        )
    priced = [
        p
        for i, line in enumerate(_list_data(lines, "invoice.lines"))
        if (p := _invoice_line(line, currency, f"invoice.lines.data[{i}]", i)) is not None
    ]
    total = _amount(required(invoice, "total", "invoice"), currency, "invoice.total")
    order_tax = _tax_lines_from(invoice.get("total_taxes"), currency, "invoice.total_taxes") or _tax_lines_from(
        invoice.get("total_tax_amounts"), currency, "invoice.total_tax_amounts"
    )
    if not order_tax and not any(p.tax_known for p in priced):
        # API versions before tax rates had only 'tax', always added on top.
        legacy = _optional_amount(invoice.get("tax"), currency, "invoice.tax")
        order_tax = (_Tax(TaxLine(title="Tax", amount=legacy), inclusive=False),) if legacy else ()
    assembled = _assemble(
        priced,
        _shipping_cost(invoice, currency, "invoice"),
        order_tax=order_tax,
        order_discount_total=_discount_sum(invoice.get("total_discount_amounts"), currency, "invoice"),
        currency=currency,
        where="invoice",
    )
    paid_at = _optional_epoch(
        _optional_mapping(invoice.get("status_transitions"), "invoice.status_transitions"),
        "paid_at",
        "invoice.status_transitions",
    )
    payments, received = _invoice_payments(invoice, total, currency, paid_at) if status != "void" else ((), ZERO)
    state = _invoice_state(invoice, status, received)
    refunds = _credit_notes(invoice, invoice_id, currency)
    return CanonicalOrder(
        channel=Channel.STRIPE,
        channel_order_id=invoice_id,
        order_number=(_string(invoice, "number", "invoice") or invoice_id).lstrip("#"),
        ordered_at=_invoice_date(invoice),
        channel_status=status,
        currency=currency,
        taxes_included=assembled.taxes_included,
        customer=_customer(
            customer_id=_ref_id(invoice.get("customer"), "invoice.customer"),
            emails=(_string(invoice, "customer_email", "invoice"),),
            name=_string(invoice, "customer_name", "invoice"),
            company=None,
            phone=_string(invoice, "customer_phone", "invoice"),
        ),
        billing_address=_address(invoice.get("customer_address"), "invoice.customer_address"),
        shipping_address=_shipping_address(invoice["customer_shipping"], "invoice.customer_shipping")
        if invoice.get("customer_shipping") is not None
        else None,
        lines=assembled.lines,
        shipping_lines=assembled.shipping,
        tax_lines=assembled.tax_lines,
        order_discount=assembled.order_discount,
        payments=payments,
        payment_methods=tuple(dict.fromkeys(p.method for p in payments if p.method)),
        payment_state=_after_refunds(state, received, refunds),
        fulfillment_state=FulfillmentState.CANCELLED if state is PaymentState.VOIDED else FulfillmentState.UNFULFILLED,
        refunds=refunds,
        channel_total=total,
        note=_string(invoice, "description", "invoice"),
    )


def _invoice_line(line: Any, currency: str, where: str, index: int) -> _Priced | None:
    line = _mapping(line, where)
    gross = _amount(required(line, "amount", where), currency, f"{where}.amount")
    raw_quantity = line.get("quantity")
    if raw_quantity == 0 and not isinstance(raw_quantity, bool):
        # Metered usage with no usage: nothing to book. A flat fee on zero usage is still one charge.
        if not gross:
            return None
        raw_quantity = 1
    discount = _discount_sum(line.get("discount_amounts"), currency, where)
    # Billing credits (credit grants) reduce the line before tax, like a discount; their 'discount' entries repeat
    # discount_amounts and are not counted twice.
    for i, credit in enumerate(_optional_list(line.get("pretax_credit_amounts"), f"{where}.pretax_credit_amounts")):
        credit = _mapping(credit, f"{where}.pretax_credit_amounts[{i}]")
        if credit.get("type") == "credit_balance_transaction":
            discount += _non_negative(credit.get("amount"), currency, f"{where}.pretax_credit_amounts[{i}].amount")
    taxes = _tax_lines_from(line.get("taxes"), currency, f"{where}.taxes") or _tax_lines_from(
        line.get("tax_amounts"), currency, f"{where}.tax_amounts"
    )
    price = _optional_mapping(line.get("price"), f"{where}.price")
    product = _optional_mapping_or_id(price.get("product"), f"{where}.price.product")
    return _Priced(
        line_id=_string(line, "id", where) or str(index),
        title=_string(line, "description", where)
        or _string(price, "nickname", f"{where}.price")
        or f"line {index + 1}",
        sku=_sku(price, product, f"{where}.price"),
        quantity=_line_quantity(raw_quantity, f"{where}.quantity"),
        gross=gross,
        discount=discount,
        inclusive_tax=sum((t.line.amount for t in taxes if t.inclusive), ZERO),
        exclusive_tax=sum((t.line.amount for t in taxes if not t.inclusive), ZERO),
        tax_lines=taxes,
        tax_known=line.get("taxes") is not None or line.get("tax_amounts") is not None,
    )


def _invoice_state(invoice: dict[str, Any], status: str, received: Decimal) -> PaymentState:
    if status == "paid":
        return PaymentState.PAID
    if status == "void":
        return PaymentState.VOIDED
    if status in ("open", "uncollectible"):
        # An uncollectible invoice can still be paid in Stripe: it stays a receivable until the books write it off.
        if received > 0:
            return PaymentState.PARTIALLY_PAID
        if status == "open" and invoice.get("collection_method") == "send_invoice":
            return PaymentState.ON_TERMS
        return PaymentState.UNPAID
    return PaymentState.UNKNOWN


def _invoice_payments(
    invoice: dict[str, Any], total: Decimal, currency: str, paid_at: datetime | None
) -> tuple[tuple[OrderPayment, ...], Decimal]:
    credit = _customer_credit_applied(invoice, currency)
    credit = max(min(credit, total), ZERO)
    amount_paid = _non_negative(invoice.get("amount_paid"), currency, "invoice.amount_paid")
    # A positive starting balance (an earlier debt) is collected with this invoice: only the part that pays this
    # invoice is this order's payment.
    paid = max(min(amount_paid, total - credit), ZERO)
    when = paid_at or _invoice_date(invoice)
    payments: list[OrderPayment] = []
    if credit:
        payments.append(
            OrderPayment(
                method="customer_balance", tender="store_credit", amount=credit, paid_at=_invoice_date(invoice)
            )
        )
    if paid:
        charge = _optional_mapping_or_id(invoice.get("charge"), "invoice.charge")
        method = "out_of_band" if invoice.get("paid_out_of_band") is True else _charge_method(charge)
        transaction = _ref_id(invoice.get("charge"), "invoice.charge") or _ref_id(
            invoice.get("payment_intent"), "invoice.payment_intent"
        )
        payments.append(OrderPayment(transaction_id=transaction, method=method, amount=paid, paid_at=when))
    return tuple(payments), credit + paid


def _customer_credit_applied(invoice: dict[str, Any], currency: str) -> Decimal:
    """Customer balance credit spent on this invoice: a store-credit tender (pitfall 14), not a discount."""
    start, end = invoice.get("starting_balance"), invoice.get("ending_balance")
    if start is None or end is None:
        return ZERO
    # A negative customer balance is credit; the invoice used what the balance moved towards zero.
    used = _amount(end, currency, "invoice.ending_balance") - _amount(start, currency, "invoice.starting_balance")
    return max(used, ZERO)


def _credit_notes(invoice: dict[str, Any], invoice_id: str, currency: str) -> tuple[OrderRefund, ...]:
    # Credit notes are Stripe's credit memos against an invoice; the invoice carries only their totals.
    notes = (
        ("pre_payment_credit_notes_amount", "credit notes issued before payment"),
        ("post_payment_credit_notes_amount", "credit notes issued after payment"),
    )
    refunds = []
    for field, text in notes:
        amount = _non_negative(invoice.get(field), currency, f"invoice.{field}")
        if amount:
            refunds.append(OrderRefund(refund_id=f"{invoice_id}/{field}", amount=amount, note=text))
    return tuple(refunds)


def _invoice_date(invoice: dict[str, Any]) -> datetime:
    # The accounting date of an invoice is when it took effect (finalized), not when the draft was created.
    transitions = _optional_mapping(invoice.get("status_transitions"), "invoice.status_transitions")
    return (
        _optional_epoch(invoice, "effective_at", "invoice")
        or _optional_epoch(transitions, "finalized_at", "invoice.status_transitions")
        or _epoch(invoice, "created", "invoice")
    )


# --- lines, tax and shipping shared by sessions and invoices -------------------------------------------------------


@dataclass(frozen=True)
class _Tax:
    line: TaxLine
    inclusive: bool


@dataclass(frozen=True)
class _Priced:
    """A line as Stripe prices it: gross before discounts (inclusive tax inside it), exclusive tax on top."""

    line_id: str
    title: str
    sku: str | None
    quantity: Decimal
    gross: Decimal
    discount: Decimal
    inclusive_tax: Decimal
    exclusive_tax: Decimal
    tax_lines: tuple[_Tax, ...]
    tax_known: bool = True


@dataclass(frozen=True)
class _PricedShipping:
    title: str
    code: str | None
    amount: Decimal
    inclusive_tax: Decimal
    exclusive_tax: Decimal
    tax_lines: tuple[_Tax, ...] = ()


@dataclass(frozen=True)
class _Assembled:
    lines: tuple[OrderLine, ...]
    shipping: tuple[ShippingLine, ...]
    tax_lines: tuple[TaxLine, ...]
    order_discount: Decimal
    taxes_included: bool


def _assemble(
    priced: list[_Priced],
    shipping: _PricedShipping | None,
    *,
    order_tax: tuple[_Tax, ...],
    order_discount_total: Decimal | None,
    currency: str,
    where: str,
) -> _Assembled:
    if not priced:
        raise NormalizationError("payload.no_lines", f"the Stripe {where} has no line items")
    shippings = [shipping] if shipping else []
    line_taxes_known = all(p.tax_known for p in priced)
    if line_taxes_known:
        inclusive = sum((p.inclusive_tax for p in priced), ZERO) + sum((s.inclusive_tax for s in shippings), ZERO)
        exclusive = sum((p.exclusive_tax for p in priced), ZERO) + sum((s.exclusive_tax for s in shippings), ZERO)
    else:
        # Old invoices carry tax only in their totals, which cover the shipping's tax too.
        inclusive = sum((t.line.amount for t in order_tax if t.inclusive), ZERO)
        exclusive = sum((t.line.amount for t in order_tax if not t.inclusive), ZERO)
    # Pitfall 3: a document has one tax mode. Stripe prices one line tax-inclusive and the next exclusive when their
    # prices say so; such a mix is turned into ex-tax lines plus tax lines.
    mixed = bool(inclusive) and bool(exclusive)
    if mixed and not line_taxes_known:
        raise NormalizationError(
            "payload.mixed_tax_behavior",
            f"the Stripe {where} mixes inclusive ({inclusive}) and exclusive ({exclusive} {currency}) tax but its "
            "lines do not say which tax is whose",
            "Publish the object with its lines' tax amounts (tax_amounts or taxes on every line).",
        )
    lines = tuple(_order_line(p, currency, ex_tax=mixed) for p in priced)
    shipping_lines = tuple(
        ShippingLine(
            title=s.title,
            code=s.code,
            amount=s.amount - s.inclusive_tax if mixed else s.amount,
            tax=s.inclusive_tax + s.exclusive_tax,
        )
        for s in shippings
    )
    allocated = sum((p.discount for p in priced), ZERO)
    unallocated = (order_discount_total or ZERO) - allocated
    tax_lines = _order_tax_lines(priced, shipping, order_tax, inclusive + exclusive, currency, where)
    return _Assembled(
        lines=lines,
        shipping=shipping_lines,
        tax_lines=tax_lines,
        order_discount=max(unallocated, ZERO),
        taxes_included=bool(inclusive) and not exclusive,
    )


def _order_line(p: _Priced, currency: str, *, ex_tax: bool) -> OrderLine:
    gross, discount = _excluding_tax(p, currency) if ex_tax else (p.gross, p.discount)
    line_quantity, unit_price, title = _unit_price(gross, p.quantity, p.title)
    tax = p.inclusive_tax + p.exclusive_tax
    return OrderLine(
        line_id=p.line_id,
        sku=p.sku,
        title=title,
        quantity=line_quantity,
        unit_price=unit_price,
        discount=discount,
        # A credit line (a proration, a negative invoice item) carries negative tax, which OrderLine.tax cannot hold;
        # its tax lines and the order's tax lines keep the signed amounts.
        tax=max(tax, ZERO),
        tax_lines=tuple(t.line for t in p.tax_lines),
        # Stripe says per line what tax it charged; a line that carried none is not taxable in the books either.
        taxable=bool(tax) if p.tax_known else True,
    )


def _excluding_tax(p: _Priced, currency: str) -> tuple[Decimal, Decimal]:
    """Gross and discount of a tax-inclusive line without its tax (pitfall 4: the net is exact, the split rounds)."""
    net = p.gross - p.discount
    if not p.inclusive_tax or not net:
        return p.gross, p.discount
    if abs(p.inclusive_tax) > abs(net):
        raise NormalizationError(
            "payload.inconsistent_line",
            f"line {p.line_id}: its inclusive tax {p.inclusive_tax} exceeds its amount {net} {currency}",
        )
    net_ex = net - p.inclusive_tax
    gross_ex = p.gross - quantize(p.inclusive_tax * p.gross / net, currency)
    discount_ex = gross_ex - net_ex
    if discount_ex < 0:
        return net_ex, ZERO
    return gross_ex, discount_ex


def _unit_price(gross: Decimal, line_quantity: Decimal, title: str) -> tuple[Decimal, Decimal, str]:
    """Quantity, unit price and title whose product is exactly the line's gross.

    Tiered and package prices do not divide evenly by the quantity; such a line becomes one unit of its total with
    the quantity in the title, so that the document still adds up to the cent.
    """
    unit = gross / line_quantity
    exponent = unit.normalize().as_tuple().exponent
    if unit * line_quantity == gross and isinstance(exponent, int) and -exponent <= _MAX_UNIT_DECIMALS:
        return line_quantity, unit, title
    return Decimal(1), gross, f"{title} (x {line_quantity})"


def _order_tax_lines(
    priced: list[_Priced],
    shipping: _PricedShipping | None,
    order_tax: tuple[_Tax, ...],
    tax_total: Decimal,
    currency: str,
    where: str,
) -> tuple[TaxLine, ...]:
    """Tax by jurisdiction: the object's own breakdown, else the lines' taxes, else one line for the total."""
    line_level = tuple(t for p in priced for t in p.tax_lines)
    if shipping:
        shipping_tax = shipping.inclusive_tax + shipping.exclusive_tax
        line_level += shipping.tax_lines
        if line_level and shipping_tax and not shipping.tax_lines:
            # The shipping's own tax list was not expanded: name its tax rather than lose it.
            line_level += (_Tax(TaxLine(title="Shipping tax", amount=shipping_tax), inclusive=False),)
    for taxes in (order_tax, line_level):
        if not taxes:
            continue
        grouped = _grouped(t.line for t in taxes)
        listed = sum((t.amount for t in grouped), ZERO)
        if listed != tax_total:
            raise NormalizationError(
                "payload.tax_mismatch",
                f"the Stripe {where}'s tax list adds up to {listed} {currency} but its lines carry {tax_total} "
                f"{currency} of tax",
                "Publish the object exactly as Stripe returns it.",
            )
        return grouped
    return (TaxLine(title="Tax", amount=tax_total),) if tax_total else ()


def _grouped(taxes: Iterable[TaxLine]) -> tuple[TaxLine, ...]:
    totals: dict[tuple[str, Decimal | None], Decimal] = {}
    for tax in taxes:
        key = (tax.title, tax.rate)
        totals[key] = totals.get(key, ZERO) + tax.amount
    return tuple(TaxLine(title=title, rate=rate, amount=amount) for (title, rate), amount in totals.items() if amount)


def _tax_lines_from(value: Any, currency: str, where: str) -> tuple[_Tax, ...]:
    """Tax entries in any of Stripe's shapes.

    Checkout: ``{amount, rate: {display_name, jurisdiction, percentage, inclusive}}``; invoices before 2025-03-31:
    ``{amount, inclusive, tax_rate}``; since then: ``{amount, tax_behavior, tax_rate_details: {tax_rate}}``.
    """
    taxes = []
    for i, entry in enumerate(_optional_list(value, where)):
        here = f"{where}[{i}]"
        entry = _mapping(entry, here)
        amount = _amount(required(entry, "amount", here), currency, f"{here}.amount")
        rate = _optional_mapping_or_id(entry.get("rate") or entry.get("tax_rate"), f"{here}.tax_rate")
        details = _optional_mapping(entry.get("tax_rate_details"), f"{here}.tax_rate_details")
        rate_id = (
            _ref_id(entry.get("rate") or entry.get("tax_rate"), f"{here}.tax_rate")
            or _ref_id(details.get("tax_rate"), f"{here}.tax_rate_details.tax_rate")
            or None
        )
        name = _string(rate, "display_name", f"{here}.rate")
        jurisdiction = _string(rate, "jurisdiction", f"{here}.rate")
        title = name or (f"Tax {rate_id}" if rate_id else "Tax")
        if jurisdiction:
            title = f"{title} ({jurisdiction})"
        percentage = rate.get("percentage")
        inclusive = entry.get("inclusive")
        if inclusive is None:
            inclusive = entry.get("tax_behavior") == "inclusive" if "tax_behavior" in entry else rate.get("inclusive")
        taxes.append(
            _Tax(
                TaxLine(
                    title=title,
                    rate=None if percentage is None else decimal(percentage, f"{here}.rate.percentage") / 100,
                    amount=amount,
                ),
                inclusive=inclusive is True,
            )
        )
    return tuple(taxes)


def _check_declared_tax(assembled: _Assembled, declared: Any, currency: str, where: str) -> None:
    # With tax-inclusive prices the tax is not part of the balance check, so a wrong tax figure must be caught here.
    if declared is None:
        return
    expected = _amount(declared, currency, where)
    found = sum((t.amount for t in assembled.tax_lines), ZERO)
    if expected != found:
        raise NormalizationError(
            "payload.tax_mismatch",
            f"{where} is {expected} {currency} but the line items carry {found} {currency} of tax",
            "Publish the session with all its line items (line_items.has_more must be false).",
        )


def _shipping_cost(obj: dict[str, Any], currency: str, where: str) -> _PricedShipping | None:
    here = f"{where}.shipping_cost"
    cost = obj.get("shipping_cost")
    if cost is None:
        details = _optional_mapping(obj.get("total_details"), f"{where}.total_details")
        # Sessions from before shipping_cost existed give only the shipping amount, with no tax on it.
        amount = _optional_amount(details.get("amount_shipping"), currency, f"{where}.total_details.amount_shipping")
        return _PricedShipping("Shipping", None, amount, ZERO, ZERO) if amount else None
    cost = _mapping(cost, here)
    subtotal = _non_negative(required(cost, "amount_subtotal", here), currency, f"{here}.amount_subtotal")
    tax = _non_negative(cost.get("amount_tax"), currency, f"{here}.amount_tax")
    total = _non_negative(required(cost, "amount_total", here), currency, f"{here}.amount_total")
    exclusive = total - subtotal
    if exclusive < 0 or exclusive > tax:
        raise NormalizationError(
            "payload.inconsistent_line",
            f"{here}: amount_total {total} is neither amount_subtotal {subtotal} nor that plus amount_tax {tax} "
            f"{currency}",
        )
    rate = _optional_mapping_or_id(cost.get("shipping_rate"), f"{here}.shipping_rate")
    return _PricedShipping(
        title=_string(rate, "display_name", f"{here}.shipping_rate") or "Shipping",
        code=_ref_id(cost.get("shipping_rate"), f"{here}.shipping_rate") or None,
        amount=subtotal,
        inclusive_tax=tax - exclusive,
        exclusive_tax=exclusive,
        tax_lines=_tax_lines_from(cost.get("taxes"), currency, f"{here}.taxes"),
    )


def _discount_sum(value: Any, currency: str, where: str) -> Decimal:
    total = ZERO
    for i, entry in enumerate(_optional_list(value, f"{where}.discount_amounts")):
        here = f"{where}.discount_amounts[{i}]"
        total += _non_negative(required(_mapping(entry, here), "amount", here), currency, f"{here}.amount")
    return total


def _sku(price: dict[str, Any], product: dict[str, Any], where: str) -> str | None:
    # Pitfall 10: Stripe has no SKU, only price and product ids, which mean nothing to the books; a merchant's own
    # SKU in metadata or the price's lookup_key is used when present, otherwise the fallback item.
    for source, label in ((product, f"{where}.product.metadata"), (price, f"{where}.metadata")):
        sku = _string(_optional_mapping(source.get("metadata"), label), "sku", label)
        if sku:
            return sku
    return _string(price, "lookup_key", where)


def _line_quantity(value: Any, where: str) -> Decimal:
    return Decimal(1) if value is None else quantity(value, where)


# --- payments, refunds, state ---------------------------------------------------------------------------------------


def _card_payment(
    amount: Decimal, *, transaction_id: str | None, method: str | None, paid_at: datetime | None
) -> tuple[OrderPayment, ...]:
    if not amount:
        return ()
    return (OrderPayment(transaction_id=transaction_id, method=method, amount=amount, paid_at=paid_at),)


def _after_refunds(state: PaymentState, received: Decimal, refunds: tuple[OrderRefund, ...]) -> PaymentState:
    refunded = sum((r.amount for r in refunds), ZERO)
    if state is not PaymentState.PAID or not refunded:
        return state
    return PaymentState.REFUNDED if received and refunded >= received else PaymentState.PARTIALLY_REFUNDED


def _pays_later(methods: list[str]) -> bool:
    # A card is paid at once, so a session that offered card and bank transfer and is still unpaid used the
    # transfer; with a bank debit also on offer it may be the debit, which is merely unpaid.
    return bool(set(methods) & _PAY_LATER_METHODS) and not set(methods) & _DEBIT_METHODS


def _charge_method(charge: dict[str, Any]) -> str | None:
    details = _optional_mapping(charge.get("payment_method_details"), "payment_method_details")
    return _string(details, "type", "payment_method_details")


def _method_list(value: Any) -> list[str]:
    return [m for m in value if isinstance(m, str)] if isinstance(value, list) else []


def _single_method(value: Any) -> str | None:
    methods = _method_list(value)
    return methods[0] if len(methods) == 1 else None


def _methods(used: str | None, offered: Any) -> tuple[str, ...]:
    if used:
        return (used,)
    methods = _method_list(offered)
    return (methods[0],) if len(methods) == 1 else ()


# --- customer and addresses ---------------------------------------------------------------------------------------


def _customer(
    *, customer_id: str, emails: tuple[str | None, ...], name: str | None, company: str | None, phone: str | None
) -> Customer | None:
    email = next((e for e in emails if e), None)
    if name and _EMAIL.match(name):
        # Pitfall 11: name fields often hold an e-mail address (the public dj-stripe charge): it is not a name.
        email = email or name
        name = None
    if name and company and name.casefold() == company.casefold():
        name = None  # a business buying: its name is the company, not a person's first and last name
    first, _, last = (name or "").partition(" ")
    if not any((customer_id, email, name, company, phone)):
        return None  # a guest with no details at all
    return Customer(
        channel_customer_id=customer_id or None,
        email=email,
        first_name=first or None,
        last_name=last.strip() or None,
        company=company,
        phone=phone,
    )


def _address(value: Any, where: str, contact: dict[str, Any] | None = None) -> Address | None:
    if value is None:
        return None
    a = _mapping(value, where)
    contact = contact or {}
    name = _string(contact, "name", where)
    address = Address(
        name=None if name and _EMAIL.match(name) else name,
        line1=_string(a, "line1", where),
        line2=_string(a, "line2", where),
        city=_string(a, "city", where),
        region=_string(a, "state", where),
        postal_code=_string(a, "postal_code", where),
        country_code=_string(a, "country", where),
        phone=_string(contact, "phone", where),
    )
    street = (address.line1, address.line2, address.city, address.postal_code, address.country_code)
    return address if any(street) else None


def _shipping_address(value: Any, where: str) -> Address | None:
    shipping = _mapping(value, where)
    return _address(shipping.get("address"), f"{where}.address", shipping)


# --- identity, dates, references ------------------------------------------------------------------------------------


def _id(obj: dict[str, Any], where: str) -> str:
    value = required(obj, "id", where)
    if not isinstance(value, str):
        raise _wrong_type(f"{where}.id", value, "a Stripe id string")
    return value


def _order_number(obj: dict[str, Any], where: str, client_reference: Any) -> str:
    """The merchant's own order reference when the payload carries one, else the Stripe id."""
    if client_reference is not None and not isinstance(client_reference, str):
        raise _wrong_type(f"{where}.client_reference_id", client_reference, "a string")
    metadata = _optional_mapping(obj.get("metadata"), f"{where}.metadata")
    for candidate in (client_reference, *(metadata.get(k) for k in _ORDER_REF_KEYS)):
        if isinstance(candidate, str) and candidate.strip().lstrip("#"):
            return candidate.strip().lstrip("#")
    return _id(obj, where)


def _related_note(obj: dict[str, Any], where: str) -> str | None:
    # A charge or session that belongs to an invoice is also booked if the invoice is published: say so on the order.
    invoice = _ref_id(obj.get("invoice"), f"{where}.invoice")
    return f"Stripe invoice {invoice}" if invoice else None


def _epoch(obj: dict[str, Any], field: str, where: str) -> datetime:
    return timestamp_epoch(required(obj, field, where), f"{where}.{field}")


def _optional_epoch(obj: dict[str, Any], field: str, where: str) -> datetime | None:
    value = obj.get(field)
    return None if value is None else timestamp_epoch(value, f"{where}.{field}")


def _currency(obj: dict[str, Any], where: str) -> str:
    return currency_code(required(obj, "currency", where), f"{where}.currency")


# --- money ---------------------------------------------------------------------------------------------------------


def _stripe_exponent(currency: str) -> int:
    if currency in _ZERO_DECIMAL:
        return 0
    return 3 if currency in _THREE_DECIMAL else 2


def _amount(value: Any, currency: str, where: str) -> Decimal:
    """Integer minor units as Stripe counts them for ``currency``, scaled to the currency's ISO exponent."""
    amount = minor_units(value, currency, where)  # type and size checks, ISO 4217 scaling
    shift = currency_exponent(currency) - _stripe_exponent(currency)
    if not shift:
        return amount
    exact = amount.scaleb(shift)
    rounded = quantize(exact, currency)
    if rounded != exact:
        raise NormalizationError(
            "payload.bad_number",
            f"{where} is {value}: {exact} {currency} has a fraction the currency does not have",
            f"Stripe requires whole {currency} amounts; correct the object in Stripe.",
        )
    return rounded


def _optional_amount(value: Any, currency: str, where: str) -> Decimal | None:
    return None if value is None else _amount(value, currency, where)


def _non_negative(value: Any, currency: str, where: str) -> Decimal:
    amount = ZERO if value is None else _amount(value, currency, where)
    if amount < 0:
        raise NormalizationError("payload.bad_number", f"{where} is {value}: this amount cannot be negative")
    return amount


# --- structure -----------------------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    return repr(value) if len(repr(value)) <= 60 else f"a {type(value).__name__}"


def _wrong_type(where: str, value: Any, expected: str) -> NormalizationError:
    return NormalizationError(
        "payload.wrong_type",
        f"{where} is {_shown(value)}, not {expected}",
        "Publish the object exactly as the Stripe API returns it.",
    )


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _wrong_type(where, value, "an object")
    return value


def _optional_mapping(value: Any, where: str) -> dict[str, Any]:
    return {} if value is None else _mapping(value, where)


def _optional_mapping_or_id(value: Any, where: str) -> dict[str, Any]:
    """An expandable field: the expanded object, or {} when it is only an id (or absent)."""
    if value is None or isinstance(value, str):
        return {}
    return _mapping(value, where)


def _optional_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong_type(where, value, "a list")
    return value


def _list_data(value: Any, where: str, *, allow_partial: bool = False) -> list[Any]:
    """The entries of a Stripe list object ``{"object": "list", "data": [...], "has_more": ...}`` or a bare array."""
    if isinstance(value, list):
        return value
    listing = _mapping(value, where)
    data = listing.get("data")
    if not isinstance(data, list):
        raise _wrong_type(f"{where}.data", data, "a list")
    if listing.get("has_more") is True and not allow_partial:
        raise NormalizationError(
            "payload.incomplete_list",
            f"{where} holds only the first {len(data)} entries (has_more is true)",
            f"Page through {listing.get('url') or where} and publish the object with every entry in {where}.data.",
        )
    return data


def _ref_id(value: Any, where: str) -> str:
    """The id of an expandable field, whether it is the id itself or the expanded object; '' when absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    raise _wrong_type(where, value, "an id or an object with an id")


def _string(obj: dict[str, Any], field: str, where: str) -> str | None:
    value = obj.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong_type(f"{where}.{field}", value, "a string")
    return value.strip() or None


def _required_string(obj: dict[str, Any], field: str, where: str) -> str:
    value = _string(obj, field, where)
    if value is None:
        raise NormalizationError(
            "payload.missing_field",
            f"{where}.{field} is missing",
            f"Send the full object as Stripe returns it, including '{field}'.",
        )
    return value
