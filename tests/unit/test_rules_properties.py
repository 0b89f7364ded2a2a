"""Random rule texts and random orders: loading never crashes and every refusal says where and what; rules that
load run on any order without crashing, and leave a balanced order balanced."""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.cli.samples import sample_orders
from ledgerflow.contracts import CanonicalOrder, Channel, PaymentState, TransactionMode
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.connections import ConfigError, load_settings
from ledgerflow.planner.errors import PlanningError
from ledgerflow.planner.rules import CompiledRules, compile_rules, evaluate, load_rule_set
from ledgerflow.planner.rules.fields import FIELDS
from ledgerflow.planner.rules.model import ACTION_KINDS, Op
from tests.unit.rules_helpers import planned

SAMPLES = [normalize(Channel(s.channel), s.payload()) for s in sample_orders()]
# Where a problem is ("rules.t[3] 'name' when.all[0]"), then what it is.
PROBLEM = re.compile(r"^rules\.t(\[\d+\])?\S*( .+?)?: \S")

texts = st.text(max_size=12)
words = st.sampled_from(["TENT-2P", "STOVE-MINI", "A", "B", "Web", "NON", "TAX", "wholesale", "AZ-", "0", "12.50"])
scalars = st.one_of(
    words, st.none(), st.booleans(), st.integers(-(10**6), 10**6), texts,
    st.sampled_from(["2026-11-01", "2026-11-01T00:00:00+00:00", "340.11", "USD", "usd", "shopify", "paid",
                     "(a+)+", "^A", "[", "(?i)x", "a{2,}", "(a|b)*"]),
    st.floats(allow_nan=True), st.dates(),
)  # fmt: skip
values = st.one_of(scalars, scalars, st.lists(scalars, max_size=4))
known_fields = st.sampled_from(sorted(FIELDS))
fields = st.one_of(known_fields, known_fields, known_fields, texts, st.sampled_from(["order.total", "line.nope"]))
known_ops = st.sampled_from([o.value for o in Op])
ops = st.one_of(known_ops, known_ops, known_ops, texts)
conditions = st.one_of(
    st.fixed_dictionaries({"field": fields, "op": ops, "value": values}),
    st.fixed_dictionaries({"field": fields, "op": ops, "value": values}),
    st.dictionaries(texts, values, max_size=3),
)
nodes = st.recursive(
    conditions,
    lambda inner: st.dictionaries(st.sampled_from(["all", "any", "all", "any", "none"]), st.lists(inner, max_size=3),
                                  min_size=1, max_size=2),
    max_leaves=8,
)  # fmt: skip
_PARAMETERS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "remap_sku": {"from": words, "to": words}, "shipping_item": {"item": words}, "discount_item": {"item": words},
    "deposit_account": {"account": words}, "receivable_account": {"account": words}, "set_class": {"name": words},
    "set_line_class": {"name": words}, "set_location": {"name": words},
    "set_tax_code": {"code": words, "lines": st.sampled_from(["items", "shipping", "discount", "x"])},
    "order_number_prefix": {"prefix": words}, "do_not_import": {}, "mark_unpaid": {},
    "override_shipping": {"amount": st.one_of(st.integers(-5, 500), words, st.floats())},
    "single_customer": {"name": words}, "copy_field": {"from": fields, "to": fields},
}  # fmt: skip
assert set(_PARAMETERS) == set(ACTION_KINDS)
actions = st.one_of(
    *(st.fixed_dictionaries({"action": st.just(kind), **params}) for kind, params in _PARAMETERS.items()),
    st.dictionaries(texts, values, max_size=3),
)
names = st.one_of(st.sampled_from(["r1", "r2", "r3", "a rule"]), st.sampled_from(["r1", "r2"]), texts, st.integers())
rule_entries = st.fixed_dictionaries(
    {"name": names, "then": st.one_of(st.lists(actions, min_size=1, max_size=3), values)},
    optional={"when": st.one_of(nodes, nodes, values), "connections": st.one_of(st.lists(words, min_size=1, max_size=2),
              values), "enabled": st.one_of(st.booleans(), texts)},
)  # fmt: skip
rules = st.one_of(st.lists(rule_entries, max_size=4), st.lists(st.one_of(rule_entries, values), max_size=4))


@st.composite
def orders(draw: st.DrawFn) -> CanonicalOrder:
    order = draw(st.sampled_from(SAMPLES))
    lines = tuple(
        line.model_copy(update={"sku": draw(st.one_of(st.none(), st.sampled_from(["TENT-2P", "A", "B"]), texts))})
        for line in order.lines
    )
    changed = order.model_copy(
        update={
            "lines": lines,
            "tags": tuple(draw(st.lists(texts, max_size=3))),
            "note": draw(st.one_of(st.none(), texts)),
            "payment_state": draw(st.sampled_from(PaymentState)),
        }
    )
    return changed.model_copy(update={"channel_total": changed.computed_total()})


def _sane(problem: str) -> bool:
    return bool(PROBLEM.match(problem)) and "Traceback" not in problem and " object at 0x" not in problem


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.one_of(rules, values))
def test_random_rule_texts_never_crash_and_every_refusal_is_precise(entries: Any) -> None:
    loaded, problems = load_rule_set("t", entries)
    assert (loaded is None) == bool(problems)
    assert all(_sane(p) for p in problems), problems
    if loaded is not None:
        compile_rules(loaded, 1)  # whatever is accepted compiles


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_random_settings_files_are_read_or_refused_with_reasons(text: str, tmp_path_factory: Any) -> None:
    path: Path = tmp_path_factory.mktemp("settings") / "settings.yaml"
    path.write_text("rules:\n  t:\n" + "\n".join("    " + line for line in text.splitlines()))
    with contextlib.suppress(ConfigError):  # a refusal is an answer; any other exception fails the test
        load_settings(path)


VALID = [
    "- {name: a, when: {field: line.sku, op: eq, value: TENT-2P}, then: [{action: remap_sku, from: TENT-2P, to: B}]}",
    "- {name: b, when: {field: order.tags, op: matches, value: '^w'}, then: [{action: do_not_import}]}",
    "- {name: c, then: [{action: override_shipping, amount: '3.50'}, {action: set_class, name: X}]}",
    "- {name: d, when: {field: order.payment_state, op: in, value: [paid, partially_paid]},"
    " then: [{action: mark_unpaid}]}",
    "- {name: e, when: {field: line.unit_price, op: gt, value: 40}, then: [{action: set_tax_code, code: NON},"
    " {action: copy_field, from: line.sku, to: line.title}, {action: set_line_class, name: Big}]}",
    "- {name: f, then: [{action: copy_field, from: order.note, to: order.customer.company},"
    " {action: single_customer, name: Web}, {action: shipping_item, item: Freight}]}",
    "- {name: g, when: {any: [{field: order.channel_total, op: lt, value: 50},"
    " {field: order.note, op: eq, value: null}]},"
    " then: [{action: override_shipping, amount: 0}, {action: deposit_account, account: Bank}]}",
]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), chosen=st.lists(st.sampled_from(VALID), min_size=1, max_size=len(VALID), unique=True))
def test_rules_run_on_any_order_and_keep_it_balanced(order: CanonicalOrder, chosen: list[str]) -> None:
    loaded, problems = load_rule_set("t", yaml.safe_load("\n".join(chosen)))
    assert loaded is not None, problems
    outcome = evaluate(compile_rules(loaded, 1), order, "shop")
    after = CanonicalOrder.model_validate(outcome.order.model_dump())  # still a valid canonical order
    assert after.computed_total() == after.channel_total
    assert sum((p.amount for p in after.payments), Decimal(0)) <= max(order.amount_paid, after.channel_total)
    if outcome.skipped:
        return
    try:
        documents = planned(outcome, TransactionMode.SALES_ORDERS_INVOICES).documents
    except PlanningError:
        return  # an order the mode itself refuses
    assert all(doc.total >= 0 or doc.type.value == "payment" for doc in documents)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=orders(),
    when=st.recursive(
        st.fixed_dictionaries({"field": known_fields, "op": known_ops, "value": values}),
        lambda inner: st.dictionaries(
            st.sampled_from(["all", "any"]), st.lists(inner, min_size=1, max_size=3), min_size=1, max_size=1
        ),
        max_leaves=5,
    ),
)
def test_any_well_formed_condition_is_either_refused_or_runs_on_any_order(order: CanonicalOrder, when: Any) -> None:
    entry = {"name": "r", "when": when, "then": [{"action": "set_line_class", "name": "X"}]}
    loaded, problems = load_rule_set("t", [entry])
    assert all(_sane(p) for p in problems), problems
    if loaded is not None:
        evaluate(compile_rules(loaded, 1), order, "shop")


INDEXABLE_ACTIONS: list[dict[str, Any]] = [
    {"action": "remap_sku", "from": "TENT-2P", "to": "A"}, {"action": "remap_sku", "from": "A", "to": "B"},
    {"action": "set_line_class", "name": "X"}, {"action": "mark_unpaid"}, {"action": "set_class", "name": "Y"},
    {"action": "copy_field", "from": "line.sku", "to": "line.title"}, {"action": "override_shipping", "amount": 1},
]  # fmt: skip


LOOKED_UP = [
    "line.sku",
    "order.skus",
    "order.tags",
    "order.note",
    "order.payment_state",
    "order.currency",
    "line.title",
]
looked_up_conditions = st.fixed_dictionaries(
    {"field": st.sampled_from(LOOKED_UP), "op": st.sampled_from(["eq", "in", "starts_with", "ne", "matches"]),
     "value": st.one_of(words, st.lists(words, min_size=1, max_size=3))}
)  # fmt: skip
looked_up_rules = st.fixed_dictionaries(
    {
        "when": st.recursive(
            looked_up_conditions,
            lambda inner: st.dictionaries(st.sampled_from(["all", "any"]), st.lists(inner, min_size=1, max_size=3),
                                          min_size=1, max_size=1),
            max_leaves=4,
        ),
        "then": st.lists(st.sampled_from(INDEXABLE_ACTIONS), min_size=1, max_size=2, unique_by=lambda a: a["action"]),
    }
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), entries=st.lists(looked_up_rules, max_size=8))
def test_looking_rules_up_by_value_gives_what_trying_every_rule_gives(order: CanonicalOrder, entries: Any) -> None:
    named = [{"name": f"r{i}", **entry} for i, entry in enumerate(entries)]
    accepted = []
    for entry in named:
        loaded, _ = load_rule_set("t", [entry])
        if loaded is not None:
            accepted.append(entry)
    loaded, problems = load_rule_set("t", accepted)
    assert loaded is not None, problems
    indexed = compile_rules(loaded, 1)
    every_rule = CompiledRules(indexed.tenant, 1, indexed.rules, (), tuple(range(len(indexed.rules))))
    fast, slow = evaluate(indexed, order, "shop"), evaluate(every_rule, order, "shop")
    assert [(f.name, f.changes) for f in fast.fired] == [(f.name, f.changes) for f in slow.fired]
    assert fast.order == slow.order and fast.effects == slow.effects
