"""One update against a small QBWC server: the call order of every branch QBWC takes."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from lxml import etree
from starlette.responses import Response

from ledgerflow.qbd_sim.company import CompanyFile, Edition
from ledgerflow.qbd_sim.connector.log import Ending
from ledgerflow.qbd_sim.connector.qwc import parse_qwc
from ledgerflow.qbd_sim.connector.session import ConnectorSettings, run_update
from tests.desktop_sim.conftest import (
    COMPANY_PATH,
    FILE_ID,
    OWNER_ID,
    UNPARSEABLE,
    QbwcServer,
    invoice_add,
    listening,
    new_company,
    qwc_text,
    soap_fault,
    update,
)

OPENING = ["serverVersion", "clientVersion", "authenticate"]


async def test_two_message_sets_run_to_100_then_close(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add("1001"), invoice_add("1002")]
    log = await update(server, company)
    assert server.methods() == [*OPENING, "sendRequestXML", "receiveResponseXML", "sendRequestXML",
                                "receiveResponseXML", "closeConnection"]  # fmt: skip
    assert (log.ending, log.status, log.progress) == (Ending.COMPLETED, "OK", 100)
    assert (log.requests, log.responses, log.round_trips, log.errors) == (2, 2, 2, [])
    assert len(company.books()["documents"]) == 2
    assert all(r.params["ticket"] == "ticket-1" for r in server.received[3:])
    assert all("<QBXML>" in r["response"] and r["hresult"] == "" for r in server.responses)


async def test_only_the_first_send_request_xml_carries_the_hcp_response(
    server: QbwcServer, company: CompanyFile
) -> None:
    server.requests = [invoice_add("1001"), invoice_add("1002")]
    company.stamp_file_id(OWNER_ID, FILE_ID)
    await update(server, company)
    first, second = (r.params for r in server.of("sendRequestXML"))
    assert first["strHCPResponse"] == company.hcp_response(OWNER_ID)
    hcp = etree.fromstring(first["strHCPResponse"].encode())
    assert [rs.tag for rs in hcp[0]] == ["HostQueryRs", "CompanyQueryRs", "PreferencesQueryRs"]
    # The application's own OwnerID reads back the FileID stamped when the .qwc was added.
    assert hcp.findtext(".//DataExtRet[DataExtName='FileID']/DataExtValue") == FILE_ID
    assert second["strHCPResponse"] == ""
    for sent in (first, second):
        assert sent["strCompanyFileName"] == COMPANY_PATH
        assert (sent["qbXMLCountry"], sent["qbXMLMajorVers"], sent["qbXMLMinorVers"]) == ("US", "16", "0")


async def test_the_opening_calls_carry_qbwcs_version_and_the_qwc_user(server: QbwcServer, company: CompanyFile) -> None:
    server.auth = ["ticket-1", "none"]
    await update(server, company, password="typed-into-qbwc")
    assert server.of("serverVersion")[0].params == {}
    assert server.of("clientVersion")[0].params == {"strVersion": "2.3.0.215"}
    assert server.of("authenticate")[0].params == {"strUserName": "shop-a", "strPassword": "typed-into-qbwc"}
    for received in server.received:
        assert received.soap_action == f'"http://developer.intuit.com/{received.method}"'
        assert received.content_type == "text/xml; charset=utf-8"


@pytest.mark.parametrize(
    ("answer", "ending"), [("none", Ending.NO_WORK), ("nvu", Ending.INVALID_USER), ("busy", Ending.BUSY)]
)
async def test_a_refusal_from_authenticate_closes_at_once(
    server: QbwcServer, company: CompanyFile, answer: str, ending: Ending
) -> None:
    server.auth = ["ticket-1", answer]
    server.requests = [invoice_add("1001")]
    log = await update(server, company)
    assert server.methods() == [*OPENING, "closeConnection"]
    assert log.ending == ending and log.authenticate == answer
    assert company.books()["documents"] == []


async def test_postpone_and_floor_from_authenticate_are_recorded(server: QbwcServer, company: CompanyFile) -> None:
    server.auth = ["ticket-1", "none", "30", "600"]
    log = await update(server, company)
    assert (log.postpone_seconds, log.min_run_every_seconds) == (30, 600)
    assert log.as_dict()["authenticate"] == {"answer": "none", "postpone_seconds": 30, "min_run_every_seconds": 600}


async def test_a_company_file_path_from_authenticate_is_opened_when_it_is_this_file(
    server: QbwcServer, company: CompanyFile
) -> None:
    server.auth = ["ticket-1", COMPANY_PATH.upper()]  # Windows paths ignore case
    server.requests = [invoice_add("1001")]
    log = await update(server, company)
    assert log.ending == Ending.COMPLETED
    assert server.of("sendRequestXML")[0].params["strCompanyFileName"] == COMPANY_PATH


async def test_another_company_file_path_is_a_connection_error(server: QbwcServer, company: CompanyFile) -> None:
    server.auth = ["ticket-1", "C:\\Other\\other.qbw"]
    log = await update(server, company)
    assert server.methods() == [*OPENING, "connectionError"]
    assert server.of("connectionError")[0].params["hresult"] == "0x8004040A"
    assert log.ending == Ending.CONNECTION_FAILED and log.errors[0]["code"] == "QBWC1013"


async def test_an_edition_excluded_by_auth_flags_cannot_connect(server: QbwcServer) -> None:
    pro = new_company(Edition.PRO)
    log = await update(server, pro, qwc=qwc_text(AuthFlags="0xC"))
    assert server.methods() == [*OPENING, "connectionError"]
    assert "AuthFlags 0xc" in server.of("connectionError")[0].params["message"]
    assert log.ending == Ending.CONNECTION_FAILED


@pytest.mark.parametrize("answer", ["E:This server needs a newer Web Connector", "O:2.4.0.0"])
async def test_client_version_e_or_o_stops_the_update(server: QbwcServer, company: CompanyFile, answer: str) -> None:
    server.client_version = answer
    log = await update(server, company)
    assert server.methods() == ["serverVersion", "clientVersion"]
    assert log.ending == Ending.CLIENT_VERSION_REFUSED


async def test_client_version_w_is_a_warning_and_the_update_goes_on(server: QbwcServer, company: CompanyFile) -> None:
    server.client_version = "W:Please upgrade soon"
    server.requests = [invoice_add("1001")]
    log = await update(server, company)
    assert log.ending == Ending.COMPLETED and log.warnings == ["Please upgrade soon"]
    strict = ConnectorSettings(continue_after_warning=False)
    refused = await update(QbwcServer(client_version="W:x"), company, settings=strict)
    assert refused.ending == Ending.CLIENT_VERSION_REFUSED


async def test_a_server_without_server_version_is_still_updated(server: QbwcServer, company: CompanyFile) -> None:
    server.raw["serverVersion"] = lambda: soap_fault("Unknown method serverVersion")
    server.requests = [invoice_add("1001")]
    log = await update(server, company)
    assert log.ending == Ending.COMPLETED
    assert "does not contain support for serverVersion" in log.warnings[0]


async def test_a_negative_answer_asks_get_last_error_then_closes(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add("1001"), invoice_add("1002")]
    server.progress = [-101]
    server.last_errors = ["Customer is missing in QuickBooks"]
    log = await update(server, company)
    assert server.methods()[3:] == ["sendRequestXML", "receiveResponseXML", "getLastError", "closeConnection"]
    assert (log.ending, log.status, log.progress) == (Ending.ERROR_REPORTED, "Customer is missing in QuickBooks", -101)
    assert log.errors == [{"code": "", "message": "Customer is missing in QuickBooks"}]


async def test_noop_pauses_then_asks_again(server: QbwcServer, company: CompanyFile) -> None:
    server.empty_sends = 1
    server.last_errors = ["NoOp"]
    server.requests = [invoice_add("1001")]
    started = time.monotonic()
    log = await update(server, company, settings=ConnectorSettings(noop_wait_seconds=0.2))
    assert time.monotonic() - started >= 0.2
    assert server.methods()[3:] == ["sendRequestXML", "getLastError", "sendRequestXML", "receiveResponseXML",
                                    "closeConnection"]  # fmt: skip
    assert (log.ending, log.noops) == (Ending.COMPLETED, 1)
    # The pause does not make the next call a "first" one again.
    assert server.of("sendRequestXML")[1].params["strHCPResponse"] == ""


async def test_nothing_to_send_with_an_error_text_closes(server: QbwcServer, company: CompanyFile) -> None:
    server.last_errors = ["The outbox is paused"]
    log = await update(server, company)
    assert server.methods()[3:] == ["sendRequestXML", "getLastError", "closeConnection"]
    assert (log.ending, log.status) == (Ending.ERROR_REPORTED, "The outbox is paused")


async def test_interactive_mode_is_not_supported(server: QbwcServer, company: CompanyFile) -> None:
    server.last_errors = ["Interactive mode"]
    log = await update(server, company)
    assert server.methods()[3:] == ["sendRequestXML", "getLastError", "closeConnection"]
    assert log.ending == Ending.INTERACTIVE_UNSUPPORTED


async def test_an_unparseable_message_set_comes_back_as_hresult_with_an_empty_response(
    server: QbwcServer, company: CompanyFile
) -> None:
    server.requests = [UNPARSEABLE]
    log = await update(server, company)
    (delivered,) = server.responses
    assert delivered["hresult"] == "0x80040400" and delivered["response"] == "" and delivered["message"]
    assert company.books()["documents"] == []
    assert log.ending == Ending.COMPLETED


async def test_a_malformed_reply_to_receive_response_xml_ends_the_session_with_qbwc1042(
    server: QbwcServer, company: CompanyFile
) -> None:
    server.requests = [invoice_add("1001"), invoice_add("1002")]
    server.raw["receiveResponseXML"] = lambda: Response("<html>Internal error", media_type="text/xml")
    log = await update(server, company)
    assert server.methods()[-1] == "receiveResponseXML"  # no closeConnection after a failed call
    assert log.ending == Ending.SOAP_FAILURE
    assert log.errors[0]["code"] == "QBWC1042" and "not well-formed" in log.errors[0]["message"]
    assert log.calls[-1].error is not None and log.calls[-1].error.startswith("QBWC1042")


@pytest.mark.parametrize(
    ("method", "code"), [("authenticate", "QBWC1012"), ("sendRequestXML", "QBWC1041"), ("closeConnection", "QBWC1044")]
)
async def test_a_soap_fault_ends_the_session_with_the_methods_code(
    server: QbwcServer, company: CompanyFile, method: str, code: str
) -> None:
    server.raw[method] = lambda: soap_fault("Object reference not set to an instance of an object.")
    server.requests = [invoice_add("1001")]
    log = await update(server, company)
    assert (log.ending, log.errors[0]["code"]) == (Ending.SOAP_FAILURE, code)
    assert server.methods()[-1] == method


class CountingSessions(CompanyFile):
    ended = 0

    def end_session(self) -> None:
        self.ended += 1
        super().end_session()


@pytest.mark.parametrize("requests", [[], [invoice_add("1001")]])
async def test_quickbooks_session_ends_with_the_update(server: QbwcServer, requests: list[str]) -> None:
    server.requests = requests
    company = CountingSessions(COMPANY_PATH)
    await update(server, company)
    assert company.ended == 1
    server.auth = ["ticket-2", "none"]
    await update(server, company)
    assert company.ended == 1  # the file was never opened


async def test_a_server_that_never_finishes_is_stopped(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add(str(n)) for n in range(100)]
    server.progress = [50] * 100
    log = await update(server, company, settings=ConnectorSettings(max_round_trips=5))
    assert (log.ending, log.round_trips) == (Ending.RUNAWAY, 5)
    assert server.methods().count("sendRequestXML") == 5 and "closeConnection" not in server.methods()


async def test_the_session_log_is_json_and_hides_the_password(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add("1001")]
    log = (await update(server, company, password="typed-into-qbwc")).as_dict()
    text = json.dumps(log)
    assert "typed-into-qbwc" not in text
    assert log["ending"] == "completed" and log["status"] == "OK"
    assert log["counts"] == {"requests": 1, "responses": 1, "saved_without_response": 0, "round_trips": 1,
                             "noops": 0, "connection_errors": 0, "calls": 6}  # fmt: skip
    authenticate = log["calls"][2]
    assert authenticate["method"] == "authenticate" and authenticate["args"]["strPassword"] == "********"
    assert authenticate["result"] == ["ticket-1", ""]
    sent = log["calls"][3]["args"]["strHCPResponse"]
    assert sent.endswith("chars)")  # long qbXML is shortened in the log
    assert all(call["elapsed_ms"] >= 0 for call in log["calls"])


async def test_over_a_real_socket(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add("1001")]
    async with listening(server.app()) as base, httpx.AsyncClient(timeout=None) as http:
        qwc = parse_qwc(qwc_text(AppURL=f"{base}/qbwc", AppSupport=f"{base}/support"))
        log = await run_update(qwc, "pw", company, http)
    assert log.ending == Ending.COMPLETED
    assert len(company.books()["documents"]) == 1
