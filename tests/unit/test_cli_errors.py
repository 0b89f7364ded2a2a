"""The ``ledgerflow`` command says what went wrong in one line, never with a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ledgerflow.cli.main import LOCAL_HTTP_PORTS, one_line

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


def test_services_run_by_hand_answer_on_ports_of_their_own() -> None:
    assert len(set(LOCAL_HTTP_PORTS.values())) == 4 and 8080 not in LOCAL_HTTP_PORTS.values()
