"""How `ledgerflow queues` names a company's state, a QuickBooks Desktop company file's included."""

from __future__ import annotations

from ledgerflow.cli.queues import as_json, status
from ledgerflow.ledger_writer.queue.store import CompanyQueue


def _queue(**changes: object) -> CompanyQueue:
    fields: dict[str, object] = {
        "company_id": "qbd:acme", "tenant_id": "acme", "writer_pool": "default", "depth": 3, "retrying": 0,
        "oldest_seconds": 12.0, "owner": None, "paused": None, "paused_at": None, "used_last_minute": 0,
        "limit_per_minute": 0, "throttled": 0, "done": 0, "last_error": None,
    }  # fmt: skip
    return CompanyQueue(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_desktop_company_with_orders_and_no_web_connector_waits_for_it() -> None:
    away = _queue(calls_in=True, reachable=False)
    assert status(away) == "waiting for its Web Connector"
    assert as_json(away)["web_connector"] == "away"


def test_a_connected_desktop_company_drains_like_any_other() -> None:
    assert status(_queue(calls_in=True, reachable=True, owner="writer-1")) == "draining"
    assert as_json(_queue(calls_in=True, reachable=True))["web_connector"] == "connected"


def test_an_online_company_has_no_web_connector() -> None:
    online = _queue(company_id="9130", calls_in=False)
    assert status(online) == "waiting"
    assert as_json(online)["web_connector"] is None
