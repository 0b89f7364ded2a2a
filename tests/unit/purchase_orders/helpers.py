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


def erply_waybill_then_invoice() -> dict[str, Any]:
    """Erply's partly received order whose goods came on a waybill (stock, no payable), and the supplier's invoice for
    them later (``PRCINVOICEONLY``, its ``baseDocuments`` naming the waybill)."""
    payload = edited(load("erply-partial-eur.json"), ["records", 1, "type"], "PRCWAYBILL")
    payload["records"].append(
        {
            **payload["records"][1],
            "id": 9060,
            "type": "PRCINVOICEONLY",
            "number": "INV-5530",
            "regnumber": "BW-2026-340",
            "date": "2026-11-12",
            "baseDocuments": [{"id": 9050, "number": "INV-5521", "type": "PRCWAYBILL", "date": "2026-11-09"}],
        }
    )
    return payload


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
