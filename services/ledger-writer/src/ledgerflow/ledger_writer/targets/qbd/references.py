"""Customers, items and vendors in a company file, found or created as the connection says (C1, P1).

Lookups of several names go in one request, and requests of many orders share a message set; ids found are
kept (``reference_cache``), so an order whose customer and items are known costs one round trip: its Add.
QuickBooks Desktop has no item SKU field and no customer query by email: items are matched by name, and a
customer by name (its email is written when the customer is made).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from ledgerflow.contracts import CustomerMatch, ErrorDetail, LineKind, MatchingPolicy, PlannedDocument, WhenMissing
from ledgerflow.ledger_writer import reference_cache
from ledgerflow.ledger_writer.books import ReferenceMissing
from ledgerflow.ledger_writer.targets.qbd.qbxml.build import add_request, query_request
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Answer
from ledgerflow.ledger_writer.targets.qbd.status import NOT_FOUND, check
from ledgerflow.ledger_writer.targets.qbd.wire import Wire

WEB_STORE_CUSTOMER = "Web Store"
NAME_IN_USE = 3100
_CUSTOMER, _ITEM, _VENDOR = "qbd:Customer", "qbd:Item", "qbd:Vendor"


class References:
    def __init__(
        self,
        pool: asyncpg.Pool,
        wire: Wire,
        tenant_id: str,
        company_id: str,
        policy: MatchingPolicy,
        income_account: str,
    ) -> None:
        self._pool = pool
        self._wire = wire
        self._tenant = tenant_id
        self._company = company_id
        self._policy = policy
        self._income_account = income_account

    async def customer(self, doc: PlannedDocument) -> str:
        """The customer's ListID, made when missing and the policy allows it."""
        policy = self._policy
        if policy.customers is CustomerMatch.SINGLE:
            name, email, create = policy.single_customer, None, True
        elif not doc.customer_name and not doc.customer_email:
            name, email, create = WEB_STORE_CUSTOMER, None, True  # a guest checkout without name or email
        else:
            name = doc.customer_name or str(doc.customer_email)
            email, create = doc.customer_email, policy.missing_customer is WhenMissing.CREATE
        known = await reference_cache.cached(self._pool, self._tenant, _CUSTOMER, name)
        if known is not None:
            return known
        found = await self._find("CustomerQuery", [name])
        if name in found:
            return await self._keep(_CUSTOMER, name, found[name])
        if not create:
            raise _missing("customer", f"no customer named {name!r}")
        fields: dict[str, object] = {"Name": name, "Email": email}
        answer = (await self._wire.ask(self._company, [add_request("CustomerAdd", fields)], writes=True))[0]
        return await self._created(answer, _CUSTOMER, "CustomerQuery", name, f"add customer {name!r}")

    async def items(self, doc: PlannedDocument) -> None:
        """Make sure every line's item is in the company file: looked up together, the missing ones made."""
        wanted: dict[str, bool] = {}
        for line in doc.lines:
            wanted.setdefault(line.item_name, line.kind is LineKind.ITEM)
        unknown = [n for n in wanted if await reference_cache.cached(self._pool, self._tenant, _ITEM, n) is None]
        if not unknown:
            return
        found = await self._find("ItemQuery", unknown)
        for name in unknown:
            if name in found:
                await self._keep(_ITEM, name, found[name])
        missing = [name for name in unknown if name not in found]
        products = [name for name in missing if wanted[name]]
        if products and self._policy.missing_item is not WhenMissing.CREATE:
            raise _missing("item", f"no item named {products[0]!r}")
        if not missing:
            return
        requests = [add_request(*self._item_add(name, product=wanted[name])) for name in missing]
        made = await self._wire.ask(self._company, requests, writes=True)
        for name, answer in zip(missing, made, strict=True):
            await self._created(answer, _ITEM, "ItemQuery", name, f"add item {name!r}")

    async def vendor(self, name: str) -> str:
        """Vendors come from the items' preferred vendor or the connection's vendor map: they exist, and are never
        made up here (a bookkeeper's vendor carries terms and a 1099 status ledgerflow cannot know)."""
        known = await reference_cache.cached(self._pool, self._tenant, _VENDOR, name)
        if known is not None:
            return known
        found = await self._find("VendorQuery", [name])
        if name not in found:
            raise _missing("vendor", f"no vendor named {name!r}")
        return await self._keep(_VENDOR, name, found[name])

    def _item_add(self, name: str, *, product: bool) -> tuple[str, dict[str, object]]:
        sales = {"SalesOrPurchase": {"AccountRef": {"FullName": self._income_account}}}
        if product:
            return "ItemNonInventoryAdd", {"Name": name, **sales}
        return "ItemOtherChargeAdd", {"Name": name, **sales}  # shipping, fees, tax, discounts: amounts only

    async def _find(self, query: str, names: Sequence[str]) -> dict[str, str]:
        """ListIDs of the active records with these full names (one request)."""
        answer = (await self._wire.ask(self._company, [query_request(query, {"FullName": list(names)})], writes=False))[
            0
        ]
        if answer.status_code in NOT_FOUND and not answer.rets:
            return {}
        check(answer, f"look up {', '.join(names)}")
        return {
            str(ret.get("FullName") or ret.get("Name")): str(ret["ListID"])
            for ret in answer.rets
            if str(ret.get("IsActive", "true")).lower() == "true"
        }

    async def _created(self, answer: Answer, kind: str, query: str, name: str, what: str) -> str:
        if answer.status_code == NAME_IN_USE:
            # Made meanwhile by another order of the same file (or a person): take it if it is of this kind.
            again = await self._find(query, [name])
            if name in again:
                return await self._keep(kind, name, again[name])
        check(answer, what)
        return await self._keep(kind, name, str(answer.rets[0]["ListID"]))

    async def _keep(self, kind: str, name: str, list_id: str) -> str:
        await reference_cache.remember(self._pool, self._tenant, kind, name, list_id)
        return list_id


def _missing(what: str, found: str) -> ReferenceMissing:
    fixes = {
        "customer": "Create the customer in QuickBooks, or let this connection create missing customers "
        "(matching.missing_customer: create), then replay the order.",
        "item": "Create the item in QuickBooks, map the SKU with a rule, or let this connection create missing "
        "items (matching.missing_item: create), then replay the order.",
        "vendor": "Create the vendor in QuickBooks (the item's preferred vendor, or the one the connection's vendor "
        "map names), then replay the order.",
    }
    return ReferenceMissing(
        ErrorDetail(code=f"{what}.unknown", message=f"the QuickBooks Desktop company file has {found}", fix=fixes[what])
    )
