"""The writer's changes to documents already in the books, against a simulator as strict as the strictest guess.

Whether QuickBooks takes back the ``LineEx`` it adds to a payment's lines is unknown (D16): the simulator refuses it
here (``line_ex_on_update=refuse``), and the writer must apply a payment to a second invoice all the same.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from ledgerflow.ledger_writer.targets.qbo.changes import DocumentChanges
from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError, QuickBooksClient
from tests.simulator.conftest import TOKEN, SimServer, invoice_body, plain


@pytest.fixture(scope="module")
def refusing_line_ex(start_sim: Callable[..., SimServer]) -> SimServer:
    return start_sim("--token", TOKEN, "--limits", "off", "--rules", "line_ex_on_update=refuse")


@pytest.fixture
async def client(refusing_line_ex: SimServer) -> AsyncIterator[QuickBooksClient]:
    quickbooks = QuickBooksClient(refusing_line_ex.url, TOKEN)
    yield quickbooks
    await quickbooks.aclose()


async def test_a_payment_applied_to_a_second_invoice_is_sent_without_line_ex(client: QuickBooksClient) -> None:
    realm = f"realm-{uuid.uuid4().hex[:10]}"
    customer = (await client.create(realm, "Customer", {"DisplayName": "Jane"}, "c"))["Id"]
    (income,) = await client.query(realm, "Account", "Name = 'Sales of Product Income'")
    item_body = {"Name": "TENT", "Type": "NonInventory", "IncomeAccountRef": {"value": income["Id"]}}
    item = (await client.create(realm, "Item", item_body, "i"))["Id"]
    first = (await client.create(realm, "Invoice", plain(invoice_body(customer, item, number="1")), "inv-1"))["Id"]
    second = (await client.create(realm, "Invoice", plain(invoice_body(customer, item, number="2")), "inv-2"))["Id"]
    payment = {"CustomerRef": {"value": customer}, "TotalAmt": 80.0,
               "Line": [{"Amount": 40.0, "LinkedTxn": [{"TxnId": first, "TxnType": "Invoice"}]}]}  # fmt: skip
    paid = await client.create(realm, "Payment", payment, "pay")
    assert "LineEx" in paid["Line"][0]
    # what the writer did before: the lines as read back, LineEx and all
    resent = {"Id": paid["Id"], "SyncToken": paid["SyncToken"], "sparse": True, "Line": paid["Line"]}
    with pytest.raises(QboFaultError) as refused:
        await client.create(realm, "Payment", resent, "resent")
    assert refused.value.code == "2010"

    changes = DocumentChanges(client, realm)
    applied = await changes.apply_payment(paid["Id"], [second], uuid.uuid4())
    assert changes.trace_id is not None and changes.trace_id.startswith("1-")  # kept with the apply's intent
    assert Decimal(str(applied["UnappliedAmt"])) == 0
    assert {link["TxnId"] for line in applied["Line"] for link in line["LinkedTxn"]} == {first, second}
