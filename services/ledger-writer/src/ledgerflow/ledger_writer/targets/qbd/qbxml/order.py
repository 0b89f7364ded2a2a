"""The child order of every element ledgerflow sends, as the qbXML 13.0 schema fixes it (an XSD sequence).

Only the fields ledgerflow may send are listed: building an element with any other field is a programming
error, found by the tests rather than by a bookkeeper's Web Connector log.
"""

from __future__ import annotations

REF = ("ListID", "FullName")
ADDRESS = ("Addr1", "Addr2", "Addr3", "Addr4", "Addr5", "City", "State", "PostalCode", "Country", "Note")
_LIST_QUERY = (
    "ListID",
    "FullName",
    "MaxReturned",
    "ActiveStatus",
    "FromModifiedDate",
    "ToModifiedDate",
    "NameFilter",
    "NameRangeFilter",
    "IncludeRetElement",
    "OwnerID",
)
_TXN_QUERY = (
    "TxnID",
    "RefNumber",
    "RefNumberCaseSensitive",
    "MaxReturned",
    "ModifiedDateRangeFilter",
    "TxnDateRangeFilter",
    "EntityFilter",
    "AccountFilter",
    "RefNumberFilter",
    "RefNumberRangeFilter",
    "CurrencyFilter",
)
# Sales lines share this order for the fields ledgerflow sends (the schema interleaves others between them).
_SALES_LINE = ("ItemRef", "Desc", "Quantity", "Rate", "ClassRef", "Amount", "SalesTaxCodeRef")

ORDER: dict[str, tuple[str, ...]] = {
    "Ref": REF,
    "Address": ADDRESS,
    "NameFilter": ("MatchCriterion", "Name"),
    "RefNumberFilter": ("MatchCriterion", "RefNumber"),
    "ModifiedDateRangeFilter": ("FromModifiedDate", "ToModifiedDate"),
    "TxnDateRangeFilter": ("FromTxnDate", "ToTxnDate"),
    "EntityFilter": ("ListID", "FullName"),
    "SalesOrPurchase": ("Desc", "Price", "AccountRef"),
    "SalesAndPurchase": (
        "SalesDesc",
        "SalesPrice",
        "IncomeAccountRef",
        "PurchaseDesc",
        "PurchaseCost",
        "ExpenseAccountRef",
        "PrefVendorRef",
    ),
    # Lists
    "CustomerQueryRq": _LIST_QUERY,
    "VendorQueryRq": _LIST_QUERY,
    "ItemQueryRq": _LIST_QUERY,
    "AccountQueryRq": _LIST_QUERY,
    "CustomerAdd": (
        "Name",
        "IsActive",
        "CompanyName",
        "FirstName",
        "LastName",
        "BillAddress",
        "ShipAddress",
        "Phone",
        "Email",
    ),
    "ItemNonInventoryAdd": ("Name", "IsActive", "SalesTaxCodeRef", "SalesOrPurchase", "SalesAndPurchase"),
    "ItemOtherChargeAdd": ("Name", "IsActive", "SalesTaxCodeRef", "SalesOrPurchase"),
    # Transactions
    "SalesOrderAdd": (
        "CustomerRef",
        "ClassRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "Memo",
        "SalesOrderLineAdd",
    ),
    "SalesOrderLineAdd": _SALES_LINE,
    "SalesOrderMod": ("TxnID", "EditSequence", "IsManuallyClosed"),
    "InvoiceAdd": (
        "CustomerRef",
        "ClassRef",
        "ARAccountRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "Memo",
        "LinkToTxnID",
        "InvoiceLineAdd",
    ),
    "InvoiceLineAdd": (*_SALES_LINE, "LinkToTxn"),
    "LinkToTxn": ("TxnID", "TxnLineID"),
    "SalesReceiptAdd": (
        "CustomerRef",
        "ClassRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "CheckNumber",
        "PaymentMethodRef",
        "Memo",
        "DepositToAccountRef",
        "SalesReceiptLineAdd",
    ),
    "SalesReceiptLineAdd": _SALES_LINE,
    "CreditMemoAdd": (
        "CustomerRef",
        "ClassRef",
        "ARAccountRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "Memo",
        "CreditMemoLineAdd",
    ),
    "CreditMemoLineAdd": _SALES_LINE,
    "EstimateAdd": (
        "CustomerRef",
        "ClassRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "Memo",
        "EstimateLineAdd",
    ),
    "EstimateLineAdd": _SALES_LINE,
    "PurchaseOrderAdd": (
        "VendorRef",
        "ClassRef",
        "ShipToEntityRef",
        "TxnDate",
        "RefNumber",
        "Memo",
        "PurchaseOrderLineAdd",
    ),
    "PurchaseOrderLineAdd": ("ItemRef", "Desc", "Quantity", "Rate", "ClassRef", "Amount"),
    "PurchaseOrderMod": ("TxnID", "EditSequence", "IsManuallyClosed", "PurchaseOrderLineMod"),
    "PurchaseOrderLineMod": ("TxnLineID", "ItemRef", "Desc", "Quantity", "Rate", "ClassRef", "Amount"),
    # Goods received against a purchase order, and the supplier's bill: linked to its lines (LinkToTxn).
    "ItemReceiptAdd": ("VendorRef", "TxnDate", "RefNumber", "Memo", "LinkToTxnID", "ItemLineAdd"),
    "BillAdd": ("VendorRef", "TxnDate", "DueDate", "RefNumber", "Memo", "LinkToTxnID", "ItemLineAdd"),
    "ItemLineAdd": ("ItemRef", "Desc", "Quantity", "Cost", "Amount", "ClassRef", "LinkToTxn"),
    "ReceivePaymentAdd": (
        "CustomerRef",
        "ARAccountRef",
        "TxnDate",
        "RefNumber",
        "TotalAmount",
        "PaymentMethodRef",
        "Memo",
        "DepositToAccountRef",
        "IsAutoApply",
        "AppliedToTxnAdd",
    ),
    "AppliedToTxnAdd": ("TxnID", "PaymentAmount"),
    "ReceivePaymentMod": ("TxnID", "EditSequence", "AppliedToTxnMod"),
    "AppliedToTxnMod": ("TxnID", "PaymentAmount"),
    "TxnDelRq": ("TxnDelType", "TxnID"),
    "CompanyQueryRq": ("IncludeRetElement", "OwnerID"),
    # Transaction queries: the same filters; some add line items and links.
    "InvoiceQueryRq": (*_TXN_QUERY, "PaidStatus", "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement"),
    "SalesOrderQueryRq": (*_TXN_QUERY, "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement"),
    "SalesReceiptQueryRq": (*_TXN_QUERY, "IncludeLineItems", "IncludeRetElement"),
    "CreditMemoQueryRq": (*_TXN_QUERY, "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement"),
    "EstimateQueryRq": (*_TXN_QUERY, "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement"),
    "PurchaseOrderQueryRq": (*_TXN_QUERY, "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement"),
    "ReceivePaymentQueryRq": (*_TXN_QUERY, "IncludeLineItems", "IncludeRetElement"),
    "ItemReceiptQueryRq": (*_TXN_QUERY, "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement"),
    "BillQueryRq": (*_TXN_QUERY, "PaidStatus", "IncludeLineItems", "IncludeLinkedTxns", "IncludeRetElement"),
}

# Fields whose value is itself an element of the named shape.
SHAPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "CustomerRef",
            "VendorRef",
            "ItemRef",
            "ClassRef",
            "ARAccountRef",
            "DepositToAccountRef",
            "PaymentMethodRef",
            "SalesTaxCodeRef",
            "AccountRef",
            "IncomeAccountRef",
            "ExpenseAccountRef",
            "PrefVendorRef",
            "ShipToEntityRef",
        ),
        "Ref",
    ),
    "BillAddress": "Address",
    "ShipAddress": "Address",
}

# Versions in which a field first appeared: the envelope must be at least this new.
QBXML_VERSION = "13.0"
