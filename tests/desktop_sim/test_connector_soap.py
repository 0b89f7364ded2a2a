"""The SOAP calls as they go over the wire, and how a bad reply becomes QBWC's error code for that method."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from lxml import etree

from ledgerflow.qbd_sim.connector.soap import SoapCallFailed, SoapClient
from tests.desktop_sim.conftest import APP_URL, INTUIT, SOAP_ENV, soap_call, soap_fault_xml, soap_xml

CALLS = [
    ("serverVersion", lambda c: c.server_version(), []),
    ("clientVersion", lambda c: c.client_version("2.3.0.215"), ["strVersion"]),
    ("authenticate", lambda c: c.authenticate("shop-a", "pw"), ["strUserName", "strPassword"]),
    (
        "sendRequestXML",
        lambda c: c.send_request_xml("t", "<hcp/>", "C:\\f.qbw", "US", "16", "0"),
        ["ticket", "strHCPResponse", "strCompanyFileName", "qbXMLCountry", "qbXMLMajorVers", "qbXMLMinorVers"],
    ),
    (
        "receiveResponseXML",
        lambda c: c.receive_response_xml("t", "<r/>", "", ""),
        ["ticket", "response", "hresult", "message"],
    ),
    ("getLastError", lambda c: c.get_last_error("t"), ["ticket"]),
    ("connectionError", lambda c: c.connection_error("t", "0x80040416", "m"), ["ticket", "hresult", "message"]),
    ("closeConnection", lambda c: c.close_connection("t"), ["ticket"]),
]
RESULTS: dict[str, str | int | list[str]] = {"authenticate": ["t", ""], "receiveResponseXML": 100}
XML = {"content-type": "text/xml; charset=utf-8"}


def client(handler, *, timeout: float = 5.0, drop=None) -> SoapClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return SoapClient(http, APP_URL, timeout_seconds=timeout, drop=drop)


@pytest.mark.parametrize(("method", "invoke", "names"), CALLS, ids=[c[0] for c in CALLS])
async def test_each_call_is_a_document_literal_soap_11_post(method, invoke, names) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=soap_xml(method, RESULTS.get(method, "x")), headers=XML)

    await invoke(client(handler))
    (request,) = seen
    assert request.method == "POST" and str(request.url) == APP_URL
    assert request.headers["soapaction"] == f'"http://developer.intuit.com/{method}"'
    assert request.headers["content-type"] == "text/xml; charset=utf-8"
    assert etree.fromstring(request.content).tag == f"{{{SOAP_ENV}}}Envelope"
    call = soap_call(request.content)
    assert call.tag == f"{{{INTUIT}}}{method}"
    assert call.nsmap[None] == INTUIT  # the default namespace, as .NET writes it
    assert [child.tag for child in call] == [f"{{{INTUIT}}}{name}" for name in names]


async def test_qbxml_travels_escaped_inside_its_string_element() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, content=soap_xml("receiveResponseXML", 50), headers=XML)

    qbxml = '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><InvoiceAddRs statusCode="0"/></QBXMLMsgsRs></QBXML>'
    assert await client(handler).receive_response_xml("t", qbxml, "", "") == 50
    assert b"&lt;QBXML&gt;" in seen[0]
    (response,) = etree.fromstring(seen[0]).iterfind(f".//{{{INTUIT}}}response")
    assert response.text == qbxml and len(response) == 0


async def test_results_are_read_by_type() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        method = etree.QName(soap_call(request.content)).localname
        results: dict[str, str | int | list[str]] = {
            "authenticate": ["tkt", "", "30", "300"],
            "receiveResponseXML": -101,
        }
        return httpx.Response(200, content=soap_xml(method, results.get(method, "NoOp")), headers=XML)

    soap = client(handler)
    assert await soap.authenticate("u", "p") == ["tkt", "", "30", "300"]
    assert await soap.receive_response_xml("t", "", "", "") == -101
    assert await soap.get_last_error("t") == "NoOp"


async def test_a_missing_string_result_is_null_which_qbwc_reads_as_empty() -> None:
    body = f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><clientVersionResponse xmlns="{INTUIT}"/></s:Body></s:Envelope>'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/xml; charset=utf-8"})

    assert await client(handler).client_version("2.3.0.215") == ""


def _reply(status: int, body: bytes, content_type: str = "text/xml; charset=utf-8"):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": content_type})

    return handler


WRONG_NAMESPACE = (
    f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><receiveResponseXMLResponse xmlns="urn:other">'
    "<receiveResponseXMLResult>100</receiveResponseXMLResult></receiveResponseXMLResponse></s:Body></s:Envelope>"
).encode()
NOT_AN_INT = soap_xml("receiveResponseXML", "done")


@pytest.mark.parametrize(
    ("handler", "detail"),
    [
        (_reply(200, b"<html>oops"), "not well-formed XML"),
        (_reply(200, b"<html><body>Hello</body></html>", "text/html"), "content type of 'text/html'"),
        (_reply(500, soap_fault_xml("NullReferenceException")), "SoapException: NullReferenceException"),
        (_reply(404, b""), "HTTP status 404"),
        (_reply(200, WRONG_NAMESPACE), "expected <receiveResponseXMLResponse"),
        (_reply(200, NOT_AN_INT), "Input string was not in a correct format"),
    ],
    ids=["malformed", "html", "fault", "404", "namespace", "not-int"],
)
async def test_a_bad_reply_to_receive_response_xml_is_qbwc1042(handler, detail: str) -> None:
    with pytest.raises(SoapCallFailed) as failed:
        await client(handler).receive_response_xml("t", "<r/>", "", "")
    assert failed.value.code == "QBWC1042"
    assert detail in str(failed.value)


@pytest.mark.parametrize(
    ("method", "invoke", "code"),
    [
        ("authenticate", lambda c: c.authenticate("u", "p"), "QBWC1012"),
        ("sendRequestXML", lambda c: c.send_request_xml("t", "", "", "US", "16", "0"), "QBWC1041"),
        ("getLastError", lambda c: c.get_last_error("t"), "QBWC1043"),
        ("closeConnection", lambda c: c.close_connection("t"), "QBWC1044"),
        ("connectionError", lambda c: c.connection_error("t", "", ""), "QBWC1045"),
        ("clientVersion", lambda c: c.client_version("2.3.0.215"), ""),
    ],
)
async def test_each_method_fails_with_its_own_code(method, invoke, code: str) -> None:
    with pytest.raises(SoapCallFailed) as failed:
        await invoke(client(_reply(500, soap_fault_xml("boom"))))
    assert (failed.value.method, failed.value.code) == (method, code)


async def test_a_call_slower_than_the_timeout_fails() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1)
        return httpx.Response(200)

    with pytest.raises(SoapCallFailed) as failed:
        await client(handler, timeout=0.05).send_request_xml("t", "", "", "US", "16", "0")
    assert failed.value.code == "QBWC1041" and "timed out" in failed.value.detail


async def test_a_reply_dropped_on_the_way_back_fails_after_the_server_answered() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=soap_xml("receiveResponseXML", 100), headers=XML)

    with pytest.raises(SoapCallFailed) as failed:
        await client(handler, drop=lambda: True).receive_response_xml("t", "<r/>", "", "")
    assert len(seen) == 1
    assert failed.value.code == "QBWC1042" and "connection was closed" in failed.value.detail


async def test_an_unreachable_server_fails_with_the_methods_code() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(SoapCallFailed) as failed:
        await client(handler).authenticate("u", "p")
    assert failed.value.code == "QBWC1012" and "Unable to connect" in failed.value.detail
