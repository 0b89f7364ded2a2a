"""Sample orders for the demo, written for ledgerflow (see manifest.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SampleOrder:
    tenant: str
    connection: str
    channel: str
    path: Path

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.path.read_text())
        return body


def sample_orders() -> list[SampleOrder]:
    root = Path(str(resources.files(__name__)))
    manifest = json.loads((root / "manifest.json").read_text())
    return [
        SampleOrder(tenant=o["tenant"], connection=o["connection"], channel=o["channel"], path=root / o["file"])
        for o in manifest["orders"]
    ]


def sample_items_path() -> Path:
    """The sample tenants' items with preferred vendors and purchase costs (for previews of purchase orders)."""
    return Path(str(resources.files(__name__))) / "items.yaml"


def sample_named(name: str) -> SampleOrder | None:
    """A sample by its file stem, e.g. ``acme-1001-paid-tax-shipping-discount``."""
    return next((s for s in sample_orders() if s.path.stem == name), None)


def sample_connections_path() -> Path:
    """Connection settings for the sample tenants: several modes side by side in the demo."""
    return Path(str(resources.files(__name__))) / "connections.yaml"
