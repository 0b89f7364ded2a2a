"""Loading the purchase-order test payloads and breaking them in one place."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledgerflow.contracts import CanonicalPurchaseOrder, ErrorDetail, PurchaseOrderSystem
from ledgerflow.ingest.normalizers import NormalizationError
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order

FIXTURES = Path(__file__).parents[2] / "fixtures" / "purchase_orders"


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


def edited(payload: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(payload)
    target: Any = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return result


def normalized(system: PurchaseOrderSystem, payload: dict[str, Any]) -> CanonicalPurchaseOrder:
    return normalize_purchase_order(system, payload)


def refused(system: PurchaseOrderSystem, payload: Any) -> ErrorDetail:
    """The refusal, which must say what, why, and how to fix it."""
    with pytest.raises(NormalizationError) as caught:
        normalize_purchase_order(system, payload)
    detail = caught.value.detail
    assert detail.message and detail.fix, detail
    return detail
