"""Generated careless and hostile purchase orders: each normalizes, or is refused with a code, a reason and how to
fix it; never a traceback of another kind, whatever a field holds or wherever a value is replaced."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerflow.contracts import PurchaseOrderSystem
from ledgerflow.ingest.normalizers import NormalizationError
from ledgerflow.ingest.normalizers.purchase_orders import normalize_purchase_order

from .helpers import FIXTURES

SYSTEMS = {
    "linnworks-partial-gbp.json": PurchaseOrderSystem.LINNWORKS,
    "skuvault-partial.json": PurchaseOrderSystem.SKUVAULT,
    "erply-partial-eur.json": PurchaseOrderSystem.ERPLY,
    "lightspeed_x-purchase-order-delivered.json": PurchaseOrderSystem.LIGHTSPEED_X,
    "lightspeed_x-consignment-received-short.json": PurchaseOrderSystem.LIGHTSPEED_X,
    "lightspeed_r-order-complete.json": PurchaseOrderSystem.LIGHTSPEED_R,
}
text = st.text(max_size=20) | st.sampled_from(["", "NaN", "-1", "1e400", "9" * 60, "0001-01-01", "true", "\x00"])
scalars = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | text
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=12
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a payload where a value sits."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replaced(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(payload)
    target: Any = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return result


def _normalizes_or_refuses(system: PurchaseOrderSystem, payload: Any) -> None:
    try:
        normalize_purchase_order(system, payload)
    except NormalizationError as refused:
        detail = refused.detail
        assert detail.code and detail.message and detail.fix, detail


@pytest.mark.parametrize("fixture", sorted(SYSTEMS))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_one_value_replaced_normalizes_or_is_refused_precisely(fixture: str, data: st.DataObject) -> None:
    payload = json.loads((FIXTURES / fixture).read_text())
    path = data.draw(st.sampled_from(_paths(payload)))
    _normalizes_or_refuses(SYSTEMS[fixture], _replaced(payload, path, data.draw(values)))


@pytest.mark.parametrize("system", list(PurchaseOrderSystem))
@settings(max_examples=60, deadline=None)
@given(payload=st.dictionaries(text, values, max_size=5) | values)
def test_any_json_at_all_is_refused_precisely_or_normalizes(system: PurchaseOrderSystem, payload: Any) -> None:
    _normalizes_or_refuses(system, payload)


def test_the_fixtures_are_all_here() -> None:
    assert {p.name for p in Path(FIXTURES).glob("*.json")} == set(SYSTEMS)
