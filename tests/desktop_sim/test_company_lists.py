"""Lists in the company file: names, items, accounts, list queries and iterators, host/company/preferences."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from ledgerflow.qbd_sim.company import CompanyFile, Edition

PATH = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\shop-a.qbw"
OWNER_ID = "{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}"
FILE_ID = "{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}"


def envelope(*requests: str, version: str = "13.0", on_error: str = "continueOnError") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?>'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{"".join(requests)}</QBXMLMsgsRq></QBXML>'
    )


def answers(company: CompanyFile, *requests: str, **options: str) -> list[etree._Element]:
    outcome = company.process(envelope(*requests, **options))
    assert outcome.hresult == "", company.last_parse_error
    assert not company.internal_errors, company.internal_errors[-1]
    return list(etree.fromstring(outcome.response.encode())[0])


def one(company: CompanyFile, request: str, **options: str) -> etree._Element:
    (rs,) = answers(company, request, **options)
    return rs


def customer_add(name: str, extra: str = "") -> str:
    return f"<CustomerAddRq><CustomerAdd><Name>{name}</Name>{extra}</CustomerAdd></CustomerAddRq>"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def company(clock: Clock) -> CompanyFile:
    return CompanyFile(PATH, clock=clock)


def test_list_ids_and_edit_sequences_look_like_quickbooks(company: CompanyFile) -> None:
    ret = one(company, customer_add("Ada")).find("CustomerRet")
    assert ret is not None
    assert re.fullmatch(r"[0-9A-F]{8}-\d{10}", ret.findtext("ListID") or "")
    assert ret.findtext("EditSequence") == str(int(datetime(2024, 3, 1, 9, 0, tzinfo=UTC).timestamp()))
    assert ret.findtext("TimeCreated") == "2024-03-01T09:00:00+00:00"
    assert [child.tag for child in ret][:8] == [
        "ListID",
        "TimeCreated",
        "TimeModified",
        "EditSequence",
        "Name",
        "FullName",
        "IsActive",
        "Sublevel",
    ]
    assert ret.findtext("Balance") == "0.00"


def test_3100_on_a_duplicate_customer_case_insensitively(company: CompanyFile) -> None:
    first, second = answers(company, customer_add("Ada Lovelace"), customer_add("ADA LOVELACE"))
    assert first.get("statusCode") == "0"
    assert second.get("statusCode") == "3100"
    assert second.get("statusMessage") == 'The name "ADA LOVELACE" of the list element is already in use.'


def test_3100_on_a_customer_named_like_a_vendor_but_items_have_their_own_name_space(company: CompanyFile) -> None:
    company.add_vendor("Acme Supply")
    company.add_item("Acme Supply")  # items do not collide with names
    rs = one(company, customer_add("Acme Supply"))
    assert rs.get("statusCode") == "3100"
    with pytest.raises(ValueError, match="already in use"):
        company.add_customer("acme supply")
    with pytest.raises(ValueError, match="already in use"):
        company.add_item("ACME SUPPLY", kind="Service")


def test_a_job_is_named_under_its_parent(company: CompanyFile) -> None:
    company.add_customer("Ada")
    rs = one(company, customer_add("Roof", "<ParentRef><FullName>Ada</FullName></ParentRef>"))
    assert rs.findtext("CustomerRet/FullName") == "Ada:Roof" and rs.findtext("CustomerRet/Sublevel") == "1"
    assert one(company, customer_add("Roof")).get("statusCode") == "0"  # "Roof" alone is another name


def test_a_colon_in_a_name_is_refused(company: CompanyFile) -> None:
    assert one(company, customer_add("Ada:Roof")).get("statusCode") == "3180"


def test_3140_names_the_missing_reference(company: CompanyFile) -> None:
    rs = one(company, customer_add("Ada", "<TermsRef><FullName>Net 99</FullName></TermsRef>"))
    assert rs.get("statusCode") == "3140"
    assert rs.get("statusMessage") == 'There is an invalid reference to QuickBooks Terms "Net 99" in the Customer.'
    assert (
        one(company, customer_add("Ada", "<TermsRef><FullName>Net 30</FullName></TermsRef>")).get("statusCode") == "0"
    )


def test_item_adds_need_their_accounts_and_answer_in_xsd_order(company: CompanyFile) -> None:
    company.add_vendor("Acme Supply")
    missing = one(
        company,
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Tent</Name><SalesOrPurchase>"
        "<Price>99.00</Price></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
    )
    assert missing.get("statusCode") == "3150"
    rs = one(
        company,
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Tent</Name>"
        "<ManufacturerPartNumber>T-2</ManufacturerPartNumber><SalesAndPurchase><SalesDesc>Two-person tent</SalesDesc>"
        "<SalesPrice>99.00</SalesPrice><IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef>"
        "<PurchaseCost>60.00</PurchaseCost><ExpenseAccountRef><FullName>Cost of Goods Sold</FullName>"
        "</ExpenseAccountRef><PrefVendorRef><FullName>Acme Supply</FullName></PrefVendorRef>"
        "</SalesAndPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
    )
    ret = rs.find("ItemNonInventoryRet")
    assert ret is not None
    tags = [child.tag for child in ret]
    assert tags.index("ManufacturerPartNumber") < tags.index("SalesTaxCodeRef") < tags.index("SalesAndPurchase")
    assert ret.findtext("SalesAndPurchase/PrefVendorRef/FullName") == "Acme Supply"
    assert ret.findtext("SalesAndPurchase/SalesPrice") == "99.00"


def test_item_query_returns_mixed_ret_types(company: CompanyFile) -> None:
    company.add_item("Tent", price=Decimal("99"))
    company.add_item("Setup", kind="Service", price=Decimal("20"))
    company.add_item("Shipping", kind="OtherCharge")
    rs = one(company, "<ItemQueryRq/>")
    kinds = {ret.findtext("Name"): ret.tag for ret in rs}
    assert kinds == {
        "Tent": "ItemNonInventoryRet",
        "Setup": "ItemServiceRet",
        "Shipping": "ItemOtherChargeRet",
        "State Tax": "ItemSalesTaxRet",
    }


def test_a_query_with_no_match_is_status_1_and_some_missing_is_500(company: CompanyFile) -> None:
    company.add_customer("Ada")
    none = one(company, "<CustomerQueryRq><FullName>Nobody</FullName></CustomerQueryRq>")
    assert (none.get("statusCode"), none.get("statusSeverity"), len(none)) == ("1", "Info", 0)
    partial = one(company, "<CustomerQueryRq><FullName>ada</FullName><FullName>Nobody</FullName></CustomerQueryRq>")
    assert partial.get("statusCode") == "500" and partial.get("statusSeverity") == "Warn"
    assert [ret.findtext("Name") for ret in partial] == ["Ada"]


def test_list_filters(company: CompanyFile, clock: Clock) -> None:
    for name in ("Ada", "Adam", "Bea", "Cy"):
        company.add_customer(name)
        clock.now += timedelta(hours=1)
    starts = one(
        company,
        "<CustomerQueryRq><NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>ad</Name>"
        "</NameFilter></CustomerQueryRq>",
    )
    assert [ret.findtext("Name") for ret in starts] == ["Ada", "Adam"]
    ranged = one(
        company, "<CustomerQueryRq><NameRangeFilter><FromName>B</FromName></NameRangeFilter></CustomerQueryRq>"
    )
    assert [ret.findtext("Name") for ret in ranged] == ["Bea", "Cy"]
    since = one(
        company, "<CustomerQueryRq><FromModifiedDate>2024-03-01T10:30:00+00:00</FromModifiedDate></CustomerQueryRq>"
    )
    assert [ret.findtext("Name") for ret in since] == ["Bea", "Cy"]
    capped = one(company, "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq>")
    assert len(capped) == 1


def test_inactive_customers_are_left_out_unless_asked_for(company: CompanyFile) -> None:
    one(company, customer_add("Old", "<IsActive>false</IsActive>"))
    company.add_customer("New")
    assert [r.findtext("Name") for r in one(company, "<CustomerQueryRq/>")] == ["New"]
    everyone = one(company, "<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>")
    assert [r.findtext("Name") for r in everyone] == ["New", "Old"]


def test_iterators_page_through_a_query_and_die_with_the_session(company: CompanyFile) -> None:
    for index in range(5):
        company.add_item(f"SKU-{index}")
    start = one(
        company,
        '<ItemQueryRq iterator="Start"><MaxReturned>2</MaxReturned>'
        "<NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>SKU</Name></NameFilter>"
        "</ItemQueryRq>",
    )
    iterator_id = start.get("iteratorID", "")
    assert re.fullmatch(r"\{[0-9a-f-]{36}\}", iterator_id)
    assert (start.get("iteratorRemainingCount"), len(start)) == ("3", 2)
    names = [ret.findtext("Name") for ret in start]
    follow = f'<ItemQueryRq iterator="Continue" iteratorID="{iterator_id}"><MaxReturned>2</MaxReturned></ItemQueryRq>'
    second = one(company, follow)
    third = one(company, follow)
    names += [ret.findtext("Name") for ret in [*second, *third]]
    assert names == [f"SKU-{index}" for index in range(5)]
    assert (second.get("iteratorRemainingCount"), third.get("iteratorRemainingCount")) == ("1", "0")
    exhausted = one(company, follow)
    assert exhausted.get("statusCode") == "3391"
    restarted = one(company, '<ItemQueryRq iterator="Start"><MaxReturned>2</MaxReturned></ItemQueryRq>')
    company.end_session()
    stale = follow.replace(iterator_id, restarted.get("iteratorID", ""))
    assert one(company, stale).get("statusCode") == "3391"
    assert one(company, follow.replace(iterator_id, "{not-an-iterator}")).get("statusCode") == "3391"


def test_an_iterator_belongs_to_its_query_type(company: CompanyFile) -> None:
    for name in ("Ada", "Bea"):
        company.add_customer(name)
    start = one(company, '<CustomerQueryRq iterator="Start"><MaxReturned>1</MaxReturned></CustomerQueryRq>')
    wrong = f'<VendorQueryRq iterator="Continue" iteratorID="{start.get("iteratorID")}"/>'
    assert one(company, wrong).get("statusCode") == "3391"


def test_account_query_lists_the_default_chart(company: CompanyFile) -> None:
    rs = one(company, "<AccountQueryRq/>")
    names = {ret.findtext("Name"): ret.findtext("AccountType") for ret in rs}
    for name, kind in [
        ("Accounts Receivable", "AccountsReceivable"),
        ("Undeposited Funds", "OtherCurrentAsset"),
        ("Checking", "Bank"),
        ("Sales", "Income"),
        ("Cost of Goods Sold", "CostOfGoodsSold"),
        ("Accounts Payable", "AccountsPayable"),
        ("Inventory Asset", "OtherCurrentAsset"),
        ("Shipping and Delivery Income", "Income"),
    ]:
        assert names[name] == kind
    income = one(company, "<AccountQueryRq><AccountType>Income</AccountType></AccountQueryRq>")
    assert {ret.findtext("Name") for ret in income} == {"Sales", "Shipping and Delivery Income"}


def test_company_query_with_owner_id_returns_the_stamped_file_id(company: CompanyFile) -> None:
    company.stamp_file_id(OWNER_ID, FILE_ID)
    plain = one(company, "<CompanyQueryRq/>")
    assert plain.find("CompanyRet/DataExtRet") is None
    assert plain.findtext("CompanyRet/CompanyName") == "shop-a"
    owned = one(company, f"<CompanyQueryRq><OwnerID>{OWNER_ID}</OwnerID></CompanyQueryRq>")
    ext = owned.find("CompanyRet/DataExtRet")
    assert ext is not None
    assert (ext.findtext("OwnerID"), ext.findtext("DataExtName"), ext.findtext("DataExtValue")) == (
        OWNER_ID,
        "FileID",
        FILE_ID,
    )
    other = one(company, "<CompanyQueryRq><OwnerID>{00000000-0000-0000-0000-000000000000}</OwnerID></CompanyQueryRq>")
    assert other.find("CompanyRet/DataExtRet") is None


def test_hcp_response_holds_host_company_and_preferences() -> None:
    company = CompanyFile(PATH, edition=Edition.PREMIER, company_name="Shop A LLC")
    document = etree.fromstring(company.hcp_response().encode())
    tags = [rs.tag for rs in document[0]]
    assert tags == ["HostQueryRs", "CompanyQueryRs", "PreferencesQueryRs"]
    host = document[0][0]
    assert host.findtext("HostRet/ProductName") == "QuickBooks Premier Edition 2024"
    assert [v.text for v in host.findall("HostRet/SupportedQBXMLVersion")][-1] == "16.0"
    assert document[0][1].findtext("CompanyRet/CompanyName") == "Shop A LLC"
    assert document[0][2].findtext("PreferencesRet/SalesTaxPreferences/DefaultItemSalesTaxRef/FullName") == "State Tax"


def test_preferences_show_the_closing_date(company: CompanyFile) -> None:
    assert one(company, "<PreferencesQueryRq/>").find("PreferencesRet/AccountingPreferences/ClosingDate") is None
    company.closing_date = datetime(2023, 12, 31).date()
    rs = one(company, "<PreferencesQueryRq/>")
    assert rs.findtext("PreferencesRet/AccountingPreferences/ClosingDate") == "2023-12-31"


def test_inventory_items_need_income_cogs_and_asset_accounts(company: CompanyFile) -> None:
    def item(accounts: str) -> str:
        return (
            "<ItemInventoryAddRq><ItemInventoryAdd><Name>Lantern</Name><SalesPrice>30.00</SalesPrice>"
            f"{accounts}<QuantityOnHand>5</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>"
        )

    income = "<IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef>"
    cogs = "<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>"
    asset = "<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>"
    missing = one(company, item(income + cogs))
    assert missing.get("statusCode") == "3150" and "AssetAccountRef" in missing.get("statusMessage", "")
    added = one(company, item(income + cogs + asset))
    assert added.findtext("ItemInventoryRet/AssetAccountRef/FullName") == "Inventory Asset"
    assert added.findtext("ItemInventoryRet/SalesPrice") == "30.00"
    bad_account = one(company, item(income + cogs + asset.replace("Inventory Asset", "Nope")).replace("Lantern", "L2"))
    assert bad_account.get("statusMessage") == (
        'There is an invalid reference to QuickBooks Account "Nope" in the ItemInventory.'
    )
