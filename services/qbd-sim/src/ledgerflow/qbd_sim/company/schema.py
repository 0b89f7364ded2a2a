"""The qbXML requests this company file understands, as ordered content models (see ``grammar``).

Written from the reference's §2.5 and checked element by element against Intuit's annotated 14.0 sample
(order, optionality, first version, QBD lengths). Elements the sample marks "not in QBD" are left out, so
a client that sends one fails here as it would against a US Desktop file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerflow.qbd_sim.company.grammar import Grammar, Version, parse_version

ADDRESS = (
    "Addr1?#41 Addr2?#41 Addr3?#41 Addr4?@2.0#41 Addr5?@6.0#41 City?#31 State?#21 PostalCode?#13 Country?#31 "
    "Note?@6.0#41"
)
_RATE = "(Rate | RatePercent | PriceLevelRef@4.0)?"
_SERIAL = "(SerialNumber#4095 | LotNumber#40)?@11.0"
_OTHERS = "Other1?@6.0#29 Other2?@6.0#29"
_DATA_EXT = "DataExt:DataExt*@5.0"
_LINE_HEAD = f"ItemRef? Desc?#4095 Quantity? UnitOfMeasure?@7.0#31 {_RATE} ClassRef? Amount?"
_LINE_MOD_HEAD = (
    f"TxnLineID ItemRef? Desc?#4095 Quantity? UnitOfMeasure?@7.0#31 OverrideUOMSetRef?@7.0 {_RATE} ClassRef? Amount?"
)
_SITES = "InventorySiteRef?@10.0 InventorySiteLocationRef?@12.0"
_GROUP_ADD = f"ItemGroupRef Quantity? UnitOfMeasure?@7.0 {_SITES} {_DATA_EXT}"
_FILTER = "(ListID+@2.0 | FullName+ | ListIDWithChildren@2.0 | FullNameWithChildren)"

# The head every sales form shares up to the lines; each form lists its own fields around it.
_SALES_TOP = "CustomerRef ClassRef? {ar}TemplateRef?@3.0 TxnDate? RefNumber?#11 BillAddress? ShipAddress?"
_SALES_MIDDLE = "PONumber?#25 TermsRef? DueDate? SalesRepRef? FOB?#13 ShipDate? ShipMethodRef? ItemSalesTaxRef?"
_SALES_TAIL = (
    "CustomerMsgRef? IsToBePrinted? IsToBeEmailed?@6.0 CustomerSalesTaxCodeRef? Other?@6.0#29 ExchangeRate?@8.0"
)

_CARD = "CreditCardTxnInputInfo:CardInput CreditCardTxnResultInfo:CardResult"


def _txn_query(*, account_filter: bool, paid_status: bool = False, linked: str | None = "") -> str:
    account = " AccountFilter:Filter?" if account_filter else ""
    paid = " PaidStatus?" if paid_status else ""
    linked_part = "" if linked is None else f" IncludeLinkedTxns?{linked}"
    return (
        "(TxnID+ | RefNumber+ | RefNumberCaseSensitive+@4.0 | MaxReturned? "
        "(ModifiedDateRangeFilter:ModifiedRange | TxnDateRangeFilter:TxnDateRange)? EntityFilter:Filter?"
        f"{account} (RefNumberFilter:RefNumberFilter | RefNumberRangeFilter:RefNumberRange)? "
        f"CurrencyFilter:CurrencyFilter?@8.0{paid}) IncludeLineItems?{linked_part} IncludeRetElement*@4.0#50 "
        "OwnerID*@2.0"
    )


def _list_query(extra: str = "") -> str:
    return (
        "(ListID+ | FullName+ | MaxReturned? ActiveStatus? FromModifiedDate? ToModifiedDate? "
        f"(NameFilter:NameFilter | NameRangeFilter:NameRange)?{extra}) IncludeRetElement*@4.0#50 OwnerID*@2.0"
    )


_ITEM_SALES = "(SalesOrPurchase:SalesOrPurchase | SalesAndPurchase:SalesAndPurchase) ExternalGUID?@8.0"
_BARCODE = "BarCode:BarCode?@12.0 IsActive? "

MODELS: dict[str, str] = {
    "Ref": "ListID? FullName?",
    "Address": ADDRESS,
    "DataExt": "OwnerID DataExtName#31 DataExtValue",
    "SetCredit": "CreditTxnID AppliedAmount Override?@10.0",
    "LinkToTxn": "TxnID TxnLineID",
    "CardInfo": _CARD,
    "CardInput": (
        "CreditCardNumber#25 ExpirationMonth ExpirationYear NameOnCard#41 CreditCardAddress?#41 "
        "CreditCardPostalCode?#18 CommercialCardCode?#24 TransactionMode?@6.0 CreditCardTxnType?@7.0"
    ),
    "CardResult": (
        "ResultCode ResultMessage#60 CreditCardTransID#24 MerchantAccountNumber#32 AuthorizationCode?#12 AVSStreet? "
        "AVSZip? CardSecurityCodeMatch?@6.0 ReconBatchID?#84 PaymentGroupingCode? PaymentStatus TxnAuthorizationTime "
        "TxnAuthorizationStamp? ClientTransID?@6.0#16"
    ),
    "CardInfoMod": "CreditCardTxnInputInfoMod:CardInputMod? CreditCardTxnResultInfoMod:CardResultMod?",
    "CardInputMod": (
        "CreditCardNumber?#25 ExpirationMonth? ExpirationYear? NameOnCard?#41 CreditCardAddress?#41 "
        "CreditCardPostalCode?#18 CommercialCardCode?#24 TransactionMode? CreditCardTxnType?"
    ),
    "CardResultMod": (
        "ResultCode? ResultMessage?#60 CreditCardTransID?#24 MerchantAccountNumber?#32 AuthorizationCode?#12 "
        "AVSStreet? AVSZip? CardSecurityCodeMatch? ReconBatchID?#84 PaymentGroupingCode? PaymentStatus? "
        "TxnAuthorizationTime? TxnAuthorizationStamp? ClientTransID?#16"
    ),
    # query filters
    "Filter": _FILTER,
    "CurrencyFilter": "(ListID+ | FullName+)",
    "ModifiedRange": "FromModifiedDate? ToModifiedDate?",
    "TxnDateRange": "(FromTxnDate? ToTxnDate? | DateMacro)",
    "RefNumberFilter": "MatchCriterion RefNumber",
    "RefNumberRange": "FromRefNumber? ToRefNumber?",
    "NameFilter": "MatchCriterion Name",
    "NameRange": "FromName? ToName?",
    "BalanceFilter": "Operator Amount",
    # lists
    "CustomerAdd": (
        "Name#41 IsActive? ClassRef?@12.0 ParentRef? CompanyName?#41 Salutation?#15 FirstName?#25 MiddleName?#5 "
        "LastName?#25 JobTitle?@12.0#41 BillAddress? ShipAddress? ShipToAddress:ShipToAddress*@12.0 Phone?#21 "
        "AltPhone?#21 Fax?#21 Email?#1023 Cc?@12.0#1023 Contact?#41 AltContact?#41 "
        "AdditionalContactRef:ContactRef*@12.0 Contacts:Contacts*@12.0 CustomerTypeRef? TermsRef? SalesRepRef? "
        "OpenBalance? OpenBalanceDate? SalesTaxCodeRef? ItemSalesTaxRef? ResaleNumber?#15 AccountNumber?#99 "
        "CreditLimit? PreferredPaymentMethodRef?@3.0 CreditCardInfo:CustomerCard?@3.0 JobStatus? JobStartDate? "
        "JobProjectedEndDate? JobEndDate? JobDesc?#99 JobTypeRef? Notes?@3.0#4095 AdditionalNotes:Note*@12.0 "
        "PreferredDeliveryMethod?@12.0 PriceLevelRef?@4.0 ExternalGUID?@8.0 CurrencyRef?@8.0"
    ),
    "ShipToAddress": f"Name#41 {ADDRESS} DefaultShipTo?",
    "ContactRef": "ContactName#40 ContactValue#255",
    "Contacts": "Salutation?#15 FirstName#25 MiddleName?#5 LastName?#25 JobTitle?#41 AdditionalContactRef:ContactRef*",
    "Note": "Note#4095",
    "CustomerCard": (
        "CreditCardNumber?#25 ExpirationMonth? ExpirationYear? NameOnCard?#41 CreditCardAddress?#41 "
        "CreditCardPostalCode?#41"
    ),
    "VendorAdd": (
        "Name#41 IsActive? ClassRef?@12.0 CompanyName?#41 Salutation?#15 FirstName?#25 MiddleName?#5 LastName?#25 "
        "JobTitle?@12.0#41 VendorAddress? ShipAddress?@11.0 Phone?#21 AltPhone?#21 Fax?#21 Email?#1023 "
        "Cc?@12.0#1023 Contact?#41 AltContact?#41 AdditionalContactRef:ContactRef*@12.0 Contacts:Contacts*@12.0 "
        "NameOnCheck?#41 AccountNumber?#99 Notes?@3.0#4095 AdditionalNotes:Note*@12.0 VendorTypeRef? TermsRef? "
        "CreditLimit? VendorTaxIdent?#15 IsVendorEligibleFor1099? OpenBalance? OpenBalanceDate? "
        "BillingRateRef?@6.0 ExternalGUID?@8.0 PrefillAccountRef*@8.0 CurrencyRef?@8.0"
    ),
    "BarCode": "BarCodeValue?#50 AssignEvenIfUsed? AllowOverride?",
    "SalesOrPurchase": "Desc?#4095 (Price | PricePercent)? AccountRef?",
    "SalesAndPurchase": (
        "SalesDesc?#4095 SalesPrice? IncomeAccountRef? PurchaseDesc?#4095 PurchaseCost? ExpenseAccountRef? "
        "PrefVendorRef?"
    ),
    "ItemNonInventoryAdd": (
        f"Name#31 {_BARCODE}ParentRef? ClassRef?@12.0 ManufacturerPartNumber?@7.0#31 UnitOfMeasureSetRef?@7.0 "
        f"SalesTaxCodeRef? {_ITEM_SALES}"
    ),
    "ItemServiceAdd": (
        f"Name#31 {_BARCODE}ClassRef?@12.0 ParentRef? UnitOfMeasureSetRef?@7.0 SalesTaxCodeRef? {_ITEM_SALES}"
    ),
    "ItemOtherChargeAdd": f"Name#31 {_BARCODE}ClassRef?@12.0 ParentRef? SalesTaxCodeRef? {_ITEM_SALES}",
    "ItemInventoryAdd": (
        f"Name#31 {_BARCODE}ClassRef?@12.0 ParentRef? ManufacturerPartNumber?@7.0#31 UnitOfMeasureSetRef?@7.0 "
        "SalesTaxCodeRef? SalesDesc?#4095 SalesPrice? IncomeAccountRef? PurchaseDesc?#4095 PurchaseCost? "
        "COGSAccountRef? PrefVendorRef? AssetAccountRef? ReorderPoint? Max?@13.0 QuantityOnHand? TotalValue? "
        "InventoryDate? ExternalGUID?@8.0"
    ),
    "ItemSalesTaxAdd": (f"Name#31 {_BARCODE}ClassRef?@12.0 ItemDesc?#4095 TaxRate? TaxVendorRef? ExternalGUID?@8.0"),
    # sales orders
    "SalesOrderAdd": (
        f"{_SALES_TOP.format(ar='')} {_SALES_MIDDLE} IsManuallyClosed? Memo?#4095 {_SALES_TAIL} ExternalGUID?@9.0 "
        "(SalesOrderLineAdd:SalesOrderLine | SalesOrderLineGroupAdd:SalesOrderGroup)+"
    ),
    "SalesOrderLine": (
        f"{_LINE_HEAD} OptionForPriceRuleConflict?@13.0 {_SITES} {_SERIAL} SalesTaxCodeRef? IsManuallyClosed? "
        f"{_OTHERS} {_DATA_EXT}"
    ),
    "SalesOrderGroup": _GROUP_ADD,
    "SalesOrderMod": (
        "TxnID EditSequence#16 CustomerRef? ClassRef? TemplateRef? TxnDate? RefNumber?#11 BillAddress? ShipAddress? "
        f"{_SALES_MIDDLE} IsManuallyClosed? Memo?#4095 {_SALES_TAIL} "
        "(SalesOrderLineMod:SalesOrderLineMod | SalesOrderLineGroupMod:SalesOrderGroupMod)*"
    ),
    "SalesOrderLineMod": (
        f"{_LINE_MOD_HEAD} OptionForPriceRuleConflict?@13.0 {_SITES} {_SERIAL} SalesTaxCodeRef? IsManuallyClosed? "
        f"{_OTHERS}"
    ),
    "SalesOrderGroupMod": (
        "TxnLineID ItemGroupRef? Quantity? UnitOfMeasure?@7.0#31 OverrideUOMSetRef?@7.0 "
        "SalesOrderLineMod:SalesOrderLineMod*"
    ),
    # invoices
    "InvoiceAdd": (
        f"{_SALES_TOP.format(ar='ARAccountRef? ')} IsPending? IsFinanceCharge?@8.0 {_SALES_MIDDLE} Memo?#4095 "
        f"{_SALES_TAIL} ExternalGUID?@9.0 LinkToTxnID*@6.0 SetCredit:SetCredit*@10.0 "
        "(InvoiceLineAdd:InvoiceLine | InvoiceLineGroupAdd:InvoiceGroup)*"
    ),
    "InvoiceLine": (
        f"{_LINE_HEAD} OptionForPriceRuleConflict?@13.0 {_SITES} {_SERIAL} ServiceDate? SalesTaxCodeRef? "
        f"OverrideItemAccountRef?@2.0 {_OTHERS} LinkToTxn:LinkToTxn?@6.0 {_DATA_EXT}"
    ),
    "InvoiceGroup": _GROUP_ADD,
    "InvoiceMod": (
        "TxnID EditSequence#16 CustomerRef? ClassRef? ARAccountRef? TemplateRef?@3.0 TxnDate? RefNumber?#11 "
        f"BillAddress? ShipAddress? IsPending? {_SALES_MIDDLE} Memo?#4095 {_SALES_TAIL} SetCredit:SetCredit*@10.0 "
        "(InvoiceLineMod:InvoiceLineMod | InvoiceLineGroupMod:InvoiceGroupMod)*"
    ),
    "InvoiceLineMod": (
        f"{_LINE_MOD_HEAD} OptionForPriceRuleConflict?@13.0 {_SITES} {_SERIAL} ServiceDate? SalesTaxCodeRef? "
        f"OverrideItemAccountRef? {_OTHERS}"
    ),
    "InvoiceGroupMod": (
        "TxnLineID ItemGroupRef? Quantity? UnitOfMeasure?@7.0#31 OverrideUOMSetRef?@7.0 InvoiceLineMod:InvoiceLineMod*"
    ),
    # receipts, credit memos, estimates, purchase orders
    "SalesReceiptAdd": (
        "CustomerRef? ClassRef? TemplateRef?@3.0 TxnDate? RefNumber?#11 BillAddress? ShipAddress? IsPending? "
        "CheckNumber?#25 PaymentMethodRef? DueDate? SalesRepRef? ShipDate? ShipMethodRef? FOB?#13 ItemSalesTaxRef? "
        "Memo?#4095 CustomerMsgRef? IsToBePrinted? IsToBeEmailed?@6.0 CustomerSalesTaxCodeRef? DepositToAccountRef? "
        "CreditCardTxnInfo:CardInfo?@4.1 Other?@6.0#29 ExchangeRate?@8.0 ExternalGUID?@9.0 "
        "(SalesReceiptLineAdd:SalesReceiptLine | SalesReceiptLineGroupAdd:SalesReceiptGroup)+"
    ),
    "SalesReceiptLine": (
        f"{_LINE_HEAD} OptionForPriceRuleConflict?@13.0 {_SITES} {_SERIAL} ServiceDate? SalesTaxCodeRef? "
        f"OverrideItemAccountRef?@2.0 {_OTHERS} CreditCardTxnInfo:CardInfo?@7.0 {_DATA_EXT}"
    ),
    "SalesReceiptGroup": _GROUP_ADD,
    "CreditMemoAdd": (
        f"{_SALES_TOP.format(ar='ARAccountRef? ')} IsPending? {_SALES_MIDDLE} Memo?#4095 {_SALES_TAIL} "
        "ExternalGUID?@9.0 (CreditMemoLineAdd:CreditMemoLine | CreditMemoLineGroupAdd:CreditMemoGroup)+"
    ),
    "CreditMemoLine": (
        f"{_LINE_HEAD} {_SITES} {_SERIAL} ServiceDate? SalesTaxCodeRef? OverrideItemAccountRef?@2.0 {_OTHERS} "
        f"CreditCardTxnInfo:CardInfo?@7.0 {_DATA_EXT}"
    ),
    "CreditMemoGroup": _GROUP_ADD,
    "EstimateAdd": (
        "CustomerRef ClassRef? TemplateRef?@3.0 TxnDate? RefNumber?#11 BillAddress? ShipAddress?@7.0 IsActive?@3.0 "
        "PONumber?#25 TermsRef? DueDate? SalesRepRef? FOB?#13 ItemSalesTaxRef? Memo?#4095 CustomerMsgRef? "
        "IsToBeEmailed?@6.0 CustomerSalesTaxCodeRef? Other?@6.0#29 ExchangeRate?@8.0 ExternalGUID?@9.0 "
        "(EstimateLineAdd:EstimateLine | EstimateLineGroupAdd:EstimateGroup)+"
    ),
    "EstimateLine": (
        "ItemRef? Desc?#4095 Quantity? UnitOfMeasure?@7.0#31 (Rate | RatePercent)? ClassRef? Amount? "
        f"OptionForPriceRuleConflict?@13.0 {_SITES} SalesTaxCodeRef? "
        f"(MarkupRate | MarkupRatePercent | PriceLevelRef@7.0)? OverrideItemAccountRef?@2.0 {_OTHERS} {_DATA_EXT}"
    ),
    "EstimateGroup": _GROUP_ADD,
    "PurchaseOrderAdd": (
        "VendorRef? ClassRef? (InventorySiteRef@10.0 | ShipToEntityRef)? TemplateRef?@3.0 TxnDate? RefNumber?#11 "
        "VendorAddress? ShipAddress? TermsRef? DueDate? ExpectedDate? ShipMethodRef? FOB?#13 Memo?#4095 "
        "VendorMsg?#99 IsToBePrinted? IsToBeEmailed?@6.0 Other1?@6.0#25 Other2?@6.0#29 ExchangeRate?@8.0 "
        "ExternalGUID?@9.0 (PurchaseOrderLineAdd:PurchaseOrderLine | PurchaseOrderLineGroupAdd:PurchaseOrderGroup)+"
    ),
    "PurchaseOrderLine": (
        "ItemRef? ManufacturerPartNumber?@7.0#31 Desc?#4095 Quantity? UnitOfMeasure?@7.0#31 Rate? ClassRef? Amount? "
        f"InventorySiteLocationRef?@12.0 CustomerRef? ServiceDate? OverrideItemAccountRef?@2.0 {_OTHERS} {_DATA_EXT}"
    ),
    "PurchaseOrderGroup": "ItemGroupRef Quantity? UnitOfMeasure?@7.0#31 InventorySiteLocationRef?@12.0 " + _DATA_EXT,
    "PurchaseOrderMod": (
        "TxnID EditSequence#16 VendorRef? ClassRef? (InventorySiteRef@10.0 | ShipToEntityRef)? TemplateRef? TxnDate? "
        "RefNumber?#11 VendorAddress? ShipAddress? TermsRef? DueDate? ExpectedDate? ShipMethodRef? FOB?#13 "
        "IsManuallyClosed? Memo?#4095 VendorMsg?#99 IsToBePrinted? IsToBeEmailed?@6.0 Other1?@6.0#25 "
        "Other2?@6.0#29 ExchangeRate?@8.0 "
        "(PurchaseOrderLineMod:PurchaseOrderLineMod | PurchaseOrderLineGroupMod:PurchaseOrderGroupMod)*"
    ),
    "PurchaseOrderLineMod": (
        "TxnLineID ItemRef? ManufacturerPartNumber?@7.0#31 Desc?#4095 Quantity? UnitOfMeasure?@7.0#31 "
        "OverrideUOMSetRef?@7.0 Rate? ClassRef? Amount? InventorySiteLocationRef?@12.0 CustomerRef? ServiceDate? "
        f"OverrideItemAccountRef?@2.0 IsManuallyClosed? {_OTHERS}"
    ),
    "PurchaseOrderGroupMod": (
        "TxnLineID ItemGroupRef? Quantity? UnitOfMeasure?@7.0#31 OverrideUOMSetRef?@7.0 "
        "PurchaseOrderLineMod:PurchaseOrderLineMod*"
    ),
    # goods and bills received against purchase orders; expense lines are not simulated (a request with one
    # fails to parse here, where QuickBooks would take it)
    "ItemReceiptAdd": (
        "VendorRef APAccountRef? TxnDate? RefNumber?#20 Memo?#4095 ExchangeRate?@8.0 ExternalGUID?@9.0 "
        "LinkToTxnID*@4.0 (ItemLineAdd:ItemLine | ItemGroupLineAdd:ItemGroupLine)*"
    ),
    "BillAdd": (
        "VendorRef VendorAddress? APAccountRef? TxnDate? DueDate? RefNumber?#20 TermsRef? Memo?#4095 "
        "ExchangeRate?@8.0 ExternalGUID?@9.0 LinkToTxnID*@4.0 (ItemLineAdd:ItemLine | ItemGroupLineAdd:ItemGroupLine)*"
    ),
    "ItemLine": (
        f"ItemRef? {_SITES} {_SERIAL} Desc?#4095 Quantity? UnitOfMeasure?@7.0#31 Cost? Amount? CustomerRef? "
        f"ClassRef? BillableStatus?@6.0 OverrideItemAccountRef?@2.0 LinkToTxn:LinkToTxn?@4.0 {_DATA_EXT}"
    ),
    "ItemGroupLine": f"ItemGroupRef Quantity? UnitOfMeasure?@7.0#31 {_SITES} {_DATA_EXT}",
    # payments
    "ReceivePaymentAdd": (
        "CustomerRef ARAccountRef? TxnDate? RefNumber?#20 TotalAmount? ExchangeRate?@8.0 PaymentMethodRef? "
        "Memo?#4095 DepositToAccountRef? CreditCardTxnInfo:CardInfo?@4.1 ExternalGUID?@9.0 "
        "(IsAutoApply | AppliedToTxnAdd:AppliedToTxnAdd+)"
    ),
    "AppliedToTxnAdd": (
        "TxnID PaymentAmount? SetCredit:SetCredit* DiscountAmount? DiscountAccountRef? DiscountClassRef?@11.0"
    ),
    "ReceivePaymentMod": (
        "TxnID EditSequence#16 CustomerRef? ARAccountRef? TxnDate? RefNumber?#20 TotalAmount? ExchangeRate?@8.0 "
        "PaymentMethodRef? Memo?#4095 DepositToAccountRef? CreditCardTxnInfoMod:CardInfoMod?@7.0 "
        "AppliedToTxnMod:AppliedToTxnMod*"
    ),
    "AppliedToTxnMod": (
        "TxnID PaymentAmount? SetCredit:SetCredit* DiscountAmount? DiscountAccountRef? DiscountClassRef?@11.0"
    ),
    # request bodies (the …Rq elements themselves)
    "HostQueryRq": "IncludeListMetaData?@6.0 IncludeRetElement*@4.0#50",
    "CompanyQueryRq": "IncludeRetElement*@4.0#50 OwnerID*@2.0",
    "PreferencesQueryRq": "IncludeRetElement*@4.0#50",
    "CustomerQueryRq": _list_query(
        " TotalBalanceFilter:BalanceFilter? CurrencyFilter:CurrencyFilter?@8.0 ClassFilter:Filter?@12.0"
    ),
    "VendorQueryRq": _list_query(
        " TotalBalanceFilter:BalanceFilter? CurrencyFilter:CurrencyFilter?@8.0 ClassFilter:Filter?@12.0"
    ),
    "ItemQueryRq": _list_query(),
    "AccountQueryRq": _list_query(" AccountType* CurrencyFilter:CurrencyFilter?@8.0"),
    "SalesOrderQueryRq": _txn_query(account_filter=False, linked="@2.0"),
    "InvoiceQueryRq": _txn_query(account_filter=True, paid_status=True),
    "ReceivePaymentQueryRq": _txn_query(account_filter=True, linked=None),
    "SalesReceiptQueryRq": _txn_query(account_filter=True, linked=None),
    "PurchaseOrderQueryRq": _txn_query(account_filter=True, linked="@3.0"),
    "CreditMemoQueryRq": _txn_query(account_filter=True),
    "EstimateQueryRq": _txn_query(account_filter=True, linked="@3.0"),
    "ItemReceiptQueryRq": _txn_query(account_filter=True, linked="@4.0"),
    "BillQueryRq": _txn_query(account_filter=True, paid_status=True, linked="@4.0"),
    "TxnDelRq": "TxnDelType TxnID",
}

_TXN_TYPES = (
    "ARRefundCreditCard Bill BillPaymentCheck BillPaymentCreditCard BuildAssembly Charge Check CreditCardCharge "
    "CreditCardCredit CreditMemo Deposit Estimate InventoryAdjustment Invoice ItemReceipt JournalEntry PurchaseOrder "
    "ReceivePayment SalesOrder SalesReceipt SalesTaxPaymentCheck TimeTracking TransferInventory VehicleMileage "
    "VendorCredit"
)
_ACCOUNT_TYPES = (
    "AccountsPayable AccountsReceivable Bank CostOfGoodsSold CreditCard Equity Expense FixedAsset Income "
    "LongTermLiability NonPosting OtherAsset OtherCurrentAsset OtherCurrentLiability OtherExpense OtherIncome"
)
_DATE_MACROS = (
    "All Today ThisWeek ThisWeekToDate ThisMonth ThisMonthToDate ThisCalendarQuarter ThisCalendarQuarterToDate "
    "ThisFiscalQuarter ThisFiscalQuarterToDate ThisCalendarYear ThisCalendarYearToDate ThisFiscalYear "
    "ThisFiscalYearToDate Yesterday LastWeek LastWeekToDate LastMonth LastMonthToDate LastCalendarQuarter "
    "LastCalendarQuarterToDate LastFiscalQuarter LastFiscalQuarterToDate LastCalendarYear LastCalendarYearToDate "
    "LastFiscalYear LastFiscalYearToDate NextWeek NextFourWeeks NextMonth NextCalendarQuarter NextCalendarYear "
    "NextFiscalQuarter NextFiscalYear"
)

ENUMS: dict[str, frozenset[str]] = {
    "MatchCriterion": frozenset({"StartsWith", "Contains", "EndsWith"}),
    "ActiveStatus": frozenset({"ActiveOnly", "InactiveOnly", "All"}),
    "PaidStatus": frozenset({"All", "PaidOnly", "NotPaidOnly"}),
    "TxnDelType": frozenset(_TXN_TYPES.split()),
    "AccountType": frozenset(_ACCOUNT_TYPES.split()),
    "DateMacro": frozenset(_DATE_MACROS.split()),
    "Operator": frozenset({"LessThan", "LessThanEqual", "Equal", "GreaterThan", "GreaterThanEqual"}),
    "JobStatus": frozenset({"Awarded", "Closed", "InProgress", "None", "NotAwarded", "Pending"}),
    "PreferredDeliveryMethod": frozenset({"None", "Email", "Fax"}),
    "OptionForPriceRuleConflict": frozenset({"Zero", "BasePrice"}),
    "BillableStatus": frozenset({"Billable", "NotBillable", "HasBeenBilled"}),
}

# XSD lengths of a reference's FullName, by the reference's element name (§2.4).
REF_LENGTHS: dict[str, int] = {
    "CustomerRef": 209,
    "ParentRef": 209,
    "ShipToEntityRef": 209,
    "VendorRef": 41,
    "PrefVendorRef": 41,
    "TaxVendorRef": 41,
    "ClassRef": 159,
    "DiscountClassRef": 159,
    "ARAccountRef": 159,
    "APAccountRef": 159,
    "AccountRef": 159,
    "DepositToAccountRef": 159,
    "IncomeAccountRef": 159,
    "ExpenseAccountRef": 159,
    "COGSAccountRef": 159,
    "AssetAccountRef": 159,
    "DiscountAccountRef": 159,
    "OverrideItemAccountRef": 159,
    "TemplateRef": 31,
    "TermsRef": 31,
    "SalesRepRef": 5,
    "ShipMethodRef": 15,
    "ItemSalesTaxRef": 31,
    "CustomerMsgRef": 101,
    "SalesTaxCodeRef": 3,
    "CustomerSalesTaxCodeRef": 3,
    "PaymentMethodRef": 31,
    "PreferredPaymentMethodRef": 31,
    "PriceLevelRef": 31,
    "UnitOfMeasureSetRef": 31,
    "InventorySiteRef": 31,
    "CustomerTypeRef": 159,
    "VendorTypeRef": 159,
    "JobTypeRef": 159,
}

# Elements Intuit marks "may be macro value" (and LinkToTxnID, behind a switch checked at run time).
MACRO_FIELDS = frozenset(
    {
        ("AppliedToTxnAdd", "TxnID"),
        ("SetCredit", "CreditTxnID"),
        ("InvoiceAdd", "LinkToTxnID"),
        ("ItemReceiptAdd", "LinkToTxnID"),
        ("BillAdd", "LinkToTxnID"),
    }
)

TXN_ADDS = (
    "SalesOrder",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "Estimate",
    "PurchaseOrder",
    "ReceivePayment",
    "ItemReceipt",
    "Bill",
)
DEF_MACRO_MODELS = frozenset(
    [f"{t}Add" for t in TXN_ADDS]
    + ["SalesOrderLine", "InvoiceLine", "SalesReceiptLine", "CreditMemoLine", "PurchaseOrderLine", "ItemLine"]
)

GRAMMAR = Grammar(MODELS, ENUMS, REF_LENGTHS, MACRO_FIELDS, DEF_MACRO_MODELS)

_PLAIN = frozenset({"requestID"})
_ITERABLE = frozenset({"requestID", "metaData", "iterator", "iteratorID"})
_META = frozenset({"requestID", "metaData"})


@dataclass(frozen=True)
class RequestKind:
    """One ``…Rq`` element: the model of its body, the version it appeared in, the attributes it accepts."""

    model: str
    since: Version
    attributes: frozenset[str]
    wraps: str | None = None  # an Add/Mod's single child element (``SalesOrderAdd`` in ``SalesOrderAddRq``)


def _wrapped(name: str, since: str = "1.0") -> RequestKind:
    model = f"{name}Rq"
    MODELS[model] = f"{name}:{name} IncludeRetElement*@4.0#50"
    return RequestKind(model, parse_version(since), _PLAIN, name)


REQUESTS: dict[str, RequestKind] = {
    "HostQueryRq": RequestKind("HostQueryRq", (1, 0), _PLAIN),
    "CompanyQueryRq": RequestKind("CompanyQueryRq", (1, 0), _PLAIN),
    "PreferencesQueryRq": RequestKind("PreferencesQueryRq", (1, 1), _PLAIN),
    "CustomerQueryRq": RequestKind("CustomerQueryRq", (1, 0), _ITERABLE),
    "VendorQueryRq": RequestKind("VendorQueryRq", (1, 0), _ITERABLE),
    "ItemQueryRq": RequestKind("ItemQueryRq", (1, 0), _ITERABLE),
    "AccountQueryRq": RequestKind("AccountQueryRq", (1, 0), _META),
    "SalesOrderQueryRq": RequestKind("SalesOrderQueryRq", (2, 1), _ITERABLE),
    "InvoiceQueryRq": RequestKind("InvoiceQueryRq", (1, 0), _ITERABLE),
    "ReceivePaymentQueryRq": RequestKind("ReceivePaymentQueryRq", (1, 1), _ITERABLE),
    "SalesReceiptQueryRq": RequestKind("SalesReceiptQueryRq", (1, 0), _ITERABLE),
    "PurchaseOrderQueryRq": RequestKind("PurchaseOrderQueryRq", (1, 0), _ITERABLE),
    "CreditMemoQueryRq": RequestKind("CreditMemoQueryRq", (1, 0), _ITERABLE),
    "EstimateQueryRq": RequestKind("EstimateQueryRq", (1, 0), _ITERABLE),
    "ItemReceiptQueryRq": RequestKind("ItemReceiptQueryRq", (2, 1), _ITERABLE),
    "BillQueryRq": RequestKind("BillQueryRq", (1, 0), _ITERABLE),
    "TxnDelRq": RequestKind("TxnDelRq", (1, 1), _PLAIN),
    "CustomerAddRq": _wrapped("CustomerAdd"),
    "VendorAddRq": _wrapped("VendorAdd"),
    "ItemNonInventoryAddRq": _wrapped("ItemNonInventoryAdd"),
    "ItemServiceAddRq": _wrapped("ItemServiceAdd"),
    "ItemOtherChargeAddRq": _wrapped("ItemOtherChargeAdd"),
    "ItemInventoryAddRq": _wrapped("ItemInventoryAdd"),
    "ItemSalesTaxAddRq": _wrapped("ItemSalesTaxAdd"),
    "SalesOrderAddRq": _wrapped("SalesOrderAdd", "2.1"),
    "SalesOrderModRq": _wrapped("SalesOrderMod", "3.0"),
    "InvoiceAddRq": _wrapped("InvoiceAdd"),
    "InvoiceModRq": _wrapped("InvoiceMod", "2.1"),
    "ReceivePaymentAddRq": _wrapped("ReceivePaymentAdd", "1.1"),
    "ReceivePaymentModRq": _wrapped("ReceivePaymentMod", "6.0"),
    "SalesReceiptAddRq": _wrapped("SalesReceiptAdd"),
    "PurchaseOrderAddRq": _wrapped("PurchaseOrderAdd"),
    "PurchaseOrderModRq": _wrapped("PurchaseOrderMod", "4.0"),
    "ItemReceiptAddRq": _wrapped("ItemReceiptAdd", "2.1"),
    "BillAddRq": _wrapped("BillAdd"),
    "CreditMemoAddRq": _wrapped("CreditMemoAdd"),
    "EstimateAddRq": _wrapped("EstimateAdd"),
}

ATTRIBUTE_ENUMS: dict[str, frozenset[str]] = {
    "iterator": frozenset({"Start", "Continue", "Stop"}),
    "metaData": frozenset({"NoMetaData", "MetaDataOnly", "MetaDataAndResponseData"}),
}

SUPPORTED_VERSIONS: tuple[str, ...] = (
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
    "14.0",
    "15.0",
    "16.0",
)

for _model in MODELS:  # a typo in a spec should fail at import, not in the middle of a message set
    GRAMMAR.model(_model)
