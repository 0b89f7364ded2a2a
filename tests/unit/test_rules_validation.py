"""Rules are refused when applied, every problem listed with where it is: unknown fields, wrong types, rules that
can never match, contradictions, unsafe patterns and sizes over the limits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ledgerflow.cli.main import app
from ledgerflow.planner.connections import ConfigError, load_settings
from ledgerflow.planner.rules import load_rule_set, load_rule_sets
from ledgerflow.planner.rules.fields import FIELDS
from ledgerflow.planner.rules.model import ACTION_KINDS, MAX_RULES_PER_TENANT
from ledgerflow.planner.rules.patterns import pattern_problem
from tests.unit.rules_helpers import problems, rule_set


def _when(condition: str) -> list[str]:
    return problems(f"- name: r\n  when: {condition}\n  then: [{{action: set_class, name: X}}]")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("{field: order.chanel, op: eq, value: x}", "unknown field 'order.chanel' (did you mean order.channel?)"),
        ("{field: order.total, op: gt, value: 1}", "(did you mean order.channel_total?)"),
        ("{field: order.channel, op: eq, value: myspace}", "order.channel is one of shopify"),
        ("{field: order.channel_total, op: starts_with, value: '1'}", "is a decimal field: starts_with does not"),
        ("{field: order.channel_total, op: gt, value: ten}", "order.channel_total is a decimal amount, got 'ten'"),
        ("{field: order.channel_total, op: gt, value: 10.5}", "write decimals as strings"),
        ("{field: order.channel_total, op: gt, value: true}", "got the boolean true"),
        ("{field: order.channel_total, op: between, value: [10, 5]}", "between 10 and 5 can never match"),
        ("{field: order.channel_total, op: between, value: [10]}", "between takes two values"),
        ("{field: order.channel_total, op: between, value: 10}", "between takes [low, high]"),
        ("{field: order.currency, op: in, value: []}", "in needs at least one value"),
        ("{field: order.currency, op: eq, value: [USD, EUR]}", "eq takes one value, got a list (use in"),
        ("{field: order.currency, op: gt, value: null}", "text field: gt does not apply"),
        ("{field: order.ordered_on, op: eq, value: 'the first of May'}", "is a date (YYYY-MM-DD)"),
        ("{field: order.ordered_at, op: gt, value: '2026-11-01T00:00:00'}", "with its UTC offset"),
        ("{field: order.taxes_included, op: eq, value: 'yes'}", "is true or false"),
        ("{field: order.line_count, op: eq, value: 'two'}", "is a whole number"),
        ("{field: line.sku, op: matches, value: '(a+)+$'}", "a repeated group may not itself hold a quantifier"),
        ("{field: line.sku, op: matches, value: '(a|ab)*c'}", "a repeated group may not hold alternatives"),
        ("{field: line.sku, op: matches, value: '(a)\\1'}", "backreferences"),
        ("{field: line.sku, op: matches, value: '[a-'}", "not a valid regular expression"),
        ("{field: line.sku, op: matches, value: 12}", "matches takes a pattern"),
        ("{field: line.sku, op: sounds_like, value: x}", "Input should be 'eq', 'ne'"),
        ("{field: line.sku, op: eq, value: x, extra: 1}", "extra: Extra inputs are not permitted"),
        ("{all: [], any: []}", "List should have at least 1 item"),
        ("{all: [{field: line.sku, op: eq, value: x}], any: [{field: line.sku, op: eq, value: x}]}", "not both"),
    ],
)
def test_conditions_are_refused_with_a_precise_message(condition: str, expected: str) -> None:
    found = _when(condition)
    assert all(problem.startswith("rules.acme[0] 'r' when") for problem in found), found
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            "{all: [{field: order.currency, op: eq, value: USD}, {field: order.currency, op: eq, value: EUR}]}",
            "order.currency cannot equal 'EUR' and 'USD' at once",
        ),
        (
            "{all: [{field: order.channel_total, op: gt, value: 100},"
            " {field: order.channel_total, op: lt, value: 50}]}",
            "order.channel_total has an empty range",
        ),
        (
            "{all: [{field: order.channel_total, op: gt, value: 10}, {field: order.channel_total, op: le, value: 10}]}",
            "has an empty range",
        ),
        (
            "{all: [{field: line.sku, op: eq, value: A}, {field: line.sku, op: not_in, value: [A, B]}]}",
            "line.sku has no value that meets every condition",
        ),
        ("{all: [{field: line.sku, op: in, value: [A, B]}, {field: line.sku, op: in, value: [C]}]}", "has no value"),
        (
            "{all: [{field: line.sku, op: eq, value: A-1}, {field: line.sku, op: starts_with, value: B-}]}",
            "has no value",
        ),
        (
            "{all: [{field: line.sku, op: starts_with, value: A-}, {field: line.sku, op: starts_with, value: B-}]}",
            "cannot start with each of 'A-', 'B-'",
        ),
        ("{all: [{field: order.note, op: eq, value: null}, {field: order.note, op: ne, value: null}]}", "has no value"),
        (
            "{any: [{all: [{field: order.currency, op: eq, value: USD}, {field: order.currency, op: eq, value: EUR}]},"
            " {all: [{field: line.sku, op: starts_with, value: A}, {field: line.sku, op: starts_with, value: B}]}]}",
            "can never match",
        ),
    ],
)
def test_rules_that_can_never_match_are_refused(when: str, expected: str) -> None:
    (problem,) = _when(when)
    assert "when: can never match" in problem and expected in problem


def test_conditions_that_can_hold_together_are_accepted() -> None:
    rule_set("""
- name: fine
  when:
    all:
      - {field: order.tags, op: eq, value: a}
      - {field: order.tags, op: eq, value: b}          # a list may hold both
      - {field: order.channel_total, op: between, value: [10, 20]}
      - {field: order.channel_total, op: ge, value: 20}  # exactly 20
      - {field: line.sku, op: starts_with, value: A}
      - {field: line.sku, op: starts_with, value: AB}
      - any: [{field: order.currency, op: eq, value: USD}, {field: order.currency, op: eq, value: EUR}]
  then: [{action: set_class, name: X}]
""")


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        ("[{action: set_class, name: A}, {action: set_class, name: B}]", "then[1] set_class: contradicts then[0]"),
        ("[{action: set_class, name: A}, {action: set_class, name: A}]", "then[1] set_class: repeats then[0]"),
        ("[{action: remap_sku, from: A, to: B}, {action: remap_sku, from: A, to: C}]", "contradicts then[0] (B / C)"),
        ("[{action: remap_sku, from: A, to: A}]", "maps SKU 'A' to itself"),
        ("[{action: do_not_import}, {action: set_class, name: A}]", "do_not_import stops the order"),
        ("[{action: mark_unpaid}, {action: deposit_account, account: Bank}]", "deposit_account would never"),
        ("[{action: copy_field, from: order.tags, to: order.note}]", "order.tags is a list"),
        ("[{action: copy_field, from: order.note, to: order.channel}]", "order.channel cannot be written by a rule"),
        ("[{action: copy_field, from: line.sku, to: order.note}]", "into an order field (order.note): which line's?"),
        ("[{action: copy_field, from: order.note, to: order.note}]", "onto itself"),
        ("[{action: copy_field, from: order.nope, to: order.note}]", "from: unknown field 'order.nope'"),
        (
            "[{action: copy_field, from: order.note, to: order.customer.company},"
            " {action: copy_field, from: order.channel_order_id, to: order.customer.company}]",
            "contradicts then[0]",
        ),
        ("[{action: override_shipping, amount: '-1'}]", "must be zero or more"),
        ("[{action: override_shipping, amount: free}]", "'free' is not a decimal amount"),
        ("[{action: order_number_prefix, prefix: 'A B'}]", "String should match pattern"),
        ("[{action: order_number_prefix, prefix: ABCDEFGHIJK}]", "at most 10 characters"),
        ("[{action: set_tax_code, code: NON, lines: everything}]", "Input should be 'items', 'shipping' or 'discount'"),
        ("[{action: teleport}]", "Input tag 'teleport' found using 'action' does not match"),
        ("[{name: X}]", "Unable to extract tag using discriminator 'action'"),
        ("[]", "List should have at least 1 item"),
    ],
)
def test_actions_are_refused_with_a_precise_message(then: str, expected: str) -> None:
    found = problems(f"- name: r\n  then: {then}")
    assert any(expected in p for p in found), found
    assert all(p.startswith("rules.acme[0] 'r' then") for p in found), found


def test_every_problem_of_every_rule_is_listed_at_once() -> None:
    found = problems("""
- name: one
  when: {field: order.chanel, op: eq, value: x}
  then: [{action: set_class, name: X}]
- name: two
  when: {field: order.channel_total, op: between, value: [5, 1]}
  then: [{action: teleport}]
- name: one
  then: [{action: mark_unpaid}]
""")
    assert [p.split(":")[0] for p in found] == [
        "rules.acme[0] 'one' when", "rules.acme[1] 'two' then[0]", "rules.acme[1] 'two' when", "rules.acme[2] 'one'",
    ]  # fmt: skip
    assert "names must be unique" in found[-1]


def test_limits_on_size() -> None:
    deep = "{field: line.sku, op: eq, value: A}"
    for _ in range(4):
        deep = f"{{all: [{deep}]}}"
    assert any("nest 5 deep; at most 4" in p for p in _when(deep))
    many = ", ".join(f"{{field: line.sku, op: ne, value: S{i}}}" for i in range(51))
    assert any("List should have at most 50 items" in p for p in _when(f"{{all: [{many}]}}"))
    assert any(
        "at most 200 characters" in p for p in _when("{field: line.sku, op: matches, value: '" + "a" * 201 + "'}")
    )
    too_many = [{"name": f"r{i}", "then": [{"action": "mark_unpaid"}]} for i in range(MAX_RULES_PER_TENANT + 1)]
    loaded, found = load_rule_set("acme", too_many)
    assert loaded is None and found == ["rules.acme: 5001 rules; at most 5000 are allowed per tenant"]


def test_5000_rules_are_accepted() -> None:
    entries = [{"name": f"r{i}", "when": {"field": "line.sku", "op": "eq", "value": f"S{i}"},
                "then": [{"action": "remap_sku", "from": f"S{i}", "to": f"T{i}"}]} for i in range(5000)]  # fmt: skip
    loaded, found = load_rule_set("acme", entries)
    assert found == [] and loaded is not None and len(loaded.rules) == 5000


@pytest.mark.parametrize(
    ("pattern", "safe"),
    [
        ("^AMZ-[0-9]+$", True), ("(?i)wholesale", True), ("(ab)+", True), ("(a|b)", True), ("[(a+)+]", True),
        ("\\(a+\\)+", True), ("(a{2,3}){2}", False), ("(a*)*", False), ("(?:a+)+", False), ("(a?)+", False),
        ("((a)+)", True), ("((a)+)+", False), ("(a|aa)+", False), ("(x+x+)+y", False), ("(a)(?P=x)", False),
        ("\\w*\\w*\\w*@staff", True), ("a(?=b)", False), ("(?<!x)y", False),
    ],
)  # fmt: skip
def test_patterns_that_can_take_exponential_time_are_refused(pattern: str, safe: bool) -> None:
    assert (pattern_problem(pattern) is None) is safe


def test_rules_beside_connections_in_one_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("""
connections:
  - {tenant: acme, connection: shop, channel: shopify}
rules:
  acme:
    - {name: prefix, then: [{action: order_number_prefix, prefix: SH-}]}
  globex: []
""")
    loaded = load_settings(path)
    assert [c.connection for c in loaded.connections] == ["shop"]
    assert [(r.tenant, len(r.rules)) for r in loaded.rule_sets] == [("acme", 1), ("globex", 0)]
    path.write_text("rules:\n  acme:\n    - {name: prefix, then: [{action: mark_unpaid}]}\n")
    assert load_settings(path).connections == []


def test_a_settings_file_with_bad_connections_and_bad_rules_lists_both(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("""
connections: [{tenant: acme, connection: shop, channel: myspace}]
rule: {}
rules:
  acme: [{name: r, when: {field: order.chanel, op: eq, value: x}, then: [{action: mark_unpaid}]}]
  "not a tenant!": []
  globex: {name: r}
""")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == "rule: unknown key (a settings file has connections and rules)"
    assert lines[1].startswith("connections[0].channel")
    assert "unknown field 'order.chanel'" in lines[2]
    assert lines[3].startswith("rules.not a tenant!: tenant String should match pattern")
    assert lines[4] == "rules.globex: expected a list of rules, got a dict"


def test_config_apply_refuses_the_whole_file_before_touching_the_database(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("rules:\n  acme:\n    - {name: r, when: {field: order.x, op: eq, value: 1}, then: [{action: x}]}\n")
    result = CliRunner().invoke(app, ["config", "apply", str(path), "--database-url", "postgresql://nowhere.invalid/x"])
    assert result.exit_code == 2
    assert "rules.acme[0] 'r' then[0]: Input tag 'x'" in result.stderr
    assert "rules.acme[0] 'r' when: unknown field 'order.x'" in result.stderr


def test_a_stored_rule_set_reads_back_equal() -> None:
    from ledgerflow.planner.rules import RuleSet

    original = rule_set("""
- name: all kinds
  when: {all: [{field: order.ordered_on, op: ge, value: 2026-11-01}, {field: order.channel_total, op: gt, value: 5}]}
  then: [{action: remap_sku, from: A, to: B}, {action: copy_field, from: order.note, to: line.title}]
""")
    assert RuleSet.model_validate_json(original.stored_json()) == original
    assert '"from":"A"' in original.stored_json()


def test_not_a_mapping_of_tenants() -> None:
    assert load_rule_sets([{"name": "r"}]) == (
        [], ["rules: expected each tenant with its list of rules (rules: {acme: [...]}), got a list"]
    )  # fmt: skip


def test_the_docs_list_every_field_and_action() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "rules.md").read_text()
    missing = [path for path in FIELDS if f"`{path}`" not in docs]
    assert missing == [], "docs/rules.md does not list these fields"
    assert [kind for kind in ACTION_KINDS if f"| `{kind}` |" not in docs] == []
    assert yaml.safe_load(docs.split("```yaml")[1].split("```")[0])["rules"]["acme-outdoor"]


@pytest.mark.timeout(20)
def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    bomb += [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]" for n in range(9)]
    bomb += ["rules: {acme: [{name: r, when: {field: line.sku, op: eq, value: *j}, then: [{action: do_not_import}]}]}"]
    path = tmp_path / "settings.yaml"
    path.write_text("\n".join(bomb) + "\n")
    assert path.stat().st_size < 1000
    with pytest.raises(ConfigError, match="aliases"):
        load_settings(path)


def test_a_settings_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("# " + "x" * (6 * 1024 * 1024) + "\n")
    with pytest.raises(ConfigError, match="at most 5,242,880"):
        load_settings(path)
