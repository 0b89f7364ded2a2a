"""The Web Connector's SOAP 1.1 service (document/literal, namespace http://developer.intuit.com/) over HTTP.

The Web Connector has the contract built in; the WSDL served at ``GET /qbwc?wsdl`` is for other SOAP clients.
A callback with an unknown ticket gets a harmless answer, never a fault: after a restart the Web Connector may
still hold an old one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ledgerflow.ledger_writer.targets.qbd.connector import WebConnectorService
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Unreadable, parse_xml

INTUIT = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_BODY_BYTES = 64 * 1024 * 1024
PATH = "/qbwc"


class SoapFault(Exception):
    def __init__(self, code: str, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def create_soap_app(service: WebConnectorService) -> Starlette:
    handlers: dict[str, Callable[[dict[str, str]], Awaitable[str | int | list[str]]]] = {
        "serverVersion": lambda p: service.server_version(),
        "clientVersion": lambda p: service.client_version(p.get("strVersion", "")),
        "authenticate": lambda p: service.authenticate(p.get("strUserName", ""), p.get("strPassword", "")),
        "sendRequestXML": lambda p: service.send_request(
            p.get("ticket", ""),
            p.get("strHCPResponse", ""),
            p.get("strCompanyFileName", ""),
            p.get("qbXMLMajorVers", ""),
        ),
        "receiveResponseXML": lambda p: service.receive_response(
            p.get("ticket", ""), p.get("response", ""), p.get("hresult", ""), p.get("message", "")
        ),
        "connectionError": lambda p: service.connection_error(
            p.get("ticket", ""), p.get("hresult", ""), p.get("message", "")
        ),
        "getLastError": lambda p: service.get_last_error(p.get("ticket", "")),
        "closeConnection": lambda p: service.close_connection(p.get("ticket", "")),
    }

    async def endpoint(request: Request) -> Response:
        try:
            method, params = _call(await _body(request))
            handler = handlers.get(method)
            if handler is None:
                raise SoapFault("soap:Client", f"unknown operation {method}", 500)
            result = await handler(params)
        except SoapFault as fault:
            return Response(_fault(fault), status_code=fault.status, media_type="text/xml; charset=utf-8")
        return Response(_result(method, result), media_type="text/xml; charset=utf-8")

    async def wsdl(request: Request) -> Response:
        if "wsdl" not in {key.lower() for key in request.query_params}:
            return PlainTextResponse(
                "ledgerflow's QuickBooks Web Connector endpoint: add its .qwc file "
                "(`ledgerflow desktop qwc`) to the Web Connector.\n"
            )
        return Response(_WSDL.replace("{url}", str(request.url.replace(query=""))), media_type="text/xml")

    return Starlette(routes=[Route(PATH, endpoint, methods=["POST"]), Route(PATH, wsdl, methods=["GET"])])


async def _body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise SoapFault("soap:Client", f"request larger than {MAX_BODY_BYTES} bytes", 413)
    return body


def _call(body: bytes) -> tuple[str, dict[str, str]]:
    try:
        root = parse_xml(body)
    except Unreadable as exc:
        raise SoapFault("soap:Client", str(exc), 400) from None
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if etree.QName(root).localname != "Envelope" or soap_body is None or len(soap_body) == 0:
        raise SoapFault("soap:Client", "not a SOAP 1.1 envelope with a body", 400)
    call = soap_body[0]
    params = {etree.QName(child).localname: child.text or "" for child in call if isinstance(child.tag, str)}
    return etree.QName(call).localname, params


def _result(method: str, result: Any) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    response = etree.SubElement(body, f"{{{INTUIT}}}{method}Response", nsmap={None: INTUIT})
    value = etree.SubElement(response, f"{{{INTUIT}}}{method}Result")
    if isinstance(result, list):
        for item in result:
            etree.SubElement(value, f"{{{INTUIT}}}string").text = item
    else:
        value.text = str(result)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


def _fault(fault: SoapFault) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    node = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(node, "faultcode").text = fault.code
    etree.SubElement(node, "faultstring").text = str(fault)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))


_OPERATIONS = {
    "serverVersion": ((), "string"),
    "clientVersion": (("strVersion",), "string"),
    "authenticate": (("strUserName", "strPassword"), "ArrayOfString"),
    "sendRequestXML": (
        ("ticket", "strHCPResponse", "strCompanyFileName", "qbXMLCountry", "qbXMLMajorVers", "qbXMLMinorVers"),
        "string",
    ),
    "receiveResponseXML": (("ticket", "response", "hresult", "message"), "int"),
    "connectionError": (("ticket", "hresult", "message"), "string"),
    "getLastError": (("ticket",), "string"),
    "closeConnection": (("ticket",), "string"),
}


def _wsdl() -> str:
    def params(names: tuple[str, ...], types: dict[str, str]) -> str:
        return "".join(
            f'<s:element minOccurs="0" maxOccurs="1" name="{n}" type="s:{types.get(n, "string")}"/>' for n in names
        )

    int_params = {"qbXMLMajorVers": "int", "qbXMLMinorVers": "int"}
    elements, messages, ops, bindings = [], [], [], []
    for name, (args, result) in _OPERATIONS.items():
        result_type = "tns:ArrayOfString" if result == "ArrayOfString" else f"s:{result}"
        occurs = 'minOccurs="1"' if result == "int" else 'minOccurs="0"'
        elements.append(
            f'<s:element name="{name}"><s:complexType><s:sequence>{params(args, int_params)}</s:sequence>'
            f'</s:complexType></s:element><s:element name="{name}Response"><s:complexType><s:sequence>'
            f'<s:element {occurs} maxOccurs="1" name="{name}Result" type="{result_type}"/></s:sequence>'
            "</s:complexType></s:element>"
        )
        messages.append(
            f'<wsdl:message name="{name}SoapIn"><wsdl:part name="parameters" element="tns:{name}"/></wsdl:message>'
            f'<wsdl:message name="{name}SoapOut"><wsdl:part name="parameters" element="tns:{name}Response"/>'
            "</wsdl:message>"
        )
        ops.append(
            f'<wsdl:operation name="{name}"><wsdl:input message="tns:{name}SoapIn"/>'
            f'<wsdl:output message="tns:{name}SoapOut"/></wsdl:operation>'
        )
        bindings.append(
            f'<wsdl:operation name="{name}"><soap:operation soapAction="{INTUIT}{name}" style="document"/>'
            '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/>'
            "</wsdl:output></wsdl:operation>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        f'xmlns:tns="{INTUIT}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="{INTUIT}">'
        f'<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="{INTUIT}">'
        '<s:complexType name="ArrayOfString"><s:sequence><s:element minOccurs="0" maxOccurs="unbounded" '
        'name="string" nillable="true" type="s:string"/></s:sequence></s:complexType>'
        f"{''.join(elements)}</s:schema></wsdl:types>{''.join(messages)}"
        f'<wsdl:portType name="QBWebConnectorSvcSoap">{"".join(ops)}</wsdl:portType>'
        '<wsdl:binding name="QBWebConnectorSvcSoap" type="tns:QBWebConnectorSvcSoap">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>'
        f'{"".join(bindings)}</wsdl:binding><wsdl:service name="QBWebConnectorSvc">'
        '<wsdl:port name="QBWebConnectorSvcSoap" binding="tns:QBWebConnectorSvcSoap">'
        '<soap:address location="{url}"/></wsdl:port></wsdl:service></wsdl:definitions>'
    )


_WSDL = _wsdl()
