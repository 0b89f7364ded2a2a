"""Connection settings: how one tenant's store maps to its books. Written in YAML, stored and versioned here.

``ledgerflow config apply FILE`` validates every connection in the file (all problems are listed at once)
and stores a new version of each one that changed. Secrets never belong here: unknown keys are refused.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from ledgerflow.contracts import (
    BooksTarget,
    CanonicalOrder,
    Channel,
    MatchingPolicy,
    NumberingPolicy,
    PaymentState,
    PurchaseOrderSystem,
    TransactionMode,
)
from ledgerflow.contracts.envelope import TenantId
from ledgerflow.planner.booking import Accounts, TaxCodes
from ledgerflow.planner.rules import RuleSet, load_rule_sets
from ledgerflow.planner.settings import InvoiceWhen, ItemNames, PlannerSettings, PlanOptions, RefundMode
from ledgerflow.planner.settings_yaml import read_yaml
from ledgerflow.planner.source_purchase_orders import PurchaseOrderSettings, ReceiptPolicy
from ledgerflow.runtime.database import DbConnection

DDL = (
    """
    CREATE TABLE IF NOT EXISTS connection_settings (
        tenant_id     text        NOT NULL,
        connection_id text        NOT NULL,
        version       integer     NOT NULL,
        settings      jsonb       NOT NULL,
        applied_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, connection_id, version)
    )
    """,
)

SALES_ORDER_INVOICE_MODES = (TransactionMode.SALES_ORDERS_INVOICES, TransactionMode.SALES_ORDERS_INVOICES_POS)
PAID = (PaymentState.PAID,)
UNPAID = (PaymentState.UNPAID, PaymentState.ON_TERMS, PaymentState.AUTHORIZED, PaymentState.PARTIALLY_PAID)


class Routing(BaseModel):
    """R2: paid orders and unpaid ones to different documents, from one connection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paid: TransactionMode | None = None
    unpaid: TransactionMode | None = None


class ConnectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: TenantId
    connection: str = Field(min_length=1, max_length=64)
    channel: Channel | PurchaseOrderSystem = Field(
        description="The sales channel, or the system whose own purchase orders the connection reads."
    )
    target: BooksTarget = Field(
        default=BooksTarget.QUICKBOOKS_ONLINE, description="quickbooks_online or quickbooks_desktop (Web Connector)."
    )
    mode: TransactionMode = TransactionMode.INVOICES_WITH_PAYMENTS
    routing: Routing = Routing()
    sync_payment_states: list[PaymentState] | None = Field(
        default=None, description="R1: only orders in these payment states sync; none listed means all."
    )
    terms_methods: list[str] = Field(
        default_factory=list,
        description="Payment methods that mean terms (purchase order, net 30...): such an order is an unpaid invoice.",
    )
    invoice_when: InvoiceWhen = Field(
        default=InvoiceWhen.ORDER, description="Sales orders + invoices: when the invoice is made (L1)."
    )
    refunds: RefundMode = RefundMode.NONE
    refund_account: str = Field(default="Undeposited Funds", min_length=1, description="Refund receipts pay from it.")
    rounding_cap: Decimal = Field(default=Decimal(0), ge=0, le=1, description="Largest difference booked as rounding.")
    matching: MatchingPolicy = MatchingPolicy()
    accounts: Accounts = Accounts()
    tax_codes: TaxCodes = TaxCodes()
    creates_purchase_orders: bool = Field(
        default=False, description="The channel creates its own purchase orders (Erply, LightSpeed, Linnworks...)."
    )
    numbering: NumberingPolicy = NumberingPolicy()
    items: ItemNames = ItemNames()
    # Purchase orders from the systems that make them (docs/purchase-orders.md).
    vendors: dict[str, str] = Field(
        default_factory=dict,
        description="The system's supplier id or name -> the vendor's name in the books; vendors are never created.",
    )
    receipt_policy: ReceiptPolicy | None = Field(
        default=None, description="po-only, receipt-as-bill (Online's default) or item-receipt (Desktop's default)."
    )
    home_currency: str = Field(
        default="USD", min_length=3, max_length=3, description="For systems that name no currency (SKU Vault)."
    )

    @field_validator("channel", mode="wrap")
    @classmethod
    def _known_source(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Channel | PurchaseOrderSystem:
        """One line for a name that is neither, rather than one per kind of source."""
        try:
            source: Channel | PurchaseOrderSystem = handler(value)
        except ValidationError:
            known = ", ".join(s.value for s in (*Channel, *PurchaseOrderSystem))
            raise ValueError(
                f"{value!r} is not a channel or purchase-order system ledgerflow reads ({known})"
            ) from None
        return source

    @model_validator(mode="after")
    def _consistent(self) -> ConnectionSettings:
        problems = []
        if self.routing.unpaid is TransactionMode.SALES_RECEIPTS:
            problems.append("routing.unpaid: a sales receipt records a paid sale; route unpaid orders to invoices")
        modes = {self.mode, self.routing.paid, self.routing.unpaid} - {None}
        if self.invoice_when is not InvoiceWhen.ORDER and not modes & set(SALES_ORDER_INVOICE_MODES):
            problems.append("invoice_when: only sales orders + invoices modes make the invoice later")
        if self.creates_purchase_orders and TransactionMode.SALES_ORDERS_INVOICES_POS in modes:
            problems.append(
                "mode: this channel creates its own purchase orders; choose sales_orders_invoices instead of "
                "sales_orders_invoices_pos so that they are not made twice"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def defaults(cls, tenant: str, connection: str, channel: Channel, settings: PlannerSettings) -> ConnectionSettings:
        """What a connection without settings of its own uses: the planner's environment defaults."""
        return cls(
            tenant=tenant,
            connection=connection,
            channel=channel,
            mode=settings.default_mode,
            items=settings.items,
            numbering=settings.numbering,
            matching=settings.matching,
            invoice_when=settings.invoice_when,
            refunds=settings.refunds,
        )

    def purchase_order_settings(self) -> PurchaseOrderSettings:
        return PurchaseOrderSettings(target=self.target, receipt_policy=self.receipt_policy, vendors=self.vendors,
                                     home_currency=self.home_currency.upper())  # fmt: skip

    def options(self) -> PlanOptions:
        return PlanOptions(
            items=self.items,
            invoice_when=self.invoice_when,
            refunds=self.refunds,
            refund_account=self.refund_account,
            rounding_cap=self.rounding_cap,
            creates_purchase_orders=self.creates_purchase_orders,
        )

    def payment_state(self, order: CanonicalOrder) -> PaymentState:
        """A payment method that means terms makes an order with nothing captured an order on terms (M2)."""
        terms = {m.casefold() for m in self.terms_methods}
        if not order.amount_paid and any(m.casefold() in terms for m in order.payment_methods):
            return PaymentState.ON_TERMS
        return order.payment_state

    def mode_for(self, state: PaymentState) -> TransactionMode:
        if state in PAID and self.routing.paid is not None:
            return self.routing.paid
        if state in UNPAID and self.routing.unpaid is not None:
            return self.routing.unpaid
        return self.mode

    def syncs(self, state: PaymentState) -> bool:
        return self.sync_payment_states is None or state in self.sync_payment_states


class ConfigError(ValueError):
    """Every problem of a settings file, one per line."""


@dataclass(frozen=True)
class SettingsFile:
    """A settings file: connections, and the rules of the tenants it names (R4, docs/rules.md)."""

    connections: list[ConnectionSettings]
    rule_sets: list[RuleSet]


def load_file(path: Path) -> list[ConnectionSettings]:
    return load_settings(path).connections


def load_settings(path: Path) -> SettingsFile:
    try:
        raw: Any = read_yaml(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    problems, rules = [], None
    if isinstance(raw, dict) and ("connections" in raw or "rules" in raw):
        problems += [f"{key}: unknown key (a settings file has connections and rules)" for key in raw
                     if key not in ("connections", "rules")]  # fmt: skip
        rules, raw = raw.get("rules"), raw.get("connections") or []
    entries = raw if isinstance(raw, list) else [raw]
    settings = []
    for index, entry in enumerate(entries):
        try:
            settings.append(ConnectionSettings.model_validate(entry))
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "connection"
                problems.append(f"connections[{index}].{where}: {error['msg']}")
    rule_sets, rule_problems = load_rule_sets(rules) if rules is not None else ([], [])
    problems += rule_problems
    if problems:
        raise ConfigError("\n".join(problems))
    return SettingsFile(settings, rule_sets)


async def apply(conn: DbConnection, settings: ConnectionSettings) -> int:
    """Store ``settings`` as the next version when they differ from the current one; returns the version."""
    body = settings.model_dump_json()
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))", f"connection/{settings.tenant}/{settings.connection}"
    )
    current = await conn.fetchrow(
        """SELECT version, settings::text AS body FROM connection_settings
           WHERE tenant_id = $1 AND connection_id = $2 ORDER BY version DESC LIMIT 1""",
        settings.tenant,
        settings.connection,
    )
    if current is not None and ConnectionSettings.model_validate_json(current["body"]) == settings:
        return int(current["version"])
    version = 1 if current is None else int(current["version"]) + 1
    await conn.execute(
        """INSERT INTO connection_settings (tenant_id, connection_id, version, settings)
           VALUES ($1, $2, $3, $4::jsonb)""",
        settings.tenant,
        settings.connection,
        version,
        body,
    )
    return version


async def current(conn: DbConnection, tenant: str, connection: str) -> ConnectionSettings | None:
    body = await conn.fetchval(
        """SELECT settings::text FROM connection_settings WHERE tenant_id = $1 AND connection_id = $2
           ORDER BY version DESC LIMIT 1""",
        tenant,
        connection,
    )
    return None if body is None else parse_stored(body)


_PARSED_CACHE_SIZE = 512
_parsed_settings: OrderedDict[str, ConnectionSettings] = OrderedDict()


def parse_stored(body: str) -> ConnectionSettings:
    """Every order of a connection reads the same stored settings: parsed once per process, keyed by the stored
    text itself, so a new version (or another database) is never mistaken for a cached one."""
    found = _parsed_settings.get(body)
    if found is not None:
        _parsed_settings.move_to_end(body)
        return found
    settings = _parsed_settings[body] = ConnectionSettings.model_validate_json(body)
    if len(_parsed_settings) > _PARSED_CACHE_SIZE:
        _parsed_settings.popitem(last=False)
    return settings
