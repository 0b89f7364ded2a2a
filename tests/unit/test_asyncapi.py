"""The AsyncAPI documents in docs/asyncapi are generated from the services' FastStream apps and never drift."""

from __future__ import annotations

import json
from pathlib import Path

from ledgerflow.cli.asyncapi import documents

COMMITTED = Path(__file__).parents[2] / "docs" / "asyncapi"


def test_committed_documents_match_the_services() -> None:
    for name, generated in documents().items():
        committed = json.loads((COMMITTED / f"{name}.json").read_text())
        assert committed == json.loads(json.dumps(generated)), f"run `make schemas`: {name} drifted"


def test_each_service_documents_what_it_reads_and_writes_with_contract_schemas() -> None:
    docs = documents()
    expected = {
        "ingest": (
            {"orders.raw", "purchase_orders.raw"},
            {"orders.normalized", "orders.raw.dlq", "purchase_orders.normalized", "purchase_orders.raw.dlq"},
        ),
        "planner": ({"orders.normalized"}, {"ledger.plans", "orders.normalized.dlq"}),
        "numbering": ({"ledger.plans", "ledger.numbering"}, {"ledger.commands"}),
        "ledger-writer": ({"ledger.commands"}, {"ledger.events", "ledger.numbering", "ledger.commands.dlq"}),
    }
    for name, (reads, writes) in expected.items():
        operations = docs[name]["operations"].values()
        addresses = {
            op["action"]: {docs[name]["channels"][o["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
                           for o in operations if o["action"] == op["action"]}
            for op in operations
        }  # fmt: skip
        assert reads <= addresses["receive"], name
        assert writes <= addresses["send"], name
    ingest_messages = docs["ingest"]["components"]["messages"]
    payloads = [m["payload"] for m in ingest_messages.values()]
    assert {"$ref": "#/components/schemas/RawOrderEnvelope"} in payloads
    assert "CanonicalOrder" in docs["ingest"]["components"]["schemas"]
