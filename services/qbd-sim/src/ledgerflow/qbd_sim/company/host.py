"""HostQuery, CompanyQuery (with the FileID data extension) and PreferencesQuery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from ledgerflow.qbd_sim.company.context import Context, Result, RetSpec
from ledgerflow.qbd_sim.company.lists import DEFAULT_TAX_ITEM, HOME_CURRENCY
from ledgerflow.qbd_sim.company.render import Nested
from ledgerflow.qbd_sim.company.schema import SUPPORTED_VERSIONS
from ledgerflow.qbd_sim.company.settings import Edition

PRODUCTS = {
    Edition.PRO: "QuickBooks Pro 2024",
    Edition.PREMIER: "QuickBooks Premier Edition 2024",
    Edition.ENTERPRISE: "QuickBooks Enterprise Solutions 24.0",
}
MAJOR_VERSION = "34"  # QuickBooks 2024


@dataclass(frozen=True)
class CompanyInfo:
    name: str


def host_ret(ctx: Context) -> RetSpec:
    return RetSpec(
        "HostRet",
        "HostRet",
        {
            "ProductName": PRODUCTS[ctx.edition],
            "MajorVersion": MAJOR_VERSION,
            "MinorVersion": "0",
            "Country": "US",
            "SupportedQBXMLVersion": list(SUPPORTED_VERSIONS),
            "IsAutomaticLogin": False,
            "QBFileMode": "SingleUser",
        },
    )


def company_ret(ctx: Context, info: CompanyInfo, owners: list[str]) -> RetSpec:
    data_ext = [
        Nested("DataExtRet", {"OwnerID": owner, "DataExtName": name, "DataExtType": "STR255TYPE", "DataExtValue": v})
        for (owner, name), v in sorted(ctx.store.company_data_ext.items())
        if owner in owners
    ]
    values: dict[str, Any] = {
        "IsSampleCompany": False,
        "CompanyName": info.name,
        "LegalCompanyName": info.name,
        "FirstMonthFiscalYear": "January",
        "FirstMonthIncomeTaxYear": "January",
        "CompanyType": "Retail",
        "DataExtRet": data_ext,
    }
    return RetSpec("CompanyRet", "CompanyRet", values)


def _ref(ctx: Context, kind: str, name: str) -> Any:
    entry = ctx.store.by_name((kind,), name)
    return entry.ref if entry else None


def preferences_ret(ctx: Context) -> RetSpec:
    accounting: dict[str, Any] = {
        "IsUsingAccountNumbers": False,
        "IsRequiringAccounts": True,
        "IsUsingClassTracking": False,
        "IsUsingAuditTrail": True,
        "IsAssigningJournalEntryNumbers": True,
        "ClosingDate": ctx.store.closing_date,
    }
    values: dict[str, Any] = {
        "AccountingPreferences": Nested("AccountingPreferences", accounting),
        "FinanceChargePreferences": Nested(
            "FinanceChargePreferences",
            {
                "GracePeriod": "0",
                "IsAssessingForOverdueCharges": False,
                "CalculateChargesFrom": "DueDate",
                "IsMarkedToBePrinted": False,
            },
        ),
        "JobsAndEstimatesPreferences": Nested(
            "JobsAndEstimatesPreferences",
            {"IsUsingEstimates": True, "IsUsingProgressInvoicing": False, "IsPrintingItemsWithZeroAmounts": False},
        ),
        "MultiCurrencyPreferences": Nested(
            "MultiCurrencyPreferences",
            {
                "IsMultiCurrencyOn": ctx.switches.multicurrency,
                "HomeCurrencyRef": _ref(ctx, "Currency", HOME_CURRENCY) if ctx.switches.multicurrency else None,
            },
        ),
        "MultiLocationInventoryPreferences": Nested(
            "MultiLocationInventoryPreferences",
            {
                "IsMultiLocationInventoryAvailable": ctx.edition is Edition.ENTERPRISE,
                "IsMultiLocationInventoryEnabled": False,
            },
        ),
        "PurchasesAndVendorsPreferences": Nested(
            "PurchasesAndVendorsPreferences",
            {"IsUsingInventory": True, "DaysBillsAreDue": "10", "IsAutomaticallyUsingDiscounts": False},
        ),
        "ReportsPreferences": Nested(
            "ReportsPreferences", {"AgingReportBasis": "AgeFromDueDate", "SummaryReportBasis": "Accrual"}
        ),
        "SalesAndCustomersPreferences": Nested(
            "SalesAndCustomersPreferences",
            {"IsTrackingReimbursedExpensesAsIncome": False, "IsAutoApplyingPayments": True},
        ),
        "SalesTaxPreferences": Nested(
            "SalesTaxPreferences",
            {
                "DefaultItemSalesTaxRef": _ref(ctx, "ItemSalesTax", DEFAULT_TAX_ITEM),
                "PaySalesTax": "Monthly",
                "DefaultTaxableSalesTaxCodeRef": _ref(ctx, "SalesTaxCode", "Tax"),
                "DefaultNonTaxableSalesTaxCodeRef": _ref(ctx, "SalesTaxCode", "Non"),
            },
        ),
        "TimeTrackingPreferences": Nested("TimeTrackingPreferences", {"FirstDayOfWeek": "Monday"}),
        "CurrentAppAccessRights": Nested(
            "CurrentAppAccessRights", {"IsAutomaticLoginAllowed": False, "IsPersonalDataAccessAllowed": False}
        ),
    }
    return RetSpec("PreferencesRet", "PreferencesRet", values)


def host_query(ctx: Context, request: etree._Element) -> Result:
    return Result(rets=[host_ret(ctx)])


def company_query(ctx: Context, request: etree._Element, info: CompanyInfo) -> Result:
    owners = [element.text or "" for element in request.findall("OwnerID")]
    return Result(rets=[company_ret(ctx, info, owners)])


def preferences_query(ctx: Context, request: etree._Element) -> Result:
    return Result(rets=[preferences_ret(ctx)])
