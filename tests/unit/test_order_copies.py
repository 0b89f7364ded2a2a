"""Copies of the samples for load and chaos runs: ids and numbers of their own, everything else as the sample."""

from __future__ import annotations

import pytest

from ledgerflow.cli.order_copies import order_copies, renumbered, sample_identities
from ledgerflow.cli.sample_connections import sample_connection_settings
from ledgerflow.contracts import Channel
from ledgerflow.ingest.normalizers import normalize
from ledgerflow.planner.modes import plan

IDENTITIES = sample_identities()


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.sample.path.stem)
def test_a_copy_has_an_id_and_number_of_its_own_and_the_same_money(identity) -> None:
    channel = Channel(identity.sample.channel)
    original = normalize(channel, identity.payload)
    copies = [normalize(channel, renumbered(identity, serial)) for serial in (11, 12, 9_999_999)]

    assert len({c.channel_order_id for c in copies} | {original.channel_order_id}) == 4
    assert len({c.order_number for c in copies} | {original.order_number}) == 4
    for order in copies:
        assert order.model_dump(exclude={"channel_order_id", "order_number"}) == original.model_dump(
            exclude={"channel_order_id", "order_number"}
        )
        assert len(order.order_number) <= max(len(original.order_number), 21)  # what QuickBooks Online takes


def test_copies_spread_over_tenants_and_samples_and_never_repeat_an_order() -> None:
    tenants = ["t1", "t2", "t3"]
    orders = list(order_copies(len(tenants) * len(IDENTITIES), tenants))

    assert [o.tenant for o in orders[:4]] == ["t1", "t2", "t3", "t1"]
    pairs = {(o.tenant, o.connection, o.channel) for o in orders}
    assert len(pairs) == len(tenants) * len({(i.sample.connection, i.sample.channel) for i in IDENTITIES})
    keys = [(o.tenant, o.connection, normalize(o.channel, o.payload).channel_order_id) for o in orders]
    assert len(set(keys)) == len(keys)


def test_every_sample_connection_has_a_mode_its_orders_can_take() -> None:
    settings = {s.connection: s for s in sample_connection_settings(["t1"])}
    modes = {s.mode for s in settings.values()} | {s.routing.paid for s in settings.values() if s.routing.paid}

    assert len(modes) >= 6
    for identity in IDENTITIES:
        connection = settings[identity.sample.connection]
        order = normalize(Channel(identity.sample.channel), identity.payload)
        mode = connection.mode_for(connection.payment_state(order))
        result = plan(order, mode, key_prefix="t1/x", options=connection.options())
        assert result.documents, identity.sample.path.stem
        assert not result.problems, (identity.sample.path.stem, result.problems)
