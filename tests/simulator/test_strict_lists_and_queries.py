"""Inactive name-list records and the query grammar as QuickBooks Online has them (qbo-real-behaviour.md D6-D13)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.simulator.conftest import ADMIN, TOKEN, Qbo, SimServer, invoice_body


async def _deactivate(qbo: Qbo, resource: str, entity: str, record_id: str) -> dict[str, Any]:
    current = (await qbo.get(resource, record_id)).json()[entity]
    answer = await qbo.create(resource, {"Id": record_id, "SyncToken": current["SyncToken"], "sparse": True,
                                         "Active": False})  # fmt: skip
    record: dict[str, Any] = answer[entity]
    return record


async def _query_fault(qbo: Qbo, statement: str) -> tuple[int, str]:
    response = await qbo.http.get(f"/v3/company/{qbo.realm}/query", params={"query": statement})
    return response.status_code, str(response.json()["Fault"]["Error"][0]["code"])


async def test_d6_a_plain_query_leaves_inactive_records_out(qbo: Qbo) -> None:
    kept = (await qbo.create("customer", {"DisplayName": "Kept"}))["Customer"]["Id"]
    gone = (await qbo.create("customer", {"DisplayName": "Gone"}))["Customer"]["Id"]
    await _deactivate(qbo, "customer", "Customer", gone)
    assert [c["Id"] for c in (await qbo.query("select * from Customer"))["Customer"]] == [kept]
    assert (await qbo.query("select count(*) from Customer"))["totalCount"] == 1
    both = await qbo.query("select * from Customer where Active IN (true, false)")
    assert sorted(c["Id"] for c in both["Customer"]) == sorted([kept, gone])
    inactive = await qbo.query("select * from Customer where Active = false")
    assert [c["Id"] for c in inactive["Customer"]] == [gone]


async def test_d7_deactivating_renames_the_record_and_frees_its_name(qbo: Qbo) -> None:
    old = (await qbo.create("customer", {"DisplayName": "Jane Cooper"}))["Customer"]["Id"]
    deactivated = await _deactivate(qbo, "customer", "Customer", old)
    assert (deactivated["DisplayName"], deactivated["Active"]) == ("Jane Cooper (deleted)", False)
    assert await qbo.query("select * from Customer where DisplayName = 'Jane Cooper'") == {}
    fresh = (await qbo.create("customer", {"DisplayName": "Jane Cooper"}))["Customer"]["Id"]
    assert fresh != old


async def test_d7_items_are_renamed_too_and_a_second_deletion_gets_its_own_name(qbo: Qbo) -> None:
    first = await qbo.item("LANTERN")
    await _deactivate(qbo, "item", "Item", first)
    second = await qbo.item("LANTERN")
    renamed = await _deactivate(qbo, "item", "Item", second)
    assert renamed["Name"] == "LANTERN (deleted-1)"


async def test_d7_reactivating_gives_the_name_back(qbo: Qbo) -> None:
    record_id = (await qbo.create("vendor", {"DisplayName": "Ridge Tents"}))["Vendor"]["Id"]
    deactivated = await _deactivate(qbo, "vendor", "Vendor", record_id)
    active = await qbo.create("vendor", {"Id": record_id, "SyncToken": deactivated["SyncToken"], "sparse": True,
                                         "Active": True})  # fmt: skip
    assert active["Vendor"]["DisplayName"] == "Ridge Tents"


async def test_d8_maxresults_may_come_before_startposition(qbo: Qbo) -> None:
    for name in ("A", "B", "C", "D"):
        await qbo.create("customer", {"DisplayName": name})
    page = await qbo.query("select * from Customer ORDERBY DisplayName MAXRESULTS 2 STARTPOSITION 3")
    assert ([c["DisplayName"] for c in page["Customer"]], page["startPosition"], page["maxResults"]) == (
        ["C", "D"], 3, 2,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        ("select * from Invoices", "4001"),  # an unknown entity
        ("select * from Customer STARTPOSITION 0", "4001"),
        ("select * from Customer MAXRESULTS 0", "4001"),
        ("select * from Customer where DisplayName = 'A' or DisplayName = 'B'", "4000"),  # no OR
        ("select * from Customer where DisplayName = 'A' OR Id = '1'", "4000"),
        ("select * frm Customer", "4000"),
        ("select * from Invoice where PrivateNote = 'x'", "4001"),  # D13: not filterable
    ],
)
async def test_d9_d13_bad_queries_are_refused(qbo: Qbo, statement: str, code: str) -> None:
    assert await _query_fault(qbo, statement) == (400, code)


async def test_d9_an_or_inside_a_quoted_name_is_a_name(qbo: Qbo) -> None:
    await qbo.create("customer", {"DisplayName": "Fish or Chips"})
    found = await qbo.query("select * from Customer where DisplayName = 'Fish or Chips'")
    assert [c["DisplayName"] for c in found["Customer"]] == ["Fish or Chips"]


async def test_d10_entity_names_are_taken_in_any_case_by_default(qbo: Qbo) -> None:
    await qbo.create("customer", {"DisplayName": "Lower"})
    assert [c["DisplayName"] for c in (await qbo.query("select * from customer"))["Customer"]] == ["Lower"]


@pytest.fixture(scope="module")
def case_sensitive(start_sim: Callable[..., SimServer]) -> SimServer:
    return start_sim("--token", TOKEN, "--limits", "off", "--rules", "query_entity_case=sensitive")


@pytest.fixture
async def strict_client(case_sensitive: SimServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=case_sensitive.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


async def test_d10_the_case_sensitive_switch_refuses_a_lower_case_entity(strict_client: httpx.AsyncClient) -> None:
    response = await strict_client.get("/v3/company/r/query", params={"query": "select * from customer"})
    assert (response.status_code, response.json()["Fault"]["Error"][0]["code"]) == (400, "4001")


async def test_d11_orderby_sorts_ids_and_amounts_as_numbers(qbo: Qbo) -> None:
    ids = [(await qbo.create("customer", {"DisplayName": f"C{n}"}))["Customer"]["Id"] for n in range(12)]
    ordered = [c["Id"] for c in (await qbo.query("select * from Customer ORDERBY Id"))["Customer"]]
    assert ordered == sorted(ids, key=int)
    newest = (await qbo.query("select * from Customer ORDERBY Id DESC MAXRESULTS 1"))["Customer"][0]["Id"]
    assert newest == max(ids, key=int)
    customer, item = await qbo.customer_and_item()
    for number, price in (("9", "100.00"), ("10", "9.50"), ("100", "20.00")):
        await qbo.create("invoice", invoice_body(customer, item, number=number, qty=1, price=price))
    by_total = await qbo.query("select * from Invoice ORDERBY TotalAmt")
    assert [i["TotalAmt"] for i in by_total["Invoice"]] == [9.5, 20, 100]
    by_number = await qbo.query("select * from Invoice ORDERBY DocNumber")  # a string: text order
    assert [i["DocNumber"] for i in by_number["Invoice"]] == ["10", "100", "9"]


async def test_d12_orderby_takes_a_list_of_fields(qbo: Qbo) -> None:
    for name, company in (("B", "Acme"), ("A", "Zeta"), ("C", "Acme")):
        await qbo.create("customer", {"DisplayName": name, "CompanyName": company})
    page = await qbo.query("select * from Customer ORDERBY CompanyName, DisplayName DESC")
    assert [c["DisplayName"] for c in page["Customer"]] == ["C", "B", "A"]


async def test_d13_the_switch_lets_any_field_be_filtered_and_unknown_switches_are_refused(
    case_sensitive: SimServer,
) -> None:
    async with httpx.AsyncClient(
        base_url=case_sensitive.url, headers={"Authorization": f"Bearer {TOKEN}", **ADMIN}
    ) as c:
        statement = {"query": "select * from Invoice where PrivateNote = 'x'"}
        assert (await c.get("/v3/company/r13/query", params=statement)).status_code == 400
        relaxed = await c.put("/admin/rules", json={"filterable_fields_only": False, "query_entity_case": "sensitive"})
        assert relaxed.json()["filterable_fields_only"] is False
        try:
            assert (await c.get("/v3/company/r13/query", params=statement)).status_code == 200
            assert (await c.put("/admin/rules", json={"no_such_rule": True})).status_code == 400
        finally:
            await c.put("/admin/rules", json={"query_entity_case": "sensitive"})
