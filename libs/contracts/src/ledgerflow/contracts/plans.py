"""What an order becomes in the books: the planner's output."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ledgerflow.contracts.channels import Channel
from ledgerflow.contracts.envelope import MessageMeta
from ledgerflow.contracts.matching import MatchingPolicy
from ledgerflow.contracts.money import CurrencyCode
from ledgerflow.contracts.numbering import NumberingPolicy
from ledgerflow.contracts.purchase_orders import PurchaseOrderSystem
from ledgerflow.contracts.targets import BooksTarget


class TransactionMode(StrEnum):
    """The per-connection transaction modes M1-M7."""

    INVOICES = "invoices"  # M1
    INVOICES_WITH_PAYMENTS = "invoices_with_payments"  # M2
    SALES_RECEIPTS = "sales_receipts"  # M3
    SALES_ORDERS = "sales_orders"  # M4
    SALES_ORDERS_INVOICES = "sales_orders_invoices"  # M5
    SALES_ORDERS_INVOICES_POS = "sales_orders_invoices_pos"  # M6
    ESTIMATES = "estimates"  # M7


class DocumentType(StrEnum):
    INVOICE = "invoice"
    PAYMENT = "payment"
    SALES_RECEIPT = "sales_receipt"
    SALES_ORDER = "sales_order"
    ESTIMATE = "estimate"
    PURCHASE_ORDER = "purchase_order"
    CREDIT_MEMO = "credit_memo"
    REFUND_RECEIPT = "refund_receipt"
    BILL = "bill"  # a supplier's bill for goods received against a purchase order
    ITEM_RECEIPT = "item_receipt"  # goods received against a purchase order, the bill to follow (Desktop)


class DocumentAction(StrEnum):
    """What the writer does with a planned document."""

    CREATE = "create"
    CLOSE = "close"  # close the sales order (an estimate on QuickBooks Online) or purchase order named by ``target``
    UPDATE = "update"  # replace the lines of the purchase order named by ``target`` (changed before any receipt)
    APPLY = "apply"  # apply the unapplied payment named by ``target`` to the documents in ``applies_to``


class LineKind(StrEnum):
    ITEM = "item"
    SHIPPING = "shipping"
    DISCOUNT = "discount"
    TAX = "tax"
    FEE = "fee"
    GIFT_CARD = "gift_card"
    ROUNDING = "rounding"


class AppliedRule(BaseModel):
    """Audit trail: a rule that shaped a document, and what it changed (before -> after)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(description="The rule's name.")
    rule_set_version: int = Field(ge=1, description="The tenant's rule set version the rule belongs to.")
    changes: tuple[str, ...] = ()


class PlannedLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: LineKind
    item_name: str = Field(description="Name of the item in the books this line posts to.")
    sku: str | None = Field(default=None, description="The channel's SKU, when items are matched by SKU (P1).")
    description: str | None = None
    quantity: Decimal = Decimal(1)
    unit_price: Decimal
    amount: Decimal = Field(description="quantity x unit_price, in the document's currency.")
    taxable: bool = False
    line_id: str | None = Field(default=None, description="The channel's line this line comes from (item lines).")
    class_name: str | None = Field(default=None, description="The line's class in the books (rules).")
    tax_code: str | None = Field(default=None, description="The line's tax code in the books (T1, rules).")


class PlannedDocument(BaseModel):
    """One document to post. ``key`` is stable across redeliveries and replicas."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="Stable identity: tenant, channel, order, document type and sequence.")
    type: DocumentType
    action: DocumentAction = DocumentAction.CREATE
    target: str | None = Field(default=None, description="Key of the posted document a close or apply changes.")
    currency: CurrencyCode
    txn_date: date
    customer_name: str | None = None
    customer_email: str | None = None
    vendor_name: str | None = Field(default=None, description="Purchase orders: the items' preferred vendor.")
    deposit_account: str | None = Field(
        default=None,
        description="Refund receipts: the account refunded from; sales receipts and payments: the account "
        "deposited to (the books' default when None).",
    )
    receivable_account: str | None = Field(default=None, description="Invoices: the receivable account (rules).")
    class_name: str | None = Field(default=None, description="The document's class in the books (rules).")
    location: str | None = Field(
        default=None, description="The document's location (a department on QuickBooks Online) (rules)."
    )
    lines: tuple[PlannedLine, ...] = ()
    total: Decimal
    memo: str = Field(description="Carries the channel order number (N2): how later documents find this one.")
    applies_to: tuple[str, ...] = Field(
        default=(), description="Keys of documents this one is linked to (a payment to its invoice)."
    )
    payment_reference: str | None = Field(default=None, description="Processor transaction id (N4).")
    payment_method: str | None = None
    sequence: int = Field(default=0, ge=0, description="Order among documents of one type on one order (refunds).")
    supersedes: str | None = Field(
        default=None, description="Delete-and-resync: the earlier document whose number this one takes over."
    )
    doc_number: str | None = Field(
        default=None, description="A number the source gives the document (a bill: the supplier's invoice number)."
    )
    applied_rules: tuple[AppliedRule, ...] = Field(
        default=(), description="The rules that changed this document, and how (audit trail)."
    )


class DocumentPlan(BaseModel):
    """The documents one order version becomes, in dependency order."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["document_plan"] = "document_plan"
    meta: MessageMeta
    connection_id: str
    channel: Channel | PurchaseOrderSystem = Field(description="The sales channel, or the purchase-order system.")
    channel_order_id: str
    order_number: str
    order_version: int = Field(ge=1)
    mode: TransactionMode
    target: BooksTarget = Field(default=BooksTarget.QUICKBOOKS_ONLINE, description="The books the documents go to.")
    numbering: NumberingPolicy = Field(default_factory=NumberingPolicy)
    matching: MatchingPolicy = Field(default_factory=MatchingPolicy)
    verify_posted: bool = Field(
        default=False, description="A resync: documents posted earlier are looked up, and posted again if deleted."
    )
    documents: tuple[PlannedDocument, ...]
