"""Pauses between tries of one call."""

from __future__ import annotations

import asyncio
import random


async def backoff(attempt: int, base: float = 0.2, cap: float = 5.0) -> None:
    """Exponential backoff with full jitter, so that retries of many orders do not arrive together."""
    await asyncio.sleep(random.uniform(0, min(cap, base * 2**attempt)))  # noqa: S311 (jitter, not security)
