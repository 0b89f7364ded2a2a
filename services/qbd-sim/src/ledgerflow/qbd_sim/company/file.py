"""A QuickBooks Desktop company file (.QBW) in memory, as the request processor and a person at the keyboard see it."""

from __future__ import annotations

import ntpath
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerflow.qbd_sim.company import books, deletion, envelope, lists, status
from ledgerflow.qbd_sim.company.context import Context, Iterators, RetSpec
from ledgerflow.qbd_sim.company.host import CompanyInfo, company_ret, host_ret, preferences_ret
from ledgerflow.qbd_sim.company.processor import Outcome, Processor
from ledgerflow.qbd_sim.company.records import Line, Txn
from ledgerflow.qbd_sim.company.render import emit
from ledgerflow.qbd_sim.company.settings import Edition, Switches
from ledgerflow.qbd_sim.company.store import Store
from ledgerflow.qbd_sim.company.values import money

HAND_TYPES = ("SalesOrder", "Invoice", "SalesReceipt", "CreditMemo", "Estimate", "PurchaseOrder", "ReceivePayment")
NEWEST = (16, 0)


def _local_now() -> datetime:
    return datetime.now(UTC).astimezone()


def _document(root: etree._Element) -> str:
    body = etree.tostring(root, pretty_print=True, encoding="unicode")
    return f'<?xml version="1.0" ?>\n{body}'


class CompanyFile:
    def __init__(
        self,
        path: str,
        *,
        edition: Edition = Edition.ENTERPRISE,
        switches: Switches | None = None,
        company_name: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = path
        self.edition = edition
        self.switches = switches or Switches()
        stem = ntpath.basename(path).rsplit(".", 1)[0] or "Company"
        self.company_name = company_name or stem
        self.last_parse_error: str | None = None  # the simulator's own diagnosis of the last 0x80040400
        self._store = Store(clock or _local_now)
        lists.seed(self._store)
        self._iterators = Iterators()
        self._recovery: dict[str, str] = {}
        self._processor = Processor(CompanyInfo(self.company_name))
        self._lock = threading.RLock()  # QuickBooks runs one request at a time

    # -- the request processor ------------------------------------------------------------------------------

    def process(self, request: str) -> Outcome:
        with self._lock:
            try:
                message_set = envelope.parse(request)
            except status.ParseFailure as failure:
                self.last_parse_error = failure.detail
                return Outcome(response="", hresult=status.PARSE_HRESULT, message=status.PARSE_MESSAGE)
            self.last_parse_error = None
            recovering = self.switches.error_recovery
            old_id = message_set.old_message_set_id if recovering else None
            if old_id is not None and old_id in self._recovery:
                return Outcome(self._recovery[old_id])
            ctx = self._context(message_set.version)
            root = self._processor.run(message_set, ctx)
            msgs = root[0]
            new_id = message_set.new_message_set_id if recovering else None
            if new_id is not None:
                msgs.set("newMessageSetID", new_id)
            if old_id is not None:
                msgs.set("messageSetStatusCode", "600")  # nothing stored under that ID: the set was run afresh
            response = _document(root)
            if new_id is not None:
                stored = etree.fromstring(response.split("\n", 1)[1])
                stored[0].set("messageSetStatusCode", "0")
                self._recovery[new_id] = _document(stored)
            return Outcome(response)

    def _context(self, version: tuple[int, int]) -> Context:
        return Context(self._store, self.switches, self.edition, version, self._iterators)

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of requests the simulator itself failed on (each answered with status 1000)."""
        return self._processor.internal_errors

    @property
    def non_ascii(self) -> list[tuple[str, str]]:
        """(element, text) of every non-ASCII value received, to show what a client's encoder sent."""
        return self._processor.non_ascii

    def end_session(self) -> None:
        """The Web Connector closed its connection: iterators die with the session (later use answers 3391)."""
        with self._lock:
            self._iterators.open.clear()

    def hcp_response(self, owner_id: str | None = None) -> str:
        """HostQuery + CompanyQuery + PreferencesQuery responses in one QBXML document (``strHCPResponse``)."""
        with self._lock:
            ctx = self._context(NEWEST)
            root = etree.Element("QBXML")
            msgs = etree.SubElement(root, "QBXMLMsgsRs")
            owners = [owner_id] if owner_id else []
            specs: list[tuple[str, RetSpec]] = [
                ("HostQueryRs", host_ret(ctx)),
                ("CompanyQueryRs", company_ret(ctx, CompanyInfo(self.company_name), owners)),
                ("PreferencesQueryRs", preferences_ret(ctx)),
            ]
            for tag, spec in specs:
                rs = etree.SubElement(msgs, tag, statusCode="0", statusSeverity="Info", statusMessage=status.OK_MESSAGE)
                emit(rs, spec.tag, spec.layout, spec.values, NEWEST)
            return _document(root)

    def stamp_file_id(self, owner_id: str, file_id: str) -> None:
        """What QBWC does when a .qwc is added: a DataExt named "FileID" under the application's OwnerID."""
        with self._lock:
            self._store.company_data_ext[(owner_id, "FileID")] = file_id

    # -- preferences ----------------------------------------------------------------------------------------

    @property
    def closing_date(self) -> date | None:
        return self._store.closing_date

    @closing_date.setter
    def closing_date(self, value: date | None) -> None:
        with self._lock:
            self._store.closing_date = value

    # -- what a person does at the keyboard -----------------------------------------------------------------

    def add_item(
        self,
        name: str,
        *,
        kind: str = "NonInventory",
        price: Decimal | None = None,
        cost: Decimal | None = None,
        vendor: str | None = None,
    ) -> None:
        """``kind``: NonInventory, Service, OtherCharge, Inventory, or SalesTax (``price`` is then the rate in %)."""
        with self._lock:
            try:
                lists.make_item(self._store, self.switches, name, kind, price, cost, vendor)
            except status.QbError as error:
                raise ValueError(error.message) from error

    def add_vendor(self, name: str) -> None:
        self._add_name("Vendor", name)

    def add_customer(self, name: str) -> None:
        self._add_name("Customer", name)

    def _add_name(self, kind: str, name: str) -> None:
        with self._lock:
            try:
                lists.check_name(self.switches, name, kind)
                self._store.add_entry(kind, name)
            except status.QbError as error:
                raise ValueError(error.message) from error

    def key_by_hand(
        self,
        txn_type: str,
        *,
        customer: str,
        amount: Decimal,
        ref_number: str | None = None,
        txn_date: date | None = None,
        memo: str | None = None,
    ) -> dict[str, Any]:
        """A document a person typed: one line of ``amount`` (for a PurchaseOrder, ``customer`` is the vendor).

        The form is pre-filled with the type's next number, so ``ref_number=None`` takes and advances it.
        Returns the document's books row plus ``TxnID``, ``TxnNumber`` and ``EditSequence``.
        """
        with self._lock:
            if txn_type not in HAND_TYPES:
                raise ValueError(f"unsupported transaction type {txn_type!r}")
            if txn_type == "SalesOrder" and self.edition is Edition.PRO:
                raise ValueError("Sales orders are not available in QuickBooks Pro")
            store = self._store
            kind = "Vendor" if txn_type == "PurchaseOrder" else "Customer"
            entity = store.by_name((kind,), customer)
            if entity is None:
                raise ValueError(f"no {kind} named {customer!r}")
            number = ref_number if ref_number is not None else store.auto_number(txn_type)
            txn = store.new_txn(txn_type, entity.ref, txn_date or store.now().date(), ref_number=number, memo=memo)
            if txn_type == "ReceivePayment":
                txn.total_amount = money(amount)
            else:
                txn.lines = [Line(store.new_line_id(), amount=money(amount))]
            store.txns[txn.txn_id] = txn
            store.note_number(txn_type, number)
            return self._keyed(txn)

    def _keyed(self, txn: Txn) -> dict[str, Any]:
        row = books.document(self._store, self.switches, txn)
        return {**row, "TxnID": txn.txn_id, "TxnNumber": txn.txn_number, "EditSequence": txn.edit_sequence}

    def edit_by_hand(
        self,
        txn_type: str,
        txn_id: str,
        *,
        memo: str | None = None,
        ref_number: str | None = None,
        manually_closed: bool | None = None,
    ) -> dict[str, Any]:
        """A person changes a document in QuickBooks: its EditSequence moves, so a client's next Mod gets 3200."""
        with self._lock:
            txn = self._store.txns.get(txn_id)
            if txn is None or txn.type != txn_type:
                raise KeyError(f"no {txn_type} {txn_id}")
            if memo is not None:
                txn.memo = memo
            if ref_number is not None:
                txn.ref_number = ref_number
            if manually_closed is not None:
                txn.manually_closed = manually_closed
            txn.modified = self._store.now()
            txn.edit_sequence = self._store.edit_sequence(txn.edit_sequence)
            return self._keyed(txn)

    def delete_by_hand(self, txn_type: str, txn_id: str) -> None:
        with self._lock:
            txn = self._store.txns.get(txn_id)
            if txn is None or txn.type != txn_type:
                raise KeyError(f"no {txn_type} {txn_id}")
            deletion.delete(self._store, self.switches, txn)

    def books(self) -> dict[str, Any]:
        with self._lock:
            return books.dump(self._store, self.switches, path=self.path, edition=self.edition.value)
