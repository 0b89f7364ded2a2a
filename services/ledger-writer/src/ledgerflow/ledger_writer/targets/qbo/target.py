"""QuickBooks Online as a target: one HTTP client and one rate limiter for every company, OAuth per company."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import asyncpg
import structlog
from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.contracts import BooksTarget, MatchingPolicy, ReferenceItem
from ledgerflow.ledger_writer.books import Company, RateState, ReferenceSnapshot
from ledgerflow.ledger_writer.reference_cache import remember_ids
from ledgerflow.ledger_writer.settings import QboSettings
from ledgerflow.ledger_writer.targets.qbo.batching import CreateBatcher
from ledgerflow.ledger_writer.targets.qbo.books import QboBooks, translated
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher
from ledgerflow.ledger_writer.targets.qbo.credentials.endpoint import TokenEndpoint
from ledgerflow.ledger_writer.targets.qbo.credentials.provider import TokenProvider, refresh_counter
from ledgerflow.ledger_writer.targets.qbo.credentials.store import DDL as CREDENTIALS_DDL
from ledgerflow.ledger_writer.targets.qbo.credentials.store import PostgresCredentialStore
from ledgerflow.ledger_writer.targets.qbo.rate_limit import CompanyLimiter
from ledgerflow.runtime.metrics import Metrics

log = structlog.get_logger(__name__)

# The target's own tables, in the writer's schema: stored OAuth credentials.
DDL = CREDENTIALS_DDL


class QuickBooksOnline:
    name = "quickbooks_online"

    def __init__(
        self,
        settings: QboSettings,
        pool: Callable[[], asyncpg.Pool],
        *,
        token_cipher: TokenCipher | None,
        metrics: Metrics,
        provider: TracerProvider,
    ) -> None:
        self._settings = settings
        self._pool = pool  # the service's pool exists once it has started
        self._endpoint = TokenEndpoint(
            settings.refresh_url,
            settings.client_id,
            settings.client_secret,
            timeout=settings.timeout_seconds,
            tracer=provider.get_tracer("ledgerflow.ledger_writer.credentials"),
        )
        tokens = TokenProvider(
            PostgresCredentialStore(pool, token_cipher),
            self._endpoint,
            margin_seconds=settings.refresh_margin_seconds,
            recheck_seconds=settings.credentials_recheck_seconds,
            refreshes=refresh_counter(metrics.registry),
        )
        self.limiter = CompanyLimiter(
            settings.requests_per_minute,
            settings.concurrent,
            batches_per_minute=settings.batches_per_minute,
            on_wait=lambda realm, seconds: metrics.rate_limit_wait.labels(realm).inc(seconds),
        )
        self.client = QuickBooksClient(
            settings.base_url,
            settings.token.get_secret_value(),
            minorversion=settings.minorversion,
            timeout=settings.timeout_seconds,
            batch_timeout=settings.batch_timeout_seconds,
            tracer=provider.get_tracer("ledgerflow.ledger_writer.qbo"),
            metrics=metrics,
            limiter=self.limiter,
            throttle_pause=settings.throttle_pause_seconds,
            attempts=settings.attempts,
            tokens=tokens,
            log_calls=True,
        )
        self.creates = CreateBatcher(
            self.client,
            self.limiter,
            provider.get_tracer("ledgerflow.ledger_writer.qbo"),
            max_items=settings.batch_items,
            in_flight=settings.batch_in_flight,
        )

    def company_of(self, tenant_id: str, books: BooksTarget = BooksTarget.QUICKBOOKS_ONLINE) -> Company:
        return Company(tenant_id, self._settings.realms.get(tenant_id, tenant_id))

    def calls_in(self, company: Company) -> bool:
        return False

    def books(self, company: Company, matching: MatchingPolicy, attempt: str) -> QboBooks:
        return QboBooks(self._pool(), self.client, company, matching, attempt, creates=self.creates)

    def in_flight_limit(self, company: Company) -> int:
        return self._settings.concurrent

    async def reference_data(self, company: Company) -> ReferenceSnapshot:
        realm = company.company_id
        with translated(company, "Item"):
            vendor_records = await self.client.query_all(realm, "Vendor")
            item_records = await self.client.query_all(realm, "Item")
        vendors = {str(v["Id"]): str(v["DisplayName"]) for v in vendor_records}
        # The writer's own copy of the ids: posting finds these names without asking the books again.
        pool = self._pool()
        active_vendors = [(str(v["DisplayName"]), str(v["Id"])) for v in vendor_records if v.get("Active", True)]
        active_items = [(str(i["Name"]), str(i["Id"])) for i in item_records if i.get("Active", True)]
        await remember_ids(pool, company.tenant_id, "Vendor", active_vendors)
        await remember_ids(pool, company.tenant_id, "Item", active_items)
        items = [_item(record, vendors) for record in item_records]
        return ReferenceSnapshot(items=items, vendors=tuple(vendors.values()))

    def rate_state(self, company: Company) -> RateState:
        tokens, paused_for = self.limiter.tokens(company.company_id)
        return RateState(
            tokens=tokens,
            paused_for=paused_for,
            used_last_minute=self.limiter.used_last_minute(company.company_id),
            limit_per_minute=self.limiter.requests_per_minute,
            throttled=self.limiter.throttled(company.company_id),
        )

    def restore_rate(self, company: Company, state: RateState) -> None:
        if state.tokens is not None:
            self.limiter.restore(company.company_id, state.tokens, state.paused_for, state.rested_for)

    async def aclose(self) -> None:
        await self.creates.aclose()
        await self.client.aclose()
        await self._endpoint.aclose()


def _item(record: dict[str, Any], vendors: dict[str, str]) -> ReferenceItem:
    vendor_ref = record.get("PrefVendorRef") or {}
    cost = record.get("PurchaseCost")
    return ReferenceItem(
        name=str(record["Name"]),
        sku=record.get("Sku"),
        type=str(record.get("Type", "NonInventory")),
        vendor_name=vendors.get(str(vendor_ref.get("value"))) if vendor_ref else None,
        purchase_cost=Decimal(str(cost)) if cost is not None else None,
        active=bool(record.get("Active", True)),
    )
