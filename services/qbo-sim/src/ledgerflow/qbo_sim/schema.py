"""The properties each entity's body may carry, from Intuit's entity reference (minorversion 75).

QuickBooks Online refuses a body with any other property with 2010 and names it, so a misspelt field
(``PrivateNotes``) fails here as it would in production instead of being stored and echoed back.
Nested objects are checked one level down: lines, and the detail object a line's ``DetailType`` names.
"""

from __future__ import annotations

from typing import Any

from ledgerflow.qbo_sim.errors import QboFault, combined, unknown_property

_SYSTEM = ("Id", "SyncToken", "sparse", "domain", "MetaData", "status")
_NAME_COMMON = (
    "DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "FullyQualifiedName", "CompanyName",
    "PrintOnCheckName", "Active", "PrimaryPhone", "AlternatePhone", "Mobile", "Fax", "PrimaryEmailAddr", "WebAddr",
    "OtherContactInfo", "Balance", "OpenBalanceDate", "CurrencyRef", "Notes", "Source", "V4IDPseudonym",
)  # fmt: skip
_TXN_COMMON = (
    "DocNumber", "TxnDate", "PrivateNote", "Line", "CurrencyRef", "ExchangeRate", "LinkedTxn", "TxnTaxDetail",
    "TotalAmt", "HomeTotalAmt", "DepartmentRef", "ClassRef", "CustomField", "TransactionLocationType", "TxnSource",
    "GlobalTaxCalculation", "ProjectRef", "RecurDataRef", "AttachableRef", "TaxExemptionRef",
)  # fmt: skip
_SALES_COMMON = (
    *_TXN_COMMON, "CustomerRef", "CustomerMemo", "BillAddr", "ShipAddr", "ShipFromAddr", "FreeFormAddress",
    "SalesTermRef", "DueDate", "ShipDate", "TrackingNum", "ShipMethodRef", "PrintStatus", "EmailStatus", "BillEmail",
    "BillEmailCc", "BillEmailBcc", "ApplyTaxAfterDiscount", "Balance", "HomeBalance", "Deposit", "DepositToAccountRef",
    "AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment", "DeliveryInfo",
    "PaymentMethodRef", "PaymentRefNum", "ARAccountRef",
)  # fmt: skip

TOP_LEVEL: dict[str, tuple[str, ...]] = {
    "Customer": (
        *_NAME_COMMON, "DefaultTaxCodeRef", "Taxable", "BillAddr", "ShipAddr", "Job", "BillWithParent", "ParentRef",
        "Level", "SalesTermRef", "PaymentMethodRef", "BalanceWithJobs", "PreferredDeliveryMethod", "ResaleNum",
        "TaxExemptionReasonId", "ARAccountRef", "PrimaryTaxIdentifier", "SecondaryTaxIdentifier", "BusinessNumber",
        "GSTIN", "GSTRegistrationType", "IsProject", "ClientEntityId", "CustomerTypeRef",
    ),
    "Vendor": (
        *_NAME_COMMON, "BillAddr", "Vendor1099", "TermRef", "AcctNum", "TaxIdentifier", "APAccountRef", "BillRate",
        "CostRate", "VendorPaymentBankDetail", "BusinessNumber", "GSTIN", "GSTRegistrationType", "HasTPAR",
        "TaxReportingBasis",
    ),
    "Item": (
        "Name", "Sku", "Description", "Active", "SubItem", "ParentRef", "Level", "FullyQualifiedName", "Taxable",
        "SalesTaxIncluded", "UnitPrice", "Type", "IncomeAccountRef", "PurchaseDesc", "PurchaseTaxIncluded",
        "PurchaseCost", "ExpenseAccountRef", "AssetAccountRef", "PrefVendorRef", "TrackQtyOnHand", "QtyOnHand",
        "InvStartDate", "SalesTaxCodeRef", "PurchaseTaxCodeRef", "ReorderPoint", "AbatementRate", "ReverseChargeRate",
        "ServiceType", "ItemCategoryType", "ClassRef", "Source", "TaxClassificationRef", "UQCDisplayText", "UQCId",
    ),
    "Account": (
        "Name", "SubAccount", "ParentRef", "Description", "FullyQualifiedName", "Active", "Classification",
        "AccountType", "AccountSubType", "AcctNum", "CurrentBalance", "CurrentBalanceWithSubAccounts", "CurrencyRef",
        "TaxCodeRef", "TxnLocationType",
    ),
    "Class": ("Name", "SubClass", "ParentRef", "FullyQualifiedName", "Active"),
    "Department": ("Name", "SubDepartment", "ParentRef", "FullyQualifiedName", "Active"),
    "Invoice": (*_SALES_COMMON, "InvoiceLink"),
    "SalesReceipt": (*_SALES_COMMON, "CreditCardPayment"),
    "Estimate": (*_SALES_COMMON, "TxnStatus", "AcceptedBy", "AcceptedDate", "ExpirationDate"),
    "CreditMemo": (*_SALES_COMMON, "RemainingCredit", "InvoiceRef"),
    "RefundReceipt": (*_SALES_COMMON, "PaymentType", "CheckPayment", "CreditCardPayment"),
    "Payment": (
        "CustomerRef", "TotalAmt", "UnappliedAmt", "TxnDate", "PrivateNote", "Line", "CurrencyRef", "ExchangeRate",
        "ProcessPayment", "PaymentMethodRef", "PaymentRefNum", "DepositToAccountRef", "CreditCardPayment",
        "ARAccountRef", "TxnSource", "TaxExemptionRef", "DepartmentRef", "ClassRef", "TransactionLocationType",
        "LinkedTxn", "ProjectRef", "HomeTotalAmt",
    ),
    "PurchaseOrder": (
        *_TXN_COMMON, "VendorRef", "APAccountRef", "POStatus", "POEmail", "VendorAddr", "ShipTo", "ShipAddr", "Memo",
        "DueDate", "SalesTermRef", "ShipMethodRef", "EmailStatus", "PrintStatus",
    ),
    "Bill": (
        *_TXN_COMMON, "VendorRef", "APAccountRef", "SalesTermRef", "DueDate", "Balance", "HomeBalance",
        "IncludeInAnnualTPAR", "VendorAddr",
    ),
}  # fmt: skip

LINE = (
    "Id", "LineNum", "Description", "Amount", "DetailType", "LinkedTxn", "LineEx", "ProjectRef", "CustomField",
    "SalesItemLineDetail", "GroupLineDetail", "DescriptionLineDetail", "DiscountLineDetail", "SubTotalLineDetail",
    "ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail", "TaxLineDetail",
)  # fmt: skip

DETAIL: dict[str, tuple[str, ...]] = {
    "SalesItemLineDetail": (
        "ItemRef", "ClassRef", "UnitPrice", "RatePercent", "PriceLevelRef", "MarkupInfo", "Qty", "UOMRef",
        "ItemAccountRef", "TaxCodeRef", "TaxClassificationRef", "ServiceDate", "TaxInclusiveAmt", "DiscountRate",
        "DiscountAmt",
    ),
    "DiscountLineDetail": ("PercentBased", "DiscountPercent", "DiscountAccountRef", "ClassRef", "TaxCodeRef"),
    "SubTotalLineDetail": ("ItemRef",),
    "DescriptionLineDetail": ("ServiceDate", "TaxCodeRef"),
    "ItemBasedExpenseLineDetail": (
        "ItemRef", "ClassRef", "UnitPrice", "RatePercent", "PriceLevelRef", "MarkupInfo", "Qty", "UOMRef",
        "TaxCodeRef", "CustomerRef", "BillableStatus", "TaxInclusiveAmt",
    ),
    "AccountBasedExpenseLineDetail": (
        "AccountRef", "ClassRef", "TaxCodeRef", "CustomerRef", "BillableStatus", "MarkupInfo", "TaxAmount",
        "TaxInclusiveAmt",
    ),
}  # fmt: skip


def check_properties(entity: str, body: dict[str, Any]) -> None:
    """Refuse (2010, one Error per property) any property the entity does not have."""
    known = TOP_LEVEL.get(entity)
    if known is None:
        return
    faults = _unknown(body, (*_SYSTEM, *known))
    for line in body.get("Line") or []:
        if not isinstance(line, dict):
            continue
        faults += _unknown(line, LINE)
        for detail_type, detail_fields in DETAIL.items():
            detail = line.get(detail_type)
            if isinstance(detail, dict):
                faults += _unknown(detail, detail_fields)
    if faults:
        raise combined(faults)


def _unknown(body: dict[str, Any], known: tuple[str, ...]) -> list[QboFault]:
    return [unknown_property(name, sorted(known)) for name in body if name not in known]


# Fields a query may filter on, per Intuit's entity reference ("filterable"); the others are refused (4001).
_FILTER_COMMON = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
_NAME_FILTERS = ("DisplayName", "GivenName", "MiddleName", "FamilyName", "CompanyName", "FullyQualifiedName",
                 "PrimaryEmailAddr", "Balance", "Active", "PrintOnCheckName")  # fmt: skip
_TXN_FILTERS = ("DocNumber", "TxnDate", "TotalAmt", "CurrencyRef", "DepartmentRef", "ClassRef")
FILTERABLE: dict[str, tuple[str, ...]] = {
    "Customer": (*_NAME_FILTERS, "Job", "ParentRef", "Taxable", "CurrencyRef"),
    "Vendor": (*_NAME_FILTERS, "CurrencyRef"),
    "Item": ("Name", "Sku", "Type", "Active", "FullyQualifiedName", "Taxable", "ParentRef", "SubItem", "QtyOnHand"),
    "Account": (
        "Name",
        "AccountType",
        "AccountSubType",
        "Classification",
        "Active",
        "CurrentBalance",
        "FullyQualifiedName",
        "SubAccount",
        "CurrencyRef",
    ),
    "TaxCode": ("Name", "Active", "Taxable"),
    "Class": ("Name", "Active", "FullyQualifiedName", "ParentRef", "SubClass"),
    "Department": ("Name", "Active", "FullyQualifiedName", "ParentRef", "SubDepartment"),
    "Invoice": (*_TXN_FILTERS, "CustomerRef", "Balance", "DueDate"),
    "SalesReceipt": (*_TXN_FILTERS, "CustomerRef"),
    "Estimate": (*_TXN_FILTERS, "CustomerRef", "TxnStatus", "ExpirationDate"),
    "CreditMemo": (*_TXN_FILTERS, "CustomerRef", "Balance"),
    "RefundReceipt": (*_TXN_FILTERS, "CustomerRef"),
    "Payment": ("TxnDate", "TotalAmt", "CustomerRef", "CurrencyRef", "PaymentRefNum", "DepartmentRef"),
    "PurchaseOrder": (*_TXN_FILTERS, "VendorRef", "POStatus"),
    "Bill": (*_TXN_FILTERS, "VendorRef", "Balance", "DueDate"),
}


def unqueryable(entity: str, field: str) -> bool:
    return field not in (*_FILTER_COMMON, *FILTERABLE.get(entity, ()))
