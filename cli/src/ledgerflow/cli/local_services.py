"""The simulator and the four services as local processes, for the demo and the tests."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ledgerflow.devstack import processes
from ledgerflow.devstack.ports import free_port, wait_until_listening
from ledgerflow.devstack.prometheus import remove_target, write_target
from ledgerflow.devstack.stack import StackState

SERVICE_MODULES: dict[str, str] = {
    "ingest": "ledgerflow.ingest",
    "planner": "ledgerflow.planner",
    "numbering": "ledgerflow.numbering",
    "ledger-writer": "ledgerflow.ledger_writer",
}
SIM_TOKEN = "dev-token"
SIM_ADMIN_TOKEN = "dev-admin-token"  # the simulator's admin API (faults, limits, books): a development value


@dataclass
class LocalServices:
    home: Path
    stack: StackState
    sim_port: int = field(default_factory=free_port)
    desktop_sim_port: int = field(default_factory=free_port)
    qbd_port: int = field(default_factory=free_port)  # the first writer's Web Connector endpoint
    desktop_every: float = 2.0  # how often the simulated Web Connector runs each application
    desktop_auto_run: bool = True  # off: the simulated Web Connector runs an application only when asked
    extra_env: dict[str, str] = field(default_factory=dict)
    http_ports: dict[tuple[str, int], int] = field(default_factory=dict)  # health and metrics of each process
    console_port: int | None = None  # the operator console's, once started
    # A port is free until its process binds it, seconds after start: without this, two processes started
    # together could be handed the same one and the second would never answer its health checks.
    _ports_given: set[int] = field(default_factory=set)

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def desktop_sim_url(self) -> str:
        return f"http://127.0.0.1:{self.desktop_sim_port}"

    @property
    def qbwc_url(self) -> str:
        """The writer's Web Connector endpoint, as a .qwc names it (plain HTTP is allowed on localhost only)."""
        return f"http://localhost:{self.qbd_port}/qbwc"

    @property
    def admin_headers(self) -> dict[str, str]:
        """What the simulator's admin API asks of its callers."""
        return {"X-Ledgerflow-Admin": SIM_ADMIN_TOKEN}

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.stack.service_env(),
            "LEDGERFLOW_QBO_BASE_URL": self.sim_url,
            "LEDGERFLOW_QBO_TOKEN": SIM_TOKEN,
            "LEDGERFLOW_QBD_PUBLIC_URL": self.qbwc_url,
            **self.extra_env,
        }

    def start_simulator(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "ledgerflow.qbo_sim", "--port", str(self.sim_port), "--token", SIM_TOKEN,
                "--admin-token", SIM_ADMIN_TOKEN]  # fmt: skip
        process = processes.spawn(
            argv, pid_file=self.run_dir / "qbo-sim.pid", log_file=self.run_dir / "qbo-sim.log", env=self.env()
        )
        wait_until_listening(self.sim_port, 30, "QuickBooks simulator", alive=lambda: process.poll() is None)

    def start_desktop_simulator(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "ledgerflow.qbd_sim", "--port", str(self.desktop_sim_port), "--admin-token",
                SIM_ADMIN_TOKEN, "--every", str(self.desktop_every), "--noop-wait", "1",
                "--auto-run", "on" if self.desktop_auto_run else "off"]  # fmt: skip
        process = processes.spawn(
            argv, pid_file=self.run_dir / "qbd-sim.pid", log_file=self.run_dir / "qbd-sim.log", env=self.env()
        )
        wait_until_listening(
            self.desktop_sim_port, 30, "QuickBooks Desktop simulator", alive=lambda: process.poll() is None
        )

    def start_service(self, name: str, replica: int = 1, env: dict[str, str] | None = None) -> None:
        """Start a service process; replicas of one service share its consumer group. The first writer serves the
        Web Connector endpoint the simulated Web Connector polls; the others serve it on ports of their own."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        reserved = {self.sim_port, self.desktop_sim_port, self.qbd_port}
        port = free_port(self._ports_given | reserved)
        self._ports_given.add(port)
        self.http_ports[(name, replica)] = port
        if name == "ledger-writer":
            qbd_port = self.qbd_port if replica == 1 else free_port(self._ports_given | reserved)
            self._ports_given.add(qbd_port)
            env = {"LEDGERFLOW_QBD_PORT": str(qbd_port), **(env or {})}
        processes.spawn(
            [sys.executable, "-m", SERVICE_MODULES[name]],
            pid_file=self._pid_file(name, replica),
            log_file=self.run_dir / f"{name}-{replica}.log",
            env={**self.env(), "LEDGERFLOW_HTTP_HOST": "127.0.0.1", "LEDGERFLOW_HTTP_PORT": str(port), **(env or {})},
        )
        # Scraped by the stack's Prometheus when it runs one (``dev up --observe``); the label is the one the
        # Kubernetes Service carries, so the recording rules and dashboards read alike here and in a cluster.
        write_target(self.targets_dir, f"{name}-{replica}", port, {"service": f"ledgerflow-{name}"})

    @property
    def targets_dir(self) -> Path:
        return self.home / "observe" / "targets"

    def _pid_file(self, name: str, replica: int) -> Path:
        return self.run_dir / f"{name}-{replica}.pid"

    def pid(self, name: str, replica: int = 1) -> int | None:
        return processes.read_pid(self._pid_file(name, replica))

    def is_ready(self, name: str, replica: int = 1) -> bool:
        """Ready: its consumers have partitions and its database answers."""
        port = self.http_ports.get((name, replica))
        if port is None or self.pid(name, replica) is None:
            return False
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False  # not listening yet

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every service process answers ready."""
        deadline = time.monotonic() + timeout
        waiting = dict(self.http_ports)
        while waiting:
            for name, replica in list(waiting):
                if self.is_ready(name, replica):
                    del waiting[(name, replica)]
            if time.monotonic() > deadline:
                names = ", ".join(f"{name}-{replica}" for name, replica in waiting)
                raise TimeoutError(f"not ready after {timeout:.0f}s: {names}")
            if waiting:
                time.sleep(0.3)

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    def start_console(self, env: dict[str, str] | None = None) -> None:
        """The operator console, reading this stack's tables and asking each service here for its readiness."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        port = free_port(self._ports_given | {self.sim_port, self.desktop_sim_port, self.qbd_port})
        self._ports_given.add(port)
        self.console_port = port
        services = {f"{name}-{replica}": f"http://127.0.0.1:{p}" for (name, replica), p in self.http_ports.items()}
        env = {**self.env(), "LEDGERFLOW_CONSOLE_HOST": "127.0.0.1", "LEDGERFLOW_CONSOLE_PORT": str(port),
               "LEDGERFLOW_CONSOLE_SERVICES": json.dumps(services), **(env or {})}  # fmt: skip
        process = processes.spawn(
            [sys.executable, "-m", "ledgerflow.console"], pid_file=self.run_dir / "console.pid",
            log_file=self.run_dir / "console.log", env=env,
        )  # fmt: skip
        wait_until_listening(port, 30, "console", alive=lambda: process.poll() is None)

    def stop_console(self) -> None:
        processes.stop(self.run_dir / "console.pid", timeout=10)

    def start(self) -> None:
        self.start_simulator()
        self.start_desktop_simulator()
        for name in SERVICE_MODULES:
            self.start_service(name)

    def kill_service(self, name: str, replica: int = 1) -> None:
        """SIGKILL, as a crash or an OOM kill would: no graceful shutdown, no final commit."""
        pid = processes.read_pid(self._pid_file(name, replica))
        if pid is not None:
            processes.terminate(pid, timeout=0, sig=signal.SIGKILL)

    def stop_service(self, name: str, replica: int = 1) -> None:
        processes.stop(self._pid_file(name, replica), timeout=30)
        remove_target(self.targets_dir, f"{name}-{replica}")

    def stop(self) -> None:
        stop_local_services(self.home)

    def log_tail(self, name: str, lines: int = 20, replica: int = 1) -> str:
        path = self.run_dir / f"{name}-{replica}.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""


def stop_local_services(home: Path) -> None:
    """Every service process and simulator started in ``home`` (by this or another shell: their pid files say)."""
    run_dir = home / "run"
    pid_files = [p for name in SERVICE_MODULES for p in run_dir.glob(f"{name}-*.pid")]
    processes.stop_all(pid_files, timeout=30)
    for target in (home / "observe" / "targets").glob("*.json"):
        target.unlink(missing_ok=True)
    processes.stop(run_dir / "console.pid", timeout=10)
    processes.stop(run_dir / "qbo-sim.pid", timeout=10)
    processes.stop(run_dir / "qbd-sim.pid", timeout=10)
