"""What fired rules leave for planning: settings for this order's plan, and fields of its documents and lines.

Rules that change the order itself (a SKU, the shipping, the payment state) are applied to the canonical order
before planning; the rest are recorded here and laid over the plan: the connection's items, numbering prefix
and customer matching for this order, and the accounts, class, location and tax codes of its documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ledgerflow.contracts import (
    AppliedRule,
    CustomerMatch,
    DocumentAction,
    DocumentType,
    LineKind,
    MatchingPolicy,
    NumberingPolicy,
    PlannedDocument,
    PlannedLine,
)
from ledgerflow.planner.settings import ItemNames

D = DocumentType
EVERY = frozenset(DocumentType)
SALES_FORMS = frozenset((D.INVOICE, D.SALES_RECEIPT, D.SALES_ORDER, D.ESTIMATE))
ORDER_LINES = SALES_FORMS | {D.PURCHASE_ORDER}  # documents whose lines are the order's lines
CLASSIFIED = SALES_FORMS | {D.CREDIT_MEMO, D.REFUND_RECEIPT}
DEPOSITED = frozenset((D.SALES_RECEIPT, D.PAYMENT))
RECEIVABLE = frozenset((D.INVOICE, D.PAYMENT, D.CREDIT_MEMO))
NUMBERED = EVERY - {D.PAYMENT}
CUSTOMERS = EVERY - {D.PURCHASE_ORDER}


@dataclass(frozen=True)
class Change:
    """One thing a rule changed; ``documents`` are the document types it shows on."""

    what: str
    before: str | None
    after: str | None
    documents: frozenset[DocumentType] = EVERY

    @cached_property
    def text(self) -> str:
        return f"{self.what}: {self.before or '(none)'} -> {self.after or '(none)'}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class FiredRule:
    """A rule whose conditions held (top to bottom position ``index``), and what it changed."""

    index: int
    name: str
    changes: tuple[Change, ...]


@dataclass
class Effects:
    """What the rules decided beyond the order itself; a later rule overwrites an earlier one's value."""

    skip: str | None = None  # why the order is not imported
    shipping_item: str | None = None
    discount_item: str | None = None
    deposit_account: str | None = None
    receivable_account: str | None = None
    class_name: str | None = None
    location: str | None = None
    prefix: str | None = None
    single_customer: str | None = None
    shipping_tax_code: str | None = None
    discount_tax_code: str | None = None
    line_classes: dict[str, str] = field(default_factory=dict)  # channel line id -> class
    line_tax_codes: dict[str, str] = field(default_factory=dict)

    def items(self, items: ItemNames) -> ItemNames:
        update = {k: v for k, v in (("shipping", self.shipping_item), ("discount", self.discount_item)) if v}
        return items.model_copy(update=update) if update else items

    def numbering(self, policy: NumberingPolicy) -> NumberingPolicy:
        if self.prefix is None:
            return policy
        return policy.model_copy(update={"prefix": self.prefix, "channel_prefixes": {}})

    def matching(self, policy: MatchingPolicy) -> MatchingPolicy:
        if self.single_customer is None:
            return policy
        return policy.model_copy(update={"customers": CustomerMatch.SINGLE, "single_customer": self.single_customer})

    def settings_update(self, settings: Any) -> dict[str, Any]:
        """For ``model_copy(update=...)`` of a connection's settings (or a preview's): this order's items,
        numbering and customer matching, where rules changed them."""
        update: dict[str, Any] = {"items": self.items(settings.items), "numbering": self.numbering(settings.numbering)}
        if hasattr(settings, "matching"):
            update["matching"] = self.matching(settings.matching)
        return {name: value for name, value in update.items() if value is not getattr(settings, name)}

    def document(self, doc: PlannedDocument) -> PlannedDocument:
        update = self.document_update(doc)
        return doc.model_copy(update=update) if update else doc

    def document_update(self, doc: PlannedDocument) -> dict[str, Any]:
        """The fields of ``doc`` these effects set (for ``model_copy``)."""
        if doc.action is not DocumentAction.CREATE:
            return {}
        kind = doc.type
        update: dict[str, Any] = {}
        if kind in DEPOSITED and self.deposit_account is not None:
            update["deposit_account"] = self.deposit_account
        if kind in RECEIVABLE and self.receivable_account is not None:
            update["receivable_account"] = self.receivable_account
        if kind in CLASSIFIED:
            if self.class_name is not None:
                update["class_name"] = self.class_name
            if self.location is not None:
                update["location"] = self.location
        if kind in CUSTOMERS and self.single_customer is not None:
            update["customer_name"], update["customer_email"] = self.single_customer, None
        if kind in SALES_FORMS and self._touches_lines:
            update["lines"] = tuple(self._line(line) for line in doc.lines)
        return update

    @property
    def _touches_lines(self) -> bool:
        return bool(self.line_classes or self.line_tax_codes or self.shipping_tax_code or self.discount_tax_code)

    def _line(self, line: PlannedLine) -> PlannedLine:
        if line.kind in (LineKind.ITEM, LineKind.GIFT_CARD) and line.line_id is not None:
            klass, code = self.line_classes.get(line.line_id), self.line_tax_codes.get(line.line_id)
        elif line.kind is LineKind.SHIPPING:
            klass, code = None, self.shipping_tax_code
        elif line.kind is LineKind.DISCOUNT:
            klass, code = None, self.discount_tax_code
        else:
            return line
        update = {k: v for k, v in (("class_name", klass), ("tax_code", code)) if v is not None}
        return line.model_copy(update=update) if update else line


def audit_trails(
    kinds: set[DocumentType], fired: tuple[FiredRule, ...], version: int
) -> dict[DocumentType, tuple[AppliedRule, ...]]:
    """Per kind of document, the rules that changed such documents, with only the changes they show."""
    made: dict[tuple[int, tuple[str, ...]], AppliedRule] = {}  # kinds that show the same changes share them
    trails = {}
    for kind in kinds:
        trail = []
        for rule in fired:
            changes = tuple(c.text for c in rule.changes if kind in c.documents)
            if changes:
                key = (rule.index, changes)
                if key not in made:
                    made[key] = AppliedRule(rule=rule.name, rule_set_version=version, changes=changes)
                trail.append(made[key])
        trails[kind] = tuple(trail)
    return trails
