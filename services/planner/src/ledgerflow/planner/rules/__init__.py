"""Rules (R4): per-tenant conditions and actions that run after normalization and before planning.

``model`` is what a rule says and ``fields`` what it may reach; ``files`` reads rules from a settings file and
``validate`` refuses what cannot work; ``compiled`` prepares a rule set once, ``evaluate`` runs it on an order
(``conditions``, ``actions``), ``effects`` lays what the rules decided over the plan; ``store`` and ``orders`` keep
rules and their audit trail in the planner's tables. See docs/rules.md.
"""

from ledgerflow.planner.rules.compiled import CompiledRules, compile_rules
from ledgerflow.planner.rules.evaluate import Outcome, evaluate
from ledgerflow.planner.rules.files import load_rule_set, load_rule_sets
from ledgerflow.planner.rules.model import Rule, RuleSet
from ledgerflow.planner.rules.orders import run_rules
from ledgerflow.planner.rules.store import DDL
from ledgerflow.planner.rules.validate import rule_set_problems

__all__ = [
    "DDL",
    "CompiledRules",
    "Outcome",
    "Rule",
    "RuleSet",
    "compile_rules",
    "evaluate",
    "load_rule_set",
    "load_rule_sets",
    "rule_set_problems",
    "run_rules",
]
