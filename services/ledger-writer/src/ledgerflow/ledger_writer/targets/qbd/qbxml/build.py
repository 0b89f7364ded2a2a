"""qbXML requests from field mappings, every element's children put in the schema's order (``order.ORDER``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerflow.ledger_writer.targets.qbd.qbxml.order import ORDER, QBXML_VERSION, SHAPES

Fields = Mapping[str, Any]


class UnknownField(ValueError):
    """A field the element does not have, or not in the order the schema knows: a bug in the mapping."""


def element(name: str, fields: Fields, *, shape: str | None = None) -> etree._Element:
    """``<name>`` with ``fields`` as children in schema order; None values are left out, lists repeat."""
    order = ORDER.get(shape or SHAPES.get(name, name))
    if order is None:
        raise UnknownField(f"no element order is known for {name}")
    unknown = [key for key in fields if key not in order]
    if unknown:
        raise UnknownField(f"{name} has no field {', '.join(unknown)} (known: {', '.join(order)})")
    node = etree.Element(name)
    for key in sorted(fields, key=order.index):
        value = fields[key]
        for one in value if isinstance(value, list | tuple) else (value,):
            if one is None:
                continue
            if isinstance(one, Mapping):
                node.append(element(key, one))
            else:
                etree.SubElement(node, key).text = text(one)
    return node


def text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int):
        return str(value)
    raise UnknownField(f"cannot write a {type(value).__name__} into qbXML")


def add_request(kind: str, fields: Fields) -> str:
    """``<KindAddRq><KindAdd>...</KindAdd></KindAddRq>`` (also Mod), as text."""
    wrapper = etree.Element(f"{kind}Rq")
    wrapper.append(element(kind, fields))
    return _text(wrapper)


def query_request(name: str, fields: Fields) -> str:
    """``<NameRq>`` with the query's fields directly inside (queries, TxnDel)."""
    return _text(element(f"{name}Rq", fields))


def message_set(requests: Sequence[tuple[str, str]], *, on_error: str = "continueOnError") -> str:
    """The document the Web Connector hands to QuickBooks: each ``(request id, request)`` in order."""
    msgs = etree.Element("QBXMLMsgsRq", onError=on_error)
    for request_id, request in requests:
        node = etree.fromstring(request)  # built by this module: trusted
        node.set("requestID", request_id)
        msgs.append(node)
    root = etree.Element("QBXML")
    root.append(msgs)
    # Characters beyond ASCII travel as character references: QuickBooks reads those whatever its code page.
    body = etree.tostring(root, encoding="us-ascii").decode("ascii")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{QBXML_VERSION}"?>\n{body}'


def _text(node: etree._Element) -> str:
    return etree.tostring(node, encoding="unicode")
