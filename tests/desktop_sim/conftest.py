"""A small QBWC server written for the connector's tests, company files, and the simulator as a real process."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledgerflow.devstack.ports import free_port, wait_until_listening
from ledgerflow.qbd_sim.company import CompanyFile, Edition
from ledgerflow.qbd_sim.connector.log import SessionLog
from ledgerflow.qbd_sim.connector.qwc import parse_qwc
from ledgerflow.qbd_sim.connector.session import ConnectorSettings, run_update
from ledgerflow.qbd_sim.faults import FaultPlan

INTUIT = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
APP_URL = "https://qbwc.example.com/qbwc"
OWNER_ID = "{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}"
FILE_ID = "{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}"
COMPANY_PATH = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\shop-a.qbw"
CUSTOMER = "Jane Cooper"
ITEM = "TENT-2P"
ADMIN_TOKEN = "qbd-admin-token"
ADMIN = {"X-Ledgerflow-Admin": ADMIN_TOKEN}
FAST = ConnectorSettings(noop_wait_seconds=0.05)


def qwc_text(**elements: str | None) -> str:
    """A .qwc as ledgerflow would issue it; pass Element=None to leave one out, or a value to change it."""
    values: dict[str, str | None] = {
        "AppName": "ledgerflow shop-a",
        "AppID": "",
        "AppURL": APP_URL,
        "AppDescription": "Posts e-commerce orders into QuickBooks",
        "AppSupport": "https://qbwc.example.com/support",
        "UserName": "shop-a",
        "OwnerID": OWNER_ID,
        "FileID": FILE_ID,
        "QBType": "QBFS",
        "IsReadOnly": "false",
    }
    values.update(elements)
    body = "".join(f"<{name}>{value}</{name}>" for name, value in values.items() if value is not None)
    return f'<?xml version="1.0"?>\n<QBWCXML>{body}</QBWCXML>'


def invoice_add(ref_number: str, request_id: str = "1") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><?qbxml version="16.0"?>'
        '<QBXML><QBXMLMsgsRq onError="stopOnError">'
        f'<InvoiceAddRq requestID="{request_id}"><InvoiceAdd>'
        f"<CustomerRef><FullName>{CUSTOMER}</FullName></CustomerRef><RefNumber>{ref_number}</RefNumber>"
        f"<InvoiceLineAdd><ItemRef><FullName>{ITEM}</FullName></ItemRef><Quantity>2</Quantity><Rate>20.00</Rate>"
        "</InvoiceLineAdd></InvoiceAdd></InvoiceAddRq></QBXMLMsgsRq></QBXML>"
    )


UNPARSEABLE = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="16.0"?>'
    '<QBXML><QBXMLMsgsRq onError="stopOnError"><InvoiceAddRq requestID="1"><InvoiceAdd>'
    "<Bogus>not a qbXML element</Bogus></InvoiceAdd></InvoiceAddRq></QBXMLMsgsRq></QBXML>"
)


@dataclass
class Received:
    method: str
    soap_action: str
    content_type: str
    params: dict[str, str]
    body: bytes


@dataclass
class QbwcServer:
    """A minimal QBWC server: answers from a script, hands out qbXML requests, records every call it gets."""

    requests: list[str] = field(default_factory=list)  # message sets handed out in order
    auth: list[str] = field(default_factory=lambda: ["ticket-1", ""])
    server_version: str = "qbwc-test 1.0"
    client_version: str = ""
    progress: list[int] = field(default_factory=list)  # scripted receiveResponseXML answers; else computed
    last_errors: list[str] = field(default_factory=list)  # scripted getLastError answers; else ""
    empty_sends: int = 0  # answer "" to this many sendRequestXML calls before handing out requests
    connection_errors: list[str] = field(default_factory=lambda: ["done"])  # the last one repeats
    close: str = "OK"
    raw: dict[str, Callable[[], Response]] = field(default_factory=dict)  # a method's raw HTTP reply
    delay: dict[str, float] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    responses: list[dict[str, str]] = field(default_factory=list)
    handed_out: int = 0
    in_flight: int = 0
    most_in_flight: int = 0

    def methods(self) -> list[str]:
        return [r.method for r in self.received]

    def of(self, method: str) -> list[Received]:
        return [r for r in self.received if r.method == method]

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/qbwc", self.endpoint, methods=["POST"])])

    async def endpoint(self, request: Request) -> Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            body = await request.body()
            call = soap_call(body)
            method = etree.QName(call).localname
            params = {etree.QName(child).localname: child.text or "" for child in call}
            assert all(etree.QName(child).namespace == INTUIT for child in call), "parameters outside the namespace"
            self.received.append(
                Received(method, request.headers["soapaction"], request.headers["content-type"], params, body)
            )
            if method in self.delay:
                await asyncio.sleep(self.delay[method])
            if method in self.raw:
                return self.raw[method]()
            return soap_reply(method, self.answer(method, params))
        finally:
            self.in_flight -= 1

    def answer(self, method: str, params: dict[str, str]) -> str | int | list[str]:
        if method == "serverVersion":
            return self.server_version
        if method == "clientVersion":
            return self.client_version
        if method == "authenticate":
            return self.auth
        if method == "sendRequestXML":
            if self.empty_sends > 0:
                self.empty_sends -= 1
                return ""
            if self.handed_out < len(self.requests):
                self.handed_out += 1
                return self.requests[self.handed_out - 1]
            return ""
        if method == "receiveResponseXML":
            self.responses.append(params)
            if self.progress:
                return self.progress.pop(0)
            return 100 if self.handed_out >= len(self.requests) else 100 * self.handed_out // len(self.requests)
        if method == "getLastError":
            return self.last_errors.pop(0) if self.last_errors else ""
        if method == "connectionError":
            return self.connection_errors.pop(0) if len(self.connection_errors) > 1 else self.connection_errors[0]
        if method == "closeConnection":
            return self.close
        raise AssertionError(f"unexpected method {method}")


def soap_reply(method: str, result: str | int | list[str]) -> Response:
    return Response(soap_xml(method, result), media_type="text/xml; charset=utf-8")


def soap_xml(method: str, result: str | int | list[str]) -> bytes:
    """As an ASP.NET web service answers: document/literal, everything in the Intuit namespace."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    answer = etree.SubElement(body, f"{{{INTUIT}}}{method}Response", nsmap={None: INTUIT})
    element = etree.SubElement(answer, f"{{{INTUIT}}}{method}Result")
    if isinstance(result, list):
        for item in result:
            etree.SubElement(element, f"{{{INTUIT}}}string").text = item
    else:
        element.text = str(result)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def soap_fault(text: str) -> Response:
    return Response(soap_fault_xml(text), status_code=500, media_type="text/xml; charset=utf-8")


def soap_fault_xml(text: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:Server</faultcode><faultstring>{text}</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


def soap_call(envelope: bytes) -> etree._Element:
    """The method element inside a request's SOAP body."""
    body = etree.fromstring(envelope).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1
    return body[0]


def new_company(edition: Edition = Edition.ENTERPRISE, path: str = COMPANY_PATH) -> CompanyFile:
    company = CompanyFile(path, edition=edition)
    company.add_customer(CUSTOMER)
    company.add_item(ITEM, price=Decimal("20.00"))
    return company


@pytest.fixture
def company() -> CompanyFile:
    return new_company()


@pytest.fixture
def server() -> QbwcServer:
    return QbwcServer()


async def update(
    server: QbwcServer,
    company: CompanyFile,
    *,
    faults: FaultPlan | None = None,
    settings: ConnectorSettings = FAST,
    password: str = "secret-pw",
    qwc: str | None = None,
) -> SessionLog:
    """One "Update Selected" against the test server, in process."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app()), timeout=None) as http:
        return await run_update(
            parse_qwc(qwc or qwc_text()), password, company, http, faults=faults or FaultPlan(), settings=settings
        )


@contextlib.asynccontextmanager
async def listening(app: Starlette) -> AsyncIterator[str]:
    """The app served by uvicorn on a real port, inside the test's event loop; yields its base URL."""
    port = free_port()
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(served.serve())
    while not served.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        served.should_exit = True
        await task


class SimProcess:
    """``python -m ledgerflow.qbd_sim`` as the lead's ``ledgerflow desktop-sim`` starts it."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "ledgerflow.qbd_sim", "--port", str(self.port), "--admin-token", ADMIN_TOKEN,
                *args]  # fmt: skip
        # Never a pipe nobody reads: a full pipe would stall the server mid-test.
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_listening(self.port, 20, "desktop simulator", alive=lambda: self.process.poll() is None)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="session")
def desktop_sim() -> Iterator[SimProcess]:
    sim = SimProcess("--auto-run", "off", "--noop-wait", "0.05")
    yield sim
    sim.stop()


@pytest.fixture
async def admin(desktop_sim: SimProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=desktop_sim.url, headers=ADMIN, timeout=10) as client:
        yield client
        await client.put("/admin/faults", json={})


def call_args(log: SessionLog, method: str) -> list[dict[str, Any]]:
    return [call.args for call in log.calls if call.method == method]
