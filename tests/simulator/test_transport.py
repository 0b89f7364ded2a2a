"""QuickBooks Online v3 transport: paths, envelopes, updates, delete, void, query and batch."""

from __future__ import annotations

from tests.simulator.conftest import Qbo, invoice_body, payment_body


async def test_create_read_and_query_envelopes(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    created = await qbo.create("invoice", invoice_body(customer, item))
    invoice = created["Invoice"]
    assert set(created) == {"Invoice", "time"}
    assert (invoice["Id"], invoice["SyncToken"], invoice["TotalAmt"], invoice["Balance"]) == (
        invoice["Id"],
        "0",
        40,
        40,
    )
    assert invoice["MetaData"]["CreateTime"]
    read = await qbo.get("invoice", invoice["Id"])
    assert read.json()["Invoice"]["DocNumber"] == "1001"
    found = await qbo.query("select * from Invoice where DocNumber = '1001'")
    assert [i["Id"] for i in found["Invoice"]] == [invoice["Id"]]
    assert found["startPosition"] == 1


async def test_a_query_that_matches_nothing_leaves_the_entity_key_out(qbo: Qbo) -> None:
    assert await qbo.query("select * from Invoice where DocNumber = 'none'") == {}


async def test_query_by_post_with_application_text_and_count(qbo: Qbo) -> None:
    await qbo.create("customer", {"DisplayName": "O'Brien"})
    response = await qbo.http.post(f"/v3/company/{qbo.realm}/query", content="select count(*) from Customer",
                                   headers={"Content-Type": "application/text"})  # fmt: skip
    assert response.json()["QueryResponse"]["totalCount"] == 1
    escaped = await qbo.query("select * from Customer where DisplayName = 'O\\'Brien'")
    assert escaped["Customer"][0]["DisplayName"] == "O'Brien"


async def test_query_paging_and_ordering(qbo: Qbo) -> None:
    for name in ("Cee", "Ay", "Bee"):
        await qbo.create("customer", {"DisplayName": name})
    page = await qbo.query("select * from Customer ORDERBY DisplayName STARTPOSITION 2 MAXRESULTS 1")
    assert [c["DisplayName"] for c in page["Customer"]] == ["Bee"]


async def test_unparseable_query_is_4000(qbo: Qbo) -> None:
    response = await qbo.http.get(f"/v3/company/{qbo.realm}/query", params={"query": "select nonsense"})
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "4000"
    assert response.json()["Fault"]["type"] == "ValidationFault"


async def test_unknown_resource_is_unsupported_operation_500(qbo: Qbo) -> None:
    response = await qbo.post("salesorder", {})
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "500"


async def test_sparse_update_changes_only_the_fields_sent(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    updated = await qbo.create("invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True,
                                           "PrivateNote": "edited"})  # fmt: skip
    after = updated["Invoice"]
    assert (after["PrivateNote"], after["SyncToken"], after["TotalAmt"], after["DocNumber"]) == (
        "edited",
        "1",
        40,
        "1001",
    )


async def test_full_update_replaces_the_writable_fields(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    body = invoice_body(customer, item, qty=3, memo="three now") | {"Id": invoice["Id"], "SyncToken": "0"}
    after = (await qbo.create("invoice", body))["Invoice"]
    assert (after["TotalAmt"], after["Balance"], after["PrivateNote"]) == (60, 60, "three now")


async def test_stale_sync_token_is_5010(qbo: Qbo) -> None:
    customer, _ = await qbo.customer_and_item()
    await qbo.create("customer", {"Id": customer, "SyncToken": "0", "sparse": True, "Notes": "first"})
    response = await qbo.post("customer", {"Id": customer, "SyncToken": "0", "sparse": True, "Notes": "second"})
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "5010"


async def test_delete_operation(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    deleted = await qbo.create("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert deleted["Invoice"]["status"] == "Deleted"
    assert (await qbo.get("invoice", invoice["Id"])).json()["Fault"]["Error"][0]["code"] == "610"


async def test_void_invoice_and_void_payment(qbo: Qbo) -> None:
    customer, item = await qbo.customer_and_item()
    invoice = (await qbo.create("invoice", invoice_body(customer, item)))["Invoice"]
    payment = (await qbo.create("payment", payment_body(customer, invoice["Id"], 40)))["Payment"]
    voided = await qbo.create("payment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
                              operation="update", include="void")  # fmt: skip
    assert voided["Payment"]["TotalAmt"] == 0
    reopened = (await qbo.get("invoice", invoice["Id"])).json()["Invoice"]
    assert reopened["Balance"] == 40
    void = await qbo.create("invoice", {"Id": invoice["Id"], "SyncToken": reopened["SyncToken"]}, operation="void")
    assert (void["Invoice"]["TotalAmt"], void["Invoice"]["Balance"], void["Invoice"]["PrivateNote"]) == (0, 0, "Voided")
    assert "status" not in void["Invoice"]  # QuickBooks marks a void only with the memo
    listed = {d["id"]: d["status"] for d in (await qbo.books())["documents"]}
    assert listed[invoice["Id"]] == "Voided"


async def test_minorversion_below_75_is_served_as_75(qbo: Qbo) -> None:
    response = await qbo.http.post(f"/v3/company/{qbo.realm}/customer", json={"DisplayName": "Old Client"},
                                   params={"minorversion": "4"})  # fmt: skip
    assert response.status_code == 200


async def test_batch_runs_each_item_and_reports_faults_per_item(qbo: Qbo) -> None:
    items = [
        {"bId": "b1", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
        {"bId": "b2", "operation": "create", "Customer": {}},
        {"bId": "b3", "Query": "select * from Customer where DisplayName = 'Batch One'"},
    ]
    response = await qbo.http.post(f"/v3/company/{qbo.realm}/batch", json={"BatchItemRequest": items})
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert answers["b1"]["Customer"]["DisplayName"] == "Batch One"
    assert answers["b2"]["Fault"]["Error"][0]["code"] == "6080"
    assert answers["b3"]["QueryResponse"]["Customer"][0]["DisplayName"] == "Batch One"


async def test_batch_of_more_than_30_items_is_1040(qbo: Qbo) -> None:
    items = [{"bId": f"b{i}", "Query": "select * from Customer"} for i in range(31)]
    response = await qbo.http.post(f"/v3/company/{qbo.realm}/batch", json={"BatchItemRequest": items})
    assert response.json()["Fault"]["Error"][0]["code"] == "1040"


async def test_body_that_is_not_json_is_refused(qbo: Qbo) -> None:
    response = await qbo.http.post(f"/v3/company/{qbo.realm}/customer", content=b"\xff\xfe",
                                   headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.json()["Fault"]["Error"][0]["code"] == "500"
