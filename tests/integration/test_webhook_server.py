"""The receiver as run by `ledgerflow webhooks`: a cap on connections held at once, and a SIGTERM that ends it
within its shutdown bound even while slow clients hold connections open."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledgerflow.cli.local_services import LocalServices
from ledgerflow.devstack.ports import free_port

LEDGERFLOW = str(Path(sys.executable).with_name("ledgerflow"))
MAX_CONNECTIONS = 3
SHUTDOWN_BOUND_SECONDS = 10  # uvicorn's graceful shutdown in webhooks.serve()


@pytest.fixture
def receiver(services: LocalServices, tenant: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    connections = {"shop": {"tenant": tenant, "channel": "shopify", "secret": "whsec-integration-0123"}}
    env = {
        **os.environ,
        "LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS": services.stack.bootstrap_servers,
        "LEDGERFLOW_WEBHOOK_CONNECTIONS": json.dumps(connections),
        "LEDGERFLOW_WEBHOOK_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "LEDGERFLOW_WEBHOOK_READ_TIMEOUT_SECONDS": "120",  # the held connections must outlast the test
    }
    process = subprocess.Popen([LEDGERFLOW, "webhooks", "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, process)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_until_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the receiver exited while starting"
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the receiver never became ready")


def _hold_a_slow_request(url: str) -> socket.socket:
    """A client that sends its headers and a first byte of a body it never finishes."""
    host, port = url.removeprefix("http://").split(":")
    held = socket.create_connection((host, int(port)), timeout=5)
    held.sendall(
        b"POST /webhooks/shop/shopify HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"
        b"X-Shopify-Hmac-SHA256: AAAA\r\nContent-Length: 1000\r\n\r\n{"
    )
    return held


def test_connections_past_the_cap_are_answered_503_and_sigterm_ends_it_within_the_bound(
    receiver: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = receiver
    held = [_hold_a_slow_request(url) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.5)  # the held requests reach the app
        refused = httpx.post(f"{url}/webhooks/shop/shopify", content=b"{}", timeout=10)
        assert refused.status_code == 503

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=SHUTDOWN_BOUND_SECONDS + 10)
        assert time.monotonic() - started < SHUTDOWN_BOUND_SECONDS + 5
    finally:
        for connection in held:
            connection.close()
