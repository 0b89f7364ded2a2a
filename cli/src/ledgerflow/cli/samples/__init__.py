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
