"""The Web Connector's SOAP 1.1 calls, sent and read as QBWC's .NET client does.

Document/literal: every body element in ``http://developer.intuit.com/``, one ``SOAPAction`` per method,
qbXML carried as an escaped string. A fault, a non-200 status, a wrong content type or an unreadable reply
is what QBWC reports as QBWC1012 / 1041-1045, depending on the method that failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx
from lxml import etree

INTUIT = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)"

# serverVersion and clientVersion have no code: QBWC logs "does not contain support for ..." and goes on.
FAILURE_CODES = {
    "authenticate": "QBWC1012",
    "sendRequestXML": "QBWC1041",
    "receiveResponseXML": "QBWC1042",
    "getLastError": "QBWC1043",
    "closeConnection": "QBWC1044",
    "connectionError": "QBWC1045",
}
CERTIFICATE_FAILED = "QBWC1048"
DROPPED = "The underlying connection was closed: An unexpected error occurred on a receive."
FAILURE_TEXTS = {
    "QBWC1012": "Authentication failed due to following error message.",
    "QBWC1041": "sendRequestXML() failed. Error message:",
    "QBWC1042": "ReceiveResponseXML failed. Error message:",
    "QBWC1043": "getLastError() failed. Error message:",
    "QBWC1044": "closeConnection() failed. Error message:",
    "QBWC1045": "connectionError() failed. Error message:",
    "QBWC1048": "Could not verify the server's certificate. Error message:",
}

Result = str | int | list[str]
ResultKind = Literal["string", "int", "strings"]


class SoapCallFailed(Exception):
    """A call QBWC could not complete; ``code`` is empty for the two calls whose failure it tolerates."""

    def __init__(self, method: str, code: str, detail: str) -> None:
        self.method = method
        self.code = code
        self.detail = detail
        lead = FAILURE_TEXTS.get(code, f"{method}() failed:")
        super().__init__(f"{code}: {lead} {detail}" if code else f"{lead} {detail}")


@dataclass(frozen=True)
class Exchange:
    """One call as it went over the wire, for the session log."""

    method: str
    params: tuple[tuple[str, str], ...]
    result: Result | None
    error: SoapCallFailed | None
    started: float
    elapsed: float


class _BadReply(Exception):
    pass


class SoapClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        timeout_seconds: float,
        drop: Callable[[], bool] | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self._http = http
        self._url = url
        self._timeout = timeout_seconds
        self._drop = drop
        self._on_exchange = on_exchange

    async def server_version(self) -> str:
        return await self._string("serverVersion", ())

    async def client_version(self, version: str) -> str:
        return await self._string("clientVersion", (("strVersion", version),))

    async def authenticate(self, user_name: str, password: str) -> list[str]:
        result = await self.call("authenticate", (("strUserName", user_name), ("strPassword", password)), "strings")
        assert isinstance(result, list)
        return result

    async def send_request_xml(
        self, ticket: str, hcp_response: str, company_file: str, country: str, major: str, minor: str
    ) -> str:
        params = (
            ("ticket", ticket),
            ("strHCPResponse", hcp_response),
            ("strCompanyFileName", company_file),
            ("qbXMLCountry", country),
            ("qbXMLMajorVers", major),
            ("qbXMLMinorVers", minor),
        )
        return await self._string("sendRequestXML", params)

    async def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        params = (("ticket", ticket), ("response", response), ("hresult", hresult), ("message", message))
        result = await self.call("receiveResponseXML", params, "int")
        assert isinstance(result, int)
        return result

    async def get_last_error(self, ticket: str) -> str:
        return await self._string("getLastError", (("ticket", ticket),))

    async def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        return await self._string("connectionError", (("ticket", ticket), ("hresult", hresult), ("message", message)))

    async def close_connection(self, ticket: str) -> str:
        return await self._string("closeConnection", (("ticket", ticket),))

    async def _string(self, method: str, params: Sequence[tuple[str, str]]) -> str:
        result = await self.call(method, params, "string")
        assert isinstance(result, str)
        return result

    async def call(self, method: str, params: Sequence[tuple[str, str]], kind: ResultKind) -> Result:
        started = time.monotonic()
        result: Result | None = None
        error: SoapCallFailed | None = None
        try:
            result = await self._call(method, params, kind)
            return result
        except SoapCallFailed as exc:
            error = exc
            raise
        finally:
            if self._on_exchange is not None:
                elapsed = time.monotonic() - started
                self._on_exchange(Exchange(method, tuple(params), result, error, started, elapsed))

    async def _call(self, method: str, params: Sequence[tuple[str, str]], kind: ResultKind) -> Result:
        code = FAILURE_CODES.get(method, "")
        # QBWC's client keeps no cookies between calls; a server must not depend on them.
        self._http.cookies.clear()
        try:
            async with asyncio.timeout(self._timeout):
                reply = await self._http.post(self._url, content=envelope(method, params), headers=headers(method))
        except TimeoutError:
            raise SoapCallFailed(method, code, "The operation has timed out") from None
        except httpx.HTTPError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise SoapCallFailed(method, CERTIFICATE_FAILED, str(exc)) from None
            detail = f"Unable to connect to the remote server ({type(exc).__name__}: {exc})"
            raise SoapCallFailed(method, code, detail) from None
        if self._drop is not None and self._drop():
            raise SoapCallFailed(method, code, DROPPED)
        try:
            return parse_reply(method, kind, reply.status_code, reply.headers.get("content-type", ""), reply.content)
        except _BadReply as exc:
            raise SoapCallFailed(method, code, str(exc)) from None


def headers(method: str) -> dict[str, str]:
    return {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f'"{INTUIT}{method}"',
        "User-Agent": USER_AGENT,
    }


def envelope(method: str, params: Sequence[tuple[str, str]]) -> bytes:
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI, "xsd": XSD})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = etree.SubElement(body, f"{{{INTUIT}}}{method}", nsmap={None: INTUIT})
    for name, value in params:
        etree.SubElement(call, f"{{{INTUIT}}}{name}").text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def parse_reply(method: str, kind: ResultKind, status: int, content_type: str, content: bytes) -> Result:
    # Only a 500 may carry a fault worth reading; any other error status is reported as it stands.
    if status not in (httpx.codes.OK, httpx.codes.INTERNAL_SERVER_ERROR):
        raise _BadReply(f"The request failed with HTTP status {status}: {_reason(status)}.")
    if not content_type.lower().startswith("text/xml"):
        raise _BadReply(
            f"Client found response content type of '{content_type}', but expected 'text/xml'. "
            f"The request failed with HTTP status {status}."
        )
    body = _body(content)
    fault = body.find(f"{{{SOAP_ENV}}}Fault")
    if fault is not None:
        text = (fault.findtext("faultstring") or fault.findtext("faultcode") or "").strip()
        raise _BadReply(f"System.Web.Services.Protocols.SoapException: {text or 'SOAP fault without faultstring'}")
    if status != httpx.codes.OK:
        raise _BadReply(f"The request failed with HTTP status {status}: {_reason(status)}.")
    answer = body.find(f"{{{INTUIT}}}{method}Response")
    if answer is None:
        found = [child.tag for child in body if isinstance(child.tag, str)]
        expected = f"<{method}Response xmlns='{INTUIT}'>"
        raise _BadReply(f"There is an error in XML document: expected {expected}, found {found}.")
    result = answer.find(f"{{{INTUIT}}}{method}Result")
    nil = result is not None and result.get(f"{{{XSI}}}nil") == "true"
    if kind == "strings":
        if result is None or nil:
            raise _BadReply(f"{method}Result is missing: an ArrayOfString is required.")
        return [child.text or "" for child in result if child.tag == f"{{{INTUIT}}}string"]
    if kind == "int":
        text = (result.text or "").strip() if result is not None and not nil else ""
        try:
            return int(text)
        except ValueError:
            raise _BadReply(f"{method}Result {text!r}: Input string was not in a correct format.") from None
    # A missing or nil string result is null to .NET, which QBWC reads as an empty answer.
    return "" if result is None or nil else result.text or ""


def _body(content: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise _BadReply(f"Response is not well-formed XML. {exc}") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise _BadReply(f"The root element is <{root.tag!s}>, not a SOAP 1.1 Envelope.")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise _BadReply("The SOAP envelope has no Body.")
    return body


def _reason(status: int) -> str:
    try:
        return httpx.codes(status).name.replace("_", " ").title()
    except ValueError:
        return "Unknown"
