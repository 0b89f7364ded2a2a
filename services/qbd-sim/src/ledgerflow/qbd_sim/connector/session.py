"""One update ("Update Selected"), in the call order QBWC follows.

serverVersion → clientVersion → authenticate → (open the company file, connectionError on failure) →
sendRequestXML / receiveResponseXML until 100 → closeConnection. The branches, the NoOp pause and the
injected faults are the ones a server must survive in the field.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

import httpx

from ledgerflow.qbd_sim.connector.log import Ending, SessionLog
from ledgerflow.qbd_sim.connector.qwc import Qwc
from ledgerflow.qbd_sim.connector.soap import SoapCallFailed, SoapClient
from ledgerflow.qbd_sim.faults import FaultPlan

log = logging.getLogger(__name__)

REFUSALS = {
    "nvu": (Ending.INVALID_USER, "Authentication failed: invalid user name or password."),
    "none": (Ending.NO_WORK, "No data exchange required"),
    "busy": (Ending.BUSY, "The application is busy. Try again later."),
}
NOOP = "NoOp"
INTERACTIVE = "Interactive mode"
DONE = "done"
UNSUPPORTED_CALL = (
    "This application does not contain support for {method}. Allowing update operation for backward compatibility."
)
COULD_NOT_CONNECT = "QBWC1013"
RESPONSE_LOST = "The session ended after QuickBooks saved the request; its response was never sent (injected)."

# The request processor's answers when the file cannot be opened, with its own texts.
NOT_RUNNING_NO_FILE = (
    "0x80040416",
    'If the QuickBooks company data file is not open, a call to the "BeginSession" method must include the name '
    "of the data file.",
)
COULD_NOT_START = ("0x80040408", "Could not start QuickBooks.")
OTHER_FILE_OPEN = (
    "0x8004040A",
    "A QuickBooks company data file is already open and it is different from the one requested.",
)
UNEXPECTED = "0x80040402"  # also stands in for an edition excluded by AuthFlags, whose HRESULT is not documented
EDITION_FLAGS = {"pro": 0x2, "premier": 0x4, "enterprise": 0x8}


class Outcome(Protocol):
    @property
    def response(self) -> str: ...
    @property
    def hresult(self) -> str: ...
    @property
    def message(self) -> str: ...


class CompanyFile(Protocol):
    """What the connector needs of a company file: QuickBooks with that file open."""

    @property
    def path(self) -> str: ...
    @property
    def edition(self) -> str: ...
    def process(self, request: str) -> Outcome: ...
    def hcp_response(self, owner_id: str | None = None) -> str: ...
    def end_session(self) -> None: ...


@dataclass(frozen=True)
class ConnectorSettings:
    qbwc_version: str = "2.3.0.215"
    country: str = "US"
    qbxml_major: str = "16"
    qbxml_minor: str = "0"
    noop_wait_seconds: float = 5.0  # QBWC's pause after getLastError says "NoOp"
    continue_after_warning: bool = True  # the user's answer to a clientVersion "W:" dialog
    max_round_trips: int = 10_000  # a server that never reaches 100 is stopped here
    max_connection_retries: int = 2  # QBWC1007-1009: it retries opening QuickBooks twice


@dataclass(frozen=True)
class _Failed:
    hresult: str
    message: str


class _Stop(Exception):
    def __init__(self, ending: Ending, status: str) -> None:
        super().__init__(status)
        self.ending = ending
        self.status = status


async def run_update(
    qwc: Qwc,
    password: str,
    company: CompanyFile,
    http: httpx.AsyncClient,
    *,
    faults: FaultPlan | None = None,
    settings: ConnectorSettings | None = None,
) -> SessionLog:
    return await UpdateSession(qwc, password, company, http, faults=faults, settings=settings).run()


class UpdateSession:
    def __init__(
        self,
        qwc: Qwc,
        password: str,
        company: CompanyFile,
        http: httpx.AsyncClient,
        *,
        faults: FaultPlan | None = None,
        settings: ConnectorSettings | None = None,
    ) -> None:
        self.qwc = qwc
        self.password = password
        self.company = company
        self.faults = faults or FaultPlan()
        self.settings = settings or ConnectorSettings()
        self.log = SessionLog(qwc.app_name, qwc.user_name, qwc.app_url, company.path)
        self.soap = SoapClient(
            http,
            qwc.app_url,
            timeout_seconds=self.faults.http_timeout_seconds,
            drop=self.faults.take_drop,
            on_exchange=self.log.record,
        )

    async def run(self) -> SessionLog:
        try:
            await self._versions()
            ticket, target = await self._authenticate()
            opened = await self._open(ticket, target)
            try:
                await self._exchange(ticket, opened)
            finally:
                # However the update ended, QuickBooks' session with the file ends with it (iterators die).
                await asyncio.to_thread(self.company.end_session)
        except _Stop as stop:
            self.log.end(stop.ending, stop.status)
        except SoapCallFailed as failed:
            self.log.error(failed.code, str(failed))
            self.log.end(Ending.SOAP_FAILURE, str(failed))
        return self.log

    async def _versions(self) -> None:
        try:
            await self.soap.server_version()
        except SoapCallFailed:
            self._warn(UNSUPPORTED_CALL.format(method="serverVersion"))
        try:
            answer = await self.soap.client_version(self.settings.qbwc_version)
        except SoapCallFailed:
            self._warn(UNSUPPORTED_CALL.format(method="clientVersion"))
            return
        if answer.startswith("E:"):
            self._fail("", f"The application refused this Web Connector: {answer[2:]}")
            raise _Stop(Ending.CLIENT_VERSION_REFUSED, answer[2:])
        if answer.startswith("O:"):
            text = f"The application requires QuickBooks Web Connector version {answer[2:]} or later."
            self._fail("", text)
            raise _Stop(Ending.CLIENT_VERSION_REFUSED, text)
        if answer.startswith("W:"):
            self._warn(answer[2:])
            if not self.settings.continue_after_warning:
                raise _Stop(Ending.CLIENT_VERSION_REFUSED, answer[2:])

    async def _authenticate(self) -> tuple[str, str]:
        answer = await self.soap.authenticate(self.qwc.user_name, self.password)
        if len(answer) < 2:
            detail = f"authenticate returned {len(answer)} strings; at least 2 are required"
            raise SoapCallFailed("authenticate", "QBWC1012", detail)
        ticket, target = answer[0], answer[1]
        self.log.ticket = ticket
        self.log.authenticate = target
        self.log.postpone_seconds = self._seconds(answer, 2, "postpone")
        self.log.min_run_every_seconds = self._seconds(answer, 3, "minimum run-every")
        refusal = REFUSALS.get(target)
        if refusal is None:
            return ticket, target
        ending, status = refusal
        if ending is Ending.INVALID_USER:
            self._fail("", status)
        await self.soap.close_connection(ticket)
        raise _Stop(ending, status)

    def _seconds(self, answer: list[str], index: int, what: str) -> int | None:
        if len(answer) <= index or not answer[index].strip():
            return None
        try:
            return int(answer[index])
        except ValueError:
            self._warn(f"authenticate's {what} seconds {answer[index]!r} is not a whole number; ignored")
            return None

    async def _open(self, ticket: str, target: str) -> str:
        """Open the company file as QBWC asks the request processor to; connectionError on each failure."""
        retries = 0
        while True:
            failed = self._open_failure(target)
            if failed is None:
                return self.company.path
            self.log.connection_errors += 1
            answer = await self.soap.connection_error(ticket, failed.hresult, failed.message)
            if answer.strip().lower() == DONE:
                text = f"Could not connect to QuickBooks: {failed.hresult} {failed.message}"
                self._fail(COULD_NOT_CONNECT, text)
                raise _Stop(Ending.CONNECTION_FAILED, text)
            if retries >= self.settings.max_connection_retries:
                text = f"Could not connect to QuickBooks after {retries} retries: {failed.hresult} {failed.message}"
                self._fail(COULD_NOT_CONNECT, text)
                raise _Stop(Ending.CONNECTION_FAILED, text)
            retries += 1
            target = answer

    def _open_failure(self, target: str) -> _Failed | None:
        if self.faults.take_quickbooks_not_running():
            return _Failed(*(COULD_NOT_START if target else NOT_RUNNING_NO_FILE))
        if target and _windows_path(target) != _windows_path(self.company.path):
            return _Failed(*OTHER_FILE_OPEN)
        allowed = self.qwc.auth_flags
        edition = str(self.company.edition)
        if allowed and not allowed & EDITION_FLAGS.get(edition, 0):
            text = f"This application is not allowed to use QuickBooks {edition.title()} (AuthFlags {allowed:#x})."
            return _Failed(UNEXPECTED, text)
        return None

    async def _exchange(self, ticket: str, opened: str) -> None:
        settings = self.settings
        # With the application's OwnerID, the CompanyQuery carries the FileID stamped when the .qwc was added.
        hcp = await asyncio.to_thread(self.company.hcp_response, self.qwc.owner_id)
        first = True
        while True:
            self._check_cut()
            if self.log.round_trips >= settings.max_round_trips:
                text = f"Stopped after {self.log.round_trips} round trips: the application never reported 100% done."
                self._fail("", text)
                raise _Stop(Ending.RUNAWAY, text)
            request = await self.soap.send_request_xml(
                ticket, hcp if first else "", opened, settings.country, settings.qbxml_major, settings.qbxml_minor
            )
            first = False
            if request == "":
                await self._nothing_to_send(ticket)
                continue
            self.log.requests += 1
            hresult, message, response = await self._run_in_file(request)
            if self.faults.take_response_lost(request):
                # Saved in the file; the PC sleeps before the response goes out. No closeConnection either.
                self.log.saved_without_response += 1
                self.log.round_trips += 1
                raise _Stop(Ending.RESPONSE_LOST, RESPONSE_LOST)
            percent = await self.soap.receive_response_xml(ticket, response, hresult, message)
            self.log.responses += 1
            self.log.progress = percent
            self.log.round_trips += 1
            if percent < 0:
                self._check_cut()
                text = await self.soap.get_last_error(ticket)
                await self._close(ticket, Ending.ERROR_REPORTED, text, error=True)
            if percent >= 100:
                await self._close(ticket, Ending.COMPLETED, None)

    async def _nothing_to_send(self, ticket: str) -> None:
        text = await self.soap.get_last_error(ticket)
        self.log.round_trips += 1
        if text == NOOP:
            self.log.noops += 1
            await asyncio.sleep(self.settings.noop_wait_seconds)
            return
        if text == INTERACTIVE:
            status = "The application asked for interactive mode, which this Web Connector does not support."
            self._fail("", status)
            await self._close(ticket, Ending.INTERACTIVE_UNSUPPORTED, status)
        await self._close(ticket, Ending.ERROR_REPORTED, text, error=True)

    async def _close(self, ticket: str, ending: Ending, status: str | None, *, error: bool = False) -> None:
        if error:
            self._fail("", status or "The application reported an error without text.")
        self._check_cut()
        closing = await self.soap.close_connection(ticket)
        raise _Stop(ending, status or closing)

    async def _run_in_file(self, request: str) -> tuple[str, str, str]:
        if self.faults.slow_file_seconds:
            await asyncio.sleep(self.faults.slow_file_seconds)
        try:
            outcome = await asyncio.to_thread(self.company.process, request)
        except Exception as exc:  # the request processor answers with an HRESULT, never a crash
            log.exception("the company file failed on a message set")
            self._warn(f"The company file failed: {exc}")
            return UNEXPECTED, f"Unexpected error. {exc}", ""
        return outcome.hresult, outcome.message, outcome.response

    def _check_cut(self) -> None:
        cut = self.faults.cut_session_after
        if cut and self.log.round_trips >= cut:
            raise _Stop(Ending.CUT, f"The session stopped dead after {self.log.round_trips} round trips (injected).")

    def _warn(self, text: str) -> None:
        self.log.warnings.append(text)

    def _fail(self, code: str, text: str) -> None:
        self.log.error(code, text)


def _windows_path(path: str) -> str:
    return path.replace("/", "\\").casefold()
