"""``ledgerflow dev up|down|status``: the local Kafka and PostgreSQL, with their state in one file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from ledgerflow.contracts.topics import all_topics
from ledgerflow.devstack.errors import StackError
from ledgerflow.devstack.jaeger import JaegerPorts, JaegerServer
from ledgerflow.devstack.kafka import KafkaCluster, KafkaNode, plan_nodes
from ledgerflow.devstack.ports import free_port, is_free
from ledgerflow.devstack.postgres import PostgresServer
from ledgerflow.devstack.prometheus import PrometheusServer

DEFAULT_PARTITIONS = 6


def default_home() -> Path:
    return Path(os.environ.get("LEDGERFLOW_HOME", ".ledgerflow")).resolve()


def default_cache(home: Path) -> Path:
    configured = os.environ.get("LEDGERFLOW_CACHE_DIR")
    return Path(configured).resolve() if configured else home / "cache"


@dataclass
class ObserveState:
    """The trace store and the metrics server beside the stack (``dev up --observe``), by their ports."""

    jaeger: JaegerPorts
    prometheus_port: int

    @property
    def trace_ui_url(self) -> str:
        return f"http://127.0.0.1:{self.jaeger.ui}"

    @property
    def otlp_url(self) -> str:
        return f"http://127.0.0.1:{self.jaeger.otlp}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @classmethod
    def allocate(cls, taken: set[int]) -> ObserveState:
        ports: list[int] = []
        for _ in range(5):
            ports.append(free_port(taken | set(ports)))
        otlp, ui, grpc, health, prometheus = ports
        return cls(JaegerPorts(otlp=otlp, ui=ui, query_grpc=grpc, health=health), prometheus)


@dataclass
class StackState:
    kafka_nodes: list[KafkaNode]
    postgres_port: int
    partitions: int = DEFAULT_PARTITIONS
    observe: ObserveState | None = None

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.kafka_nodes)

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.postgres_port}/ledgerflow"

    def service_env(self) -> dict[str, str]:
        """The environment a service needs to use this stack."""
        env = {
            "LEDGERFLOW_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "LEDGERFLOW_DATABASE_URL": self.database_url,
        }
        if self.observe is not None:
            # OTLP over HTTP to Jaeger, spans sent each second rather than every five: a trace shows up while
            # the person who published the order is still looking.
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = self.observe.otlp_url
            env["OTEL_BSP_SCHEDULE_DELAY"] = "1000"
            env["LEDGERFLOW_TRACE_UI_URL"] = self.observe.trace_ui_url
        return env

    def ports(self) -> set[int]:
        taken = {self.postgres_port} | {p for n in self.kafka_nodes for p in (n.port, n.controller_port)}
        if self.observe is not None:
            taken |= {*asdict(self.observe.jaeger).values(), self.observe.prometheus_port}
        return taken


class Stack:
    def __init__(self, home: Path | None = None, cache_dir: Path | None = None) -> None:
        self.home = home or default_home()
        self.cache_dir = cache_dir or default_cache(self.home)
        self.state_file = self.home / "stack.json"

    def load(self) -> StackState | None:
        if not self.state_file.exists():
            return None
        raw = json.loads(self.state_file.read_text())
        observe = raw.get("observe")
        return StackState(
            kafka_nodes=[KafkaNode(**n) for n in raw["kafka_nodes"]],
            postgres_port=raw["postgres_port"],
            partitions=raw.get("partitions", DEFAULT_PARTITIONS),
            observe=ObserveState(JaegerPorts(**observe["jaeger"]), observe["prometheus_port"]) if observe else None,
        )

    def _save(self, state: StackState) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(asdict(state), indent=2))

    def up(
        self, *, kafka_nodes: int = 1, partitions: int = DEFAULT_PARTITIONS, fresh: bool = False, observe: bool = False
    ) -> StackState:
        """Kafka and PostgreSQL; with ``observe`` (or when the stack was observed before), Jaeger and Prometheus."""
        if fresh:
            self.down()
            self.reset()
        previous = self.load()
        if previous is not None and len(previous.kafka_nodes) != kafka_nodes:
            # A different cluster shape needs a new cluster: the old one's quorum is written on disk.
            self.down()
            shutil.rmtree(self.home / "kafka", ignore_errors=True)
            previous = None
        nodes = plan_nodes(kafka_nodes, previous.kafka_nodes if previous else None)
        pg_port = (
            previous.postgres_port if previous else free_port({p for n in nodes for p in (n.port, n.controller_port)})
        )
        state = StackState(kafka_nodes=nodes, postgres_port=pg_port, partitions=partitions)
        if observe or (previous is not None and previous.observe is not None):
            state.observe = previous.observe if previous and previous.observe else ObserveState.allocate(state.ports())
        self._save(state)
        postgres = PostgresServer(self.home, state.postgres_port)
        kafka = KafkaCluster(self.home, self.cache_dir, nodes)
        if not postgres.running() and not is_free(state.postgres_port):
            raise StackError(f"port {state.postgres_port} is taken by another program; run `ledgerflow dev reset`")
        kafka.start()
        postgres.start()
        asyncio.run(create_topics(state.bootstrap_servers, partitions, min(3, kafka_nodes)))
        if state.observe is not None:
            self.observers(state.observe)[0].start()
            self.observers(state.observe)[1].start()
        return state

    def observers(self, observe: ObserveState) -> tuple[JaegerServer, PrometheusServer]:
        return (
            JaegerServer(self.home, self.cache_dir, observe.jaeger),
            PrometheusServer(self.home, observe.prometheus_port),
        )

    def down(self) -> None:
        state = self.load()
        if state is None:
            return
        if state.observe is not None:
            for observer in self.observers(state.observe):
                observer.stop()
        KafkaCluster(self.home, self.cache_dir, state.kafka_nodes).stop()
        PostgresServer(self.home, state.postgres_port).stop()

    def restart_kafka_node(self, node_id: int, down_seconds: float = 0.0) -> None:
        """Crash one Kafka node and start it again (chaos runs); the others go on serving."""
        state = self._loaded()
        kafka = KafkaCluster(self.home, self.cache_dir, state.kafka_nodes)
        kafka.kill_node(node_id)
        time.sleep(down_seconds)
        kafka.start()

    def restart_postgres(self, down_seconds: float = 0.0) -> None:
        """Crash PostgreSQL (every connection dropped, no checkpoint) and start it again."""
        postgres = PostgresServer(self.home, self._loaded().postgres_port)
        postgres.crash()
        time.sleep(down_seconds)
        postgres.start()

    def _loaded(self) -> StackState:
        state = self.load()
        if state is None:
            raise StackError(f"no stack in {self.home}; run `ledgerflow dev up` first")
        return state

    def reset(self) -> None:
        """Forget all data (the jar cache stays)."""
        self.down()
        for part in ("kafka", "postgres", "observe", "stack.json"):
            target = self.home / part
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)

    def status(self) -> dict[str, object]:
        state = self.load()
        if state is None:
            return {"kafka": "not created", "postgres": "not created"}
        kafka = KafkaCluster(self.home, self.cache_dir, state.kafka_nodes)
        postgres = PostgresServer(self.home, state.postgres_port)
        running = kafka.running()
        status: dict[str, object] = {
            "kafka": f"{len(running)}/{len(state.kafka_nodes)} nodes running",
            "kafka_bootstrap_servers": state.bootstrap_servers,
            "postgres": "running" if postgres.running() else "stopped",
            "database_url": state.database_url,
        }
        if state.observe is not None:
            jaeger, prometheus = self.observers(state.observe)
            status["traces (Jaeger)"] = f"{state.observe.trace_ui_url}/search" if jaeger.running() else "stopped"
            status["metrics (Prometheus)"] = (
                f"{state.observe.prometheus_url}/graph" if prometheus.running() else "stopped"
            )
            status["dashboard"] = f"{state.observe.prometheus_url}/consoles/ledgerflow.html"
        status["home"] = str(self.home)
        return status


async def create_topics(bootstrap_servers: str, partitions: int, replication: int, timeout: float = 60.0) -> None:
    """Create every pipeline topic (idempotent); also proves the cluster answers its clients."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(name, num_partitions=partitions, replication_factor=replication)
                for name in all_topics()
                if name not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
            if await _all_led(admin):
                return
        except (KafkaConnectionError, KafkaError, OSError):
            if asyncio.get_running_loop().time() > deadline:
                raise
        finally:
            await admin.close()
        if asyncio.get_running_loop().time() > deadline:
            raise StackError("Kafka did not elect a leader for every partition in time; see its server.log")
        await asyncio.sleep(0.5)


async def topic_partitions(bootstrap_servers: str) -> dict[str, int]:
    """Each pipeline topic's partition count, as the cluster has it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(all_topics())
    finally:
        await admin.close()
    return {str(topic["topic"]): len(topic["partitions"]) for topic in described}


async def _all_led(admin: AIOKafkaAdminClient) -> bool:
    """Every partition of every topic has a leader: until then producers meet NotLeaderForPartition."""
    described = await admin.describe_topics(all_topics())
    return all(topic["error_code"] == 0 and all(p["leader"] >= 0 for p in topic["partitions"]) for topic in described)
