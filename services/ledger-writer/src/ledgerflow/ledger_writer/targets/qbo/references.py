"""Customers, items, vendors and accounts in the books, matched as the connection says (C1, P1), cached here."""

from __future__ import annotations

import asyncpg

from ledgerflow.contracts import (
    CurrencyCustomers,
    CustomerMatch,
    ErrorDetail,
    ItemMatch,
    LineKind,
    MatchingPolicy,
    PlannedDocument,
    WhenMissing,
    derive_message_id,
)
from ledgerflow.ledger_writer import reference_cache
from ledgerflow.ledger_writer.books import ReferenceMissing
from ledgerflow.ledger_writer.targets.qbo import mapping
from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError, QuickBooksClient, equals

WEB_STORE_CUSTOMER = "Web Store"
_NAMED = {"Class": "class", "Department": "location", "Account": "account", "TaxCode": "tax code"}
DUPLICATE_NAME = "6240"
PAYABLE = "Accounts Payable"
INCOME = "Income"
# The income account a new QuickBooks Online company gives products and services, in the order preferred.
DEFAULT_INCOME_ACCOUNTS = ("Sales of Product Income", "Sales", "Services")
DISPLAY_NAME_LIMIT = 100
# The cache kinds that may hold a customer's or an item's id.
_KINDS = {"Customer": ("Customer", "CustomerEmail", "CustomerNameEmail"), "Item": ("Item", "ItemSku")}


class References:
    def __init__(
        self,
        pool: asyncpg.Pool,
        client: QuickBooksClient,
        tenant_id: str,
        realm: str,
        attempt: str = "",
        policy: MatchingPolicy | None = None,
    ) -> None:
        self._pool = pool
        self._client = client
        self._tenant = tenant_id
        self._realm = realm
        # Part of the requestid: a redelivered command repeats its creates, a replayed one tries afresh
        # (QuickBooks replays a refusal for the same requestid).
        self._attempt = attempt
        self._policy = policy or MatchingPolicy()

    async def customer(self, doc: PlannedDocument) -> str:
        """The customer of the document's currency: a QuickBooks customer has one currency, and an order in
        another than the books' home currency goes to "Name (EUR)" (or, as the connection says, to the name)."""
        policy = self._policy
        foreign = doc.currency.upper() != await self.home_currency()
        suffix = (
            f" ({doc.currency.upper()})" if foreign and policy.currency_customers is CurrencyCustomers.SUFFIX else ""
        )
        currency: dict[str, object] = {"CurrencyRef": {"value": doc.currency.upper()}} if foreign else {}

        def named(name: str) -> str:
            return name[: DISPLAY_NAME_LIMIT - len(suffix)] + suffix

        if policy.customers is CustomerMatch.SINGLE:
            single = named(policy.single_customer)
            return await self._find_or_create("Customer", "DisplayName", single,
                                              {"DisplayName": single, **currency}, create=True)  # fmt: skip
        if not doc.customer_name and not doc.customer_email:
            guest = named(WEB_STORE_CUSTOMER)
            return await self._find_or_create(
                "Customer", "DisplayName", guest, {"DisplayName": guest, **currency}, create=True
            )  # a guest checkout without name or email
        name = named(doc.customer_name or str(doc.customer_email))
        body: dict[str, object] = {"DisplayName": name, **currency}
        if doc.customer_email:
            body["PrimaryEmailAddr"] = {"Address": doc.customer_email}
        create = policy.missing_customer is WhenMissing.CREATE
        if policy.customers is CustomerMatch.EMAIL and doc.customer_email:
            found = await self._cached_or_queried("CustomerEmail", "Customer", "PrimaryEmailAddr", doc.customer_email,
                                                  currency=doc.currency.upper(),
                                                  cache_name=doc.customer_email + suffix)  # fmt: skip
            if found is not None:
                return found
        if policy.customers is CustomerMatch.NAME_AND_EMAIL and doc.customer_email:
            key = f"{name}\n{doc.customer_email}"
            found = await self._cached_or_queried("CustomerNameEmail", "Customer", "DisplayName", name,
                                                  email=doc.customer_email, cache_name=key)  # fmt: skip
            if found is not None:
                return found
            if not create:
                raise _missing("customer", f"no customer named {name!r} with email {doc.customer_email}")
            return await self._create(
                "Customer", "DisplayName", name, body, cache_kind="CustomerNameEmail", cache_name=key
            )
        return await self._find_or_create("Customer", "DisplayName", name, body, create=create)

    async def items(self, doc: PlannedDocument) -> dict[str, str]:
        """Item ids by the lines' item names. Product lines follow the policy; shipping, fee, tax and the
        other configured items are found or created as service items."""
        ids: dict[str, str] = {}
        for line in mapping.taxed_lines(doc, self._policy.sales_tax):
            if line.kind is LineKind.DISCOUNT or line.item_name in ids:
                continue
            ids[line.item_name] = await self._item(line.item_name, product=line.kind is LineKind.ITEM)
        return ids

    async def _item(self, name: str, *, product: bool) -> str:
        policy = self._policy
        if not product:
            found = await self._cached_or_queried("Item", "Item", "Name", name)
            return found or await self._create_item(name, {"Name": name, "Type": "Service"}, "Item")
        create = policy.missing_item is WhenMissing.CREATE
        if policy.items is ItemMatch.SKU:
            found = await self._cached_or_queried("ItemSku", "Item", "Sku", name)
            if found is not None:
                return found
            if not create:
                raise _missing("item", f"no item with SKU {name!r}")
            return await self._create_item(name, {"Name": name, "Sku": name, "Type": "NonInventory"}, "ItemSku")
        found = await self._cached_or_queried("Item", "Item", "Name", name)
        if found is not None:
            return found
        if not create:
            raise _missing("item", f"no item named {name!r}")
        return await self._create_item(name, {"Name": name, "Type": "NonInventory"}, "Item")

    async def _create_item(self, name: str, body: dict[str, object], cache_kind: str) -> str:
        """QuickBooks refuses an item without an income (or expense) account (2020)."""
        account = await self.income_account()
        return await self._create("Item", "Name", name, {**body, "IncomeAccountRef": {"value": account}},
                                  cache_kind=cache_kind, cache_name=name)  # fmt: skip

    async def income_account(self) -> str:
        """The account the connection names for new items, or the company's own default income account."""
        wanted = self._policy.item_income_account
        if wanted:
            found = await self._cached_or_queried("Account", "Account", "Name", wanted)
            if found is None:
                raise _missing("item account", f"no account named {wanted!r} for the items ledgerflow creates", (
                    f"Create the income account {wanted!r} in QuickBooks, or name another in this connection "
                    "(matching.item_income_account), then replay the order."
                ))  # fmt: skip
            return found
        cached = await self._cached("ItemIncomeAccount", "default")
        if cached is not None:
            return cached
        accounts = [a for a in await self._client.query(self._realm, "Account", equals("AccountType", INCOME))
                    if a.get("Active", True)]  # fmt: skip
        by_name = {str(a.get("Name")): str(a["Id"]) for a in accounts}
        chosen = next((by_name[n] for n in DEFAULT_INCOME_ACCOUNTS if n in by_name), None)
        if chosen is None and accounts:
            chosen = str(min(accounts, key=lambda a: int(str(a["Id"])) if str(a["Id"]).isdigit() else 0)["Id"])
        if chosen is None:
            raise _missing("item account", "no income account for the items ledgerflow creates", (
                "Create an income account in QuickBooks (Sales of Product Income), or name one in this connection "
                "(matching.item_income_account), then replay the order."
            ))  # fmt: skip
        await self._remember("ItemIncomeAccount", "default", chosen)
        return chosen

    async def home_currency(self) -> str:
        cached = await self._cached("HomeCurrency", "home")
        if cached is not None:
            return cached
        preferences = await self._client.preferences(self._realm)
        home = str(((preferences.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value") or "USD")
        await self._remember("HomeCurrency", "home", home.upper())
        return home.upper()

    async def forget(self, ids: list[tuple[str, str]]) -> list[str]:
        """Forget the cached names of these records (made inactive in the books); what was forgotten, for people."""
        forgotten = []
        for entity, external_id in ids:
            for name in await reference_cache.forget_id(self._pool, self._tenant, _KINDS[entity], external_id):
                forgotten.append(f"{entity.lower()} {name!r}")
        return forgotten

    async def vendor(self, name: str) -> str:
        """Vendors come from the items' preferred vendor: they exist, and are never made up here."""
        return await self._find_or_create("Vendor", "DisplayName", name, {"DisplayName": name}, create=False)

    async def account(self, name: str) -> str:
        return await self._find_or_create("Account", "Name", name, {"Name": name}, create=False)

    async def named(self, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Ids of the classes, locations (departments), accounts and tax codes a rule named; never created."""
        ids = {}
        for entity, name in wanted:
            found = await self._cached_or_queried(entity, entity, "Name", name)
            if found is None:
                what = _NAMED[entity]
                fix = f"Create the {what} in QuickBooks (or change the rule that names it), then replay the order."
                raise _missing(what, f"no {what} named {name!r}", fix)
            ids[(entity, name)] = found
        return ids

    async def payable_account(self) -> str:
        found = await self._cached_or_queried("AccountType", "Account", "AccountType", PAYABLE)
        if found is None:
            raise _missing("account", "no Accounts Payable account")
        return found

    async def _cached_or_queried(
        self,
        kind: str,
        entity: str,
        field: str,
        value: str,
        *,
        email: str | None = None,
        cache_name: str | None = None,
        currency: str | None = None,
    ) -> str | None:
        cache_name = cache_name or value
        cached = await self._cached(kind, cache_name)
        if cached is not None:
            return cached
        found = await self._client.query(self._realm, entity, equals(field, value))
        if email is not None:
            found = [
                r for r in found if (r.get("PrimaryEmailAddr") or {}).get("Address", "").casefold() == email.casefold()
            ]
        if currency is not None:
            home = await self.home_currency()
            found = [r for r in found if str((r.get("CurrencyRef") or {}).get("value") or home).upper() == currency]
        # QuickBooks leaves inactive records out of a plain query; a record made inactive since is never used.
        active = [r for r in found if r.get("Active", True)]
        if not active:
            return None
        external_id = str(active[0]["Id"])
        await self._remember(kind, cache_name, external_id)
        return external_id

    async def _find_or_create(
        self, entity: str, field: str, name: str, body: dict[str, object], *, create: bool
    ) -> str:
        found = await self._cached_or_queried(entity, entity, field, name)
        if found is not None:
            return found
        if not create:
            raise _missing(entity.lower(), f"no {entity.lower()} named {name!r}")
        return await self._create(entity, field, name, body, cache_kind=entity, cache_name=name)

    async def _create(
        self, entity: str, field: str, name: str, body: dict[str, object], *, cache_kind: str, cache_name: str
    ) -> str:
        request_id = str(derive_message_id("qbo-reference", self._tenant, entity, name, self._attempt))
        try:
            external_id = str((await self._client.create(self._realm, entity, body, request_id))["Id"])
        except QboFaultError as fault:
            # Another writer may have created it meanwhile: take that one (an active one: an inactive record is
            # never adopted); otherwise the name is taken elsewhere (a vendor, an employee).
            again = [
                r for r in await self._client.query(self._realm, entity, equals(field, name)) if r.get("Active", True)
            ]
            if fault.code != DUPLICATE_NAME or not again:
                raise
            external_id = str(again[0]["Id"])
        await self._remember(cache_kind, cache_name, external_id)
        return external_id

    async def _cached(self, kind: str, name: str) -> str | None:
        return await reference_cache.cached(self._pool, self._tenant, kind, name)

    async def _remember(self, kind: str, name: str, external_id: str) -> None:
        await reference_cache.remember(self._pool, self._tenant, kind, name, external_id)


def _missing(what: str, found: str, fix: str | None = None) -> ReferenceMissing:
    fixes = {
        "customer": "Create the customer in QuickBooks, or let this connection create missing customers "
        "(matching.missing_customer: create), then replay the order.",
        "item": "Create the item in QuickBooks, map the SKU with a rule, or let this connection create missing "
        "items (matching.missing_item: create), then replay the order.",
    }
    return ReferenceMissing(
        ErrorDetail(
            code=f"{what.replace(' ', '_')}.unknown",
            message=f"QuickBooks has {found}",
            fix=fix or fixes.get(what, f"Create the {what} in QuickBooks, then replay the order."),
        )
    )
