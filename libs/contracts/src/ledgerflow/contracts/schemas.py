"""JSON Schema export of every message model, for consumers in other languages."""

from __future__ import annotations

import json
from pathlib import Path

from ledgerflow.contracts.messages import MESSAGE_MODELS


def json_schemas() -> dict[str, dict[str, object]]:
    return {name: model.model_json_schema(mode="serialization") for name, model in MESSAGE_MODELS.items()}


def export_json_schemas(directory: Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every message model; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
