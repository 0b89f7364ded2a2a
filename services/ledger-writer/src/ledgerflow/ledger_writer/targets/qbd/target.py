"""QuickBooks Desktop as a target: each tenant's company file, reached through its Web Connector."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import asyncpg

from ledgerflow.contracts import BooksTarget, MatchingPolicy, ReferenceItem
from ledgerflow.ledger_writer import reference_cache
from ledgerflow.ledger_writer.books import Company, RateState, ReferenceSnapshot
from ledgerflow.ledger_writer.settings import QbdSettings
from ledgerflow.ledger_writer.targets.qbd.books import DesktopBooks
from ledgerflow.ledger_writer.targets.qbd.qbxml.build import query_request
from ledgerflow.ledger_writer.targets.qbd.registry import company_id_of
from ledgerflow.ledger_writer.targets.qbd.status import check
from ledgerflow.ledger_writer.targets.qbd.wire import Wire

_ITEM_TYPES = {
    "ItemNonInventoryRet": "NonInventory",
    "ItemInventoryRet": "Inventory",
    "ItemServiceRet": "Service",
    "ItemOtherChargeRet": "OtherCharge",
}


class QuickBooksDesktop:
    name = "quickbooks_desktop"

    def __init__(self, settings: QbdSettings, pool: Callable[[], asyncpg.Pool], wire: Wire) -> None:
        self._settings = settings
        self._pool = pool
        self.wire = wire

    def company_of(self, tenant_id: str, books: BooksTarget = BooksTarget.QUICKBOOKS_DESKTOP) -> Company:
        return Company(tenant_id, company_id_of(tenant_id))

    def calls_in(self, company: Company) -> bool:
        return True

    def books(self, company: Company, matching: MatchingPolicy, attempt: str) -> DesktopBooks:
        return DesktopBooks(self._pool(), self.wire, company, matching, self._settings.income_account)

    def in_flight_limit(self, company: Company) -> int:
        return self._settings.in_flight

    async def reference_data(self, company: Company) -> ReferenceSnapshot:
        items_answer, vendors_answer = await self.wire.ask(
            company.company_id,
            [
                query_request("ItemQuery", {"ActiveStatus": "All"}),
                query_request("VendorQuery", {"ActiveStatus": "All"}),
            ],
            writes=False,
        )
        for answer in (items_answer, vendors_answer):
            if answer.rets or answer.status_code not in (1, 500):
                check(answer, "read the items and vendors")
        vendors = [str(v["Name"]) for v in vendors_answer.rets]
        items = [_item(ret) for ret in items_answer.rets if ret["_tag"] in _ITEM_TYPES]
        pool = self._pool()
        active = [(_name(r), str(r["ListID"])) for r in items_answer.rets if _active(r)]
        await reference_cache.remember_ids(pool, company.tenant_id, "qbd:Item", active)
        active_vendors = [(str(v["Name"]), str(v["ListID"])) for v in vendors_answer.rets if _active(v)]
        await reference_cache.remember_ids(pool, company.tenant_id, "qbd:Vendor", active_vendors)
        return ReferenceSnapshot(items=items, vendors=tuple(vendors))

    def rate_state(self, company: Company) -> RateState:
        return RateState()  # QuickBooks Desktop sets its own pace: one message set at a time

    def restore_rate(self, company: Company, state: RateState) -> None:
        return None

    async def aclose(self) -> None:
        await self.wire.aclose()


def _name(ret: dict[str, Any]) -> str:
    """An item's full name (``Parent:Child``); items that cannot have a parent (sales tax) carry only a name."""
    return str(ret.get("FullName") or ret["Name"])


def _active(ret: dict[str, Any]) -> bool:
    return str(ret.get("IsActive", "true")).lower() == "true"


def _item(ret: dict[str, Any]) -> ReferenceItem:
    detail = ret.get("SalesAndPurchase") or {}
    cost = detail.get("PurchaseCost") if isinstance(detail, dict) else None
    vendor = (detail.get("PrefVendorRef") or {}).get("FullName") if isinstance(detail, dict) else None
    if cost is None:
        cost, vendor = ret.get("PurchaseCost"), vendor or (ret.get("PrefVendorRef") or {}).get("FullName")
    return ReferenceItem(
        name=_name(ret),
        sku=ret.get("ManufacturerPartNumber"),
        type=_ITEM_TYPES[ret["_tag"]],
        vendor_name=vendor,
        purchase_cost=Decimal(str(cost)) if cost not in (None, "") else None,
        active=_active(ret),
    )
