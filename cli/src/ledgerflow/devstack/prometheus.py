"""Prometheus from the system's packages, on loopback, scraping every ledgerflow process the local stack runs.

Processes announce themselves by writing a target file (``targets/<process>.json``, Prometheus' file-based
discovery), so a service started after Prometheus is scraped within seconds and one stopped drops out. The
recording rules and the ledgerflow console page are the project's (``deploy/observe/prometheus``).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ledgerflow.devstack import processes, system_packages
from ledgerflow.devstack.assets import observe_dir
from ledgerflow.devstack.errors import StackError
from ledgerflow.devstack.ports import wait_until_listening

SCRAPE_SECONDS = 5


def write_target(targets_dir: Path, process: str, port: int, labels: dict[str, str]) -> None:
    """Announce a process's /metrics to Prometheus (written whole, then renamed: never read half-written)."""
    targets_dir.mkdir(parents=True, exist_ok=True)
    partial = targets_dir / f".{process}.json.partial"
    partial.write_text(json.dumps([{"targets": [f"127.0.0.1:{port}"], "labels": {"process": process, **labels}}]))
    partial.replace(targets_dir / f"{process}.json")


def remove_target(targets_dir: Path, process: str) -> None:
    (targets_dir / f"{process}.json").unlink(missing_ok=True)


class PrometheusServer:
    def __init__(self, home: Path, port: int) -> None:
        self.home = home.resolve() / "observe"
        self.port = port
        self.targets_dir = self.home / "targets"
        self.pid_file = self.home / "prometheus.pid"
        self.log_file = self.home / "prometheus.log"
        self.config_file = self.home / "prometheus.yml"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return processes.read_pid(self.pid_file) is not None

    def config(self) -> dict[str, object]:
        return {
            "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": f"{SCRAPE_SECONDS}s"},
            "rule_files": [str(observe_dir() / "prometheus" / "rules.yml")],
            "scrape_configs": [
                {
                    "job_name": "ledgerflow",
                    "file_sd_configs": [{"files": [str(self.targets_dir / "*.json")], "refresh_interval": "2s"}],
                },
                {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{self.port}"]}]},
            ],
        }

    def start(self) -> None:
        if self.running():
            return
        prometheus = system_packages.prometheus()
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        argv = [
            str(prometheus),
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.home / 'prometheus-data'}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--web.console.templates={observe_dir() / 'prometheus' / 'consoles'}",
            f"--web.console.libraries={observe_dir() / 'prometheus' / 'console_libraries'}",
        ]
        process = processes.spawn(argv, pid_file=self.pid_file, log_file=self.log_file)
        try:
            wait_until_listening(self.port, 60, "Prometheus", alive=lambda: process.poll() is None)
        except (RuntimeError, TimeoutError) as exc:
            raise StackError(f"{exc}; see {self.log_file}") from None

    def stop(self) -> None:
        processes.stop(self.pid_file, timeout=15)
