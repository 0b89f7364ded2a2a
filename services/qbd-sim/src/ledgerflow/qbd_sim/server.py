"""Run the simulator: ``python -m ledgerflow.qbd_sim`` comes here, and so will ``ledgerflow desktop-sim``."""

from __future__ import annotations

from dataclasses import dataclass

import uvicorn

from ledgerflow.qbd_sim.app import Simulator, create_app
from ledgerflow.qbd_sim.company import Edition
from ledgerflow.qbd_sim.connector.session import ConnectorSettings
from ledgerflow.qbd_sim.faults import FaultPlan


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8010
    admin_token: str | None = None
    every: float | None = None  # overrides every .qwc's Scheduler interval
    auto_run: bool = True  # off: updates run only when asked through the admin API
    edition: str = "enterprise"  # of company files created without one
    faults: str | None = None
    noop_wait: float = 5.0
    qbxml_version: str = "16.0"  # the highest version the request processor reports to the server


MIN_TOKEN_LENGTH = 8  # an empty admin token would let anyone seed books and inject faults


def simulator_for(options: ServerOptions) -> Simulator:
    major, _, minor = options.qbxml_version.partition(".")
    return Simulator(
        admin_token=options.admin_token,
        edition=Edition(options.edition),
        faults=FaultPlan.parse(options.faults),
        every=options.every,
        auto_run=options.auto_run,
        settings=ConnectorSettings(noop_wait_seconds=options.noop_wait, qbxml_major=major, qbxml_minor=minor or "0"),
    )


def serve(options: ServerOptions) -> None:
    if options.admin_token is not None and len(options.admin_token) < MIN_TOKEN_LENGTH:
        raise SystemExit(f"error: --admin-token must be at least {MIN_TOKEN_LENGTH} characters (or left out)")
    try:
        simulator = simulator_for(options)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    app = create_app(simulator)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False)
