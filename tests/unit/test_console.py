"""The console's pure parts: which order a dead letter is about, an order's status from its documents, a settings
file tried on an order, and the plot."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledgerflow.cli.samples import sample_named
from ledgerflow.console import dry_run, letters
from ledgerflow.console.auth import Principal
from ledgerflow.console.context import plain, templates
from ledgerflow.console.health import Minute
from ledgerflow.console.plot import activity_svg
from ledgerflow.console.reads import Document, OrderFilter, OrderRow, OrderStatus, status_of
from ledgerflow.contracts import Channel, DeadLetter, ErrorDetail, MessageMeta, OrderNormalized, RawOrderEnvelope
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.connections import ConfigError


def _letter(topic: str, payload: str) -> DeadLetter:
    return DeadLetter(
        meta=MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4()),
        stage="ingest",
        source_topic=topic,
        error=ErrorDetail(code="order.unbalanced", message="the parts do not add up", fix="Fix the order."),
        payload=payload,
    )


def _shopify() -> dict[str, Any]:
    sample = sample_named("acme-1001-paid-tax-shipping-discount")
    assert sample is not None
    return sample.payload()


def test_a_raw_dead_letter_names_its_order_and_is_replayed_by_publishing_it_again() -> None:
    envelope = RawOrderEnvelope(
        meta=MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4()),
        connection_id="acme-shopify",
        channel=Channel.SHOPIFY,
        payload=_shopify(),
    )
    read = letters.read(_letter("orders.raw", envelope.model_dump_json()))
    assert (read.order_number, read.channel, read.republishes) == ("1001", "shopify", True)


def test_a_later_stages_dead_letter_names_its_order_and_is_replayed_by_a_resync() -> None:
    read = letters.read(_letter("ledger.commands", json.dumps({"plan": {"order_number": "A-7", "channel": "square"}})))
    assert (read.order_number, read.channel, read.republishes) == ("A-7", "square", False)
    unreadable = letters.read(_letter("ledger.commands", "not json"))
    assert unreadable.order_number is None
    assert letters.read(_letter("orders.raw", "[" * 100_000 + "]" * 100_000)).order_number is None
    grouped = letters.by_cause([read, unreadable])
    assert list(grouped) == ["order.unbalanced"] and len(grouped["order.unbalanced"].letters) == 2


def _doc(status: str) -> Document:
    return Document("k", "invoice", "create", status, Decimal("1.00"), None, None, None, None, datetime.now(UTC))


@pytest.mark.parametrize(
    ("statuses", "skipped", "dead", "expected"),
    [
        (["posted", "failed"], False, False, OrderStatus.FAILED),
        (["posted", "posted"], False, True, OrderStatus.POSTED),  # a dead letter replayed since
        (["posted", "pending"], False, True, OrderStatus.DEAD_LETTERED),
        (["posted", "planned"], False, False, OrderStatus.WAITING),
        ([], True, False, OrderStatus.LEFT_OUT),
        ([], False, False, OrderStatus.NOTHING),
    ],
)
def test_an_orders_status_follows_its_documents(
    statuses: list[str], skipped: bool, dead: bool, expected: OrderStatus
) -> None:
    assert status_of([_doc(s) for s in statuses], skipped, dead) is expected


def test_a_settings_file_is_validated_as_config_apply_does_and_kept_to_its_tenant() -> None:
    with pytest.raises(ConfigError):
        dry_run.parse("connections:\n  - {tenant: acme, connection: shop, mode: nonsense}\n")
    changed = dry_run.parse(
        "connections:\n  - {tenant: acme, connection: shop, channel: shopify, mode: sales_receipts}"
    )
    dry_run.check_tenant(changed, "acme")
    with pytest.raises(dry_run.ForeignSettings):
        dry_run.check_tenant(changed, "globex")


def test_a_paid_order_tried_with_sales_receipts_becomes_one() -> None:
    order = normalize(Channel.SHOPIFY, _shopify())
    message = OrderNormalized(meta=MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4()), connection_id="shop",
                              order_version=1, content_hash="x", order=order)  # fmt: skip
    before, after = (dry_run.parse(f"{{tenant: acme, connection: shop, channel: shopify, mode: {mode}}}").connections[0]
                     for mode in ("invoices_with_payments", "sales_receipts"))  # fmt: skip
    assert dry_run.outcome(message, before, None) == "invoices_with_payments: Invoice 340.11 USD, Payment 340.11 USD"
    assert dry_run.outcome(message, after, None) == "sales_receipts: SalesReceipt 340.11 USD"


def test_the_plot_draws_each_minute_and_nothing_from_outside() -> None:
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    svg = str(activity_svg([Minute(start + timedelta(minutes=i), i % 3, i % 2) for i in range(60)]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="posted"') == 40 and svg.count('class="failed"') == 30
    assert "12:00" in svg and "<script" not in svg


def test_json_keeps_amounts_as_decimal_strings() -> None:
    assert plain({"total": Decimal("340.11"), "on": datetime(2026, 1, 2, tzinfo=UTC), "s": OrderStatus.POSTED}) == {
        "total": "340.11", "on": "2026-01-02T00:00:00+00:00", "s": "posted",
    }  # fmt: skip


def test_what_an_order_says_is_shown_as_text_never_as_markup() -> None:
    hostile = '<script>alert("x")</script>'
    row = OrderRow("shop", "shopify", "1", hostile, None, 1, "USD", Decimal("1.00"), hostile, OrderStatus.POSTED)
    who = Principal(uuid.uuid4(), "acme", False, "", csrf="c")
    html = templates.get_template("orders.html").render(
        who=who, tenant="acme", orders=[row], wanted=OrderFilter(), statuses=list(OrderStatus), console=None
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
