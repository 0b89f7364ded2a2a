"""Injected faults: the lost response, the cut session, QuickBooks not running, slow files and slow servers."""

from __future__ import annotations

import time

import pytest

from ledgerflow.qbd_sim.company import CompanyFile
from ledgerflow.qbd_sim.connector.log import Ending
from ledgerflow.qbd_sim.faults import ALWAYS, FaultPlan
from tests.desktop_sim.conftest import COMPANY_PATH, QbwcServer, invoice_add, update

OPENING = ["serverVersion", "clientVersion", "authenticate"]


async def test_a_response_lost_after_save_leaves_the_document_in_the_file_and_the_server_unaware(
    server: QbwcServer, company: CompanyFile
) -> None:
    server.requests = [invoice_add("1001"), invoice_add("1002")]
    log = await update(server, company, faults=FaultPlan(response_lost_next=1))
    (document,) = company.books()["documents"]
    assert (document["type"], document["doc_number"]) == ("Invoice", "1001")
    # Like a PC going to sleep: no receiveResponseXML, and no closeConnection either.
    assert server.methods() == [*OPENING, "sendRequestXML"]
    assert server.responses == []
    assert (log.ending, log.requests, log.responses, log.saved_without_response) == (Ending.RESPONSE_LOST, 1, 0, 1)


async def test_next_n_lost_responses_are_used_up(server: QbwcServer, company: CompanyFile) -> None:
    faults = FaultPlan(response_lost_next=1)
    server.requests = [invoice_add("1001")]
    assert (await update(server, company, faults=faults)).ending == Ending.RESPONSE_LOST
    # The server hands out the same request again, as a naive server would: the file now has it twice.
    retry = QbwcServer(requests=[invoice_add("1001")])
    assert (await update(retry, company, faults=faults)).ending == Ending.COMPLETED
    assert faults.response_lost_next == 0
    assert len(company.books()["documents"]) == 2


async def test_a_cut_session_stops_dead_after_k_round_trips(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add("1001"), invoice_add("1002"), invoice_add("1003")]
    log = await update(server, company, faults=FaultPlan(cut_session_after=2))
    assert server.methods() == [*OPENING, "sendRequestXML", "receiveResponseXML", "sendRequestXML",
                                "receiveResponseXML"]  # fmt: skip
    assert (log.ending, log.round_trips) == (Ending.CUT, 2)
    assert len(company.books()["documents"]) == 2


async def test_quickbooks_not_running_goes_through_connection_error_then_done(
    server: QbwcServer, company: CompanyFile
) -> None:
    server.requests = [invoice_add("1001")]
    log = await update(server, company, faults=FaultPlan(quickbooks_not_running=1))
    assert server.methods() == [*OPENING, "connectionError"]
    sent = server.of("connectionError")[0].params
    assert sent["ticket"] == "ticket-1" and sent["hresult"] == "0x80040416" and "BeginSession" in sent["message"]
    assert (log.ending, log.connection_errors) == (Ending.CONNECTION_FAILED, 1)
    assert log.errors[0]["code"] == "QBWC1013"
    assert company.books()["documents"] == []


async def test_connection_error_answered_with_a_path_retries_with_that_file(
    server: QbwcServer, company: CompanyFile
) -> None:
    server.requests = [invoice_add("1001")]
    server.connection_errors = [COMPANY_PATH]
    log = await update(server, company, faults=FaultPlan(quickbooks_not_running=1))
    assert server.methods()[3:] == ["connectionError", "sendRequestXML", "receiveResponseXML", "closeConnection"]
    assert log.ending == Ending.COMPLETED


async def test_quickbooks_is_retried_at_most_twice(server: QbwcServer, company: CompanyFile) -> None:
    server.connection_errors = [COMPANY_PATH]
    log = await update(server, company, faults=FaultPlan(quickbooks_not_running=ALWAYS))
    assert server.methods()[3:] == ["connectionError"] * 3
    # A path was given on the retries, so QuickBooks was asked to start: a different HRESULT.
    assert [r.params["hresult"] for r in server.of("connectionError")] == ["0x80040416", "0x80040408", "0x80040408"]
    assert (log.ending, log.connection_errors) == (Ending.CONNECTION_FAILED, 3)


async def test_a_slow_company_file_delays_each_message_set(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add("1001"), invoice_add("1002")]
    started = time.monotonic()
    log = await update(server, company, faults=FaultPlan(slow_file_seconds=0.1))
    assert time.monotonic() - started >= 0.2
    assert log.ending == Ending.COMPLETED


async def test_a_server_slower_than_the_http_timeout_fails_the_call(server: QbwcServer, company: CompanyFile) -> None:
    server.requests = [invoice_add("1001")]
    server.delay["sendRequestXML"] = 0.5
    log = await update(server, company, faults=FaultPlan(http_timeout_seconds=0.1))
    assert log.ending == Ending.SOAP_FAILURE
    assert log.errors[0]["code"] == "QBWC1041" and "timed out" in log.errors[0]["message"]


async def test_a_dropped_reply_fails_the_call_after_the_server_handled_it(
    server: QbwcServer, company: CompanyFile
) -> None:
    log = await update(server, company, faults=FaultPlan(drop_rate=1.0))
    # QBWC tolerates the two version calls failing; authenticate's failure ends the update.
    assert server.methods() == OPENING
    assert len(log.warnings) == 2 and log.errors[0]["code"] == "QBWC1012"


def test_faults_parse_from_the_command_line_syntax() -> None:
    plan = FaultPlan.parse(
        "response_lost_after_save=next:2,cut_session_after=3,quickbooks_not_running=always,"
        "slow_file=250ms,http_timeout=30s,drop_rate=0.05,seed=7"
    )
    assert (plan.response_lost_next, plan.response_lost_rate, plan.cut_session_after) == (2, 0.0, 3)
    assert (plan.quickbooks_not_running, plan.slow_file_seconds, plan.http_timeout_seconds) == (ALWAYS, 0.25, 30.0)
    assert (plan.drop_rate, plan.seed) == (0.05, 7)
    assert FaultPlan.parse("response_lost_after_save=0.5").response_lost_rate == 0.5
    assert FaultPlan.parse(None) == FaultPlan()


def test_faults_round_trip_through_json() -> None:
    plan = FaultPlan.from_dict({"response_lost_rate": 0.5, "quickbooks_not_running": True, "seed": 3})
    assert plan.quickbooks_not_running == ALWAYS
    assert FaultPlan.from_dict(plan.as_dict()) == plan
    assert set(plan.as_dict()) == {"response_lost_rate", "response_lost_next", "response_lost_on", "cut_session_after",
                                   "quickbooks_not_running", "slow_file_seconds", "http_timeout_seconds",
                                   "drop_rate", "seed"}  # fmt: skip


def test_a_response_lost_on_a_named_request_strikes_that_request_once() -> None:
    plan = FaultPlan.parse("response_lost_after_save=on:InvoiceAddRq")
    assert not plan.take_response_lost('<QBXMLMsgsRq><CustomerQueryRq requestID="1"/></QBXMLMsgsRq>')
    assert plan.take_response_lost('<QBXMLMsgsRq><InvoiceAddRq requestID="2"/></QBXMLMsgsRq>')
    assert not plan.take_response_lost('<QBXMLMsgsRq><InvoiceAddRq requestID="3"/></QBXMLMsgsRq>')


@pytest.mark.parametrize(
    "body",
    [{"drop_rate": 2}, {"cut_session_after": -1}, {"http_timeout_seconds": 0}, {"surprise": 1}, {"seed": "x"}],
)
def test_bad_fault_settings_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each case has its own message)
        FaultPlan.from_dict(body)


def test_rates_are_deterministic_with_a_seed() -> None:
    first, second = FaultPlan(response_lost_rate=0.5, seed=11), FaultPlan(response_lost_rate=0.5, seed=11)
    assert [first.take_response_lost() for _ in range(50)] == [second.take_response_lost() for _ in range(50)]
