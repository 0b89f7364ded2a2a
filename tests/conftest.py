from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.cli.samples import SampleOrder, sample_orders

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"


def load_json(path: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(path.read_text())
    return body


@pytest.fixture(scope="session")
def samples() -> dict[str, SampleOrder]:
    """The demo's sample orders by file stem, e.g. ``acme-1001-paid-tax-shipping-discount``."""
    return {s.path.stem: s for s in sample_orders()}


@pytest.fixture
def shopify_paid(samples: dict[str, SampleOrder]) -> dict[str, Any]:
    return samples["acme-1001-paid-tax-shipping-discount"].payload()
