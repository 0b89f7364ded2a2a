"""Reading a qbXML message set: prolog, version, ``onError``, and every request checked before any runs.

Whatever is wrong here (bad XML, a DOCTYPE, an unknown tag, an element out of order or newer than the declared
version) rejects the whole set, as QuickBooks' request processor does with HRESULT 0x80040400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from ledgerflow.qbd_sim.company.grammar import Version, parse_version
from ledgerflow.qbd_sim.company.schema import ATTRIBUTE_ENUMS, GRAMMAR, REQUESTS, SUPPORTED_VERSIONS, RequestKind
from ledgerflow.qbd_sim.company.status import ParseFailure

MAX_REQUEST_CHARS = 10 * 1024 * 1024
_DECLARATION = re.compile(
    r"""<\?xml\s+version\s*=\s*(["'])1\.0\1(?:\s+encoding\s*=\s*(["'])([A-Za-z0-9._-]+)\2)?"""
    r"""(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>"""
)
_QBXML_PI = re.compile(r"""^\s*version\s*=\s*(["'])(\d+\.\d+)\1\s*$""")
_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "latin-1", "latin-1": "latin-1", "us-ascii": "ascii"}
_SET_ATTRIBUTES = {"onError", "responseData", "newMessageSetID", "oldMessageSetID"}


@dataclass(frozen=True)
class Request:
    name: str  # e.g. "InvoiceAddRq"
    element: etree._Element
    kind: RequestKind
    overlong: list[tuple[str, str, int]]  # strings over their XSD length, answered 3070 when the request runs

    @property
    def body(self) -> etree._Element:
        """An Add/Mod's single child (``InvoiceAdd``), or the request itself for queries."""
        if self.kind.wraps is None:
            return self.element
        return next(child for child in self.element if child.tag == self.kind.wraps)


@dataclass(frozen=True)
class MessageSet:
    version: Version
    version_text: str
    stop_on_error: bool
    include_data: bool
    new_message_set_id: str | None
    old_message_set_id: str | None
    requests: list[Request]


def _parser() -> etree.XMLParser:
    # Entities are never expanded and nothing is fetched: the text comes from a network peer.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def parse(text: str) -> MessageSet:
    if len(text) > MAX_REQUEST_CHARS:
        raise ParseFailure(f"request of {len(text)} characters is over {MAX_REQUEST_CHARS}")
    declaration = _DECLARATION.match(text)
    if declaration is None:
        raise ParseFailure("the document does not start with an XML declaration")
    encoding = _ENCODINGS.get((declaration.group(3) or "utf-8").lower())
    if encoding is None:
        raise ParseFailure(f"unsupported encoding {declaration.group(3)!r}")
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise ParseFailure(f"text cannot be encoded as {encoding}: {exc}") from exc
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise ParseFailure(f"not well-formed: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ParseFailure("a DOCTYPE is not accepted")
    version_text = _qbxml_version(root)
    version = parse_version(version_text)
    if root.tag != "QBXML" or root.attrib or (root.text or "").strip():
        raise ParseFailure(f"root element {root.tag!r} is not a bare QBXML")
    children = [child for child in root if isinstance(child.tag, str)]
    if len(children) != 1 or children[0].tag != "QBXMLMsgsRq" or (children[0].tail or "").strip():
        raise ParseFailure("QBXML must hold exactly one QBXMLMsgsRq")
    return _message_set(children[0], version, version_text)


def _qbxml_version(root: etree._Element) -> str:
    found = [
        node
        for node in root.itersiblings(preceding=True)
        if isinstance(node, etree._ProcessingInstruction) and node.target == "qbxml"
    ]
    if len(found) != 1:
        raise ParseFailure("exactly one <?qbxml version=...?> processing instruction must precede QBXML")
    match = _QBXML_PI.match(found[0].text or "")
    if match is None or match.group(2) not in SUPPORTED_VERSIONS:
        raise ParseFailure(f"unsupported qbXML version in {found[0].text!r}")
    return match.group(2)


def _message_set(msgs: etree._Element, version: Version, version_text: str) -> MessageSet:
    unknown = set(msgs.attrib) - _SET_ATTRIBUTES
    if unknown:
        raise ParseFailure(f"QBXMLMsgsRq has unknown attributes {sorted(unknown)}")
    on_error = msgs.get("onError")
    # rollbackOnError is in the schema but QuickBooks never rolls back: it refuses the set.
    if on_error not in ("stopOnError", "continueOnError"):
        raise ParseFailure(f"onError={on_error!r} is not stopOnError or continueOnError")
    response_data = msgs.get("responseData", "includeAll")
    if response_data not in ("includeAll", "includeNone"):
        raise ParseFailure(f"responseData={response_data!r}")
    for name in ("newMessageSetID", "oldMessageSetID"):
        value = msgs.get(name)
        if value is not None and not 0 < len(value) <= 23:
            raise ParseFailure(f"{name} must be 1 to 23 characters")
    if (msgs.text or "").strip():
        raise ParseFailure("text inside QBXMLMsgsRq")
    requests = []
    for element in msgs:
        if (element.tail or "").strip():
            raise ParseFailure("text between requests")
        if not isinstance(element.tag, str):
            continue
        requests.append(_request(element, version))
    return MessageSet(
        version=version,
        version_text=version_text,
        stop_on_error=on_error == "stopOnError",
        include_data=response_data == "includeAll",
        new_message_set_id=msgs.get("newMessageSetID"),
        old_message_set_id=msgs.get("oldMessageSetID"),
        requests=requests,
    )


def _request(element: etree._Element, version: Version) -> Request:
    name = str(element.tag)
    kind = REQUESTS.get(name)
    if kind is None:
        raise ParseFailure(f"unknown request {name}")
    if kind.since > version:
        raise ParseFailure(f"{name} needs qbXML {kind.since[0]}.{kind.since[1]}")
    unknown = set(element.attrib) - kind.attributes
    if unknown:
        raise ParseFailure(f"{name} has unknown attributes {sorted(unknown)}")
    for attribute, allowed in ATTRIBUTE_ENUMS.items():
        value = element.get(attribute)
        if value is not None and value not in allowed:
            raise ParseFailure(f"{name} {attribute}={value!r}")
    overlong = GRAMMAR.validate(element, kind.model, version)
    return Request(name, element, kind, overlong)
