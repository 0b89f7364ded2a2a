"""Fresh copies of the sample orders, each with an order id and number of its own, for load and chaos runs.

A copy is the sample's channel payload with every value that holds the order's id or number replaced by
one made from a serial: the trailing letters and digits give way to the serial's digits, so a copy keeps
its channel's format (Amazon's 3-7-7 ids, Magento's zero-padded increment ids, a ``#`` before Shopify's
name). Everything else, and so what the order adds up to, stays as the sample has it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerflow.cli.publishing import OrderToPublish
from ledgerflow.cli.samples import SampleOrder, sample_orders
from ledgerflow.contracts import Channel
from ledgerflow.ingest.normalizers import normalize

SERIAL_DIGITS = 7  # up to ten million copies in one run


@dataclass(frozen=True)
class SampleIdentity:
    """A sample, and the id and number its channel's normalizer reads from it."""

    sample: SampleOrder
    payload: dict[str, Any]
    order_id: str
    order_number: str

    @classmethod
    def of(cls, sample: SampleOrder) -> SampleIdentity:
        payload = sample.payload()
        order = normalize(Channel(sample.channel), payload)
        return cls(sample, payload, order.channel_order_id, order.order_number)


def renumbered(identity: SampleIdentity, serial: int) -> dict[str, Any]:
    """The sample's payload with its order id and number made from ``serial``."""
    olds = {identity.order_id, identity.order_number}
    payload: dict[str, Any] = _replace(identity.payload, olds, serial)
    return payload


def _replace(value: Any, olds: set[str], serial: int) -> Any:
    if isinstance(value, dict):
        return {key: _replace(item, olds, serial) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace(item, olds, serial) for item in value]
    if isinstance(value, bool) or not isinstance(value, int | str):
        return value
    if str(value).lstrip("#") not in olds:
        return value
    fresh = _with_serial(str(value), serial)
    return int(fresh) if isinstance(value, int) else fresh


def _with_serial(old: str, serial: int) -> str:
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    if len(digits) > SERIAL_DIGITS:
        raise ValueError(f"serial {serial} has more than {SERIAL_DIGITS} digits")
    tail = 0
    while tail < min(len(old), SERIAL_DIGITS) and old[len(old) - 1 - tail].isalnum():
        tail += 1
    return old[: len(old) - tail] + digits


def sample_identities() -> list[SampleIdentity]:
    return [SampleIdentity.of(sample) for sample in sample_orders()]


def order_copies(count: int, tenants: Sequence[str], *, first_serial: int = 1) -> Iterator[OrderToPublish]:
    """``count`` orders: consecutive ones go to different tenants, and each tenant gets every sample in turn."""
    identities = sample_identities()
    for n in range(count):
        identity = identities[(n // len(tenants)) % len(identities)]
        sample = identity.sample
        payload = renumbered(identity, first_serial + n)
        yield OrderToPublish(tenants[n % len(tenants)], sample.connection, Channel(sample.channel), payload)
