"""Stored OAuth credentials: encrypted at rest, refreshed as Intuit's endpoint expects, and never shown."""

from __future__ import annotations

import base64
import logging
import secrets
from urllib.parse import parse_qs

import httpx
import pytest
import structlog
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import SecretStr

from ledgerflow.ledger_writer.settings import QboSettings, TokenKeySettings
from ledgerflow.ledger_writer.targets.qbo.client import QuickBooksClient
from ledgerflow.ledger_writer.targets.qbo.credentials.cipher import TokenCipher, TokenKeyError, new_key
from ledgerflow.ledger_writer.targets.qbo.credentials.endpoint import TokenEndpoint, TokenEndpointError
from ledgerflow.ledger_writer.targets.qbo.credentials.provider import CredentialsRefused, TokenProvider, refresh_counter
from ledgerflow.runtime.metrics import Metrics
from tests.memory_credentials import MemoryCredentialStore

TOKEN_PATH = "/oauth2/v1/tokens/bearer"


def _secret() -> str:
    return f"SECRET-{secrets.token_hex(12)}"


class FakeIntuit:
    """Token endpoint and API in one transport: rotating refresh tokens, access tokens it can revoke."""

    def __init__(self) -> None:
        self.first_refresh_token = _secret()
        self.refresh_tokens = {self.first_refresh_token}
        self.access_tokens: set[str] = set()
        self.issued = [self.first_refresh_token]
        self.token_requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            self.token_requests.append(request)
            presented = parse_qs(request.content.decode())["refresh_token"][0]
            if presented not in self.refresh_tokens:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.refresh_tokens.discard(presented)
            access, refresh = _secret(), _secret()
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
            self.issued += [access, refresh]
            grant = {"token_type": "bearer", "access_token": access, "expires_in": 3600,
                     "refresh_token": refresh, "x_refresh_token_expires_in": 8726400}  # fmt: skip
            return httpx.Response(200, json=grant)
        if request.headers["Authorization"].removeprefix("Bearer ") not in self.access_tokens:
            fault = {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                "detail": "Token expired", "code": "3200"}], "type": "AUTHENTICATION"}  # fmt: skip
            return httpx.Response(401, json={"fault": fault})
        return httpx.Response(200, json={"QueryResponse": {"Customer": [{"Id": "1"}]}})

    def revoke_access_tokens(self) -> None:
        self.access_tokens.clear()


def _endpoint(intuit: FakeIntuit, client_id: str | None = "app-id") -> TokenEndpoint:
    client = SecretStr(client_id) if client_id else None
    transport = httpx.MockTransport(intuit.handle)
    return TokenEndpoint(f"https://oauth.example{TOKEN_PATH}", client, SecretStr("app-secret"), transport=transport)


# ---- encryption at rest ------------------------------------------------------------------------


def test_a_token_comes_back_from_its_ciphertext_and_is_not_in_it() -> None:
    cipher = TokenCipher(SecretStr(new_key()))
    token = _secret()
    sealed = cipher.encrypt(SecretStr(token))
    assert token.encode() not in sealed and token.encode() not in base64.urlsafe_b64decode(sealed)
    assert cipher.decrypt(sealed, "the refresh token").get_secret_value() == token


def test_another_key_is_refused_with_an_error_that_says_so() -> None:
    token, key = _secret(), new_key()
    sealed = TokenCipher(SecretStr(new_key())).encrypt(SecretStr(token))
    with pytest.raises(TokenKeyError) as refused:
        TokenCipher(SecretStr(key)).decrypt(sealed, "the refresh token of company 123")
    message = str(refused.value)
    assert "the refresh token of company 123 cannot be decrypted with LEDGERFLOW_TOKEN_KEY" in message
    assert "stored with another key" in message
    assert token not in message and key not in message


def test_a_malformed_key_is_refused_without_being_repeated() -> None:
    with pytest.raises(TokenKeyError, match="not a key") as refused:
        TokenCipher(SecretStr("hunter2-not-a-key"))
    assert "hunter2" not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_while_rotating_both_keys_decrypt_and_rotation_leaves_only_the_new_one_needed() -> None:
    old, new = new_key(), new_key()
    sealed = TokenCipher(SecretStr(old)).encrypt(SecretStr("a-refresh-token"))
    both = TokenCipher(SecretStr(f"{new}, {old}"))
    assert both.decrypt(sealed, "token").get_secret_value() == "a-refresh-token"
    rotated = both.rotate(sealed, "token")
    assert TokenCipher(SecretStr(new)).decrypt(rotated, "token").get_secret_value() == "a-refresh-token"
    with pytest.raises(TokenKeyError):
        TokenCipher(SecretStr(old)).decrypt(rotated, "token")


def test_the_key_and_the_client_secret_stay_out_of_settings_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_key()
    monkeypatch.setenv("LEDGERFLOW_TOKEN_KEY", key)
    monkeypatch.setenv("LEDGERFLOW_QBO_CLIENT_SECRET", "the-client-secret")
    monkeypatch.setenv("LEDGERFLOW_QBO_TOKEN", "the-static-token")
    shown = repr(TokenKeySettings()) + repr(QboSettings()) + str(QboSettings().model_dump())
    assert key not in shown and "the-client-secret" not in shown and "the-static-token" not in shown
    assert repr(TokenCipher(SecretStr(key))) == "TokenCipher(keys=1)"


# ---- the token endpoint ------------------------------------------------------------------------


async def test_the_refresh_is_sent_as_intuit_expects_it() -> None:
    intuit = FakeIntuit()
    grant = await _endpoint(intuit).refresh("123", SecretStr(intuit.first_refresh_token))
    (request,) = intuit.token_requests
    assert request.method == "POST"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"app-id:app-secret").decode()
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": [intuit.first_refresh_token],
    }
    assert grant.expires_in == 3600 and grant.refresh_expires_in == 8726400
    assert grant.refresh_token.get_secret_value() in intuit.refresh_tokens


async def test_without_the_app_client_no_refresh_is_attempted() -> None:
    intuit = FakeIntuit()
    with pytest.raises(TokenEndpointError, match="LEDGERFLOW_QBO_CLIENT_ID and LEDGERFLOW_QBO_CLIENT_SECRET"):
        await _endpoint(intuit, client_id=None).refresh("123", SecretStr(intuit.first_refresh_token))
    assert intuit.token_requests == []


# ---- a refused refresh token -------------------------------------------------------------------


async def test_a_refused_refresh_token_fails_fast_afterwards_and_says_how_to_fix_it() -> None:
    intuit = FakeIntuit()
    store = MemoryCredentialStore()
    store.put("acme", "123", "a-token-intuit-never-issued")
    tokens = TokenProvider(store, _endpoint(intuit))
    for _ in range(3):
        with pytest.raises(CredentialsRefused) as refused:
            await tokens.current("123")
    assert len(intuit.token_requests) == 1, "a refused refresh token is never sent again"
    assert store.rows["123"].refused == "invalid_grant"
    fault = refused.value
    assert (fault.status, fault.code) == (401, "invalid_grant")
    assert "ledgerflow tokens store --tenant acme --realm 123" in fault.detail

    store.put("acme", "123", intuit.first_refresh_token)  # connected again
    assert await tokens.current("123") is not None


# ---- nothing shows a token ---------------------------------------------------------------------


async def test_no_token_reaches_logs_reprs_errors_or_metrics(caplog: pytest.LogCaptureFixture) -> None:
    intuit = FakeIntuit()
    store = MemoryCredentialStore()
    store.put("acme", "123", intuit.first_refresh_token)
    store.put("globex", "456", "a-token-intuit-never-issued-SECRET-0")
    intuit.issued.append("a-token-intuit-never-issued-SECRET-0")
    registry = CollectorRegistry()
    tokens = TokenProvider(store, _endpoint(intuit), refreshes=refresh_counter(registry))
    metrics = Metrics(registry)
    transport = httpx.MockTransport(intuit.handle)
    client = QuickBooksClient("https://qbo.example", "static-SECRET-token", transport=transport, metrics=metrics,
                              tokens=tokens)  # fmt: skip
    shown: list[str] = []
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as events:
        await client.query("123", "Customer", "Active = true")  # first refresh
        intuit.revoke_access_tokens()
        await client.query("123", "Customer", "Active = true")  # 401, a second refresh, the retry
        try:
            await client.query("456", "Customer", "Active = true")
        except CredentialsRefused as refused:
            shown += [str(refused), repr(refused), str(refused.errors)]
    await client.aclose()

    assert len(intuit.token_requests) == 3
    assert any(e["event"] == "qbo.token_refreshed" for e in events)
    assert any(e["event"] == "qbo.refresh_token_refused" for e in events)
    shown += [repr(e) for e in events] + [caplog.text, generate_latest(registry).decode()]
    shown += [repr(store.rows), str(store.rows), repr(tokens.__dict__)]
    everything = "\n".join(shown)
    assert "ledgerflow_qbo_token_refreshes_total" in everything
    leaked = [token for token in [*intuit.issued, "static-SECRET-token"] if token in everything]
    assert leaked == []
    assert "SECRET" not in everything
