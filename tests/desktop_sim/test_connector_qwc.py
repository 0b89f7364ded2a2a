"""The .qwc file is checked as QBWC checks it when the user adds the application."""

from __future__ import annotations

import pytest

from ledgerflow.qbd_sim.connector.qwc import QwcError, parse_qwc
from tests.desktop_sim.conftest import APP_URL, FILE_ID, OWNER_ID, qwc_text


def test_a_well_formed_qwc_is_read_whatever_the_element_order() -> None:
    text = (
        f"<QBWCXML><QBType>QBFS</QBType><FileID>{FILE_ID}</FileID><OwnerID>{OWNER_ID}</OwnerID>"
        "<UserName>shop-a</UserName><AppSupport>https://qbwc.example.com/support</AppSupport>"
        f"<AppDescription>d</AppDescription><AppURL>{APP_URL}</AppURL><AppID></AppID><AppName>ledgerflow</AppName>"
        "<AuthFlags>0xC</AuthFlags><Scheduler><RunEveryNSeconds>45</RunEveryNSeconds>"
        "<RunEveryNMinutes>5</RunEveryNMinutes></Scheduler><UnknownToQbwc>ignored</UnknownToQbwc></QBWCXML>"
    )
    qwc = parse_qwc(text)
    assert (qwc.app_name, qwc.user_name, qwc.app_url, qwc.app_id) == ("ledgerflow", "shop-a", APP_URL, "")
    assert (qwc.owner_id, qwc.file_id, qwc.qb_type) == (OWNER_ID, FILE_ID, "QBFS")
    assert qwc.auth_flags == 0xC
    assert qwc.run_every_seconds == 45  # the first of the two wins
    assert qwc.is_read_only is False


def test_run_every_n_minutes_is_in_seconds() -> None:
    text = qwc_text().replace("</QBWCXML>", "<Scheduler><RunEveryNMinutes>2</RunEveryNMinutes></Scheduler></QBWCXML>")
    assert parse_qwc(text).run_every_seconds == 120


@pytest.mark.parametrize("url", ["http://localhost:8000/qbwc", "http://127.0.0.1:8000/qbwc"])
def test_plain_http_is_accepted_on_localhost_only(url: str) -> None:
    support = url.replace("/qbwc", "/support")
    assert parse_qwc(qwc_text(AppURL=url, AppSupport=support)).app_url == url


@pytest.mark.parametrize(
    ("elements", "code"),
    [
        ({"AppURL": "http://qbwc.example.com/qbwc", "AppSupport": "http://qbwc.example.com/s"}, "QBWC1010"),
        ({"AppURL": "https://10.1.2.3/qbwc", "AppSupport": "https://10.1.2.3/s"}, "QBWC1001"),
        ({"AppSupport": "https://support.example.org/help"}, "QBWC1000"),
        ({"OwnerID": None}, "QBWC1039"),
        ({"UserName": ""}, "QBWC1039"),
        ({"FileID": "not-a-guid"}, "QBWC1039"),
        ({"QBType": "QBXX"}, "QBWC1039"),
        ({"IsReadOnly": "maybe"}, "QBWC1039"),
        ({"AuthFlags": "lots"}, "QBWC1039"),
    ],
)
def test_an_invalid_qwc_is_refused_with_qbwcs_code(elements: dict[str, str | None], code: str) -> None:
    with pytest.raises(QwcError) as refused:
        parse_qwc(qwc_text(**elements))
    assert refused.value.code == code
    assert str(refused.value).startswith(f"{code}: ")


@pytest.mark.parametrize("text", ["<QBWCXML><AppName>x</AppName>", "<QWC><AppName>x</AppName></QWC>", ""])
def test_a_file_that_is_not_a_qwc_is_refused(text: str) -> None:
    with pytest.raises(QwcError) as refused:
        parse_qwc(text)
    assert refused.value.code == "QBWC1039"
