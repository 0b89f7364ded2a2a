"""Topic names and message keys, defined once."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    RAW_ORDERS = "orders.raw"
    NORMALIZED_ORDERS = "orders.normalized"
    PLANS = "ledger.plans"
    COMMANDS = "ledger.commands"
    EVENTS = "ledger.events"
    NUMBER_FEEDBACK = "ledger.numbering"  # the writer to numbering: a number the books refused
    RESYNC = "orders.resync"  # people to the planner: plan these orders again (L3)
    REFERENCE = "ledger.reference"  # the writer to the planner: items and vendors in the books
    REFERENCE_REQUESTS = "ledger.reference.requests"  # people to the writer: sync the reference data now
    RAW_PURCHASE_ORDERS = "purchase_orders.raw"  # the systems' own purchase orders, as their APIs return them
    NORMALIZED_PURCHASE_ORDERS = "purchase_orders.normalized"


DEAD_LETTER_SUFFIX = ".dlq"


def dead_letter_topic(topic: str) -> str:
    """Each stage's input topic has its own dead-letter topic."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def all_topics() -> list[str]:
    """Every topic the pipeline uses, dead-letter topics included."""
    names = [t.value for t in Topic]
    return names + [dead_letter_topic(t) for t in names]


def message_key(tenant_id: str) -> bytes:
    """Every message is keyed by tenant: a tenant's messages stay in order on one partition."""
    return tenant_id.encode()


# The largest message any producer of ledgerflow's sends: the brokers' default message.max.bytes (1,048,588) less
# room for the key, the headers and the record batch. The webhook receiver, `ledgerflow publish` and every stage
# measure against it, so that what one of them takes, the next can send.
MAX_MESSAGE_BYTES = 1_000_000
