"""The services' AsyncAPI documents, as committed in docs/asyncapi (a test keeps them from drifting)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

from ledgerflow.ingest.app import create_service as ingest
from ledgerflow.ledger_writer.app import create_service as ledger_writer
from ledgerflow.numbering.app import create_service as numbering
from ledgerflow.planner.app import create_service as planner
from ledgerflow.runtime.asyncapi import document
from ledgerflow.runtime.settings import KafkaSettings, ServiceSettings

# Documents describe the deployment, not the machine they were generated on.
DOCUMENTED = ServiceSettings(kafka=KafkaSettings(bootstrap_servers="kafka:9092"))


def documents() -> dict[str, dict[str, Any]]:
    services = [factory(DOCUMENTED, TracerProvider()) for factory in (ingest, planner, numbering, ledger_writer)]
    return {service.name.removeprefix("ledgerflow-"): document(service) for service in services}


def write_documents(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in documents().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
