"""The Web Connector endpoint served inside a writer process, beside its queues (any replica answers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import structlog
import uvicorn

from ledgerflow.ledger_writer.settings import QbdSettings
from ledgerflow.ledger_writer.targets.qbd.connector import WebConnectorService
from ledgerflow.ledger_writer.targets.qbd.soap import create_soap_app

log = structlog.get_logger(__name__)


class _QuietServer(uvicorn.Server):
    """Signals belong to the writer process, which stops the endpoint itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Endpoint:
    def __init__(self, settings: QbdSettings, service: WebConnectorService) -> None:
        self._settings = settings
        self._service = service
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        assert self._server is not None and self._server.servers
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    async def start(self) -> None:
        if self._settings.port is None:
            return
        config = uvicorn.Config(
            create_soap_app(self._service),
            host=self._settings.host,
            port=self._settings.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            limit_concurrency=self._settings.max_connections,
        )
        server = _QuietServer(config)
        self._server = server
        self._task = asyncio.create_task(server.serve(), name="qbwc-endpoint")
        while not server.started:
            if self._task.done():
                self._task.result()  # the port is taken: say so
                raise RuntimeError("the Web Connector endpoint stopped as it started")
            await asyncio.sleep(0.05)
        log.info("qbd.endpoint_started", url=self._settings.app_url, port=self.port)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
