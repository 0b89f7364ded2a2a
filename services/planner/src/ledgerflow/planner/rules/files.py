"""The ``rules:`` part of a settings file: each tenant's rules, top to bottom, every problem listed.

rules:
  acme-outdoor:
    - name: Amazon orders get the AZ- prefix
      when: {all: [{field: order.channel, op: eq, value: amazon}]}
      then: [{action: order_number_prefix, prefix: AZ-}]
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from ledgerflow.planner.rules.model import MAX_RULES_PER_TENANT, NODE, Rule, RuleSet
from ledgerflow.planner.rules.validate import rule_problems, rule_set_limits, when_problems

# Tags pydantic adds to an error's location for the branches of a union; they are not keys of the file.
_UNION_TAGS = {"condition", "group"}
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def load_rule_sets(raw: Any) -> tuple[list[RuleSet], list[str]]:
    """Rule sets from the ``rules:`` mapping (tenant -> list of rules), and every problem found in them."""
    if not isinstance(raw, dict):
        return [], [f"rules: expected each tenant with its list of rules (rules: {{acme: [...]}}), got {_kind(raw)}"]
    rule_sets, problems = [], []
    for tenant, entries in raw.items():
        rule_set, found = load_rule_set(str(tenant), entries)
        problems.extend(found)
        if rule_set is not None:
            rule_sets.append(rule_set)
    return rule_sets, problems


def load_rule_set(tenant: str, entries: Any, prefix: str = "rules.") -> tuple[RuleSet | None, list[str]]:
    where = f"{prefix}{tenant}"
    if entries is None:
        entries = []  # "acme: " with nothing under it: the tenant has no rules
    if not isinstance(entries, list):
        return None, [f"{where}: expected a list of rules, got {_kind(entries)}"]
    if len(entries) > MAX_RULES_PER_TENANT:
        return None, [f"{where}: {len(entries)} rules; at most {MAX_RULES_PER_TENANT} are allowed per tenant"]
    rules: list[Rule] = []
    positions: list[int] = []
    problems: list[str] = []
    for index, entry in enumerate(entries):
        at = f"{where}[{index}]" + (f" {entry['name']!r}" if isinstance(entry, dict) and "name" in entry else "")
        try:
            rule = Rule.model_validate(entry)
        except ValidationError as exc:
            problems.extend(f"{at} {_location(error['loc'])}: {_message(error['msg'])}" for error in exc.errors())
            problems.extend(f"{at} {problem}" for problem in _when_problems(entry, exc))
            continue
        except (TypeError, ValueError, RecursionError) as exc:
            problems.append(f"{at}: cannot be read: {exc}")
            continue
        rules.append(rule)
        positions.append(index)
        problems.extend(f"{at} {problem}" for problem in rule_problems(rule))
    try:
        rule_set = RuleSet(tenant=tenant, rules=rules)
    except ValidationError as exc:
        return None, [*problems, *(f"{where}: tenant {error['msg']}" for error in exc.errors())]
    problems.extend(rule_set_limits(rule_set, positions))
    return (None if problems else rule_set), problems


def _when_problems(entry: Any, exc: ValidationError) -> list[str]:
    """A rule refused for its actions still has its conditions checked, so that one apply lists everything."""
    if not isinstance(entry, dict) or entry.get("when") is None or any(e["loc"][:1] == ("when",) for e in exc.errors()):
        return []
    try:
        when = NODE.validate_python(entry["when"])
    except (ValidationError, TypeError, ValueError, RecursionError):
        return []
    return when_problems(when)


def _message(message: str) -> str:
    return message.removeprefix("Value error, ")


def _location(loc: tuple[int | str, ...]) -> str:
    parts = ""
    for part in loc:
        if isinstance(part, int):
            parts += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            parts += f"[{part!r}]"  # a key as odd as the file has it, quoted so that it reads as one
        elif part not in _UNION_TAGS:
            parts += f".{part}" if parts else part
    return parts or "rule"


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__}"
