"""Jaeger, the trace store, built from its Go module the first time (then cached like Kafka's jars) and run on
loopback with traces in memory.

The module is built with the machine's Go in a module of the project's own (``deploy/observe/jaeger``: go.mod and
go.sum pin Jaeger and everything it builds with). The build carries no UI assets, so Jaeger serves ledgerflow's trace
pages (``deploy/observe/trace-ui``) in their place, at Jaeger UI's addresses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledgerflow.devstack import processes
from ledgerflow.devstack.assets import observe_dir
from ledgerflow.devstack.errors import StackError
from ledgerflow.devstack.ports import wait_until_listening

JAEGER_MODULE = "github.com/jaegertracing/jaeger/cmd/jaeger"
JAEGER_VERSION = "v1.75.0"  # the Go module's version; Jaeger itself calls this release 2.12


@dataclass(frozen=True)
class JaegerPorts:
    otlp: int  # OTLP over HTTP: what the services export to
    ui: int  # the query API and the trace pages
    query_grpc: int
    health: int


def binary(cache_dir: Path) -> Path:
    return cache_dir / "jaeger" / JAEGER_VERSION / "jaeger"


def build(cache_dir: Path, log: Path) -> Path:
    """The cached binary, built with ``go build`` when missing (a few minutes the first time)."""
    target = binary(cache_dir)
    if target.exists():
        return target
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise StackError("building Jaeger needs Go 1.24+ (https://go.dev/doc/install, or your system's golang package)")
    module = observe_dir() / "jaeger"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        done = subprocess.run(
            [go, "build", "-trimpath", "-o", str(partial), JAEGER_MODULE],
            cwd=module, stdout=out, stderr=subprocess.STDOUT, check=False,
            env={**os.environ, "GOFLAGS": "-mod=readonly", "CGO_ENABLED": "0"},
        )  # fmt: skip
    if done.returncode != 0:
        raise StackError(f"building Jaeger {JAEGER_VERSION} failed; see {log}")
    partial.replace(target)
    return target


class JaegerServer:
    def __init__(self, home: Path, cache_dir: Path, ports: JaegerPorts) -> None:
        self.home = home.resolve() / "observe"
        self.cache_dir = cache_dir
        self.ports = ports
        self.pid_file = self.home / "jaeger.pid"
        self.log_file = self.home / "jaeger.log"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.ui}"

    @property
    def otlp_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.otlp}"

    def running(self) -> bool:
        return processes.read_pid(self.pid_file) is not None

    def start(self) -> None:
        if self.running():
            return
        jaeger = build(self.cache_dir, self.home / "jaeger-build.log")
        assets = observe_dir()
        env = {
            **os.environ,
            "LEDGERFLOW_TRACE_UI_DIR": str(assets / "trace-ui"),
            "LEDGERFLOW_JAEGER_OTLP_PORT": str(self.ports.otlp),
            "LEDGERFLOW_JAEGER_UI_PORT": str(self.ports.ui),
            "LEDGERFLOW_JAEGER_QUERY_GRPC_PORT": str(self.ports.query_grpc),
            "LEDGERFLOW_JAEGER_HEALTH_PORT": str(self.ports.health),
        }
        process = processes.spawn(
            [str(jaeger), "--config", f"file:{assets / 'jaeger' / 'config.yaml'}"],
            pid_file=self.pid_file, log_file=self.log_file, env=env,
        )  # fmt: skip
        alive = lambda: process.poll() is None  # noqa: E731
        try:
            wait_until_listening(self.ports.otlp, 60, "Jaeger", alive=alive)
            wait_until_listening(self.ports.ui, 30, "Jaeger's query service", alive=alive)
        except (RuntimeError, TimeoutError) as exc:
            raise StackError(f"{exc}; see {self.log_file}") from None

    def stop(self) -> None:
        processes.stop(self.pid_file, timeout=10)

    def services(self) -> list[str]:
        """The services that have sent traces, as Jaeger lists them."""
        response = httpx.get(f"{self.ui_url}/api/services", timeout=5)
        response.raise_for_status()
        return sorted(response.json().get("data") or [])
