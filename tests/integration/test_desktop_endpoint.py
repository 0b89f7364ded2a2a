"""The writer's Web Connector endpoint spoken to directly, as a Web Connector would: the answers the protocol
requires, and the company-file check that comes before anything is written."""

from __future__ import annotations

import asyncio
import copy
import secrets
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from lxml import etree
from typer.testing import CliRunner

from ledgerflow.cli.desktop import register, set_password
from ledgerflow.cli.local_services import LocalServices
from ledgerflow.cli.main import app
from ledgerflow.cli.publishing import publish_envelopes
from tests.integration.pipeline import raw_order

INTUIT = "http://developer.intuit.com/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture(autouse=True)
async def endpoint(services: LocalServices) -> None:
    """The first writer serves the endpoint once it has started (its other work starts first)."""
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(120):
            try:
                if (await client.get(services.qbwc_url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError(f"the Web Connector endpoint never answered at {services.qbwc_url}")


async def _call(services: LocalServices, method: str, **params: str) -> Any:
    body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in params.items())
    envelope = (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
                f'<{method} xmlns="{INTUIT}">{body}</{method}></soap:Body></soap:Envelope>')  # fmt: skip
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            services.qbwc_url,
            content=envelope.encode(),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{INTUIT}{method}"'},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    result = root.find(f".//{{{INTUIT}}}{method}Result")
    assert result is not None, response.text
    strings = result.findall(f"{{{INTUIT}}}string")
    return [s.text or "" for s in strings] if strings else (result.text or "")


async def _company(services: LocalServices, tenant: str) -> str:
    await register(services.stack.database_url, tenant)
    password = secrets.token_urlsafe(16)
    await set_password(services.stack.database_url, tenant, password)
    return password


async def _queue_an_order(services: LocalServices, tenant: str, tmp_path: Path, shopify_paid: dict[str, Any]) -> None:
    settings = tmp_path / "connection.yaml"
    settings.write_text(f"tenant: {tenant}\nconnection: shop\nchannel: shopify\ntarget: quickbooks_desktop\n")
    result = await asyncio.to_thread(CliRunner().invoke, app, ["config", "apply", str(settings), "--database-url",
                                                                services.stack.database_url])  # fmt: skip
    assert result.exit_code == 0, result.output
    await publish_envelopes(services.stack.bootstrap_servers, [raw_order(tenant, copy.deepcopy(shopify_paid))])


async def _until_authenticated_with_work(services: LocalServices, tenant: str, password: str) -> list[str]:
    for _ in range(60):  # until the order reaches the company's queue
        answer: list[str] = await _call(services, "authenticate", strUserName=tenant, strPassword=password)
        if answer[1] != "none":
            return answer
        await asyncio.sleep(0.5)
    raise AssertionError("the order never reached the company file's queue")


async def test_the_wsdl_lists_every_callback(services: LocalServices) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(services.qbwc_url + "?wsdl")
    root = etree.fromstring(response.content)
    operations = {op.get("name") for op in root.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
    assert operations == {"serverVersion", "clientVersion", "authenticate", "sendRequestXML", "receiveResponseXML",
                          "connectionError", "getLastError", "closeConnection"}  # fmt: skip
    assert root.get("targetNamespace") == INTUIT


async def test_a_ticket_the_server_does_not_know_gets_harmless_answers(services: LocalServices) -> None:
    ticket = "00000000-0000-0000-0000-000000000000"
    sent = await _call(services, "sendRequestXML", ticket=ticket, strHCPResponse="", strCompanyFileName="",
                       qbXMLCountry="US", qbXMLMajorVers="16", qbXMLMinorVers="0")  # fmt: skip
    assert sent == ""
    assert await _call(services, "receiveResponseXML", ticket=ticket, response="", hresult="", message="") == "-1"
    assert await _call(services, "getLastError", ticket=ticket) == "done"
    assert await _call(services, "closeConnection", ticket=ticket) == "done"


async def test_wrong_credentials_and_no_work_are_told_apart(services: LocalServices, tenant: str) -> None:
    password = await _company(services, tenant)
    assert (await _call(services, "authenticate", strUserName=tenant, strPassword="not-the-password"))[1] == "nvu"
    assert (await _call(services, "authenticate", strUserName="nobody", strPassword=password))[1] == "nvu"
    assert (await _call(services, "authenticate", strUserName=tenant, strPassword=password))[1] == "none"
    async with httpx.AsyncClient() as client:
        port = services.http_ports[("ledger-writer", 1)]
        exposed = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    assert f'ledgerflow_qbd_sessions_total{{answer="none",tenant="{tenant}"}} 1.0' in exposed
    assert 'ledgerflow_qbd_sessions_total{answer="nvu",tenant="(unknown)"}' in exposed


async def test_another_company_file_is_refused_before_anything_is_written(
    services: LocalServices, tenant: str, tmp_path: Path, shopify_paid: dict[str, Any]
) -> None:
    password = await _company(services, tenant)
    await _queue_an_order(services, tenant, tmp_path, shopify_paid)
    ticket, file_to_open = await _until_authenticated_with_work(services, tenant, password)
    assert file_to_open == ""  # the file open now: this connection has not met its file yet
    second = await _call(services, "authenticate", strUserName=tenant, strPassword=password)
    assert second[1] == "busy"  # one session per company file

    request = await _call(services, "sendRequestXML", ticket=ticket, strHCPResponse="<QBXML/>",
                          strCompanyFileName=r"C:\Books\other.qbw", qbXMLCountry="US", qbXMLMajorVers="16",
                          qbXMLMinorVers="0")  # fmt: skip
    query = etree.fromstring(request.split("\n", 2)[2].encode()).find("QBXMLMsgsRq/CompanyQueryRq")
    assert query is not None and query.findtext("OwnerID")  # only the file check: nothing to write yet
    other_file = (
        '<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CompanyQueryRs requestID="verify-file" '
        'statusCode="0" statusSeverity="Info" statusMessage="Status OK"><CompanyRet>'
        "<CompanyName>Someone Else Ltd</CompanyName></CompanyRet></CompanyQueryRs></QBXMLMsgsRs></QBXML>"
    )
    progress = await _call(services, "receiveResponseXML", ticket=ticket, response=other_file, hresult="", message="")
    assert progress == "-1"
    error = await _call(services, "getLastError", ticket=ticket)
    assert "Someone Else Ltd" in error and "nothing was written" in error
    assert (await _call(services, "closeConnection", ticket=ticket)).startswith("ledgerflow:")


async def test_a_quickbooks_too_old_for_the_requests_is_told_so(
    services: LocalServices, tenant: str, tmp_path: Path, shopify_paid: dict[str, Any]
) -> None:
    password = await _company(services, tenant)
    await _queue_an_order(services, tenant, tmp_path, shopify_paid)
    ticket, _ = await _until_authenticated_with_work(services, tenant, password)
    request = await _call(services, "sendRequestXML", ticket=ticket, strHCPResponse="", strCompanyFileName="",
                          qbXMLCountry="US", qbXMLMajorVers="8", qbXMLMinorVers="0")  # fmt: skip
    assert request == ""
    assert "needs qbXML 13.0" in await _call(services, "getLastError", ticket=ticket)
    await _call(services, "closeConnection", ticket=ticket)
