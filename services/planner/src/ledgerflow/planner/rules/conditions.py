"""Conditions compiled once into predicates over an order (and, for line fields, one of its lines)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ledgerflow.contracts import CanonicalOrder, OrderLine
from ledgerflow.planner.rules.fields import FIELDS, FieldSpec, FieldType
from ledgerflow.planner.rules.model import Condition, Group, Op
from ledgerflow.planner.rules.patterns import MAX_SUBJECT, Pattern
from ledgerflow.planner.rules.values import typed_values


class Facts:
    """One order as the rules see it; order fields are read once per order, however many rules test them."""

    __slots__ = ("_cache", "_sets", "order")

    def __init__(self, order: CanonicalOrder) -> None:
        self.order = order
        self._cache: dict[str, Any] = {}
        self._sets: dict[str, frozenset[Any]] = {}

    def value(self, spec: FieldSpec) -> Any:
        """An order field's value (line fields are read by the predicates themselves)."""
        try:
            return self._cache[spec.path]
        except KeyError:
            value = self._cache[spec.path] = spec.read(self.order, None)
            return value

    def values(self, spec: FieldSpec) -> frozenset[Any]:
        """Every value the field has on this order: one for an order field, one per line, one per list element."""
        try:
            return self._sets[spec.path]
        except KeyError:
            pass
        if spec.per_line:
            found = [spec.read(self.order, line) for line in self.order.lines]
        elif spec.type is FieldType.TEXT_LIST:
            found = list(self.value(spec))
        else:
            found = [self.value(spec)]
        if spec.upper_case:
            found = [v.upper() if isinstance(v, str) else v for v in found]
        values = self._sets[spec.path] = frozenset(v for v in found if v is not None)
        return values


Predicate = Callable[[Facts, OrderLine | None], bool]

# ---- predicates ---------------------------------------------------------------------------------


def compile_node(node: Condition | Group) -> Predicate:
    if isinstance(node, Condition):
        return compile_condition(node)
    parts = tuple(compile_node(child) for child in node.nodes)
    if len(parts) == 1:
        return parts[0]
    if node.combinator == "all":
        if len(parts) == 2:
            first, second = parts
            return lambda facts, line: first(facts, line) and second(facts, line)
        return lambda facts, line: all(p(facts, line) for p in parts)
    if len(parts) == 2:
        first, second = parts
        return lambda facts, line: first(facts, line) or second(facts, line)
    return lambda facts, line: any(p(facts, line) for p in parts)


def compile_condition(condition: Condition) -> Predicate:
    spec, values = typed_values(condition)
    test = _test(spec, condition.op, values)
    read = spec.read
    if spec.per_line:
        return lambda facts, line: test(read(facts.order, line))
    value = Facts.value
    return lambda facts, _line: test(value(facts, spec))


def _test(spec: FieldSpec, op: Op, values: tuple[Any, ...]) -> Callable[[Any], bool]:
    (first, *_rest) = values
    upper = spec.upper_case

    def norm(value: Any) -> Any:
        return value.upper() if upper and isinstance(value, str) else value

    if spec.type is FieldType.TEXT_LIST:
        return _list_test(op, values, norm)
    if first is None:  # eq / ne null: the field is missing, or present
        return (lambda v: v is None) if op is Op.EQ else (lambda v: v is not None)
    if op is Op.EQ:
        if not upper:
            return lambda v: v == first
        return lambda v: v is not None and norm(v) == first
    if op is Op.NE:
        return lambda v: v is None or norm(v) != first
    if op in (Op.IN, Op.NOT_IN):
        members = frozenset(values)
        if op is Op.IN:
            return lambda v: v is not None and norm(v) in members
        return lambda v: v is None or norm(v) not in members
    if op is Op.STARTS_WITH:
        return lambda v: v is not None and norm(str(v)).startswith(first)
    if op is Op.MATCHES:
        pattern: Pattern = first
        return lambda v: v is not None and pattern.search(str(v)[:MAX_SUBJECT]) is not None
    return _ordered_test(op, values)


def _ordered_test(op: Op, values: tuple[Any, ...]) -> Callable[[Any], bool]:
    first = values[0]
    if op is Op.BETWEEN:
        low, high = values
        return lambda v: v is not None and low <= v <= high
    if op is Op.LT:
        return lambda v: v is not None and v < first
    if op is Op.LE:
        return lambda v: v is not None and v <= first
    if op is Op.GT:
        return lambda v: v is not None and v > first
    return lambda v: v is not None and v >= first


def _list_test(op: Op, values: tuple[Any, ...], norm: Callable[[Any], Any]) -> Callable[[Any], bool]:
    first = values[0]
    if first is None:
        return (lambda v: not v) if op is Op.EQ else (lambda v: bool(v))
    if op is Op.EQ:
        return lambda v: any(norm(e) == first for e in v)
    if op is Op.NE:
        return lambda v: all(norm(e) != first for e in v)
    if op in (Op.IN, Op.NOT_IN):
        members = frozenset(values)
        if op is Op.IN:
            return lambda v: any(norm(e) in members for e in v)
        return lambda v: all(norm(e) not in members for e in v)
    if op is Op.STARTS_WITH:
        return lambda v: any(norm(e).startswith(first) for e in v)
    pattern: Pattern = first
    return lambda v: any(pattern.search(e[:MAX_SUBJECT]) is not None for e in v)


def reads_lines(node: Condition | Group | None) -> bool:
    """A rule whose conditions test ``line.*`` fields holds line by line: its line actions touch those lines."""
    if node is None:
        return False
    if isinstance(node, Condition):
        spec = FIELDS.get(node.field)
        return spec is not None and spec.per_line
    return any(reads_lines(child) for child in node.nodes)


def walk(node: Condition | Group | None, where: str = "when") -> Sequence[tuple[str, Condition | Group, int]]:
    """Every node with its location and depth (the top is depth 1)."""
    found: list[tuple[str, Condition | Group, int]] = []

    def visit(current: Condition | Group, at: str, depth: int) -> None:
        found.append((at, current, depth))
        if isinstance(current, Group):
            for index, child in enumerate(current.nodes):
                visit(child, f"{at}.{current.combinator}[{index}]", depth + 1)

    if node is not None:
        visit(node, where, 1)
    return found
