"""The simulator as a real process: the admin API, a .qwc added, and an update run against a QBWC server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.desktop_sim.conftest import (
    ADMIN_TOKEN,
    CUSTOMER,
    ITEM,
    QbwcServer,
    SimProcess,
    invoice_add,
    listening,
    qwc_text,
)

COMPANY_FILES = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\"


@pytest.fixture
async def qbwc_server() -> AsyncIterator[tuple[QbwcServer, str]]:
    """The test's QBWC server on a real port, reachable by the simulator's process."""
    server = QbwcServer()
    async with listening(server.app()) as base:
        yield server, base


async def new_file(admin: httpx.AsyncClient) -> str:
    name = f"shop-{uuid.uuid4().hex[:8]}"
    created = await admin.post("/admin/company-files", json={"name": name, "company_name": "Shop A Inc."})
    assert created.status_code == 201, created.text
    assert created.json()["path"] == f"{COMPANY_FILES}{name}.qbw"
    for kind, body in (("customers", {"name": CUSTOMER}), ("items", {"name": ITEM, "price": "20.00"})):
        seeded = await admin.post(f"/admin/company-files/{name}/{kind}", json=body)
        assert seeded.status_code == 201, seeded.text
    return name


async def add_connector(admin: httpx.AsyncClient, name: str, base: str) -> str:
    qwc = qwc_text(AppName=f"ledgerflow {name}", UserName=name, AppURL=f"{base}/qbwc", AppSupport=f"{base}/help")
    added = await admin.post("/admin/connectors", json={"qwc": qwc, "password": "pw-123", "company_file": name})
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["app_name"], body["user_name"], body["company_file"]) == (f"ledgerflow {name}", name, name)
    return str(body["app_name"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/company-files"),
        ("POST", "/admin/company-files"),
        ("GET", "/admin/connectors"),
        ("POST", "/admin/connectors/x/run"),
        ("PUT", "/admin/faults"),
        ("GET", "/admin/company-files/x/books"),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_every_admin_route_wants_the_admin_token(
    desktop_sim: SimProcess, method: str, path: str, token: str | None
) -> None:
    headers = {"X-Ledgerflow-Admin": token} if token else {}
    async with httpx.AsyncClient(base_url=desktop_sim.url, timeout=10) as http:
        answer = await http.request(method, path, headers=headers, json={})
    assert answer.status_code == 401
    assert ADMIN_TOKEN not in answer.text


async def test_health_is_open(desktop_sim: SimProcess) -> None:
    async with httpx.AsyncClient(base_url=desktop_sim.url, timeout=10) as http:
        assert (await http.get("/health")).json()["status"] == "ok"


async def test_company_files_are_created_listed_and_refused_twice(admin: httpx.AsyncClient) -> None:
    name = await new_file(admin)
    listed = (await admin.get("/admin/company-files")).json()["company_files"]
    assert {"name": name, "path": f"{COMPANY_FILES}{name}.qbw", "edition": "enterprise", "connectors": []} in listed
    assert (await admin.post("/admin/company-files", json={"name": name})).status_code == 409
    assert (await admin.post("/admin/company-files", json={"name": "../evil"})).status_code == 400
    assert (await admin.post("/admin/company-files", json={"name": "p", "edition": "gold"})).status_code == 400
    books = (await admin.get(f"/admin/company-files/{name}/books")).json()
    assert books["documents"] == []
    assert (await admin.get("/admin/company-files/nope/books")).status_code == 404


async def test_an_invalid_qwc_is_refused_with_qbwcs_code(admin: httpx.AsyncClient) -> None:
    name = await new_file(admin)
    qwc = qwc_text(AppURL="http://qbwc.example.com/qbwc", AppSupport="http://qbwc.example.com/help")
    refused = await admin.post("/admin/connectors", json={"qwc": qwc, "password": "pw", "company_file": name})
    assert refused.status_code == 422
    assert refused.json()["code"] == "QBWC1010" and "HTTPS" in refused.json()["message"]
    missing = await admin.post("/admin/connectors", json={"qwc": qwc_text(), "password": "pw", "company_file": "nope"})
    assert missing.status_code == 404


async def test_an_added_connector_runs_an_update_into_the_books(
    admin: httpx.AsyncClient, qbwc_server: tuple[QbwcServer, str]
) -> None:
    server, base = qbwc_server
    name = await new_file(admin)
    app_name = await add_connector(admin, name, base)
    assert (await add_connector_again(admin, name, base)).status_code == 409
    server.requests = [invoice_add("1001")]

    log = (await admin.post(f"/admin/connectors/{app_name}/run")).json()
    assert log["ending"] == "completed" and log["status"] == "OK"
    assert [call["method"] for call in log["calls"]] == [
        "serverVersion", "clientVersion", "authenticate", "sendRequestXML", "receiveResponseXML", "closeConnection"
    ]  # fmt: skip
    assert server.of("authenticate")[0].params == {"strUserName": name, "strPassword": "pw-123"}
    assert server.of("sendRequestXML")[0].params["strCompanyFileName"] == f"{COMPANY_FILES}{name}.qbw"
    (document,) = (await admin.get(f"/admin/company-files/{name}/books")).json()["documents"]
    assert (document["type"], document["doc_number"]) == ("Invoice", "1001")

    sessions = (await admin.get(f"/admin/connectors/{app_name}/sessions", params={"limit": 5})).json()["sessions"]
    assert [s["ticket"] for s in sessions] == [log["ticket"]]
    (listed,) = [c for c in (await admin.get("/admin/connectors")).json()["connectors"] if c["app_name"] == app_name]
    assert listed["last_result"] == {"ending": "completed", "status": "OK"} and listed["auto_run"] is False
    assert (await admin.delete(f"/admin/connectors/{app_name}")).status_code == 200
    assert (await admin.post(f"/admin/connectors/{app_name}/run")).status_code == 404


async def add_connector_again(admin: httpx.AsyncClient, name: str, base: str) -> httpx.Response:
    qwc = qwc_text(AppName=f"ledgerflow {name}", UserName=name, AppURL=f"{base}/qbwc", AppSupport=f"{base}/help")
    return await admin.post("/admin/connectors", json={"qwc": qwc, "password": "pw", "company_file": name})


async def test_faults_are_set_read_and_applied(admin: httpx.AsyncClient, qbwc_server: tuple[QbwcServer, str]) -> None:
    server, base = qbwc_server
    name = await new_file(admin)
    app_name = await add_connector(admin, name, base)
    server.requests = [invoice_add("1001")]
    put = await admin.put("/admin/faults", json={"response_lost_next": 1, "slow_file_seconds": 0.01})
    assert put.status_code == 200 and put.json()["response_lost_next"] == 1
    log = (await admin.post(f"/admin/connectors/{app_name}/run")).json()
    assert log["ending"] == "response_lost" and log["counts"]["saved_without_response"] == 1
    assert server.responses == [] and "closeConnection" not in server.methods()
    assert len((await admin.get(f"/admin/company-files/{name}/books")).json()["documents"]) == 1
    assert (await admin.get("/admin/faults")).json()["response_lost_next"] == 0  # used up
    assert (await admin.put("/admin/faults", json={"drop_rate": 3})).status_code == 400


async def test_documents_keyed_and_deleted_by_hand(admin: httpx.AsyncClient) -> None:
    name = await new_file(admin)
    keyed = await admin.post(
        f"/admin/company-files/{name}/keyed",
        json={"txn_type": "Invoice", "customer": CUSTOMER, "amount": "40.00", "ref_number": "1001"},
    )
    assert keyed.status_code == 201, keyed.text
    txn_id = keyed.json()["TxnID"]
    (document,) = (await admin.get(f"/admin/company-files/{name}/books")).json()["documents"]
    assert (document["id"], document["doc_number"]) == (txn_id, "1001")
    edited = await admin.patch(f"/admin/company-files/{name}/transactions/Invoice/{txn_id}", json={"memo": "typed"})
    assert edited.status_code == 200 and edited.json()["EditSequence"] != keyed.json()["EditSequence"]
    deleted = await admin.delete(f"/admin/company-files/{name}/transactions/Invoice/{txn_id}")
    assert deleted.status_code == 200, deleted.text
    assert (await admin.get(f"/admin/company-files/{name}/books")).json()["documents"] == []
    missing = await admin.delete(f"/admin/company-files/{name}/transactions/Invoice/{txn_id}")
    assert missing.status_code == 404


async def test_the_closing_date_is_set_and_cleared(admin: httpx.AsyncClient) -> None:
    name = await new_file(admin)
    path = f"/admin/company-files/{name}/closing-date"
    assert (await admin.put(path, json={"closing_date": "2024-12-31"})).json() == {"closing_date": "2024-12-31"}
    assert (await admin.put(path, json={"closing_date": None})).json() == {"closing_date": None}
    assert (await admin.put(path, json={"closing_date": "last year"})).status_code == 400
