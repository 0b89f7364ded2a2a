"""A real Apache Kafka 4.x cluster in KRaft mode, from Maven Central jars, on loopback."""

from __future__ import annotations

import base64
import hashlib
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ledgerflow.devstack import processes
from ledgerflow.devstack.errors import StackError
from ledgerflow.devstack.ports import free_port, wait_until_listening

DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies"
_LOG4J = """status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
"""


class KafkaSetupError(StackError):
    pass


def pom_path() -> Path:
    return Path(str(resources.files("ledgerflow.devstack.kafka").joinpath("pom.xml")))


def ensure_jars(cache_dir: Path) -> Path:
    """The broker's classpath, fetched once with ``mvn`` into ``cache_dir`` and reused afterwards."""
    pom = pom_path()
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    libs = cache_dir.resolve() / f"kafka-{digest}" / "libs"
    if (libs.parent / "complete").exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError("Maven (mvn) is not on PATH: it fetches Kafka's jars. Install Maven 3.8+ and Java 17+.")
    staging = libs.parent / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    result = subprocess.run(
        [mvn, "-B", "-q", "-f", str(pom), DEPENDENCY_PLUGIN, "-DincludeScope=runtime", f"-DoutputDirectory={staging}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise KafkaSetupError(f"mvn could not fetch Kafka's jars:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    (libs.parent / "complete").write_text(digest)
    return libs


@dataclass(frozen=True)
class KafkaNode:
    node_id: int
    port: int
    controller_port: int


def plan_nodes(count: int, previous: list[KafkaNode] | None = None) -> list[KafkaNode]:
    """Ports chosen once and kept: the controller quorum is written with them."""
    if previous and len(previous) == count:
        return previous
    taken: set[int] = set()
    nodes = []
    for node_id in range(1, count + 1):
        port = free_port(taken)
        taken.add(port)
        controller = free_port(taken)
        taken.add(controller)
        nodes.append(KafkaNode(node_id, port, controller))
    return nodes


class KafkaCluster:
    def __init__(self, home: Path, cache_dir: Path, nodes: list[KafkaNode], heap_mb: int = 512) -> None:
        self.home = home.resolve() / "kafka"
        self.cache_dir = cache_dir
        self.nodes = nodes
        self.heap_mb = heap_mb

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def _node_dir(self, node: KafkaNode) -> Path:
        return self.home / f"node{node.node_id}"

    def _pid_file(self, node: KafkaNode) -> Path:
        return self._node_dir(node) / "kafka.pid"

    def start(self, timeout: float = 90.0) -> None:
        java = shutil.which("java")
        if java is None:
            raise KafkaSetupError("Java is not on PATH: the Kafka broker needs Java 17 or newer.")
        classpath = f"{ensure_jars(self.cache_dir)}/*"
        cluster_id = self._cluster_id()
        started = []
        for node in self.nodes:
            if processes.read_pid(self._pid_file(node)) is not None:
                continue
            config = self._write_config(node)
            if not (self._node_dir(node) / "data" / "meta.properties").exists():
                self._format(java, classpath, config, cluster_id)
            started.append((node, self._spawn(java, classpath, node, config)))
        for node, process in started:
            wait_until_listening(
                node.port, timeout, f"Kafka node {node.node_id}", alive=lambda p=process: p.poll() is None
            )

    def stop(self) -> None:
        processes.stop_all([self._pid_file(node) for node in self.nodes], timeout=30.0)

    def kill_node(self, node_id: int) -> None:
        """SIGKILL one node, as a crash would; ``start`` brings it back with its data."""
        node = next(n for n in self.nodes if n.node_id == node_id)
        processes.stop(self._pid_file(node), timeout=0, sig=signal.SIGKILL)

    def running(self) -> list[int]:
        return [n.node_id for n in self.nodes if processes.read_pid(self._pid_file(n)) is not None]

    def _cluster_id(self) -> str:
        id_file = self.home / "cluster.id"
        if id_file.exists():
            return id_file.read_text().strip()
        self.home.mkdir(parents=True, exist_ok=True)
        # Kafka's cluster ids are 16 random bytes, URL-safe base64 without padding; one starting with "-"
        # would be read as an option by kafka-storage, so draw again.
        cluster_id = "-"
        while cluster_id.startswith("-"):
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        id_file.write_text(cluster_id)
        return cluster_id

    def _write_config(self, node: KafkaNode) -> Path:
        node_dir = self._node_dir(node)
        node_dir.mkdir(parents=True, exist_ok=True)
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        replication = min(3, len(self.nodes))
        settings = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": node_dir / "data",
            "num.partitions": 3,
            "default.replication.factor": replication,
            "min.insync.replicas": max(1, replication - 1),
            "offsets.topic.replication.factor": replication,
            "offsets.topic.num.partitions": 10,
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": max(1, replication - 1),
            "share.coordinator.state.topic.replication.factor": replication,
            "share.coordinator.state.topic.min.isr": max(1, replication - 1),
            "group.initial.rebalance.delay.ms": 0,
            "auto.create.topics.enable": "false",
            "log.segment.bytes": 16 * 1024 * 1024,
        }
        config = node_dir / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        (node_dir / "log4j2.properties").write_text(_LOG4J.format(log=node_dir / "server.log"))
        return config

    def _format(self, java: str, classpath: str, config: Path, cluster_id: str) -> None:
        # A static quorum (controller.quorum.voters) needs no --standalone/--initial-controllers.
        result = subprocess.run(
            [java, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise KafkaSetupError(f"kafka-storage format failed:\n{result.stdout}{result.stderr}")

    def _spawn(self, java: str, classpath: str, node: KafkaNode, config: Path) -> subprocess.Popen[bytes]:
        node_dir = self._node_dir(node)
        heap = self.heap_mb if len(self.nodes) == 1 else max(256, self.heap_mb * 3 // 4)
        argv = [
            java,
            f"-Xmx{heap}m",
            f"-Xms{min(heap, 256)}m",
            "-XX:+UseSerialGC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={node_dir / 'log4j2.properties'}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(config),
        ]
        return processes.spawn(argv, pid_file=self._pid_file(node), log_file=node_dir / "stdout.log")
