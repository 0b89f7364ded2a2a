"""Helpers the normalizer tests share to break a payload in one place."""

from __future__ import annotations

import copy
from typing import Any

DELETE = object()  # as a value: remove the key instead of setting it


def broken(payload: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    """A deep copy of ``payload`` with the value at ``path`` replaced (or deleted)."""
    result = copy.deepcopy(payload)
    target: Any = result
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result
