"""Access tokens per company: renewed before they expire, one refresh at a time, and again once after a 401."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from prometheus_client import CollectorRegistry, Counter
from pydantic import SecretStr

from ledgerflow.ledger_writer.targets.qbo.client import QboFaultError
from ledgerflow.ledger_writer.targets.qbo.credentials.endpoint import Grant, RefreshRefused, TokenEndpoint
from ledgerflow.ledger_writer.targets.qbo.credentials.store import AccessToken, Credentials, CredentialStore

log = structlog.get_logger(__name__)


class CredentialsRefused(QboFaultError):
    """The company's refresh token no longer works: nothing posts to it until it is connected again.

    A fault like any refusal from QuickBooks, so the order fails with the fix in its dead letter rather than
    holding up the partition, which other tenants share.
    """

    def __init__(self, credentials: Credentials, reason: str) -> None:
        realm, tenant = credentials.realm, credentials.tenant_id
        super().__init__(
            401,
            "AUTHENTICATION",
            [
                {
                    "code": reason,
                    "Message": f"the refresh token stored for company {realm} was refused ({reason})",
                    "Detail": "Connect the company again and store its new refresh token with "
                    f"`ledgerflow tokens store --tenant {tenant} --realm {realm}`.",
                }
            ],
        )


def refresh_counter(registry: CollectorRegistry) -> Counter:
    return Counter("ledgerflow_qbo_token_refreshes", "Access-token refreshes, by company and outcome.",
                   ["tenant", "outcome"], registry=registry)  # fmt: skip


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TokenProvider:
    """The bearer token for each company that has stored credentials; ``None`` for the others.

    Within the process, one coroutine per company refreshes while the others wait for its result; across
    processes, the store's row lock does the same.
    """

    def __init__(
        self,
        store: CredentialStore,
        endpoint: TokenEndpoint,
        *,
        margin_seconds: float = 300.0,
        recheck_seconds: float = 30.0,
        clock: Callable[[], datetime] = _utcnow,
        refreshes: Counter | None = None,
    ) -> None:
        self._store = store
        self._endpoint = endpoint
        self._margin = margin_seconds
        self._recheck = recheck_seconds
        self._clock = clock
        self._refreshes = refreshes
        self._tokens: dict[str, AccessToken] = {}
        self._absent_until: dict[str, float] = {}  # monotonic time until which a company uses the static token
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def current(self, realm: str) -> SecretStr | None:
        token = self._tokens.get(realm)
        if token is not None and token.fresh(self._clock()):
            return token.value
        if token is None and time.monotonic() < self._absent_until.get(realm, 0.0):
            return None
        async with self._locks[realm]:
            return await self._fresh(realm, rejected=None)

    async def renewed(self, realm: str, rejected: SecretStr) -> SecretStr:
        """A token other than ``rejected``, which QuickBooks refused before its time (revoked, clocks apart)."""
        async with self._locks[realm]:
            token = await self._fresh(realm, rejected=rejected)
        if token is None:  # the credentials were deleted meanwhile: the refusal stands
            raise QboFaultError(401, "AUTHENTICATION", [{"code": "3200", "Message": "AuthenticationFailed"}])
        return token

    async def _fresh(self, realm: str, rejected: SecretStr | None) -> SecretStr | None:
        now = self._clock()
        if (cached := _usable(self._tokens.get(realm), now, rejected)) is not None:
            return cached.value  # renewed by the coroutine this one waited for
        stored = await self._store.load(realm)
        if stored is None:
            self._tokens.pop(realm, None)
            self._absent_until[realm] = time.monotonic() + self._recheck
            return None
        if stored.refused is not None:
            raise CredentialsRefused(stored, stored.refused)
        if (access := _usable(stored.access, now, rejected)) is not None:
            return self._keep(realm, access)  # renewed by another replica
        return await self._refresh(realm, rejected)

    async def _refresh(self, realm: str, rejected: SecretStr | None) -> SecretStr | None:
        refused: tuple[Credentials, str] | None = None
        async with self._store.hold(realm) as held:
            if held is None:
                return None
            credentials = held.credentials
            now = self._clock()
            if (access := _usable(credentials.access, now, rejected)) is not None:
                return self._keep(realm, access)  # renewed by another process while this one waited for the row
            if credentials.refused is not None:
                raise CredentialsRefused(credentials, credentials.refused)
            try:
                grant = await self._endpoint.refresh(realm, credentials.refresh_token)
            except RefreshRefused as exc:
                await held.refuse(exc.reason)  # committed below, so no process tries this token again
                refused = (credentials, exc.reason)
            except Exception:
                self._count(realm, "error")
                raise
            else:
                credentials = await held.save(grant, now, self._renew_at(now, grant))
        if refused is not None:
            self._count(realm, "refused")
            log.warning("qbo.refresh_token_refused", realm=realm, tenant=refused[0].tenant_id, reason=refused[1])
            raise CredentialsRefused(*refused)
        assert credentials.access is not None
        self._count(realm, "refreshed")
        log.info("qbo.token_refreshed", realm=realm, tenant=credentials.tenant_id,
                 access_expires_at=credentials.access.expires_at.isoformat(),
                 refresh_expires_at=_iso(credentials.refresh_expires_at))  # fmt: skip
        return self._keep(realm, credentials.access)

    def _renew_at(self, obtained_at: datetime, grant: Grant) -> datetime:
        # Half the lifetime at the latest: a margin longer than a short-lived token would renew it on every call.
        lead = min(self._margin, grant.expires_in / 2)
        return obtained_at + timedelta(seconds=grant.expires_in - lead)

    def _keep(self, realm: str, token: AccessToken) -> SecretStr:
        self._tokens[realm] = token
        self._absent_until.pop(realm, None)
        return token.value

    def _count(self, realm: str, outcome: str) -> None:
        if self._refreshes is not None:
            self._refreshes.labels(realm, outcome).inc()


def _usable(token: AccessToken | None, now: datetime, rejected: SecretStr | None) -> AccessToken | None:
    if token is None or not token.fresh(now):
        return None
    if rejected is not None and token.value.get_secret_value() == rejected.get_secret_value():
        return None
    return token


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
