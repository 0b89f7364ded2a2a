"""Public channel payloads from ``../shared/fixtures/channels``: an extra tier that runs where that folder exists."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_CHANNELS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "channels"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/conformance/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="session")
def channels_dir() -> Path:
    if not SHARED_CHANNELS.is_dir():
        pytest.skip(f"public channel payloads are not beside this checkout ({SHARED_CHANNELS})")
    return SHARED_CHANNELS
