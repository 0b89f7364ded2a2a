"""Message models shared by every ledgerflow service.

Every message on every topic is defined here and nowhere else, so a producer and its consumers
can never disagree about a field.
"""

from ledgerflow.contracts.canonical import (
    Address,
    CanonicalOrder,
    Customer,
    FulfillmentState,
    OrderLine,
    OrderPayment,
    PaymentState,
    ShippingLine,
    TaxLine,
)
from ledgerflow.contracts.channels import Channel
from ledgerflow.contracts.commands import LedgerCommand, NumberedDocument
from ledgerflow.contracts.dead_letter import DeadLetter, ErrorDetail
from ledgerflow.contracts.envelope import ConnectionId, MessageMeta, TenantId, derive_message_id
from ledgerflow.contracts.events import DocumentOutcome, LedgerEvent, LedgerStatus
from ledgerflow.contracts.matching import (
    CurrencyCustomers,
    CustomerMatch,
    ItemMatch,
    MatchingPolicy,
    SalesTax,
    WhenMissing,
)
from ledgerflow.contracts.messages import MESSAGE_MODELS, OrderNormalized, RawOrderEnvelope
from ledgerflow.contracts.money import Money, currency_exponent, quantize
from ledgerflow.contracts.numbering import (
    CollisionPolicy,
    NumberingMode,
    NumberingPolicy,
    NumberRejected,
    TooLongPolicy,
)
from ledgerflow.contracts.plans import (
    AppliedRule,
    DocumentAction,
    DocumentPlan,
    DocumentType,
    LineKind,
    PlannedDocument,
    PlannedLine,
    TransactionMode,
)
from ledgerflow.contracts.purchase_orders import (
    CanonicalPurchaseOrder,
    ChargeKind,
    PurchaseCharge,
    PurchaseOrderLine,
    PurchaseOrderNormalized,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    PurchaseReceipt,
    RawPurchaseOrderEnvelope,
    ReceiptKind,
    ReceiptLine,
    VendorRef,
)
from ledgerflow.contracts.reference import ReferenceData, ReferenceItem
from ledgerflow.contracts.requests import ReferenceSyncRequest, ResyncRequest
from ledgerflow.contracts.targets import LIMITS, BooksTarget, TargetLimits, fit_name
from ledgerflow.contracts.topics import MAX_MESSAGE_BYTES, Topic, dead_letter_topic, message_key

__all__ = [
    "LIMITS",
    "MAX_MESSAGE_BYTES",
    "MESSAGE_MODELS",
    "Address",
    "AppliedRule",
    "BooksTarget",
    "CanonicalOrder",
    "CanonicalPurchaseOrder",
    "Channel",
    "ChargeKind",
    "CollisionPolicy",
    "ConnectionId",
    "CurrencyCustomers",
    "Customer",
    "CustomerMatch",
    "DeadLetter",
    "DocumentAction",
    "DocumentOutcome",
    "DocumentPlan",
    "DocumentType",
    "ErrorDetail",
    "FulfillmentState",
    "ItemMatch",
    "LedgerCommand",
    "LedgerEvent",
    "LedgerStatus",
    "LineKind",
    "MatchingPolicy",
    "MessageMeta",
    "Money",
    "NumberRejected",
    "NumberedDocument",
    "NumberingMode",
    "NumberingPolicy",
    "OrderLine",
    "OrderNormalized",
    "OrderPayment",
    "PaymentState",
    "PlannedDocument",
    "PlannedLine",
    "PurchaseCharge",
    "PurchaseOrderLine",
    "PurchaseOrderNormalized",
    "PurchaseOrderStatus",
    "PurchaseOrderSystem",
    "PurchaseReceipt",
    "RawOrderEnvelope",
    "RawPurchaseOrderEnvelope",
    "ReceiptKind",
    "ReceiptLine",
    "ReferenceData",
    "ReferenceItem",
    "ReferenceSyncRequest",
    "ResyncRequest",
    "SalesTax",
    "ShippingLine",
    "TargetLimits",
    "TaxLine",
    "TenantId",
    "TooLongPolicy",
    "Topic",
    "TransactionMode",
    "VendorRef",
    "WhenMissing",
    "currency_exponent",
    "dead_letter_topic",
    "derive_message_id",
    "fit_name",
    "message_key",
    "quantize",
]
