"""Injected faults for the Web Connector: lost responses, cut sessions, QuickBooks not running, slow files.

The lost response is the fault that makes duplicates in the field: QuickBooks saved the message set, the
PC went to sleep before receiveResponseXML reached the server, and a server that simply re-sends the request
on the next poll posts the document twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from typing import Any

ALWAYS = -1  # quickbooks_not_running: every attempt to open the company file fails


@dataclass
class FaultPlan:
    response_lost_rate: float = 0.0  # message sets saved whose receiveResponseXML is never sent
    response_lost_next: int = 0  # the next N message sets are saved and their responses lost
    # The next message set holding this request (e.g. InvoiceAddRq) is saved and its response lost: a write's
    # answer lost on purpose, whatever reads go before it.
    response_lost_on: str = ""
    cut_session_after: int = 0  # every session stops dead after this many round trips (0: never)
    quickbooks_not_running: int = 0  # the next N attempts to open the company file fail (-1: all of them)
    slow_file_seconds: float = 0.0  # added before the company file answers each message set
    http_timeout_seconds: float = 120.0  # per SOAP call, request sent to reply read
    drop_rate: float = 0.0  # the server answers a call, but the reply never reaches the connector
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("response_lost_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        for name in ("response_lost_next", "cut_session_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.quickbooks_not_running < ALWAYS:
            raise ValueError("quickbooks_not_running must be a count, or -1 for every attempt")
        if self.slow_file_seconds < 0:
            raise ValueError("slow_file_seconds must not be negative")
        if self.http_timeout_seconds <= 0:
            raise ValueError("http_timeout_seconds must be positive")
        self._random = random.Random(self.seed)  # noqa: S311 (fault injection, not security)

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """``response_lost_after_save=next:2`` (or ``=0.1``, a rate), ``cut_session_after=3``,
        ``quickbooks_not_running=1`` (or ``=always``), ``slow_file=200ms``, ``http_timeout=30s``,
        ``drop_rate=0.05``, ``seed=7``; the field names of this class work too."""
        if not spec:
            return cls()
        values: dict[str, Any] = {}
        for part in spec.split(","):
            key, _, raw = part.strip().partition("=")
            if not raw:
                raise ValueError(f"fault setting {part!r} has no value")
            values.update(_setting(key.strip(), raw.strip()))
        return cls(**values)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> FaultPlan:
        known = _settable()
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        values = dict(body)
        if values.get("quickbooks_not_running") is True or values.get("quickbooks_not_running") == "always":
            values["quickbooks_not_running"] = ALWAYS
        elif values.get("quickbooks_not_running") is False:
            values["quickbooks_not_running"] = 0
        for name, kind in _KINDS.items():
            if name in values and values[name] is not None and not _fits(values[name], kind):
                raise ValueError(f"{name} must be {kind.__name__}, got {values[name]!r}")
        return cls(**values)

    def replace_with(self, other: FaultPlan) -> None:
        for name in _settable():
            setattr(self, name, getattr(other, name))
        self._random = random.Random(self.seed)  # noqa: S311 (fault injection, not security)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(_settable())}

    def take_response_lost(self, request: str = "") -> bool:
        if self.response_lost_on and f"<{self.response_lost_on}" in request:
            self.response_lost_on = ""
            return True
        if self.response_lost_next > 0:
            self.response_lost_next -= 1
            return True
        return self._roll(self.response_lost_rate)

    def take_quickbooks_not_running(self) -> bool:
        if self.quickbooks_not_running == ALWAYS:
            return True
        if self.quickbooks_not_running > 0:
            self.quickbooks_not_running -= 1
            return True
        return False

    def take_drop(self) -> bool:
        return self._roll(self.drop_rate)

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate


def _settable() -> set[str]:
    return {f.name for f in fields(FaultPlan) if f.init}


_KINDS: dict[str, type] = {
    "response_lost_rate": float,
    "response_lost_next": int,
    "response_lost_on": str,
    "cut_session_after": int,
    "quickbooks_not_running": int,
    "slow_file_seconds": float,
    "http_timeout_seconds": float,
    "drop_rate": float,
    "seed": int,
}


def _fits(value: Any, kind: type) -> bool:
    if kind is str:
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, int)


def _setting(key: str, raw: str) -> dict[str, Any]:
    if key == "response_lost_after_save":
        if raw.startswith("next:"):
            return {"response_lost_next": int(raw.removeprefix("next:"))}
        if raw.startswith("on:"):
            return {"response_lost_on": raw.removeprefix("on:")}
        return {"response_lost_rate": float(raw)}
    if key == "quickbooks_not_running":
        return {key: ALWAYS if raw in ("always", "true", "on") else int(raw)}
    key = {"slow_file": "slow_file_seconds", "http_timeout": "http_timeout_seconds"}.get(key, key)
    kind = _KINDS.get(key)
    if kind is None:
        known = sorted({*_settable(), "response_lost_after_save", "slow_file", "http_timeout"})
        raise ValueError(f"unknown fault setting {key!r}; known: {', '.join(known)}")
    if kind is int:
        return {key: int(raw)}
    if key.endswith("_seconds"):
        return {key: _seconds(raw)}
    return {key: float(raw)}


def _seconds(raw: str) -> float:
    if raw.endswith("ms"):
        return float(raw.removesuffix("ms")) / 1000
    return float(raw.removesuffix("s"))
