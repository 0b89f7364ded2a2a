"""AsyncAPI documents of the services, from their FastStream apps, with the payloads from libs/contracts.

The subscribers read raw bytes (so that a malformed message becomes a dead letter rather than an error),
so FastStream cannot see their payload type; it is filled in here from each stage's input model.
"""

from __future__ import annotations

import json
from typing import Any

from ledgerflow.runtime.service import Service


def document(service: Service) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(service.app.schema.to_specification().to_json())
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    messages = components.get("messages", {})
    for stage in service.stages:
        model = stage.input_model
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in model_schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = model_schema
        prefix = f"{stage.input_topic}:{stage.name}"
        for key, message in messages.items():
            if key.startswith(prefix):
                message["payload"] = {"$ref": f"#/components/schemas/{model.__name__}"}
                message["title"] = f"{prefix}:{model.__name__}"
        schemas.pop(f"{prefix}:Message:Payload", None)  # FastStream's placeholder for the records the stage takes
    return spec
