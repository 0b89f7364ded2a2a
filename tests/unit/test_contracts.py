"""Every message model survives a JSON round trip unchanged; money is Decimal, never float."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from ledgerflow.contracts import (
    MESSAGE_MODELS,
    CanonicalOrder,
    CanonicalPurchaseOrder,
    Channel,
    DeadLetter,
    DocumentOutcome,
    DocumentPlan,
    DocumentType,
    ErrorDetail,
    LedgerCommand,
    LedgerEvent,
    LedgerStatus,
    LineKind,
    MessageMeta,
    Money,
    NumberedDocument,
    NumberRejected,
    OrderLine,
    OrderNormalized,
    PaymentState,
    PlannedDocument,
    PlannedLine,
    PurchaseOrderLine,
    PurchaseOrderNormalized,
    PurchaseOrderStatus,
    PurchaseOrderSystem,
    RawOrderEnvelope,
    RawPurchaseOrderEnvelope,
    ReferenceData,
    ReferenceItem,
    ReferenceSyncRequest,
    ResyncRequest,
    Topic,
    TransactionMode,
    VendorRef,
    currency_exponent,
    dead_letter_topic,
    derive_message_id,
    message_key,
    quantize,
)
from ledgerflow.contracts.schemas import export_json_schemas
from ledgerflow.contracts.topics import all_topics

META = MessageMeta(tenant_id="acme", correlation_id=uuid.uuid4())


def _order() -> CanonicalOrder:
    return CanonicalOrder(
        channel=Channel.SHOPIFY,
        channel_order_id="820982911946154508",
        order_number="1001",
        ordered_at=datetime(2026, 11, 20, 9, 15, tzinfo=UTC),
        currency="usd",
        lines=(OrderLine(line_id="1", sku="A", title="A", quantity=Decimal(2), unit_price=Decimal("10.05")),),
        payment_state=PaymentState.PAID,
        channel_total=Decimal("20.10"),
    )


def _document() -> PlannedDocument:
    return PlannedDocument(
        key="acme/c/shopify/1/invoice",
        type=DocumentType.INVOICE,
        currency="USD",
        txn_date=date(2026, 11, 20),
        lines=(PlannedLine(kind=LineKind.ITEM, item_name="A", unit_price=Decimal("10.05"), amount=Decimal("10.05")),),
        total=Decimal("10.05"),
        memo="shopify order 1",
    )


def _examples() -> list[BaseModel]:
    plan_fields = {
        "connection_id": "c",
        "channel": Channel.SHOPIFY,
        "channel_order_id": "1",
        "order_number": "1001",
        "order_version": 1,
        "mode": TransactionMode.INVOICES_WITH_PAYMENTS,
    }
    return [
        RawOrderEnvelope(meta=META, connection_id="c", channel=Channel.SHOPIFY, payload={"order": {"id": 1}}),
        OrderNormalized(meta=META, connection_id="c", order_version=1, content_hash="abc", order=_order()),
        DocumentPlan(meta=META, documents=(_document(),), **plan_fields),
        LedgerCommand(
            meta=META,
            documents=(NumberedDocument(document=_document(), doc_number="1001", number_space="invoice"),),
            **plan_fields,
        ),
        LedgerEvent(
            meta=META,
            connection_id="c",
            channel=Channel.SHOPIFY,
            channel_order_id="1",
            order_number="1001",
            order_version=1,
            status=LedgerStatus.POSTED,
            documents=(
                DocumentOutcome(
                    key="k",
                    type=DocumentType.INVOICE,
                    status=LedgerStatus.POSTED,
                    currency="USD",
                    total=Decimal("10.05"),
                ),
            ),
        ),
        NumberRejected(
            meta=META,
            connection_id="c",
            command_message_id=uuid.uuid4(),
            document_key="acme/c/shopify/1/invoice",
            number_space="invoice",
            doc_number="1001",
            reason="behind_books",
            books_last_number="1500",
        ),
        DeadLetter(
            meta=META,
            stage="ingest",
            source_topic=Topic.RAW_ORDERS,
            error=ErrorDetail(code="x", message="y"),
            payload="{}",
        ),
        ResyncRequest(meta=META, order_number="1001", delete=True),
        ReferenceSyncRequest(meta=META),
        ReferenceData(
            meta=META,
            complete=True,
            synced_at=datetime(2026, 11, 24, tzinfo=UTC),
            items=(
                ReferenceItem(name="MUG-BLUE", sku="MUG-BLUE", vendor_name="Mugs Inc", purchase_cost=Decimal("4.10")),
            ),
            vendors=("Mugs Inc",),
        ),
        RawPurchaseOrderEnvelope(
            meta=META, connection_id="c", system=PurchaseOrderSystem.LINNWORKS, payload={"PurchaseOrderHeader": {}}
        ),
        PurchaseOrderNormalized(
            meta=META, connection_id="c", po_version=1, content_hash="abc", purchase_order=_purchase_order()
        ),
    ]


def _purchase_order() -> CanonicalPurchaseOrder:
    return CanonicalPurchaseOrder(
        system=PurchaseOrderSystem.SKUVAULT,
        source_po_id="118204",
        po_number="SV-7781",
        vendor=VendorRef(name="Northwind Textiles"),
        ordered_on=date(2026, 10, 28),
        status=PurchaseOrderStatus.OPEN,
        source_status="NoneReceived",
        lines=(PurchaseOrderLine(line_id="1", sku="TEE-S", quantity=Decimal(50), unit_cost=Decimal("4.10")),),
    )


def test_a_resync_names_one_order_or_a_date_range() -> None:
    with pytest.raises(ValidationError, match="not both"):
        ResyncRequest(meta=META)
    with pytest.raises(ValidationError, match="not both"):
        ResyncRequest(meta=META, order_number="1", ordered_from=date(2026, 1, 1), ordered_to=date(2026, 2, 1))
    with pytest.raises(ValidationError, match="one order"):
        ResyncRequest(meta=META, ordered_from=date(2026, 1, 1), ordered_to=date(2026, 2, 1), delete=True)
    with pytest.raises(ValidationError, match="after"):
        ResyncRequest(meta=META, ordered_from=date(2026, 2, 1), ordered_to=date(2026, 1, 1))


@pytest.mark.parametrize("message", _examples(), ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_json(message: BaseModel) -> None:
    text = message.model_dump_json()
    assert type(message).model_validate_json(text) == message


def test_every_message_model_has_an_example_and_meta() -> None:
    assert {type(m) for m in _examples()} == set(MESSAGE_MODELS.values())
    for model in MESSAGE_MODELS.values():
        assert "meta" in model.model_fields


def test_amounts_are_serialized_as_decimal_strings() -> None:
    body = json.loads(_examples()[1].model_dump_json())
    assert body["order"]["channel_total"] == "20.10"
    assert body["order"]["lines"][0]["unit_price"] == "10.05"
    assert body["meta"]["schema_version"] == 1


def test_a_float_amount_in_a_message_is_read_exactly() -> None:
    order = CanonicalOrder.model_validate({**_order().model_dump(mode="json"), "channel_total": "0.1"})
    assert order.channel_total == Decimal("0.1")


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        RawOrderEnvelope.model_validate({**_examples()[0].model_dump(mode="json"), "surprise": True})


def test_tenant_ids_are_restricted_to_safe_characters() -> None:
    with pytest.raises(ValidationError):
        MessageMeta(tenant_id="acme/../other", correlation_id=uuid.uuid4())


def test_derived_messages_keep_tenant_and_correlation_and_get_stable_ids() -> None:
    child = META.derive("planner")
    assert child.tenant_id == META.tenant_id
    assert child.correlation_id == META.correlation_id
    assert child.causation_id == META.message_id
    assert child.message_id == META.derive("planner").message_id
    assert child.message_id != META.derive("numbering").message_id
    assert derive_message_id("a", 1) == derive_message_id("a", 1)


def test_topics_and_keys_are_defined_once() -> None:
    assert Topic.RAW_ORDERS.value == "orders.raw"
    assert dead_letter_topic(Topic.PLANS) == "ledger.plans.dlq"
    assert "orders.raw.dlq" in all_topics()
    assert message_key("acme") == b"acme"


def test_json_schema_is_exported_for_every_model(tmp_path: Path) -> None:
    written = export_json_schemas(tmp_path)
    assert {p.name for p in written} == {f"{name}.schema.json" for name in MESSAGE_MODELS}
    schema = json.loads((tmp_path / "ledger_command.schema.json").read_text())
    assert "meta" in schema["properties"]


def test_committed_schemas_match_the_models() -> None:
    committed = Path(__file__).parents[2] / "docs" / "schemas"
    for name, model in MESSAGE_MODELS.items():
        on_disk = json.loads((committed / f"{name}.schema.json").read_text())
        assert on_disk == model.model_json_schema(mode="serialization"), f"run `make schemas`: {name} drifted"


@pytest.mark.parametrize(("currency", "exponent"), [("USD", 2), ("JPY", 0), ("BHD", 3), ("eur", 2)])
def test_currency_exponents(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=6), st.sampled_from(["USD", "JPY", "BHD"])
)
def test_quantize_scales_to_the_currency_exponent(amount: Decimal, currency: str) -> None:
    result = quantize(amount, currency)
    assert -result.as_tuple().exponent == currency_exponent(currency)  # type: ignore[operator]
    assert abs(result - amount) <= Decimal(1).scaleb(-currency_exponent(currency)) / 2


def test_money_refuses_to_mix_currencies() -> None:
    assert Money.of("1.005", "usd") == Money(amount=Decimal("1.01"), currency="USD")
    with pytest.raises(ValueError, match="cannot combine"):
        Money.of(1, "USD") + Money.of(1, "EUR")
