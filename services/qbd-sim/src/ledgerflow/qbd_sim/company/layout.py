"""The order of every ``…Ret`` this file writes (XSD order, with the version each element appeared in).

Same notation as ``schema``; only names, order and versions matter here. A response never carries an element
newer than the request's qbXML version.
"""

from __future__ import annotations

from ledgerflow.qbd_sim.company.grammar import Particle, flatten

_HEAD = "TxnID TimeCreated TimeModified EditSequence TxnNumber?"
_ADDRESSES = "BillAddress? BillAddressBlock?@6.0 ShipAddress? ShipAddressBlock?@6.0"
_SALES_MIDDLE = "PONumber? TermsRef? DueDate? SalesRepRef? FOB? ShipDate? ShipMethodRef?"
_TAX = "Subtotal? ItemSalesTaxRef? SalesTaxPercentage? SalesTaxTotal?"
_CURRENCY = "CurrencyRef?@8.0 ExchangeRate?@8.0 TotalAmountInHomeCurrency?@8.0"
_TAIL = "CustomerMsgRef? IsToBePrinted? IsToBeEmailed?@6.0 CustomerSalesTaxCodeRef?"
_LINE = (
    "TxnLineID ItemRef? Desc? Quantity? UnitOfMeasure?@7.0 OverrideUOMSetRef?@7.0 (Rate | RatePercent)? ClassRef? "
    "Amount? InventorySiteRef?@10.0 InventorySiteLocationRef?@12.0 (SerialNumber | LotNumber)?@11.0"
)
_ITEM_HEAD = "ListID TimeCreated TimeModified EditSequence Name FullName BarCodeValue?@12.0 IsActive? ClassRef?@12.0"

LAYOUTS: dict[str, str] = {
    "DataExtRet": "OwnerID? DataExtName DataExtType DataExtValue",
    "LinkedTxn": "TxnID TxnType TxnDate RefNumber? LinkType?@3.0 Amount",
    "CustomerRet": (
        "ListID TimeCreated TimeModified EditSequence Name FullName IsActive? ClassRef?@12.0 ParentRef? Sublevel "
        "CompanyName? Salutation? FirstName? MiddleName? LastName? JobTitle?@12.0 BillAddress? "
        "BillAddressBlock?@6.0 ShipAddress? ShipAddressBlock?@6.0 ShipToAddress*@12.0 Phone? AltPhone? Fax? Email? "
        "Cc?@12.0 Contact? AltContact? AdditionalContactRef*@12.0 CustomerTypeRef? TermsRef? SalesRepRef? "
        "Balance? TotalBalance? SalesTaxCodeRef? ItemSalesTaxRef? ResaleNumber? AccountNumber? CreditLimit? "
        "PreferredPaymentMethodRef?@3.0 CreditCardInfo?@3.0 JobStatus? JobStartDate? JobProjectedEndDate? "
        "JobEndDate? JobDesc? JobTypeRef? Notes? PreferredDeliveryMethod?@12.0 PriceLevelRef?@4.0 "
        "ExternalGUID?@8.0 CurrencyRef?@8.0 DataExtRet*@2.0"
    ),
    "VendorRet": (
        "ListID TimeCreated TimeModified EditSequence Name IsActive? ClassRef?@12.0 CompanyName? Salutation? "
        "FirstName? MiddleName? LastName? JobTitle?@12.0 VendorAddress? VendorAddressBlock?@6.0 ShipAddress?@11.0 "
        "Phone? AltPhone? Fax? Email? Cc?@12.0 Contact? AltContact? AdditionalContactRef*@12.0 NameOnCheck? "
        "AccountNumber? Notes? VendorTypeRef? TermsRef? CreditLimit? VendorTaxIdent? IsVendorEligibleFor1099? "
        "Balance? BillingRateRef?@6.0 ExternalGUID?@8.0 PrefillAccountRef*@8.0 CurrencyRef?@8.0 DataExtRet*@2.0"
    ),
    "SalesOrPurchase": "Desc? (Price | PricePercent)? AccountRef?",
    "SalesAndPurchase": (
        "SalesDesc? SalesPrice? IncomeAccountRef? PurchaseDesc? PurchaseCost? ExpenseAccountRef? PrefVendorRef?"
    ),
    "ItemNonInventoryRet": (
        f"{_ITEM_HEAD} ParentRef? Sublevel ManufacturerPartNumber?@7.0 UnitOfMeasureSetRef?@7.0 SalesTaxCodeRef? "
        "(SalesOrPurchase | SalesAndPurchase)? ExternalGUID?@8.0 DataExtRet*@2.0"
    ),
    "ItemServiceRet": (
        f"{_ITEM_HEAD} ParentRef? Sublevel UnitOfMeasureSetRef?@7.0 SalesTaxCodeRef? "
        "(SalesOrPurchase | SalesAndPurchase)? ExternalGUID?@8.0 DataExtRet*@2.0"
    ),
    "ItemOtherChargeRet": (
        f"{_ITEM_HEAD} ParentRef? Sublevel SalesTaxCodeRef? (SalesOrPurchase | SalesAndPurchase)? "
        "SpecialItemType?@6.0 ExternalGUID?@8.0 DataExtRet*@2.0"
    ),
    "ItemInventoryRet": (
        f"{_ITEM_HEAD} ParentRef? Sublevel ManufacturerPartNumber?@7.0 UnitOfMeasureSetRef?@7.0 SalesTaxCodeRef? "
        "SalesDesc? SalesPrice? IncomeAccountRef? PurchaseDesc? PurchaseCost? COGSAccountRef? PrefVendorRef? "
        "AssetAccountRef? ReorderPoint? Max?@13.0 QuantityOnHand? AverageCost? QuantityOnOrder? "
        "QuantityOnSalesOrder?@2.0 ExternalGUID?@8.0 DataExtRet*@2.0"
    ),
    "ItemSalesTaxRet": (
        "ListID TimeCreated TimeModified EditSequence Name BarCodeValue?@12.0 IsActive? ClassRef?@12.0 ItemDesc? "
        "TaxRate? TaxVendorRef? ExternalGUID?@8.0 DataExtRet*@2.0"
    ),
    "AccountRet": (
        "ListID TimeCreated TimeModified EditSequence Name FullName IsActive? ParentRef? Sublevel AccountType "
        "SpecialAccountType?@2.1 AccountNumber? BankNumber?@2.0 Desc? Balance? TotalBalance? "
        "CashFlowClassification?@2.1 CurrencyRef?@8.0 DataExtRet*@2.0"
    ),
    "SalesOrderRet": (
        f"{_HEAD} CustomerRef ClassRef? TemplateRef?@3.0 TxnDate RefNumber? {_ADDRESSES} {_SALES_MIDDLE} {_TAX} "
        f"TotalAmount? {_CURRENCY} IsManuallyClosed? IsFullyInvoiced? Memo? {_TAIL} Other?@6.0 ExternalGUID?@9.0 "
        "LinkedTxn* (SalesOrderLineRet | SalesOrderLineGroupRet)* DataExtRet*"
    ),
    "SalesOrderLineRet": (f"{_LINE} SalesTaxCodeRef? Invoiced? IsManuallyClosed? Other1?@6.0 Other2?@6.0 DataExtRet*"),
    "InvoiceRet": (
        f"{_HEAD} CustomerRef ClassRef? ARAccountRef? TemplateRef?@3.0 TxnDate RefNumber? {_ADDRESSES} IsPending? "
        f"IsFinanceCharge? {_SALES_MIDDLE} {_TAX} AppliedAmount? BalanceRemaining? CurrencyRef?@8.0 "
        "ExchangeRate?@8.0 BalanceRemainingInHomeCurrency?@8.0 Memo? IsPaid?@2.0 "
        f"{_TAIL} SuggestedDiscountAmount? SuggestedDiscountDate? Other?@6.0 ExternalGUID?@9.0 LinkedTxn*@1.1 "
        "(InvoiceLineRet | InvoiceLineGroupRet)* DataExtRet*@2.0"
    ),
    "InvoiceLineRet": f"{_LINE} ServiceDate? SalesTaxCodeRef? Other1?@6.0 Other2?@6.0 DataExtRet*@2.0",
    "SalesReceiptRet": (
        f"{_HEAD} CustomerRef? ClassRef? TemplateRef?@3.0 TxnDate RefNumber? {_ADDRESSES} IsPending? CheckNumber? "
        f"PaymentMethodRef? DueDate? SalesRepRef? ShipDate? ShipMethodRef? FOB? {_TAX} TotalAmount? {_CURRENCY} "
        f"Memo? {_TAIL} DepositToAccountRef? CreditCardTxnInfo?@4.1 Other?@6.0 ExternalGUID?@9.0 "
        "(SalesReceiptLineRet | SalesReceiptLineGroupRet)* DataExtRet*@2.0"
    ),
    "SalesReceiptLineRet": (
        f"{_LINE} ServiceDate? SalesTaxCodeRef? Other1?@6.0 Other2?@6.0 CreditCardTxnInfo?@7.0 DataExtRet*@2.0"
    ),
    "CreditMemoRet": (
        f"{_HEAD} CustomerRef ClassRef? ARAccountRef? TemplateRef?@3.0 TxnDate RefNumber? {_ADDRESSES} IsPending? "
        f"{_SALES_MIDDLE} {_TAX} TotalAmount? CreditRemaining?@2.0 CurrencyRef?@8.0 ExchangeRate?@8.0 "
        f"CreditRemainingInHomeCurrency?@8.0 Memo? {_TAIL} Other?@6.0 ExternalGUID?@9.0 LinkedTxn*@1.1 "
        "(CreditMemoLineRet | CreditMemoLineGroupRet)* DataExtRet*@2.0"
    ),
    "CreditMemoLineRet": (
        f"{_LINE} ServiceDate? SalesTaxCodeRef? Other1?@6.0 Other2?@6.0 CreditCardTxnInfo?@7.0 DataExtRet*@2.0"
    ),
    "EstimateRet": (
        f"{_HEAD} CustomerRef ClassRef? TemplateRef?@3.0 TxnDate RefNumber? BillAddress? BillAddressBlock?@6.0 "
        "ShipAddress?@7.0 ShipAddressBlock?@7.0 IsActive?@3.0 PONumber? TermsRef? DueDate? SalesRepRef? FOB? "
        f"{_TAX} TotalAmount? {_CURRENCY} Memo? CustomerMsgRef? IsToBeEmailed?@6.0 CustomerSalesTaxCodeRef? "
        "Other?@6.0 ExternalGUID?@9.0 LinkedTxn*@3.0 (EstimateLineRet | EstimateLineGroupRet)* DataExtRet*@2.0"
    ),
    "EstimateLineRet": (
        "TxnLineID ItemRef? Desc? Quantity? UnitOfMeasure?@7.0 OverrideUOMSetRef?@7.0 (Rate | RatePercent)? "
        "ClassRef? Amount? InventorySiteRef?@10.0 InventorySiteLocationRef?@12.0 SalesTaxCodeRef? "
        "(MarkupRate | MarkupRatePercent)? Other1?@6.0 Other2?@6.0 DataExtRet*@2.0"
    ),
    "PurchaseOrderRet": (
        f"{_HEAD} VendorRef? ClassRef? InventorySiteRef?@10.0 ShipToEntityRef? TemplateRef?@3.0 TxnDate RefNumber? "
        "VendorAddress? VendorAddressBlock?@6.0 ShipAddress? ShipAddressBlock?@6.0 TermsRef? DueDate? "
        f"ExpectedDate? ShipMethodRef? FOB? TotalAmount? {_CURRENCY} IsManuallyClosed?@2.1 IsFullyReceived?@2.1 "
        "Memo? VendorMsg? IsToBePrinted? IsToBeEmailed?@6.0 Other1?@6.0 Other2?@6.0 ExternalGUID?@9.0 "
        "LinkedTxn*@3.0 (PurchaseOrderLineRet | PurchaseOrderLineGroupRet)* DataExtRet*@2.0"
    ),
    "PurchaseOrderLineRet": (
        "TxnLineID ItemRef? ManufacturerPartNumber?@7.0 Desc? Quantity? UnitOfMeasure?@7.0 OverrideUOMSetRef?@7.0 "
        "Rate? ClassRef? Amount? InventorySiteLocationRef?@12.0 CustomerRef? ServiceDate? ReceivedQuantity?@1.1 "
        "UnbilledQuantity?@11.0 IsBilled?@11.0 IsManuallyClosed?@2.1 Other1?@6.0 Other2?@6.0 DataExtRet*@2.0"
    ),
    "ItemReceiptRet": (
        f"{_HEAD} VendorRef? APAccountRef? LiabilityAccountRef?@8.0 TxnDate TotalAmount? {_CURRENCY} RefNumber? "
        "Memo? ExternalGUID?@9.0 LinkedTxn*@4.0 ExpenseLineRet* (ItemLineRet | ItemGroupLineRet)* DataExtRet*@2.0"
    ),
    "BillRet": (
        f"{_HEAD} VendorRef VendorAddress?@6.0 VendorAddressBlock?@6.0 APAccountRef? TxnDate DueDate? AmountDue "
        "CurrencyRef?@8.0 ExchangeRate?@8.0 AmountDueInHomeCurrency?@8.0 RefNumber? TermsRef? Memo? IsPaid?@6.0 "
        "ExternalGUID?@9.0 LinkedTxn*@4.0 ExpenseLineRet* (ItemLineRet | ItemGroupLineRet)* OpenAmount?@8.0 "
        "DataExtRet*@2.0"
    ),
    "ItemLineRet": (
        "TxnLineID ItemRef? InventorySiteRef?@10.0 InventorySiteLocationRef?@12.0 (SerialNumber | LotNumber)?@11.0 "
        "Desc? Quantity? UnitOfMeasure?@7.0 OverrideUOMSetRef?@7.0 Cost? Amount? CustomerRef? ClassRef? "
        "SalesTaxCodeRef? BillableStatus?@6.0 DataExtRet*@2.0"
    ),
    "ReceivePaymentRet": (
        f"{_HEAD} CustomerRef? ARAccountRef? TxnDate? RefNumber? TotalAmount? {_CURRENCY} PaymentMethodRef? Memo? "
        "DepositToAccountRef? CreditCardTxnInfo?@4.1 UnusedPayment? UnusedCredits? ExternalGUID?@9.0 "
        "AppliedToTxnRet* DataExtRet*@2.0"
    ),
    "AppliedToTxnRet": (
        "TxnID TxnType TxnDate? RefNumber? BalanceRemaining? Amount? DiscountAmount? DiscountAccountRef? "
        "DiscountClassRef?@11.0 LinkedTxn*@10.0"
    ),
    "HostRet": (
        "ProductName MajorVersion MinorVersion Country?@3.0 SupportedQBXMLVersion+ IsAutomaticLogin?@3.0 QBFileMode@3.0"
    ),
    "CompanyRet": (
        "IsSampleCompany@3.0 CompanyName? LegalCompanyName? Address? AddressBlock?@6.0 LegalAddress? "
        "CompanyAddressForCustomer? CompanyAddressBlockForCustomer?@6.0 Phone? Fax? Email? CompanyWebSite? "
        "FirstMonthFiscalYear? FirstMonthIncomeTaxYear? CompanyType? EIN?@2.0 SSN?@2.1 TaxForm?@2.1 "
        "SubscribedServices?@7.0 AccountantCopy?@8.0 DataExtRet*@2.0"
    ),
    "PreferencesRet": (
        "AccountingPreferences FinanceChargePreferences JobsAndEstimatesPreferences MultiCurrencyPreferences?@8.0 "
        "MultiLocationInventoryPreferences?@10.0 PurchasesAndVendorsPreferences ReportsPreferences "
        "SalesAndCustomersPreferences SalesTaxPreferences? TimeTrackingPreferences? CurrentAppAccessRights"
    ),
    "AccountingPreferences": (
        "IsUsingAccountNumbers IsRequiringAccounts IsUsingClassTracking AssignClassesTo?@12.0 IsUsingAuditTrail "
        "IsAssigningJournalEntryNumbers ClosingDate?"
    ),
    "FinanceChargePreferences": (
        "AnnualInterestRate? MinFinanceCharge? GracePeriod FinanceChargeAccountRef? IsAssessingForOverdueCharges "
        "CalculateChargesFrom IsMarkedToBePrinted"
    ),
    "JobsAndEstimatesPreferences": "IsUsingEstimates IsUsingProgressInvoicing IsPrintingItemsWithZeroAmounts",
    "MultiCurrencyPreferences": "IsMultiCurrencyOn? HomeCurrencyRef?",
    "MultiLocationInventoryPreferences": "IsMultiLocationInventoryAvailable? IsMultiLocationInventoryEnabled?",
    "PurchasesAndVendorsPreferences": (
        "IsUsingInventory DaysBillsAreDue IsAutomaticallyUsingDiscounts DefaultDiscountAccountRef?"
    ),
    "ReportsPreferences": "AgingReportBasis SummaryReportBasis",
    "SalesAndCustomersPreferences": (
        "DefaultShipMethodRef? DefaultFOB? DefaultMarkup? IsTrackingReimbursedExpensesAsIncome IsAutoApplyingPayments"
    ),
    "SalesTaxPreferences": (
        "DefaultItemSalesTaxRef PaySalesTax DefaultTaxableSalesTaxCodeRef DefaultNonTaxableSalesTaxCodeRef"
    ),
    "TimeTrackingPreferences": "FirstDayOfWeek",
    "CurrentAppAccessRights": "IsAutomaticLoginAllowed AutomaticLoginUserName? IsPersonalDataAccessAllowed",
}

ORDERS: dict[str, list[Particle]] = {name: flatten(spec) for name, spec in LAYOUTS.items()}
