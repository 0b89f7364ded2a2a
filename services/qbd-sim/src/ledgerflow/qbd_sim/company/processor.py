"""Running a parsed message set: one request after another, each answered in its own ``…Rs``.

Per request: ``requestID`` (1060), string lengths (3070), multicurrency fields, macros (91xx), then the handler.
Under stopOnError the first error makes every later request answer 3231; nothing is ever rolled back.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from ledgerflow.qbd_sim.company import deletion, host, ledger, lists, payments, queries, receiving, status, transactions
from ledgerflow.qbd_sim.company.context import Context, Result
from ledgerflow.qbd_sim.company.envelope import MessageSet, Request
from ledgerflow.qbd_sim.company.intake import check_lengths
from ledgerflow.qbd_sim.company.render import emit, keep_only

Handler = Callable[[Context, Request], Result]
_CURRENCY_FIELDS = ("CurrencyRef", "ExchangeRate", "CurrencyFilter")


@dataclass(frozen=True)
class Outcome:
    """What the request processor hands back to the Web Connector."""

    response: str  # the qbXML response document ("" when hresult is set)
    hresult: str = ""  # e.g. "0x80040400" when the whole message set could not be parsed
    message: str = ""


def _handlers(info: host.CompanyInfo) -> dict[str, Handler]:
    table: dict[str, Handler] = {
        "HostQueryRq": lambda ctx, r: host.host_query(ctx, r.element),
        "CompanyQueryRq": lambda ctx, r: host.company_query(ctx, r.element, info),
        "PreferencesQueryRq": lambda ctx, r: host.preferences_query(ctx, r.element),
        "CustomerAddRq": lambda ctx, r: lists.add_customer_or_vendor(ctx, r.body, "Customer"),
        "VendorAddRq": lambda ctx, r: lists.add_customer_or_vendor(ctx, r.body, "Vendor"),
        "ReceivePaymentAddRq": lambda ctx, r: payments.add_payment(ctx, r.body),
        "ReceivePaymentModRq": lambda ctx, r: payments.modify_payment(ctx, r.body),
        "ReceivePaymentQueryRq": lambda ctx, r: queries.txn_query(ctx, r.element, "ReceivePayment"),
        "SalesOrderModRq": lambda ctx, r: transactions.modify_form(ctx, r.body, "SalesOrder"),
        "InvoiceModRq": lambda ctx, r: transactions.modify_form(ctx, r.body, "Invoice"),
        "PurchaseOrderModRq": lambda ctx, r: transactions.modify_form(ctx, r.body, "PurchaseOrder"),
        "TxnDelRq": lambda ctx, r: deletion.txn_del(ctx, r.element),
    }
    for name in queries.QUERY_TYPES:
        table[name] = lambda ctx, r: queries.list_query(ctx, r.element)
    for name in lists.ITEM_ADDS:
        table[f"{name}Rq"] = lambda ctx, r: lists.add_item(ctx, r.body, str(r.body.tag))
    for txn_type in transactions.FORMS:
        table[f"{txn_type}AddRq"] = _form_add(txn_type)
        table[f"{txn_type}QueryRq"] = _form_query(txn_type)
    for txn_type in ledger.RECEIVING:
        table[f"{txn_type}AddRq"] = _receiving_add(txn_type)
        table[f"{txn_type}QueryRq"] = _form_query(txn_type)
    return table


def _receiving_add(txn_type: str) -> Handler:
    return lambda ctx, request: receiving.add_receiving(ctx, request.body, txn_type)


def _form_add(txn_type: str) -> Handler:
    return lambda ctx, request: transactions.add_form(ctx, request.body, txn_type)


def _form_query(txn_type: str) -> Handler:
    return lambda ctx, request: queries.txn_query(ctx, request.element, txn_type)


class Processor:
    def __init__(self, info: host.CompanyInfo) -> None:
        self._handlers = _handlers(info)
        # A simulator bug answers 1000 like QuickBooks' own internal errors; the traceback is kept for tests.
        self.internal_errors: list[str] = []
        # Non-ASCII text seen in requests (field, value): how QuickBooks stores it is unverified, so it is shown.
        self.non_ascii: list[tuple[str, str]] = []

    def run(self, message_set: MessageSet, ctx: Context) -> etree._Element:
        root = etree.Element("QBXML")
        responses = etree.SubElement(root, "QBXMLMsgsRs")
        stopped = False
        for request in message_set.requests:
            if stopped:
                result = Result(3231, status.NOT_PROCESSED)
            else:
                result = self._one(request, ctx)
                stopped = message_set.stop_on_error and result.code >= 1000
            self._write(responses, request, result, message_set, ctx)
        return root

    def _one(self, request: Request, ctx: Context) -> Result:
        request_id = request.element.get("requestID")
        try:
            if request_id is not None and len(request_id) > 50:
                raise status.request_id_invalid(request_id)
            check_lengths(request.overlong)
            if not ctx.switches.multicurrency and next(request.element.iter(*_CURRENCY_FIELDS), None) is not None:
                raise status.feature_unavailable()
            macro = request.body.get("defMacro") if request.kind.wraps else None
            if macro is not None:
                _check_macro(ctx, macro)
            self._note_non_ascii(request)
            result = self._handlers[request.name](ctx, request)
        except status.QbError as error:
            return Result(error.code, error.message)
        except Exception:  # one broken request must not take the Web Connector down
            self.internal_errors.append(traceback.format_exc())
            return Result(1000, status.INTERNAL_ERROR)
        if macro is not None and result.txn_id is not None:
            ctx.macros[macro] = result.txn_id
        return result

    def _note_non_ascii(self, request: Request) -> None:
        for element in request.element.iter():
            text = element.text or ""
            if isinstance(element.tag, str) and not text.isascii():
                self.non_ascii.append((str(element.tag), text))

    @staticmethod
    def _write(
        responses: etree._Element, request: Request, result: Result, message_set: MessageSet, ctx: Context
    ) -> None:
        rs = etree.SubElement(responses, request.name.removesuffix("Rq") + "Rs")
        request_id = request.element.get("requestID")
        if request_id is not None:
            rs.set("requestID", request_id)
        rs.set("statusCode", str(result.code))
        rs.set("statusSeverity", status.severity(result.code))
        rs.set("statusMessage", result.message)
        if result.code >= 1000:
            return  # errors carry no data
        for name, value in result.attributes.items():
            rs.set(name, value)
        if not message_set.include_data:
            return
        for name, value in result.plain:
            etree.SubElement(rs, name).text = value
        includes = [element.text or "" for element in request.element.findall("IncludeRetElement")]
        for spec in result.rets:
            keep_only(emit(rs, spec.tag, spec.layout, spec.values, ctx.version), includes)


def _check_macro(ctx: Context, macro: str) -> None:
    prefix, _, name = macro.partition(":")
    if prefix != "TxnID" or not name:
        raise status.macro_invalid(macro)
    if macro in ctx.macros:
        raise status.macro_redefined(macro)
