"""The ``ledgerflow`` command says what went wrong in one line, never with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerflow.cli.main import LOCAL_HTTP_PORTS, app, one_line

LEDGERFLOW = str(Path(sys.executable).parent / "ledgerflow")


def test_a_database_that_does_not_answer_is_one_line_with_a_hint() -> None:
    done = subprocess.run(
        [LEDGERFLOW, "queues", "--database-url", "postgresql://postgres@127.0.0.1:1/none"],
        capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert "ledgerflow dev status" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_missing_token_file_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [LEDGERFLOW, "tokens", "store", "--tenant", "acme", "--refresh-token-file", str(tmp_path / "absent.txt"),
         "--database-url", "postgresql://postgres@127.0.0.1:1/none"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "LEDGERFLOW_TOKEN_KEY": "Jm9Yc1Yy3cU5Lq7Z2xT6m2rP8dV4bN1wK0hG3fS5aQ8="},
    )  # fmt: skip
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr and "absent.txt" in done.stderr


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nests too deeply"),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), "cannot be encoded"),
        (ValueError("bad\nvalue   with\tspace"), "ValueError: bad value with space"),
    ],
)
def test_an_error_is_said_in_one_line(error: Exception, says: str) -> None:
    assert says in one_line(error) and "\n" not in one_line(error)


def test_services_run_by_hand_answer_on_loopback_and_ports_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    import ledgerflow.runtime.service

    addresses: list[tuple[str, str]] = []

    def record_the_address(service: object) -> None:
        addresses.append((os.environ["LEDGERFLOW_HTTP_HOST"], os.environ["LEDGERFLOW_HTTP_PORT"]))

    monkeypatch.setattr(ledgerflow.runtime.service, "run", record_the_address)
    for name in LOCAL_HTTP_PORTS:
        for variable in ("LEDGERFLOW_HTTP_HOST", "LEDGERFLOW_HTTP_PORT"):
            monkeypatch.setenv(variable, "")  # so that monkeypatch restores what `run` sets
            monkeypatch.delenv(variable)
        result = CliRunner().invoke(app, ["run", name])
        assert result.exit_code == 0, result.output
    assert {host for host, _ in addresses} == {"127.0.0.1"}
    ports = {port for _, port in addresses}
    assert len(ports) == len(LOCAL_HTTP_PORTS) and "8080" not in ports  # 8080 is the webhook receiver's


@pytest.mark.parametrize("name", ["bad tenant!", "../etc", "-leading-dash", "x" * 65, "[/bold]"])
def test_a_tenant_or_connection_name_ledgerflow_does_not_take_is_a_usage_error_that_says_what_is(
    name: str, tmp_path: Path
) -> None:
    order = tmp_path / "order.json"
    order.write_text("{}")
    for option in ("--tenant", "--connection"):
        names = {"--tenant": "acme", "--connection": "acme-shop"} | {option: name}
        result = CliRunner().invoke(
            app,
            ["publish", "--bootstrap", "127.0.0.1:1", "--channel", "shopify", *names_as_args(names), str(order)],
        )
        assert result.exit_code == 2, result.output
        said = " ".join(result.output.replace("│", " ").split())  # unwrapped from the error box
        assert "Traceback" not in said and f"Invalid value for '{option}'" in said
        assert "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit" in said


def names_as_args(names: dict[str, str]) -> list[str]:
    return [part for option, value in names.items() for part in (option, value)]
