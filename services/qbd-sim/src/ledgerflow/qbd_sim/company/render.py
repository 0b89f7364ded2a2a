"""Writing a Ret: values by element name, emitted in the layout's order and cut to the request's version."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerflow.qbd_sim.company.grammar import Version
from ledgerflow.qbd_sim.company.layout import ORDERS
from ledgerflow.qbd_sim.company.records import Ref
from ledgerflow.qbd_sim.company.values import fmt_datetime, fmt_money, fmt_number, fmt_rate

# Decimals are money unless named here.
_QUANTITIES = {
    "Quantity",
    "Invoiced",
    "ReceivedQuantity",
    "UnbilledQuantity",
    "QuantityOnHand",
    "QuantityOnOrder",
    "QuantityOnSalesOrder",
    "ReorderPoint",
    "Max",
}
_RATES = {"Rate", "Cost", "Price", "SalesPrice", "PurchaseCost", "AverageCost", "ExchangeRate", "MarkupRate"}
_PERCENTS = {"RatePercent", "PricePercent", "TaxRate", "SalesTaxPercentage", "MarkupRatePercent"}


@dataclass(frozen=True)
class Nested:
    """An aggregate written with its own layout (``SalesOrPurchase``, ``LinkedTxn``, a line Ret, …)."""

    layout: str
    values: Mapping[str, Any]


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if name in _QUANTITIES or name in _PERCENTS:
            return fmt_number(value)
        if name in _RATES:
            return fmt_rate(value)
        return fmt_money(value)
    if isinstance(value, datetime):
        return fmt_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def emit(parent: etree._Element, tag: str, layout: str, values: Mapping[str, Any], version: Version) -> etree._Element:
    element = etree.SubElement(parent, tag)
    for particle in ORDERS[layout]:
        if particle.since > version or values.get(particle.name) is None:
            continue
        value = values[particle.name]
        items: Iterable[Any] = value if isinstance(value, list) else [value]
        for item in items:
            _emit_value(element, particle.name, item, version)
    return element


def _emit_value(element: etree._Element, name: str, value: Any, version: Version) -> None:
    if isinstance(value, Nested):
        emit(element, name, value.layout, value.values, version)
    elif isinstance(value, Ref):
        ref = etree.SubElement(element, name)
        etree.SubElement(ref, "ListID").text = value.list_id
        etree.SubElement(ref, "FullName").text = value.full_name
    elif isinstance(value, etree._Element):
        echoed = copy.deepcopy(value)
        echoed.tag = name
        echoed.tail = None
        for attribute in list(echoed.attrib):
            del echoed.attrib[attribute]
        element.append(echoed)
    else:
        etree.SubElement(element, name).text = _scalar(name, value)


def keep_only(ret: etree._Element, names: list[str]) -> None:
    """``IncludeRetElement``: only the named top-level elements stay."""
    if not names:
        return
    for child in list(ret):
        if child.tag not in names:
            ret.remove(child)
