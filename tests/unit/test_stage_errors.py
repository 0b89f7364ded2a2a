"""Which errors are outages (retried, the stage reported stalled after a while) and which are the message's."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError, RequestTimedOutError
from opentelemetry import trace
from pydantic import BaseModel, ValidationError

from ledgerflow.runtime.errors import connection_lost, is_transient, unprocessable
from ledgerflow.runtime.metrics import Metrics
from ledgerflow.runtime.stage import STALLED_AFTER_FAILURES, Stage, StageRunner


def postgres_error(cls: type[asyncpg.PostgresError]) -> asyncpg.PostgresError:
    return cls("refused")


@pytest.mark.parametrize(
    "error",
    [
        postgres_error(asyncpg.exceptions.ConnectionDoesNotExistError),
        postgres_error(asyncpg.exceptions.DeadlockDetectedError),
        postgres_error(asyncpg.exceptions.SerializationError),
        postgres_error(asyncpg.exceptions.TooManyConnectionsError),
        postgres_error(asyncpg.exceptions.AdminShutdownError),
        postgres_error(asyncpg.exceptions.UndefinedTableError),  # a schema not migrated yet: a deployment
        asyncpg.exceptions.InterfaceError("connection is closed"),
        ConnectionRefusedError(),
        TimeoutError(),
        KafkaConnectionError(),
        RequestTimedOutError(),
    ],
)
def test_outages_are_transient(error: BaseException) -> None:
    assert is_transient(error)


class Strict(BaseModel):
    n: int


def validation_error() -> ValidationError:
    try:
        Strict.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "error",
    [
        postgres_error(asyncpg.exceptions.UntranslatableCharacterError),  # a NUL in a jsonb value
        postgres_error(asyncpg.exceptions.CharacterNotInRepertoireError),  # a NUL in a text column
        postgres_error(asyncpg.exceptions.NumericValueOutOfRangeError),
        postgres_error(asyncpg.exceptions.UniqueViolationError),
        postgres_error(asyncpg.exceptions.ProgramLimitExceededError),
        MessageSizeTooLargeError(),
        RecursionError("maximum recursion depth exceeded"),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        ValueError("bad amount"),
        validation_error(),
    ],
)
def test_what_the_message_holds_is_permanent(error: BaseException) -> None:
    assert not is_transient(error)


def test_the_reason_of_an_unprocessable_message_is_bounded_and_shows_control_characters() -> None:
    error = unprocessable("planner", "OrderNormalized", ValueError("name \x00" + "x" * 10_000))
    assert error.code == "message.unprocessable"
    assert error.message.startswith("planner could not process this OrderNormalized: ValueError: name \\x00")
    assert len(error.message) < 700 and error.fix


class Note(BaseModel):
    n: int


async def handler(*_: object) -> list[object]:
    return []


def test_a_stage_whose_batches_keep_failing_waits_longer_each_time_and_says_it_is_stalled() -> None:
    metrics = Metrics()
    runner = StageRunner(Stage("planner", "in", Note, handler), None, None, metrics, trace.get_tracer("t"))  # type: ignore[arg-type]
    waits = [runner.failed(ConnectionRefusedError("database away")) for _ in range(STALLED_AFTER_FAILURES)]
    assert waits == sorted(waits) and waits[0] < 1 and max(waits) <= 10
    assert runner.stalled is not None and "ConnectionRefusedError" in runner.stalled
    assert metrics.registry.get_sample_value("ledgerflow_stage_stalled", {"stage": "planner"}) == 1
    runner.recovered()
    assert runner.stalled is None and runner.failures == 0
    assert metrics.registry.get_sample_value("ledgerflow_stage_stalled", {"stage": "planner"}) == 0


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (postgres_error(asyncpg.exceptions.ConnectionDoesNotExistError), True),
        (postgres_error(asyncpg.exceptions.AdminShutdownError), True),
        (postgres_error(asyncpg.exceptions.CannotConnectNowError), True),
        (asyncpg.exceptions.InterfaceError("connection is closed"), True),
        (ConnectionResetError(), True),
        (postgres_error(asyncpg.exceptions.QueryCanceledError), False),  # a statement timeout: the query's
        (postgres_error(asyncpg.exceptions.DeadlockDetectedError), False),
    ],
)
def test_a_lost_connection_is_told_from_a_statement_that_failed(error: BaseException, lost: bool) -> None:
    assert connection_lost(error) is lost
