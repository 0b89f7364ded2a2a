"""The poller as a Kubernetes runs it: ``python -m ledgerflow.ingest.poller`` in a process of its own, settings from
the environment, against an X-Series of our own over HTTP; it publishes the purchase order, says it is ready, keeps
its position in PostgreSQL, and ends at once and cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from subprocess import PIPE, STDOUT

import asyncpg
import httpx
import pytest

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.devstack.ports import free_port, wait_until_listening
from tests.integration.test_purchase_order_poller import _versions
from tests.unit.purchase_orders.test_lightspeed_x_api import XSeries

STORE = "https://roastery.retail.lightspeed.app"


@pytest.fixture
def x_series() -> Iterator[tuple[str, XSeries]]:
    """The fake X-Series behind a real HTTP server: each request handed to it as it would reach the store's API."""
    fake = XSeries()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            request = httpx.Request("GET", f"{STORE}{self.path}", headers=dict(self.headers))
            response = fake.handle(request)
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", fake
    server.shutdown()


async def test_the_poller_service_publishes_reports_ready_and_stops_on_sigterm(
    services: LocalServices, tenant: str, x_series: tuple[str, XSeries]
) -> None:
    url, fake = x_series
    port = free_port()
    env = {
        **services.env(),
        "LEDGERFLOW_POLLER_TENANT": tenant,
        "LEDGERFLOW_POLLER_CONNECTION": f"{tenant}-x",
        "LEDGERFLOW_POLLER_SYSTEM": "lightspeed_x",
        "LEDGERFLOW_POLLER_EVERY_SECONDS": "1",
        "LEDGERFLOW_POLLER_HTTP_HOST": "127.0.0.1",
        "LEDGERFLOW_POLLER_HTTP_PORT": str(port),
        "LEDGERFLOW_LIGHTSPEED_X_DOMAIN_PREFIX": "roastery",
        "LEDGERFLOW_LIGHTSPEED_X_TOKEN": "token-x",
        "LEDGERFLOW_LIGHTSPEED_X_API_URL": url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ledgerflow.ingest.poller", env=env, stdout=PIPE, stderr=STDOUT
    )
    try:
        await asyncio.to_thread(wait_until_listening, port, 60, "poller", lambda: process.returncode is None)
        (version,) = await _versions(services.stack.bootstrap_servers, tenant, 1)
        assert (version.purchase_order.po_number, version.purchase_order.lines[0].sku) == ("PO-0714", "COFFEE-BAG")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/health/live")).status_code == 200
            assert (await client.get("/health/ready")).status_code == 200
            assert 'ledgerflow_poller_rounds_total{outcome="ok"}' in (await client.get("/metrics")).text
        rounds = sum(path == "/consignments?after=827406" for path in fake.paths)
        assert rounds >= 1  # later rounds start from the kept version
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, output.decode()[-2000:]
    conn = await asyncpg.connect(services.stack.database_url)
    try:
        row = await conn.fetchrow("SELECT position, open_ids::text FROM poller.positions WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()
    assert row is not None and (row["position"], json.loads(row["open_ids"])) == ("827406", [])
