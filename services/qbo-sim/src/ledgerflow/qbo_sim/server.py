"""Run the simulator: ``ledgerflow sim`` and ``python -m ledgerflow.qbo_sim`` both come here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import uvicorn

from ledgerflow.qbo_sim.app import QuietDrops, Simulator, create_app
from ledgerflow.qbo_sim.auth import TokenLifetimes
from ledgerflow.qbo_sim.chaos import FaultPlan
from ledgerflow.qbo_sim.entities import Rules
from ledgerflow.qbo_sim.limits import Limits


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    limits: str = "qbo"
    faults: str | None = None
    access_token_seconds: float = 3600.0
    refresh_token_seconds: float = 100 * 24 * 3600.0
    custom_txn_numbers: bool = True
    retry_after: int | None = None
    admin_token: str | None = None
    rules: str | None = None
    sales_tax_rate: str | None = None
    multi_currency: bool = True


MIN_TOKEN_LENGTH = 8  # an empty development token would let requests in without any Authorization


def serve(options: ServerOptions) -> None:
    for name, value in (("--token", options.token), ("--admin-token", options.admin_token)):
        if value is not None and len(value) < MIN_TOKEN_LENGTH:
            raise SystemExit(f"error: {name} must be at least {MIN_TOKEN_LENGTH} characters (or left out)")
    simulator = Simulator(
        token=options.token,
        limits=Limits.named(options.limits),
        faults=FaultPlan.parse(options.faults),
        lifetimes=TokenLifetimes(options.access_token_seconds, options.refresh_token_seconds),
        custom_txn_numbers=options.custom_txn_numbers,
        admin_token=options.admin_token,
        rules=Rules.parse(options.rules),
    )
    simulator.multi_currency = options.multi_currency
    simulator.sales_tax_rate = Decimal(options.sales_tax_rate) if options.sales_tax_rate else None
    logging.getLogger("uvicorn.error").addFilter(QuietDrops())
    app = create_app(simulator, retry_after=options.retry_after)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False)
