"""Settings for the sample orders' connections, one mode each, so that a load or chaos run mixes M1-M5 and M7.

Every mode is one the connection's sample orders can take (a sales receipt needs a paid order, so the
Shopify store routes only its paid orders there). Purchase orders (M6) need the books' vendors and costs
first (``ledgerflow refdata sync``), so they are left to their own tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerflow.cli.samples import sample_orders
from ledgerflow.planner.connections import ConnectionSettings

MODES: dict[str, dict[str, Any]] = {
    "acme-shopify": {"mode": "invoices_with_payments", "routing": {"paid": "sales_receipts"}},  # M2 + M3 (R2)
    "globex-shopify": {"mode": "sales_orders_invoices"},  # M5
    "acme-bigcommerce": {"mode": "invoices"},  # M1
    "globex-stripe": {"mode": "estimates"},  # M7
    "initech-woo": {"mode": "sales_receipts"},  # M3
    "initech-amazon": {"mode": "invoices_with_payments"},  # M2
    "initech-square": {"mode": "sales_orders"},  # M4
    "initech-magento": {"mode": "sales_orders_invoices"},  # M5
    "initech-store": {"mode": "invoices_with_payments", "numbering": {"mode": "order_number", "prefix": "WEB-"}},
}


def sample_connection_settings(tenants: Sequence[str]) -> list[ConnectionSettings]:
    """The settings of every sample connection, for each tenant."""
    channels = {sample.connection: sample.channel for sample in sample_orders()}
    return [
        ConnectionSettings.model_validate(
            {"tenant": tenant, "connection": connection, "channel": channels[connection], **MODES[connection]}
        )
        for tenant in tenants
        for connection in sorted(channels)
    ]
