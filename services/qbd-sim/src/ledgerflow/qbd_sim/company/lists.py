"""Lists: a new company's defaults, the Customer/Vendor/Item Adds, and each list element's Ret."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerflow.qbd_sim.company import ledger, status
from ledgerflow.qbd_sim.company.context import Context, Result, RetSpec
from ledgerflow.qbd_sim.company.intake import Reader
from ledgerflow.qbd_sim.company.records import ITEM_KINDS, Entry, Ref
from ledgerflow.qbd_sim.company.render import Nested
from ledgerflow.qbd_sim.company.settings import Switches
from ledgerflow.qbd_sim.company.store import Store

DEFAULT_TAX_ITEM = "State Tax"
# name, AccountType, SpecialAccountType
DEFAULT_ACCOUNTS = (
    ("Checking", "Bank", None),
    ("Accounts Receivable", "AccountsReceivable", "AccountsReceivable"),
    ("Undeposited Funds", "OtherCurrentAsset", "UndepositedFunds"),
    ("Inventory Asset", "OtherCurrentAsset", "InventoryAssets"),
    ("Accounts Payable", "AccountsPayable", "AccountsPayable"),
    ("Sales Tax Payable", "OtherCurrentLiability", "SalesTaxPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Sales", "Income", None),
    ("Shipping and Delivery Income", "Income", None),
    ("Cost of Goods Sold", "CostOfGoodsSold", "CostOfGoodsSold"),
)
DEFAULT_LISTS: dict[str, tuple[str, ...]] = {
    "Terms": ("Due on receipt", "Net 15", "Net 30", "Net 60", "1% 10 Net 30", "2% 10 Net 30"),
    "PaymentMethod": ("American Express", "Cash", "Check", "Discover", "MasterCard", "Visa"),
    "ShipMethod": ("Airborne Express", "DHL", "Federal Express", "UPS", "US Mail"),
    "CustomerMsg": (
        "Thank you for your business.",
        "We appreciate your prompt payment.",
        "Please remit to above address.",
    ),
    "Template": (
        "Intuit Product Invoice",
        "Intuit Service Invoice",
        "Custom Sales Order",
        "Custom Sales Receipt",
        "Custom Credit Memo",
        "Custom Purchase Order",
        "Custom Estimate",
    ),
}
CURRENCIES = (("US Dollar", "USD"), ("Euro", "EUR"), ("British Pound Sterling", "GBP"), ("Canadian Dollar", "CAD"))
HOME_CURRENCY = "US Dollar"
ITEM_ADDS = {
    "ItemNonInventoryAdd": "ItemNonInventory",
    "ItemServiceAdd": "ItemService",
    "ItemOtherChargeAdd": "ItemOtherCharge",
    "ItemInventoryAdd": "ItemInventory",
    "ItemSalesTaxAdd": "ItemSalesTax",
}


def seed(store: Store) -> None:
    for name, account_type, special in DEFAULT_ACCOUNTS:
        store.add_entry("Account", name, AccountType=account_type, SpecialAccountType=special)
    for code, taxable in (("Tax", True), ("Non", False)):
        store.add_entry("SalesTaxCode", code, IsTaxable=taxable)
    for kind, names in DEFAULT_LISTS.items():
        for name in names:
            store.add_entry(kind, name)
    for name, code in CURRENCIES:
        store.add_entry("Currency", name, CurrencyCode=code)
    store.add_entry("ItemSalesTax", DEFAULT_TAX_ITEM, ItemDesc="Sales Tax", TaxRate=Decimal("0"))


def named(store: Store, kind: str, name: str) -> Ref:
    entry = store.by_name((kind,), name)
    if entry is None:
        raise KeyError(f"no {kind} named {name!r}")
    return entry.ref


def check_name(switches: Switches, name: str | None, where: str) -> str:
    if not name or not name.strip():
        raise status.missing_element("Name")
    if ":" in name and not switches.names_may_contain_colon:
        raise status.save_error(where, f'The name "{name}" cannot contain a colon (:).')
    return name


# -- Adds -------------------------------------------------------------------------------------------------------


def add_customer_or_vendor(ctx: Context, body: etree._Element, kind: str) -> Result:
    reader = Reader(ctx.store, body, kind)
    name = check_name(ctx.switches, reader.text("Name"), kind)
    parent = None
    parent_element = body.find("ParentRef")
    if parent_element is not None:
        parent = ctx.store.resolve(parent_element, kind, ("Customer",))
    active = reader.flag("IsActive")
    entry = ctx.store.add_entry(kind, name, parent=parent, **reader.echo("Name", "IsActive", "ParentRef"))
    entry.is_active = active is not False
    return Result(rets=[entry_ret(ctx.store, entry)])


def add_item(ctx: Context, body: etree._Element, request: str) -> Result:
    kind = ITEM_ADDS[request]
    reader = Reader(ctx.store, body, kind)
    name = check_name(ctx.switches, reader.text("Name"), kind)
    parent = None
    parent_element = body.find("ParentRef")
    if parent_element is not None:
        parent = ctx.store.resolve(parent_element, kind, ITEM_KINDS)
    fields = reader.echo("Name", "IsActive", "ParentRef", "BarCode", "SalesOrPurchase", "SalesAndPurchase")
    barcode = body.findtext("BarCode/BarCodeValue")
    if barcode is not None:
        fields["BarCodeValue"] = barcode
    if kind == "ItemInventory":
        for account in ("IncomeAccountRef", "COGSAccountRef", "AssetAccountRef"):
            if not reader.has(account):
                raise status.missing_element(account)
    for aggregate, required in (
        ("SalesOrPurchase", ("AccountRef",)),
        ("SalesAndPurchase", ("IncomeAccountRef", "ExpenseAccountRef")),
    ):
        element = body.find(aggregate)
        if element is None:
            continue
        part = Reader(ctx.store, element, kind)
        for missing in (field for field in required if not part.has(field)):
            raise status.missing_element(missing)
        fields[aggregate] = Nested(aggregate, part.echo())
    if kind != "ItemSalesTax" and "SalesTaxCodeRef" not in fields:
        fields["SalesTaxCodeRef"] = named(ctx.store, "SalesTaxCode", "Tax")
    entry = ctx.store.add_entry(kind, name, parent=parent, **fields)
    entry.is_active = reader.flag("IsActive") is not False
    return Result(rets=[entry_ret(ctx.store, entry)])


def make_item(
    store: Store,
    switches: Switches,
    name: str,
    kind: str,
    price: Decimal | None,
    cost: Decimal | None,
    vendor: str | None,
) -> Entry:
    """An item as a person would set it up in QuickBooks' Item List (what ``CompanyFile.add_item`` does)."""
    check_name(switches, name, kind)
    item_kind = kind if kind.startswith("Item") else f"Item{kind}"
    if item_kind == "ItemSalesTax":
        return store.add_entry(item_kind, name, ItemDesc=name, TaxRate=price or Decimal(0))
    if item_kind not in ("ItemNonInventory", "ItemService", "ItemOtherCharge", "ItemInventory"):
        raise ValueError(f"unsupported item kind {kind!r}")
    fields: dict[str, Any] = {"SalesTaxCodeRef": named(store, "SalesTaxCode", "Tax")}
    sales = named(store, "Account", "Sales")
    cogs = named(store, "Account", "Cost of Goods Sold")
    vendor_ref = named(store, "Vendor", vendor) if vendor else None
    if item_kind == "ItemInventory":
        fields.update(
            SalesDesc=name,
            SalesPrice=price,
            IncomeAccountRef=sales,
            PurchaseCost=cost,
            COGSAccountRef=cogs,
            PrefVendorRef=vendor_ref,
            AssetAccountRef=named(store, "Account", "Inventory Asset"),
        )
    elif cost is not None or vendor_ref is not None:
        fields["SalesAndPurchase"] = Nested(
            "SalesAndPurchase",
            {
                "SalesDesc": name,
                "SalesPrice": price,
                "IncomeAccountRef": sales,
                "PurchaseDesc": name,
                "PurchaseCost": cost,
                "ExpenseAccountRef": cogs,
                "PrefVendorRef": vendor_ref,
            },
        )
    else:
        fields["SalesOrPurchase"] = Nested("SalesOrPurchase", {"Desc": name, "Price": price, "AccountRef": sales})
    return store.add_entry(item_kind, name, **fields)


# -- reading items back -------------------------------------------------------------------------------------------


def _item_value(entry: Entry, *names: str) -> Any:
    for holder in (
        entry.fields,
        *(
            entry.fields[p].values
            for p in ("SalesOrPurchase", "SalesAndPurchase")
            if isinstance(entry.fields.get(p), Nested)
        ),
    ):
        for name in names:
            if holder.get(name) is not None:
                return holder[name]
    return None


def item_price(entry: Entry) -> Decimal | None:
    value = _item_value(entry, "Price", "SalesPrice")
    return value if isinstance(value, Decimal) else None


def item_cost(entry: Entry) -> Decimal | None:
    value = _item_value(entry, "PurchaseCost")
    return value if isinstance(value, Decimal) else None


def item_desc(entry: Entry, *, purchase: bool = False) -> str | None:
    value = _item_value(entry, "PurchaseDesc") if purchase else _item_value(entry, "Desc", "SalesDesc")
    return value if isinstance(value, str) else None


# -- Rets -------------------------------------------------------------------------------------------------------


def entry_ret(store: Store, entry: Entry) -> RetSpec:
    values: dict[str, Any] = {
        **entry.fields,
        "ListID": entry.list_id,
        "TimeCreated": entry.created,
        "TimeModified": entry.modified,
        "EditSequence": entry.edit_sequence,
        "Name": entry.name,
        "FullName": entry.full_name,
        "IsActive": entry.is_active,
        "ParentRef": entry.parent,
        "Sublevel": entry.sublevel,
    }
    if entry.kind == "Customer":
        owed = ledger.customer_balance(store, entry.list_id)
        children = [e for e in store.of_kind("Customer") if e.full_name.startswith(f"{entry.full_name}:")]
        values["Balance"] = owed
        values["TotalBalance"] = owed + sum((ledger.customer_balance(store, c.list_id) for c in children), Decimal(0))
    elif entry.kind == "Vendor":
        values["Balance"] = Decimal(0)
    elif entry.kind == "Account":
        receivable = entry.fields.get("AccountType") == "AccountsReceivable"
        owed = sum((ledger.customer_balance(store, c.list_id) for c in store.of_kind("Customer")), Decimal(0))
        values["Balance"] = values["TotalBalance"] = owed if receivable else Decimal(0)
    return RetSpec(f"{entry.kind}Ret", f"{entry.kind}Ret", values)
