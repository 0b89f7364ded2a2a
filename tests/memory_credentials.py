"""The credential store in memory, for tests without PostgreSQL: one lock per company stands in for the row lock."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime

from pydantic import SecretStr

from ledgerflow.ledger_writer.targets.qbo.credentials.endpoint import Grant
from ledgerflow.ledger_writer.targets.qbo.credentials.store import Credentials, HeldCredentials, after_refresh


class MemoryCredentialStore:
    def __init__(self) -> None:
        self.rows: dict[str, Credentials] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def put(self, tenant_id: str, realm: str, refresh_token: str) -> None:
        self.rows[realm] = Credentials(realm, tenant_id, SecretStr(refresh_token), None, None, None)

    async def load(self, realm: str) -> Credentials | None:
        await asyncio.sleep(0)  # a database round trip lets other tasks run
        return self.rows.get(realm)

    @asynccontextmanager
    async def hold(self, realm: str) -> AsyncIterator[HeldCredentials | None]:
        async with self._locks[realm]:
            yield _Held(self, self.rows[realm]) if realm in self.rows else None


class _Held:
    def __init__(self, store: MemoryCredentialStore, credentials: Credentials) -> None:
        self._store = store
        self._credentials = credentials

    @property
    def credentials(self) -> Credentials:
        return self._credentials

    async def save(self, grant: Grant, obtained_at: datetime, renew_at: datetime) -> Credentials:
        self._credentials = after_refresh(self._credentials, grant, obtained_at, renew_at)
        self._store.rows[self._credentials.realm] = self._credentials
        return self._credentials

    async def refuse(self, reason: str) -> None:
        self._store.rows[self._credentials.realm] = replace(self._credentials, refused=reason)
