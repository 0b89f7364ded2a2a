"""Rule actions: what each does to the order or to its plan, and the audit trail on each document."""

from __future__ import annotations

from decimal import Decimal

from ledgerflow.contracts import (
    CustomerMatch,
    DocumentType,
    LineKind,
    MatchingPolicy,
    NumberingPolicy,
    PaymentState,
    TransactionMode,
)
from ledgerflow.planner.lines import lines_total
from tests.unit.rules_helpers import planned, run, sample


def _one(action: str, when: str = "") -> str:
    return f"- name: the rule\n{'  when: ' + when + chr(10) if when else ''}  then: [{action}]"


def _lines(doc) -> list[tuple[str, str, str | None, str | None]]:
    return [(line.kind.value, line.item_name, line.class_name, line.tax_code) for line in doc.lines]


def test_remap_sku_changes_the_item_of_the_matching_lines() -> None:
    outcome = run(_one("{action: remap_sku, from: TENT-2P, to: TENT-TWO}"))
    invoice, payment = planned(outcome).documents
    assert [line.item_name for line in invoice.lines[:2]] == ["TENT-TWO", "STOVE-MINI"]
    assert outcome.before.lines[0].sku == "TENT-2P"  # the order as it came is kept for the dry run
    assert [(a.rule, a.changes) for a in invoice.applied_rules] == [
        ("the rule", ("line 9001 sku: TENT-2P -> TENT-TWO",))
    ]
    assert payment.applied_rules == ()  # a payment has no lines: the remap did not change it


def test_shipping_and_discount_items() -> None:
    outcome = run("""
- name: items
  then: [{action: shipping_item, item: Freight}, {action: discount_item, item: Coupons}]
""")
    invoice, _ = planned(outcome).documents
    assert ("shipping", "Freight", None, None) in _lines(invoice)
    assert ("discount", "Coupons", None, None) in _lines(invoice)


def test_deposit_account_by_payment_method_goes_on_payments_and_sales_receipts() -> None:
    rule = _one("{action: deposit_account, account: Stripe Clearing}",
                "{field: order.payment_methods, op: eq, value: shopify_payments}")  # fmt: skip
    invoice, payment = planned(run(rule)).documents
    assert (invoice.deposit_account, payment.deposit_account) == (None, "Stripe Clearing")
    (receipt,) = planned(run(rule), TransactionMode.SALES_RECEIPTS).documents
    assert receipt.deposit_account == "Stripe Clearing"


def test_receivable_account_by_currency() -> None:
    rule = _one("{action: receivable_account, account: A/R EUR}", "{field: order.currency, op: eq, value: EUR}")
    invoice, _ = planned(run(rule, sample(currency="EUR"))).documents
    assert invoice.receivable_account == "A/R EUR"
    invoice, _ = planned(run(rule)).documents
    assert invoice.receivable_account is None


def test_class_and_location_of_the_document_and_class_of_lines() -> None:
    outcome = run("""
- name: classes
  then: [{action: set_class, name: Online}, {action: set_location, name: West}]
- name: stoves
  when: {field: line.sku, op: eq, value: STOVE-MINI}
  then: [{action: set_line_class, name: Kitchen}]
""")
    invoice, payment = planned(outcome).documents
    assert (invoice.class_name, invoice.location) == ("Online", "West")
    assert (payment.class_name, payment.location) == (None, None)  # QuickBooks payments have neither
    assert [line.class_name for line in invoice.lines] == [None, "Kitchen", None, None, None]


def test_tax_codes_per_line_shipping_and_discount() -> None:
    outcome = run("""
- name: tents are not taxed
  when: {field: line.sku, op: eq, value: TENT-2P}
  then: [{action: set_tax_code, code: NON}]
- name: shipping and discount
  then: [{action: set_tax_code, lines: shipping, code: NON}, {action: set_tax_code, lines: discount, code: TAX}]
""")
    invoice, _ = planned(outcome).documents
    assert [line.tax_code for line in invoice.lines] == ["NON", None, "NON", "TAX", None]


def test_order_number_prefix_and_single_customer_apply_to_this_orders_plan() -> None:
    outcome = run(_one("{action: order_number_prefix, prefix: AZ-}") + "\n" + _one(
        "{action: single_customer, name: Amazon Customer}").replace("the rule", "customer"))  # fmt: skip
    policy = outcome.effects.numbering(NumberingPolicy(prefix="SH-", channel_prefixes={"shopify": "S-"}))
    assert policy.prefix_for("shopify") == "AZ-"
    matching = outcome.effects.matching(MatchingPolicy())
    assert (matching.customers, matching.single_customer) == (CustomerMatch.SINGLE, "Amazon Customer")
    invoice, _ = planned(outcome).documents
    assert (invoice.customer_name, invoice.customer_email) == ("Amazon Customer", None)


def test_do_not_import() -> None:
    outcome = run("""
- name: wholesale
  when: {field: order.tags, op: eq, value: wholesale}
  then: [{action: do_not_import, reason: invoiced by hand}]
- name: never reached
  then: [{action: set_class, name: X}]
""", sample(tags=("wholesale",)))  # fmt: skip
    assert outcome.skipped
    assert outcome.effects.skip == "rule 'wholesale': invoiced by hand"
    assert [rule.name for rule in outcome.fired] == ["wholesale"]


def test_do_not_import_does_not_stop_an_order_already_in_the_books() -> None:
    from ledgerflow.planner.rules import compile_rules, evaluate
    from tests.unit.rules_helpers import rule_set

    rules = compile_rules(rule_set(_one("{action: do_not_import}")), 1)
    outcome = evaluate(rules, sample(), "shop", may_skip=False)
    assert not outcome.skipped
    assert "yes" in str(outcome.fired[0].changes[0])


def test_override_shipping_keeps_the_order_balanced_and_a_full_payment_full() -> None:
    outcome = run(_one("{action: override_shipping, amount: '5.00'}"))
    order = outcome.order
    assert order.shipping_lines[0].amount == Decimal("5.00")
    assert order.channel_total == order.computed_total() == Decimal("333.11")
    assert order.amount_paid == Decimal("333.11")
    invoice, payment = planned(outcome).documents
    assert invoice.total == lines_total(invoice.lines) == payment.total == Decimal("333.11")
    assert [str(c) for c in outcome.fired[0].changes] == [
        "shipping: 12.00 -> 5.00", "total: 340.11 -> 333.11", "amount paid: 340.11 -> 333.11",
    ]  # fmt: skip


def test_override_shipping_leaves_a_partial_payment_alone_unless_it_exceeds_the_total() -> None:
    order = sample("acme-1003-partially-paid-guest")
    assert order.amount_paid < order.channel_total
    outcome = run(_one("{action: override_shipping, amount: 0}"), order)
    assert outcome.order.amount_paid == order.amount_paid
    assert outcome.order.channel_total == outcome.order.computed_total()


def test_mark_unpaid_gives_an_open_invoice_and_no_payment() -> None:
    outcome = run(_one("{action: mark_unpaid}"))
    assert outcome.order.payment_state is PaymentState.UNPAID
    assert outcome.order.payments == ()
    (invoice,) = planned(outcome).documents
    assert invoice.type is DocumentType.INVOICE
    assert invoice.applied_rules[0].changes == ("payment state: paid -> unpaid", "payments: 340.11 -> (none)")


def test_copy_field_into_the_order_and_into_lines() -> None:
    outcome = run("""
- name: copies
  then:
    - {action: copy_field, from: order.billing_address.city, to: order.customer.company}
    - {action: copy_field, from: order.channel_order_id, to: order.note}
- name: titles
  when: {field: line.sku, op: eq, value: TENT-2P}
  then: [{action: copy_field, from: line.sku, to: line.title}]
- name: missing source
  then: [{action: copy_field, from: order.presentment_currency, to: order.note}]
""")
    order = outcome.order
    assert order.customer is not None and order.customer.company == "Sacramento"
    assert order.note == "5400000001001"
    assert [line.title for line in order.lines] == ["TENT-2P", "Mini camp stove"]
    assert outcome.fired[2].changes == ()  # nothing to copy: the note keeps its value
    invoice, _ = planned(outcome).documents
    assert invoice.lines[0].description == "TENT-2P"


def test_later_rules_win_and_both_show_in_the_audit_trail() -> None:
    outcome = run("""
- name: first
  then: [{action: set_class, name: A}]
- name: second
  then: [{action: set_class, name: B}]
""")
    invoice, _ = planned(outcome).documents
    assert invoice.class_name == "B"
    assert [(a.rule, a.changes, a.rule_set_version) for a in invoice.applied_rules] == [
        ("first", ("class: (none) -> A",), 1), ("second", ("class: A -> B",), 1),
    ]  # fmt: skip


def test_without_rules_a_plan_is_untouched() -> None:
    outcome = run("- {name: never, when: {field: order.channel, op: eq, value: amazon}, then: [{action: mark_unpaid}]}")
    assert outcome.fired == () and outcome.order is outcome.before
    invoice, _ = planned(outcome).documents
    assert invoice.applied_rules == () and invoice.lines[0].kind is LineKind.ITEM
