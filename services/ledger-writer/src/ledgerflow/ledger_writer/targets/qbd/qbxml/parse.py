"""qbXML answers read with a parser that resolves no entities, fetches nothing and refuses huge documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

MAX_RESPONSE_BYTES = 50 * 1024 * 1024
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=True
)


class Unreadable(ValueError):
    """Not a qbXML response ledgerflow can read."""


@dataclass(frozen=True)
class Answer:
    """One request's answer: QuickBooks' status and the records it returned (as nested dicts)."""

    request_id: str
    name: str  # e.g. InvoiceAddRs
    status_code: int
    severity: str
    message: str
    rets: list[dict[str, Any]] = field(default_factory=list)
    remaining: int = 0  # iteratorRemainingCount

    @property
    def ok(self) -> bool:
        return self.severity != "Error"


def parse_xml(document: str | bytes) -> etree._Element:
    raw = document.encode() if isinstance(document, str) else document
    if len(raw) > MAX_RESPONSE_BYTES:
        raise Unreadable(f"the response is {len(raw)} bytes, more than {MAX_RESPONSE_BYTES}")
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"the response is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise Unreadable("the response declares a DOCTYPE, which qbXML never does")
    return root


def answers(document: str) -> list[Answer]:
    """Every ``...Rs`` of a response message set, in order."""
    root = parse_xml(document)
    msgs = root.find("QBXMLMsgsRs")
    if root.tag != "QBXML" or msgs is None:
        raise Unreadable(f"expected QBXML/QBXMLMsgsRs, got {root.tag!s}")
    return [answer_of(rs) for rs in msgs if isinstance(rs.tag, str)]


def answer_of(rs: etree._Element) -> Answer:
    try:
        code = int(rs.get("statusCode", ""))
    except ValueError:
        raise Unreadable(f"{rs.tag!s} has no numeric statusCode") from None
    remaining = rs.get("iteratorRemainingCount")
    return Answer(
        request_id=rs.get("requestID", ""),
        name=str(rs.tag),
        status_code=code,
        severity=rs.get("statusSeverity", "Error"),
        message=rs.get("statusMessage", ""),
        rets=[as_dict(ret) for ret in rs if isinstance(ret.tag, str) and ret.tag.endswith("Ret")],
        remaining=int(remaining) if remaining and remaining.isdigit() else 0,
    )


def fragments(document: str) -> list[tuple[str, str]]:
    """Each ``...Rs`` of a response as ``(requestID, its own XML)``: kept until the caller who asked reads it."""
    root = parse_xml(document)
    msgs = root.find("QBXMLMsgsRs")
    if root.tag != "QBXML" or msgs is None:
        raise Unreadable(f"expected QBXML/QBXMLMsgsRs, got {root.tag!s}")
    return [(rs.get("requestID", ""), etree.tostring(rs, encoding="unicode")) for rs in msgs if isinstance(rs.tag, str)]


def as_dict(node: etree._Element) -> dict[str, Any]:
    """Children as keys (repeated ones as lists), text leaves as strings; ``_tag`` keeps the element's name."""
    result: dict[str, Any] = {"_tag": node.tag}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        value: Any = as_dict(child) if len(child) else (child.text or "")
        if child.tag in result:
            existing = result[child.tag]
            result[child.tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[child.tag] = value
    return result


def many(record: dict[str, Any], key: str) -> list[Any]:
    """A child that may repeat, always as a list."""
    value = record.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
