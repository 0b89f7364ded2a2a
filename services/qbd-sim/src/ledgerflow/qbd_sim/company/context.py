"""What a request handler sees: the file's state and settings, plus the message set's version and macros."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from ledgerflow.qbd_sim.company import status
from ledgerflow.qbd_sim.company.grammar import Version
from ledgerflow.qbd_sim.company.settings import Edition, Switches
from ledgerflow.qbd_sim.company.store import Store


@dataclass(frozen=True)
class RetSpec:
    """One ``…Ret`` to write: its tag, its layout, its values by element name."""

    tag: str
    layout: str
    values: Mapping[str, Any]


@dataclass
class Result:
    code: int = 0
    message: str = status.OK_MESSAGE
    rets: list[RetSpec] = field(default_factory=list)
    plain: list[tuple[str, str]] = field(default_factory=list)  # TxnDelRs carries fields, not a Ret
    attributes: dict[str, str] = field(default_factory=dict)  # retCount, iteratorRemainingCount, iteratorID
    txn_id: str | None = None  # what a defMacro on this Add names


@dataclass
class Iterators:
    """Open query iterators; they live as long as the QuickBooks session (``CompanyFile.end_session``)."""

    open: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id -> (request name, ids left)


@dataclass
class Context:
    store: Store
    switches: Switches
    edition: Edition
    version: Version
    iterators: Iterators
    macros: dict[str, str] = field(default_factory=dict)

    def txn_ref(self, element: etree._Element) -> str:
        """A TxnID field's value, through ``useMacro`` where the schema allows one."""
        macro = element.get("useMacro")
        if macro is None:
            return element.text or ""
        if element.tag == "LinkToTxnID" and not self.switches.macro_in_link_to_txn_id:
            raise status.macro_invalid(macro)
        if macro not in self.macros:
            raise status.macro_not_defined(macro)
        return self.macros[macro]

    def today(self) -> date:
        return self.store.now().date()

    def check_closing_date(self, txn_type: str, *days: date) -> None:
        closing = self.store.closing_date
        if closing is not None and any(day <= closing for day in days):
            raise status.before_closing_date(txn_type)
