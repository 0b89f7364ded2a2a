"""The OAuth 2 token endpoint, called as Intuit's is: HTTP Basic client id and secret, ``grant_type=refresh_token``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
from opentelemetry import trace
from pydantic import SecretStr

from ledgerflow.ledger_writer.targets.qbo.client import QboError

# OAuth 2 error codes (RFC 6749 5.2) are short identifiers; anything else in the field is not repeated.
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


@dataclass(frozen=True)
class Grant:
    """What one refresh returns. Lifetimes in seconds; Intuit sends the refresh token's as ``x_refresh_token_...``."""

    access_token: SecretStr
    expires_in: float
    refresh_token: SecretStr
    refresh_expires_in: float | None


class RefreshRefused(Exception):
    """The endpoint refused the refresh token itself (``invalid_grant``): revoked, expired or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the token endpoint refused the refresh token ({reason})")
        self.reason = reason


class TokenEndpointError(QboError):
    """The refresh did not happen for a reason that is not the token's: try again later."""


class TokenEndpoint:
    def __init__(
        self,
        url: str,
        client_id: SecretStr | None,
        client_secret: SecretStr | None,
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self._url = url
        self._client_id = client_id
        self._client_secret = client_secret
        self._tracer = tracer or trace.get_tracer("ledgerflow.ledger_writer.targets.qbo.credentials")
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, headers={"Accept": "application/json"})

    async def aclose(self) -> None:
        await self._http.aclose()

    async def refresh(self, realm: str, refresh_token: SecretStr) -> Grant:
        if self._client_id is None or self._client_secret is None:
            raise TokenEndpointError(
                f"company {realm} has stored credentials, but LEDGERFLOW_QBO_CLIENT_ID and "
                "LEDGERFLOW_QBO_CLIENT_SECRET (the app's OAuth 2 client) are not set"
            )
        auth = httpx.BasicAuth(self._client_id.get_secret_value(), self._client_secret.get_secret_value())
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token.get_secret_value()}
        with self._tracer.start_as_current_span("POST oauth2 token", kind=trace.SpanKind.CLIENT) as span:
            span.set_attribute("http.request.method", "POST")
            span.set_attribute("ledgerflow.realm", realm)
            try:
                response = await self._http.post(self._url, data=form, auth=auth)
            except httpx.TransportError as exc:
                span.set_attribute("error.type", type(exc).__name__)
                # The answer may be lost after the endpoint rotated the token; nothing here can tell.
                raise TokenEndpointError(
                    f"the token endpoint {self._url} did not answer ({type(exc).__name__})"
                ) from None
            span.set_attribute("http.response.status_code", response.status_code)
        return self._grant(response)

    def _grant(self, response: httpx.Response) -> Grant:
        body = _json(response)
        if response.status_code == 200:
            try:
                return Grant(
                    access_token=SecretStr(str(body["access_token"])),
                    expires_in=float(body["expires_in"]),
                    refresh_token=SecretStr(str(body["refresh_token"])),
                    refresh_expires_in=_seconds(body.get("x_refresh_token_expires_in")),
                )
            except (KeyError, TypeError, ValueError):
                raise TokenEndpointError(f"the token endpoint {self._url} answered without a usable grant") from None
        error = str(body.get("error", ""))
        reason = error if _ERROR_CODE.match(error) else f"HTTP {response.status_code}"
        if reason == "invalid_grant":
            raise RefreshRefused(reason)
        if reason == "invalid_client":
            raise TokenEndpointError(
                f"the token endpoint {self._url} refused the client (invalid_client): check "
                "LEDGERFLOW_QBO_CLIENT_ID and LEDGERFLOW_QBO_CLIENT_SECRET"
            )
        raise TokenEndpointError(f"the token endpoint {self._url} refused the refresh ({reason})")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | str) and str(value).strip() else None
