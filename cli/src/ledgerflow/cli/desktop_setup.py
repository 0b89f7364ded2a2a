"""Connect a tenant's company file in the Desktop simulator, as a bookkeeper connects a real one.

The steps are the ones docs/quickbooks-desktop.md gives a bookkeeper: the .qwc from ``ledgerflow desktop qwc``,
a password from ``ledgerflow desktop password``, the .qwc added to the Web Connector with that password.
Here the company file and the Web Connector are the simulator's.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from ledgerflow.cli.desktop import qwc, register, set_password
from ledgerflow.cli.local_services import SIM_ADMIN_TOKEN
from ledgerflow.ledger_writer.settings import QbdSettings

ADMIN = {"X-Ledgerflow-Admin": SIM_ADMIN_TOKEN}


@dataclass(frozen=True)
class ConnectedFile:
    tenant: str
    app_name: str
    sim_url: str

    async def run_now(self) -> dict[str, Any]:
        """One Web Connector update now (as "Update Selected"), and its session log."""
        async with httpx.AsyncClient(base_url=self.sim_url, headers=ADMIN, timeout=600) as client:
            response = await client.post(f"/admin/connectors/{quote(self.app_name)}/run")
            response.raise_for_status()
            return dict(response.json())

    async def sessions(self) -> list[dict[str, Any]]:
        """The Web Connector's recent sessions with this file, newest first, as its log shows them."""
        async with httpx.AsyncClient(base_url=self.sim_url, headers=ADMIN, timeout=30) as client:
            response = await client.get(f"/admin/connectors/{quote(self.app_name)}/sessions", params={"limit": 50})
            response.raise_for_status()
            return list(response.json()["sessions"])

    async def disconnect(self) -> None:
        """Remove the application from the Web Connector (the bookkeeper's "Remove")."""
        async with httpx.AsyncClient(base_url=self.sim_url, headers=ADMIN, timeout=30) as client:
            response = await client.delete(f"/admin/connectors/{quote(self.app_name)}")
            if response.status_code != 404:
                response.raise_for_status()

    async def books(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.sim_url, headers=ADMIN, timeout=30) as client:
            response = await client.get(f"/admin/company-files/{self.tenant}/books")
            response.raise_for_status()
            return dict(response.json())


async def connect_company_file(
    database_url: str,
    sim_url: str,
    tenant: str,
    qbwc_url: str,
    *,
    edition: str = "enterprise",
    vendors: Sequence[str] = (),
    items: Sequence[dict[str, Any]] = (),
    every: float | None = None,
) -> ConnectedFile:
    """A company file named after the tenant, its vendors and items, and the Web Connector set up for it."""
    company = await register(database_url, tenant)
    password = secrets.token_urlsafe(18)
    await set_password(database_url, tenant, password)
    text = qwc(company, QbdSettings(public_url=qbwc_url), every_minutes=1)
    async with httpx.AsyncClient(base_url=sim_url, headers=ADMIN, timeout=30) as client:
        created = await client.post("/admin/company-files", json={"name": tenant, "edition": edition})
        if created.status_code != 409:  # kept from an earlier run of the same stack
            created.raise_for_status()
        for vendor in vendors:
            await _seed(client, tenant, "vendors", {"name": vendor})
        for item in items:
            await _seed(client, tenant, "items", {k: str(v) if isinstance(v, Decimal) else v for k, v in item.items()})
        body: dict[str, Any] = {"qwc": text, "password": password, "company_file": tenant}
        if every is not None:
            body["every_seconds"] = every
        registered = await client.post("/admin/connectors", json=body)
        if registered.status_code != 409:
            registered.raise_for_status()
    return ConnectedFile(tenant, company.app_name(), sim_url)


async def _seed(client: httpx.AsyncClient, tenant: str, kind: str, body: dict[str, Any]) -> None:
    response = await client.post(f"/admin/company-files/{tenant}/{kind}", json=body)
    if response.status_code not in (200, 201, 409):
        response.raise_for_status()
