"""OAuth 2 as QuickBooks Online does it: short-lived access tokens per company, rotating refresh tokens."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from ledgerflow.qbo_sim.errors import authentication_failed, authorization_failed


@dataclass(frozen=True)
class TokenLifetimes:
    access_seconds: float = 3600.0  # Intuit: one hour
    refresh_seconds: float = 100 * 24 * 3600.0  # Intuit: about 100 days


@dataclass
class Grant:
    realm: str
    expires_at: float


@dataclass
class TokenIssuer:
    """Tokens are bound to one realm: a tenant's token never opens another tenant's company.

    ``dev_token`` (``ledgerflow sim --token``) is accepted for every realm, for local use.
    """

    dev_token: str | None = None
    lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)
    _access: dict[str, Grant] = field(default_factory=dict)
    _refresh: dict[str, Grant] = field(default_factory=dict)

    def connect(self, realm: str) -> dict[str, object]:
        """What connecting a company gives: the code exchange's tokens, and the realm the redirect carries."""
        return {**self._issue(realm), "realmId": realm}

    def refresh(self, refresh_token: str) -> dict[str, object] | None:
        """A new access token and a new refresh token; the old refresh token stops working (rotation)."""
        grant = self._refresh.pop(refresh_token, None)
        if grant is None or grant.expires_at <= time.monotonic():
            return None
        return self._issue(grant.realm)

    def check(self, authorization: str | None, realm: str) -> None:
        token = (authorization or "").removeprefix("Bearer ").strip()
        if self.dev_token is not None and token == self.dev_token:
            return
        grant = self._access.get(token)
        if grant is None:
            raise authentication_failed("Token invalid")
        if grant.expires_at <= time.monotonic():
            raise authentication_failed(f"Token expired: {token[:20]}")
        if grant.realm != realm:
            raise authorization_failed(realm)

    def _issue(self, realm: str) -> dict[str, object]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.monotonic()
        self._access[access] = Grant(realm, now + self.lifetimes.access_seconds)
        self._refresh[refresh] = Grant(realm, now + self.lifetimes.refresh_seconds)
        return {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": int(self.lifetimes.access_seconds),
            "refresh_token": refresh,
            "x_refresh_token_expires_in": int(self.lifetimes.refresh_seconds),
        }
