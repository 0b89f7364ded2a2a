"""Rules run top to bottom on one order: a pure function from the order to the order as the rules leave it,
what planning must honour, and which rules fired with what each changed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ledgerflow.contracts import AppliedRule, CanonicalOrder, PlannedDocument
from ledgerflow.planner.modes import Plan
from ledgerflow.planner.rules import actions
from ledgerflow.planner.rules.compiled import CompiledRules
from ledgerflow.planner.rules.conditions import Facts
from ledgerflow.planner.rules.effects import Effects, FiredRule, audit_trails


@dataclass(frozen=True)
class Outcome:
    """The order after the rules, what planning must honour, and the rules that fired (in order)."""

    before: CanonicalOrder
    order: CanonicalOrder
    effects: Effects = field(default_factory=Effects)
    fired: tuple[FiredRule, ...] = ()
    version: int = 0

    @property
    def skipped(self) -> bool:
        return self.effects.skip is not None

    def on_plan(self, plan: Plan) -> Plan:
        """The plan with the documents' accounts, classes, locations and tax codes, and their audit trail."""
        if not self.fired:
            return plan
        trails = audit_trails({d.type for d in plan.documents}, self.fired, self.version)
        return dataclasses.replace(plan, documents=tuple(self._document(d, trails[d.type]) for d in plan.documents))

    def _document(self, doc: PlannedDocument, trail: tuple[AppliedRule, ...]) -> PlannedDocument:
        update = self.effects.document_update(doc)
        if trail:
            update["applied_rules"] = trail
        return doc.model_copy(update=update) if update else doc


def evaluate(rules: CompiledRules, order: CanonicalOrder, connection_id: str, *, may_skip: bool = True) -> Outcome:
    """``may_skip``: False for an order already in the books, which "do not import" no longer stops."""
    effects = Effects()
    fired = []
    current, facts = order, Facts(order)
    everything = range(len(order.lines))
    pending, next_one = rules.candidates(facts, -1), 0
    while next_one < len(pending):
        position = pending[next_one]
        next_one += 1
        rule = rules.rules[position]
        if rule.connections is not None and connection_id not in rule.connections:
            continue
        if rule.per_line:
            assert rule.holds is not None
            lines = [i for i, line in enumerate(current.lines) if rule.holds(facts, line)]
            if not lines:
                continue
        elif rule.holds is None or rule.holds(facts, None):
            lines = list(everything)
        else:
            continue
        subject = actions.Subject(current, effects, rule.name, lines, may_skip)
        changes = [change for action in rule.then for change in actions.apply(action, subject)]
        fired.append(FiredRule(rule.index, rule.name, tuple(changes)))
        if effects.skip is not None:
            break  # a skipped order is not planned: later rules have nothing to act on
        if subject.order is not current:
            # The rules below see the order as this one left it, and may now hold where they could not.
            current, facts = subject.order, Facts(subject.order)
            pending, next_one = rules.candidates(facts, position), 0
    return Outcome(order, current, effects, tuple(fired), rules.version)
