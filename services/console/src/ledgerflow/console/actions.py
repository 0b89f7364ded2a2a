"""What the console does, through the paths the ``ledgerflow`` command takes: a resync request on
``orders.resync``, a replay that publishes the channel's order again, settings stored through the planner's
validation. Nothing here writes another service's tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledgerflow.cli.publishing import (
    OrderToPublish,
    PurchaseOrderToPublish,
    publish_orders,
    publish_purchase_orders,
    publish_request,
    resync_request,
)
from ledgerflow.console.letters import Letter
from ledgerflow.contracts import RawOrderEnvelope, RawPurchaseOrderEnvelope, ResyncRequest, Topic


class NotReplayable(ValueError):
    """A dead letter that names no order to send again (its payload could not be read)."""


@dataclass(frozen=True)
class Sent:
    """What an action put on which topic, for the page and the audit log."""

    what: str
    topic: str
    partition: int
    offset: int
    message_id: str


async def resync(
    bootstrap: str,
    tenant: str,
    *,
    order_number: str | None = None,
    ordered_from: date | None = None,
    ordered_to: date | None = None,
    delete: bool = False,
    requested_by: str,
) -> Sent:
    request: ResyncRequest = resync_request(
        tenant,
        order_number=order_number,
        ordered_from=ordered_from,
        ordered_to=ordered_to,
        delete=delete,
        requested_by=requested_by,
    )
    partition, offset = await publish_request(bootstrap, Topic.RESYNC, request)
    what = f"order {order_number}" if order_number else f"orders of {ordered_from} to {ordered_to}"
    kind = "delete-and-resync" if delete else "resync"
    return Sent(f"{kind} of {what}", Topic.RESYNC.value, partition, offset, str(request.meta.message_id))


async def replay(bootstrap: str, letter: Letter, requested_by: str) -> Sent:
    """The raw order of a dead letter published again as a replay, or, for a later stage, its order resynced."""
    dead = letter.letter
    tenant = dead.meta.tenant_id
    if dead.source_topic == Topic.RAW_ORDERS.value:
        envelope = RawOrderEnvelope.model_validate_json(dead.payload)
        order = OrderToPublish(tenant, envelope.connection_id, envelope.channel, envelope.payload, replay=True)
        (published,) = await publish_orders(bootstrap, [order])
        return Sent(f"replay of {envelope.channel.value} order {letter.order_number or ''}".rstrip(),
                    Topic.RAW_ORDERS.value, published.partition, published.offset,
                    str(published.envelope.meta.message_id))  # fmt: skip
    if dead.source_topic == Topic.RAW_PURCHASE_ORDERS.value:
        po = RawPurchaseOrderEnvelope.model_validate_json(dead.payload)
        purchase_order = PurchaseOrderToPublish(tenant, po.connection_id, po.system, po.payload, replay=True)
        (sent,) = await publish_purchase_orders(bootstrap, [purchase_order])
        return Sent(f"replay of {po.system.value} purchase order {letter.order_number or ''}".rstrip(),
                    Topic.RAW_PURCHASE_ORDERS.value, sent.partition, sent.offset,
                    str(sent.envelope.meta.message_id))  # fmt: skip
    if letter.order_number is None:
        raise NotReplayable("this dead letter names no order: publish the order again with `ledgerflow publish`")
    return await resync(bootstrap, tenant, order_number=letter.order_number, requested_by=requested_by)
