"""Apply-time checks of a rule set: unknown fields, wrong types, rules that can never match, contradictions.

Every problem is listed, each with where it is (``rules.acme[3] 'Amazon prefix' when.all[1]``) and what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerflow.planner.rules.conditions import walk
from ledgerflow.planner.rules.fields import FIELDS, FieldType, unknown_field_message
from ledgerflow.planner.rules.model import (
    MAX_CONDITIONS_PER_RULE,
    MAX_DEPTH,
    MAX_RULE_SET_BYTES,
    Condition,
    CopyField,
    Group,
    Op,
    OverrideShipping,
    RemapSku,
    Rule,
    RuleSet,
    SetTaxCode,
)
from ledgerflow.planner.rules.values import RuleError, typed_values

# Actions that set one thing: two of a kind in one rule either repeat or contradict each other.
_SINGLE_VALUED = (
    "shipping_item", "discount_item", "deposit_account", "receivable_account", "set_class", "set_line_class",
    "set_location", "order_number_prefix", "single_customer", "override_shipping", "mark_unpaid",
)  # fmt: skip
MAX_SHIPPING = Decimal("1e9")


def rule_set_problems(rule_set: RuleSet) -> list[str]:
    """Every problem of ``rule_set``, as lines that say where and what."""
    problems = rule_set_limits(rule_set)
    for index, rule in enumerate(rule_set.rules):
        problems.extend(f"{_where(rule_set, index)} {problem}" for problem in rule_problems(rule))
    return problems


def rule_set_limits(rule_set: RuleSet, positions: Sequence[int] | None = None) -> list[str]:
    """What is wrong with the rule set as a whole: its size, and names used twice. ``positions``: where each
    rule stood in the file, when rules that were refused on their own are left out of ``rule_set``."""
    places = list(positions) if positions is not None else list(range(len(rule_set.rules)))
    problems = []
    size = len(rule_set.stored_json())
    if size > MAX_RULE_SET_BYTES:
        problems.append(f"rules.{rule_set.tenant}: the rule set is {size} bytes; at most {MAX_RULE_SET_BYTES} are "
                        "allowed per tenant")  # fmt: skip
    seen: dict[str, int] = {}
    for place, rule in zip(places, rule_set.rules, strict=True):
        if rule.name in seen:
            where = f"rules.{rule_set.tenant}[{place}] {rule.name!r}"
            problems.append(f"{where}: the name is also rule {seen[rule.name]}'s; names must be unique, since the "
                            "audit trail names rules")  # fmt: skip
        seen.setdefault(rule.name, place)
    return problems


def _where(rule_set: RuleSet, index: int) -> str:
    return f"rules.{rule_set.tenant}[{index}] {rule_set.rules[index].name!r}"


def rule_problems(rule: Rule) -> list[str]:
    """The problems of one rule, each starting with the part it is about (``when.all[0]:``, ``then[1]:``)."""
    return [*when_problems(rule.when), *_action_problems(rule)]


def when_problems(when: Condition | Group | None) -> list[str]:
    problems = _condition_problems(when)
    if not problems and when is not None:
        reason = never_matches(when)
        if reason is not None:
            problems.append(f"when: can never match: {reason}")
    return problems


def _condition_problems(when: Condition | Group | None) -> list[str]:
    nodes = walk(when)
    problems = []
    conditions = sum(1 for _, node, _ in nodes if isinstance(node, Condition))
    if conditions > MAX_CONDITIONS_PER_RULE:
        problems.append(f"when: {conditions} conditions; at most {MAX_CONDITIONS_PER_RULE} are allowed per rule")
    deepest = max((depth for _, _, depth in nodes), default=0)
    if deepest > MAX_DEPTH:
        problems.append(f"when: groups nest {deepest} deep; at most {MAX_DEPTH} levels are allowed")
    for where, node, _ in nodes:
        if isinstance(node, Condition):
            try:
                typed_values(node)
            except RuleError as error:
                problems.append(f"{where}: {error.message}")
    return problems


# ---- conditions that can never hold ---------------------------------------------------------------


def never_matches(node: Condition | Group) -> str | None:
    """Why ``node`` holds for no order at all, or None. Values are known to be well typed here."""
    if isinstance(node, Condition):
        return None  # a single condition that passed its type checks can hold for some order
    reasons = [never_matches(child) for child in node.nodes]
    if node.combinator == "any":
        return None if any(r is None for r in reasons) else "; ".join(r for r in reasons if r)
    first = next((r for r in reasons if r is not None), None)
    if first is not None:
        return first
    return _contradiction([c for c in node.nodes if isinstance(c, Condition)])


def _contradiction(conditions: Sequence[Condition]) -> str | None:
    """All of these hold at once for no value: different equalities, an empty range, disjoint memberships."""
    by_field: dict[str, list[tuple[Op, tuple[Any, ...]]]] = {}
    for condition in conditions:
        spec, values = typed_values(condition)
        if spec.type is not FieldType.TEXT_LIST and condition.op is not Op.MATCHES:
            by_field.setdefault(spec.path, []).append((condition.op, values))
    for path, tests in by_field.items():
        reason = _field_contradiction(tests)
        if reason is not None:
            return f"{path} {reason}"
    return None


def _field_contradiction(tests: list[tuple[Op, tuple[Any, ...]]]) -> str | None:
    allowed: set[Any] | None = None  # the values eq/in leave possible; None: not narrowed
    excluded: set[Any] = set()
    prefixes: list[str] = []
    low: tuple[Any, bool] | None = None  # (bound, inclusive)
    high: tuple[Any, bool] | None = None
    equals = {values[0] for op, values in tests if op is Op.EQ}
    if len(equals) > 1:
        return f"cannot equal {' and '.join(sorted(_shown(v) for v in equals))} at once"
    for op, values in tests:
        if op in (Op.EQ, Op.IN):
            allowed = set(values) if allowed is None else allowed & set(values)
        elif op in (Op.NE, Op.NOT_IN):
            excluded |= set(values)
        elif op is Op.STARTS_WITH:
            prefixes.append(values[0])
        elif op in (Op.GT, Op.GE):
            low = _tighter(low, (values[0], op is Op.GE), lower=True)
        elif op in (Op.LT, Op.LE):
            high = _tighter(high, (values[0], op is Op.LE), lower=False)
        elif op is Op.BETWEEN:
            low = _tighter(low, (values[0], True), lower=True)
            high = _tighter(high, (values[1], True), lower=False)
    bounded = low is not None or high is not None or bool(prefixes)
    if allowed is not None:
        possible = {
            v
            for v in allowed - excluded
            if (v is None and not bounded)
            or (v is not None and _within(v, low, high) and all(str(v).startswith(p) for p in prefixes))
        }
        if not possible:
            return "has no value that meets every condition (equalities, lists, ranges and prefixes exclude each other)"
    if any(not (a.startswith(b) or b.startswith(a)) for a in prefixes for b in prefixes):
        return f"cannot start with each of {', '.join(repr(p) for p in prefixes)}"
    if low is not None and high is not None:
        (lo, lo_in), (hi, hi_in) = low, high
        if lo > hi or (lo == hi and not (lo_in and hi_in)):
            return "has an empty range: no value is both above the lower bound and below the upper one"
    return None


def _shown(value: Any) -> str:
    return "null" if value is None else repr(str(value))


def _tighter(current: tuple[Any, bool] | None, new: tuple[Any, bool], *, lower: bool) -> tuple[Any, bool]:
    if current is None or (new[0] > current[0] if lower else new[0] < current[0]):
        return new
    if new[0] == current[0]:
        return (new[0], new[1] and current[1])
    return current


def _within(value: Any, low: tuple[Any, bool] | None, high: tuple[Any, bool] | None) -> bool:
    try:
        if low is not None and (value < low[0] or (value == low[0] and not low[1])):
            return False
        return not (high is not None and (value > high[0] or (value == high[0] and not high[1])))
    except TypeError:
        return True


# ---- actions ------------------------------------------------------------------------------------


def _action_problems(rule: Rule) -> list[str]:
    problems: list[str] = []
    for index, action in enumerate(rule.then):
        where = f"then[{index}] {action.action}"
        if isinstance(action, CopyField):
            problems.extend(f"{where}: {p}" for p in _copy_problems(action))
        elif isinstance(action, RemapSku) and action.source == action.to:
            problems.append(f"{where}: maps SKU {action.source!r} to itself")
        elif isinstance(action, OverrideShipping):
            problem = _amount_problem(action.amount)
            if problem:
                problems.append(f"{where}: {problem}")
    problems.extend(_contradictions(rule))
    return problems


def _copy_problems(action: CopyField) -> list[str]:
    source, target = FIELDS.get(action.source), FIELDS.get(action.to)
    problems = []
    if source is None:
        problems.append(f"from: {unknown_field_message(action.source)}")
    elif source.type is FieldType.TEXT_LIST:
        problems.append(f"from: {source.path} is a list; copy a single value")
    if target is None:
        problems.append(f"to: {unknown_field_message(action.to)}")
    elif not target.writable:
        writable = ", ".join(path for path, spec in FIELDS.items() if spec.writable)
        problems.append(f"to: {target.path} cannot be written by a rule; these can: {writable}")
    if source is not None and target is not None:
        if source.path == target.path:
            problems.append(f"copies {source.path} onto itself")
        elif source.per_line and not target.per_line:
            problems.append(f"copies a line field ({source.path}) into an order field ({target.path}): which line's?")
    return problems


def _amount_problem(amount: str | int) -> str | None:
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        return f"amount: {amount!r} is not a decimal amount"
    if not value.is_finite() or value < 0 or value >= MAX_SHIPPING:
        return f"amount: {amount!r} must be zero or more, and below {MAX_SHIPPING:,.0f}"
    return None


def _contradictions(rule: Rule) -> list[str]:
    problems: list[str] = []
    kinds = [a.action for a in rule.then]
    if "do_not_import" in kinds and len(kinds) > 1:
        problems.append("then: do_not_import stops the order, so this rule's other actions would never take effect; "
                        "give them a rule of their own")  # fmt: skip
    if "mark_unpaid" in kinds and "deposit_account" in kinds:
        problems.append("then: mark_unpaid leaves no payment or sales receipt to deposit, so deposit_account "
                        "would never take effect")  # fmt: skip
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for index, action in enumerate(rule.then):
        key, value = _setting(action)
        if key is None:
            continue
        if key in first:
            earlier, earlier_value = first[key]
            verb = "repeats" if earlier_value == value else "contradicts"
            problems.append(f"then[{index}] {action.action}: {verb} then[{earlier}] ({earlier_value} / {value})")
        else:
            first[key] = (index, value)
    return problems


def _setting(action: Any) -> tuple[tuple[str, str] | None, str]:
    """What an action sets (kind and target) and to what; None for actions that set nothing twice-able."""
    if isinstance(action, RemapSku):
        return ("remap_sku", action.source), action.to
    if isinstance(action, CopyField):
        return ("copy_field", action.to), action.source
    if isinstance(action, SetTaxCode):
        return ("set_tax_code", action.lines.value), action.code
    if action.action in (*_SINGLE_VALUED, "do_not_import"):
        fields = action.model_dump(exclude={"action"})
        return (action.action, ""), ", ".join(f"{v}" for v in fields.values()) or action.action
    return None, ""
