"""What a chaos run does to the running pipeline: crashes, restarts and an unreliable QuickBooks."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ledgerflow.cli.local_services import SERVICE_MODULES, LocalServices
from ledgerflow.devstack.stack import Stack

# 5xx before anything is written, calls held past the writer's timeout, writes committed and then
# the connection dropped (the case that makes duplicates), all repeatable from the seed.
FAULTS: dict[str, Any] = {"error_rate": 0.05, "timeout_rate": 0.01, "drop_rate": 0.05, "hang_seconds": 4.0}
# A 429 storm: every company limited to a trickle for a while.
STORM_LIMITS = {"enabled": True, "requests_per_minute": 30, "concurrent": 1, "batch_per_minute": 1}
STORM_SECONDS = 6.0


@dataclass(frozen=True)
class Disruption:
    kind: str  # kill, broker, postgres, storm
    target: str = ""

    @property
    def name(self) -> str:
        return f"{self.kind} {self.target}".strip()


class Disruptor:
    def __init__(self, stack: Stack, services: LocalServices, rng: random.Random) -> None:
        self._stack = stack
        self._services = services
        self._rng = rng
        self.restarts = 0

    async def apply(self, disruption: Disruption) -> None:
        if disruption.kind == "kill":
            await asyncio.to_thread(self._kill, disruption.target)
        elif disruption.kind == "broker":
            await asyncio.to_thread(self._stack.restart_kafka_node, int(disruption.target), self._rng.uniform(1, 4))
        elif disruption.kind == "postgres":
            await asyncio.to_thread(self._stack.restart_postgres, self._rng.uniform(1, 3))
        elif disruption.kind == "storm":
            await self.limits(STORM_LIMITS)
            await asyncio.sleep(STORM_SECONDS)
            await self.limits({"enabled": False})
        else:
            raise ValueError(f"unknown disruption {disruption.kind}")

    def _kill(self, name: str) -> None:
        # SIGKILL at a random moment of its work: no graceful shutdown, no final offset commit. The
        # supervisor starts it again, as Kubernetes would; a service still down or starting from the last
        # kill is waited for until it answers ready, so that every kill hits a process at work.
        deadline = time.monotonic() + 90
        while not self._services.is_ready(name) and time.monotonic() < deadline:
            time.sleep(0.5)
        self._services.kill_service(name)

    async def supervise(self, every: float = 1.0) -> None:
        """Start again any service that is gone: killed here, or exited because the broker or the database
        was away while it started."""
        while True:
            await asyncio.sleep(every)
            for name in SERVICE_MODULES:
                if self._services.pid(name) is None:
                    await asyncio.to_thread(self._services.start_service, name)
                    self.restarts += 1

    async def faults(self, settings: dict[str, Any]) -> None:
        await self._put("/admin/faults", settings)

    async def limits(self, settings: dict[str, Any]) -> None:
        await self._put("/admin/limits", settings)

    async def _put(self, path: str, body: dict[str, Any]) -> None:
        async with httpx.AsyncClient(
            base_url=self._services.sim_url, headers=self._services.admin_headers, timeout=10
        ) as client:
            (await client.put(path, json=body)).raise_for_status()


def disruption_plan(
    *, killed: Sequence[str], kills_per_service: int, broker_restarts: int, kafka_nodes: int, postgres_restarts: int,
    storms: int, rng: random.Random,
) -> list[Disruption]:  # fmt: skip
    """Every disruption once or more, in a random order; a broker restart picks one node at random."""
    plan = [Disruption("kill", name) for name in killed for _ in range(kills_per_service)]
    plan += [Disruption("broker", str(rng.randint(1, kafka_nodes))) for _ in range(broker_restarts)]
    plan += [Disruption("postgres") for _ in range(postgres_restarts)]
    plan += [Disruption("storm") for _ in range(storms)]
    rng.shuffle(plan)
    return plan
