"""The Desktop books' purchase-order changes against a company file that a person edits meanwhile: the writer's
Mod meets 3200, reads the order again and sends it with the new EditSequence; a change or close already there is
not sent again. The company file is the simulator's, reached directly (the Web Connector's part is tested end to end
in test_desktop_purchase_orders); the reference cache is the writer's own table in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal

import asyncpg
import pytest

from ledgerflow.contracts import DocumentType, LineKind, MatchingPolicy, NumberedDocument, PlannedDocument, PlannedLine
from ledgerflow.devstack.stack import StackState
from ledgerflow.ledger_writer import reference_cache
from ledgerflow.ledger_writer.books import Company, Linked
from ledgerflow.ledger_writer.targets.qbd.books import DesktopBooks
from ledgerflow.ledger_writer.targets.qbd.qbxml.build import message_set, query_request
from ledgerflow.ledger_writer.targets.qbd.qbxml.parse import Answer, answers, many
from ledgerflow.qbd_sim.company import CompanyFile
from ledgerflow.runtime.database import migrate
from ledgerflow.runtime.settings import DatabaseSettings
from tests.desktop_sim.test_company_sales import PATH, Clock

VENDOR = "Northwind Ceramics"


class SimulatedWire:
    """The writer's wire to a company file, straight to the simulator's; ``before_mod`` runs before each Mod it
    carries, as a person's edit in QuickBooks would land between the writer's read and its change."""

    def __init__(self, company: CompanyFile) -> None:
        self.company = company
        self.mods = 0
        self.edits_left = 0

    async def ask(self, company_id: str, requests: Sequence[str], *, writes: bool, alone: bool = False) -> list[Answer]:
        for request in requests:
            if "<PurchaseOrderModRq" in request:
                self.mods += 1
                if self.edits_left:
                    self.edits_left -= 1
                    txn_id = request.split("<TxnID>", 1)[1].split("</TxnID>", 1)[0]
                    self.company.edit_by_hand("PurchaseOrder", txn_id, memo="checked by Dana")
        outcome = self.company.process(message_set([(str(i), r) for i, r in enumerate(requests)]))
        assert outcome.hresult == "", self.company.last_parse_error
        return answers(outcome.response)


@pytest.fixture
async def pool(stack_state: StackState) -> AsyncIterator[asyncpg.Pool]:
    schema = f"writer_{uuid.uuid4().hex[:8]}"
    created = await asyncpg.create_pool(DatabaseSettings(url=stack_state.database_url).url, min_size=1, max_size=2,
                                        server_settings={"search_path": schema})  # fmt: skip
    assert created is not None
    await migrate(created, schema, reference_cache.DDL)
    yield created
    await created.close()


def _line(sku: str, quantity: str, cost: str) -> PlannedLine:
    amount = (Decimal(quantity) * Decimal(cost)).quantize(Decimal("0.01"))
    return PlannedLine(kind=LineKind.ITEM, item_name=sku, quantity=Decimal(quantity), unit_price=Decimal(cost),
                       amount=amount, line_id=sku)  # fmt: skip


def _order(lines: list[PlannedLine]) -> NumberedDocument:
    document = PlannedDocument(key="t/linnworks/po-1/purchase_order", type=DocumentType.PURCHASE_ORDER, currency="USD",
                               txn_date=date(2026, 11, 2), vendor_name=VENDOR, lines=tuple(lines),
                               total=sum((line.amount for line in lines), Decimal(0)),
                               memo="Linnworks purchase order PO-2041")  # fmt: skip
    return NumberedDocument(document=document, doc_number="PO-2041", number_space="purchase_order")


async def _posted(pool: asyncpg.Pool) -> tuple[DesktopBooks, SimulatedWire, Linked]:
    company = CompanyFile(PATH, clock=Clock())
    company.add_vendor(VENDOR)
    wire = SimulatedWire(company)
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    books = DesktopBooks(pool, wire, Company(tenant, "qbd:" + tenant), MatchingPolicy(), "Sales")  # type: ignore[arg-type]
    ordered = _order([_line("MUG-BLK", "24", "3.50"), _line("MUG-WHT", "12", "3.25")])
    draft = await books.draft(ordered, [])
    record = await books.create(draft, uuid.uuid4())
    return books, wire, Linked(record.external_id, "PurchaseOrder")


async def test_a_change_meeting_a_persons_edit_is_read_again_and_sent_once_more(pool: asyncpg.Pool) -> None:
    books, wire, po = await _posted(pool)
    wire.edits_left = 1  # Dana edits the order just before the writer's change reaches it
    more = _order([_line("MUG-BLK", "24", "3.50"), _line("MUG-WHT", "18", "3.25"), _line("MUG-RED", "6", "3.25")])
    changed = await books.update_purchase_order(po, more, uuid.uuid4())
    assert (changed.external_id, changed.total, wire.mods) == (po.external_id, Decimal("162.00"), 2)

    # The same change again (its answer was lost, say): the order has the lines already, nothing is sent.
    again = await books.update_purchase_order(po, more, uuid.uuid4())
    assert (again.total, wire.mods) == (Decimal("162.00"), 2)
    read = query_request("PurchaseOrderQuery", {"TxnID": po.external_id, "IncludeLineItems": True})
    (ret,) = (await wire.ask("", [read], writes=False))[0].rets
    lines = [(ln["ItemRef"]["FullName"], ln["Quantity"]) for ln in many(ret, "PurchaseOrderLineRet")]
    assert lines == [("MUG-BLK", "24"), ("MUG-WHT", "18"), ("MUG-RED", "6")]


async def test_closing_meets_an_edit_then_closes_and_a_closed_order_is_left_alone(pool: asyncpg.Pool) -> None:
    books, wire, po = await _posted(pool)
    wire.edits_left = 1
    closed = await books.close_sales_order(po, uuid.uuid4())
    assert wire.mods == 2 and closed.memo == "checked by Dana"
    await books.close_sales_order(po, uuid.uuid4())
    assert wire.mods == 2  # closed already: read, not changed
    assert wire.company.books()["documents"][0]["status"] == "closed"
