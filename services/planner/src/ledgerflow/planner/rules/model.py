"""Rules as declared in YAML: ``when`` (conditions combined with all/any) and ``then`` (typed actions).

The language is data, never code: a condition is a whitelisted field, one of a fixed set of operators and a
value; an action is one of a fixed set of kinds. Sizes are bounded everywhere, so that no rule set can make
the planner slow or large.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, field_validator, model_validator

from ledgerflow.contracts.envelope import TenantId

# Connex Commerce allows up to 5,000 rules per user; the other limits keep each rule small.
MAX_RULES_PER_TENANT = 5000
MAX_RULE_SET_BYTES = 2_000_000
MAX_CONDITIONS_PER_RULE = 50
MAX_DEPTH = 4
MAX_ACTIONS_PER_RULE = 20
MAX_LIST_VALUES = 500
MAX_TEXT = 200
MAX_PATTERN = 200
MAX_NAME = 120

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Scalar = Annotated[str, Field(max_length=MAX_TEXT)] | int | bool | None
RuleValue = Scalar | Annotated[list[Scalar], Field(max_length=MAX_LIST_VALUES)]


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    BETWEEN = "between"
    IN = "in"
    NOT_IN = "not_in"
    STARTS_WITH = "starts_with"
    MATCHES = "matches"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _plain(value: Any) -> Any:
    """Values are kept as JSON scalars, so that a stored rule set reads back equal to the file it came from."""
    if isinstance(value, float):
        raise ValueError('write decimals as strings ("100.50") or integers: a binary float is not exact')
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Condition(_Model):
    field: str = Field(min_length=1, max_length=80)
    op: Op
    value: RuleValue = None

    @field_validator("value", mode="before")
    @classmethod
    def _json_value(cls, value: Any) -> Any:
        return _plain(value)


def _node_kind(node: Any) -> str:
    if isinstance(node, dict):
        return "group" if "all" in node or "any" in node else "condition"
    return "group" if isinstance(node, Group) else "condition"


Node = Annotated[
    Annotated[Condition, Tag("condition")] | Annotated["Group", Tag("group")],
    Discriminator(_node_kind),
]


class Group(_Model):
    all: list[Node] | None = Field(default=None, min_length=1, max_length=MAX_CONDITIONS_PER_RULE)
    any: list[Node] | None = Field(default=None, min_length=1, max_length=MAX_CONDITIONS_PER_RULE)

    @model_validator(mode="after")
    def _one_kind(self) -> Group:
        if (self.all is None) == (self.any is None):
            raise ValueError("a group has either all: [...] or any: [...], not both")
        return self

    @property
    def combinator(self) -> Literal["all", "any"]:
        return "all" if self.all is not None else "any"

    @property
    def nodes(self) -> list[Condition | Group]:
        return list(self.all if self.all is not None else self.any or [])


# ---- actions ------------------------------------------------------------------------------------


class RemapSku(_Model):
    """SKU A to B on the lines the rule matches."""

    action: Literal["remap_sku"]
    source: Text = Field(alias="from")
    to: Text


class ShippingItem(_Model):
    """Every shipping method to one item."""

    action: Literal["shipping_item"]
    item: Name


class DiscountItem(_Model):
    """Every coupon and discount to one discount item."""

    action: Literal["discount_item"]
    item: Name


class DepositAccount(_Model):
    """The account sales receipts and payments are deposited to (by payment method, by currency...)."""

    action: Literal["deposit_account"]
    account: Name


class ReceivableAccount(_Model):
    """The receivable account of invoices, payments and credit memos (by currency...)."""

    action: Literal["receivable_account"]
    account: Name


class SetClass(_Model):
    """The class of the whole document."""

    action: Literal["set_class"]
    name: Name


class SetLineClass(_Model):
    """The class of each line the rule matches."""

    action: Literal["set_line_class"]
    name: Name


class SetLocation(_Model):
    """The location of the document (a department on QuickBooks Online, which has no line locations)."""

    action: Literal["set_location"]
    name: Name


class TaxLines(StrEnum):
    ITEMS = "items"
    SHIPPING = "shipping"
    DISCOUNT = "discount"


class SetTaxCode(_Model):
    """The tax code of the matched item lines, of the shipping lines, or of the discount line (T1)."""

    action: Literal["set_tax_code"]
    code: Annotated[str, Field(min_length=1, max_length=40)]
    lines: TaxLines = TaxLines.ITEMS


class OrderNumberPrefix(_Model):
    """A prefix before the order number (N1), e.g. ``AZ-`` for one channel."""

    action: Literal["order_number_prefix"]
    prefix: Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9_./#-]+$")]


class DoNotImport(_Model):
    """The order is not posted (R1)."""

    action: Literal["do_not_import"]
    reason: Annotated[str, Field(max_length=MAX_TEXT)] | None = None


class OverrideShipping(_Model):
    """Shipping charged becomes this amount; the order total (and a full payment) follow."""

    action: Literal["override_shipping"]
    amount: Annotated[str, Field(max_length=30)] | int

    @field_validator("amount", mode="before")
    @classmethod
    def _json_amount(cls, value: Any) -> Any:
        return _plain(value)


class MarkUnpaid(_Model):
    """The order is treated as unpaid: its invoice stays open and no payment is recorded."""

    action: Literal["mark_unpaid"]


class SingleCustomer(_Model):
    """Every matching order to one customer (C1)."""

    action: Literal["single_customer"]
    name: Name


class CopyField(_Model):
    """One field's value into another (text) field."""

    action: Literal["copy_field"]
    source: str = Field(alias="from", min_length=1, max_length=80)
    to: str = Field(min_length=1, max_length=80)


Action = Annotated[
    RemapSku
    | ShippingItem
    | DiscountItem
    | DepositAccount
    | ReceivableAccount
    | SetClass
    | SetLineClass
    | SetLocation
    | SetTaxCode
    | OrderNumberPrefix
    | DoNotImport
    | OverrideShipping
    | MarkUnpaid
    | SingleCustomer
    | CopyField,
    Field(discriminator="action"),
]

ACTION_KINDS: tuple[str, ...] = (
    "remap_sku", "shipping_item", "discount_item", "deposit_account", "receivable_account", "set_class",
    "set_line_class", "set_location", "set_tax_code", "order_number_prefix", "do_not_import", "override_shipping",
    "mark_unpaid", "single_customer", "copy_field",
)  # fmt: skip


class Rule(_Model):
    name: str = Field(min_length=1, max_length=MAX_NAME)
    enabled: bool = True
    connections: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, min_length=1, max_length=100, description="Only these connections; all of the tenant's if absent."
    )
    when: Node | None = Field(default=None, description="No conditions: every order.")
    then: list[Action] = Field(min_length=1, max_length=MAX_ACTIONS_PER_RULE)


class RuleSet(_Model):
    """A tenant's rules, top to bottom. Applying a file replaces the rule set of each tenant it names."""

    tenant: TenantId
    rules: list[Rule] = Field(default_factory=list, max_length=MAX_RULES_PER_TENANT)

    def stored_json(self) -> str:
        """The form a rule set is stored and versioned in (``from`` keys as written in the file)."""
        return self.model_dump_json(by_alias=True)


Group.model_rebuild()
Rule.model_rebuild()
NODE: TypeAdapter[Condition | Group] = TypeAdapter(Node)
