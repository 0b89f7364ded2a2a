"""A rule set compiled once per version: predicates built, values typed, patterns compiled, and the rules
indexed by the values an order must have for them to hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerflow.planner.rules.conditions import Facts, Predicate, compile_node, reads_lines
from ledgerflow.planner.rules.fields import FieldSpec, FieldType
from ledgerflow.planner.rules.model import Action, Condition, Group, Op, Rule, RuleSet
from ledgerflow.planner.rules.values import typed_values


@dataclass(frozen=True)
class Key:
    """The field must take one of ``values`` (or, ``by_prefix``, start with one of them)."""

    spec: FieldSpec
    values: frozenset[Any]
    by_prefix: bool = False


def index_keys(node: Condition | Group | None) -> tuple[Key, ...] | None:
    """What the order must have for the rule to hold: one of these keys (an equality, a list or a prefix the
    rule requires, or one per branch of an ``any``). None when the rule sets no such bound.

    Rules are looked up by these values, so that an order meets only the rules that may hold for it rather
    than every rule of its tenant (thousands of SKU remaps cost no more than a few)."""
    if node is None:
        return None
    if isinstance(node, Condition):
        if node.op in (Op.EQ, Op.IN, Op.STARTS_WITH) and node.value is not None:
            spec, values = typed_values(node)
            return (Key(spec, frozenset(values), by_prefix=node.op is Op.STARTS_WITH),)
        return None
    found = [index_keys(child) for child in node.nodes]
    if node.combinator == "any":
        return None if any(keys is None for keys in found) else tuple(k for keys in found if keys for k in keys)
    # Any one bound of an ``all`` will do; a SKU or an order number narrows far more than a channel or a yes/no.
    bounds = sorted((keys for keys in found if keys), key=lambda keys: (len(keys), _broad(keys)))
    return bounds[0] if bounds else None


def _broad(keys: tuple[Key, ...]) -> bool:
    return any(key.by_prefix or key.spec.type in (FieldType.CHOICE, FieldType.BOOLEAN) for key in keys)


@dataclass(frozen=True)
class CompiledRule:
    index: int
    name: str
    connections: frozenset[str] | None
    holds: Predicate | None  # None: every order
    per_line: bool
    then: tuple[Action, ...]
    keys: tuple[Key, ...] | None  # values the order must have (one of) for the rule to hold


@dataclass(frozen=True)
class _Lookup:
    """Rules by the values (or prefixes) one field must take for them to hold."""

    spec: FieldSpec
    by_prefix: bool
    table: dict[Any, tuple[int, ...]]
    lengths: tuple[int, ...]  # prefix lengths in ``table``

    def positions(self, facts: Facts) -> list[int]:
        found: list[int] = []
        table = self.table
        for value in facts.values(self.spec):
            if not self.by_prefix:
                found.extend(table.get(value, ()))
                continue
            text = str(value)
            for length in self.lengths:
                if length > len(text):
                    break
                found.extend(table.get(text[:length], ()))
        return found


@dataclass(frozen=True)
class CompiledRules:
    """A tenant's rule set at one version, compiled once and shared by every order it plans.

    Rules with keys are found through ``lookups``; the others (``always``) are tried on every order. An order
    thus meets only the rules that may hold for it, in their order."""

    tenant: str
    version: int
    rules: tuple[CompiledRule, ...]
    lookups: tuple[_Lookup, ...] = ()
    always: tuple[int, ...] = ()

    @classmethod
    def none(cls, tenant: str) -> CompiledRules:
        return cls(tenant, 0, ())

    @classmethod
    def of(cls, tenant: str, version: int, rules: tuple[CompiledRule, ...]) -> CompiledRules:
        tables: dict[tuple[str, bool], tuple[FieldSpec, dict[Any, list[int]]]] = {}
        always = []
        for position, rule in enumerate(rules):
            if rule.keys is None:
                always.append(position)
                continue
            for key in rule.keys:
                table = tables.setdefault((key.spec.path, key.by_prefix), (key.spec, {}))[1]
                for value in key.values:
                    table.setdefault(value, []).append(position)
        lookups = tuple(
            _Lookup(spec, by_prefix, {v: tuple(p) for v, p in table.items()},
                    tuple(sorted({len(str(v)) for v in table})) if by_prefix else ())
            for (_, by_prefix), (spec, table) in tables.items()
        )  # fmt: skip
        return cls(tenant, version, rules, lookups, tuple(always))

    def candidates(self, facts: Facts, after: int) -> list[int]:
        """Positions past ``after`` of the rules that may hold for the order, in order."""
        found = set(self.always)
        for lookup in self.lookups:
            found.update(lookup.positions(facts))
        return sorted(p for p in found if p > after)


def compile_rules(rule_set: RuleSet, version: int) -> CompiledRules:
    """Raises ``RuleError`` for a rule that does not compile; rule sets are validated before they are stored."""
    compiled = tuple(_compile(i, r) for i, r in enumerate(rule_set.rules) if r.enabled)
    return CompiledRules.of(rule_set.tenant, version, compiled)


def _compile(index: int, rule: Rule) -> CompiledRule:
    return CompiledRule(
        index=index,
        name=rule.name,
        connections=frozenset(rule.connections) if rule.connections is not None else None,
        holds=compile_node(rule.when) if rule.when is not None else None,
        per_line=reads_lines(rule.when),
        then=tuple(rule.then),
        keys=index_keys(rule.when),
    )
