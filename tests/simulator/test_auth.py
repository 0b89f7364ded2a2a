"""OAuth 2: tokens bound to one company, expiring access tokens, rotating refresh tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from ledgerflow.qbo_sim.app import Simulator, create_app
from tests.simulator.conftest import ADMIN, TOKEN, SimServer


async def _connect(client: httpx.AsyncClient, realm: str) -> dict[str, str]:
    tokens: dict[str, str] = (await client.post(f"/admin/realms/{realm}/connect")).json()
    return tokens


async def _customers(client: httpx.AsyncClient, realm: str, token: str) -> httpx.Response:
    return await client.get(f"/v3/company/{realm}/query", params={"query": "select * from Customer"},
                            headers={"Authorization": f"Bearer {token}"})  # fmt: skip


async def test_the_development_token_opens_any_company(sim_server: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim_server.url, headers=ADMIN) as client:
        for realm in ("a-realm", "b-realm"):
            assert (await _customers(client, realm, TOKEN)).status_code == 200


async def test_a_wrong_token_gets_the_401_authentication_envelope(sim_server: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim_server.url, headers=ADMIN) as client:
        response = await _customers(client, "a-realm", "wrong")
    assert response.status_code == 401
    assert response.json()["fault"]["error"][0]["code"] == "3200"


async def test_a_tenants_token_never_opens_another_tenants_company(sim_server: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim_server.url, headers=ADMIN) as client:
        acme = await _connect(client, "acme-realm")
        assert (await _customers(client, "acme-realm", acme["access_token"])).status_code == 200
        other = await _customers(client, "globex-realm", acme["access_token"])
    assert other.status_code == 401
    assert other.json()["fault"]["error"][0]["code"] == "120"


async def test_refresh_tokens_rotate(sim_server: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim_server.url, headers=ADMIN) as client:
        first = await _connect(client, "rotating")
        grant = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        renewed = (await client.post("/oauth2/v1/tokens/bearer", data=grant)).json()
        assert renewed["refresh_token"] != first["refresh_token"]
        assert (await _customers(client, "rotating", renewed["access_token"])).status_code == 200
        reused = await client.post("/oauth2/v1/tokens/bearer", data=grant)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


async def test_access_tokens_expire(start_sim: Callable[..., SimServer]) -> None:
    server = start_sim("--access-token-seconds", "0.5")
    async with httpx.AsyncClient(base_url=server.url, headers=ADMIN) as client:
        tokens = await _connect(client, "short-lived")
        assert (await _customers(client, "short-lived", tokens["access_token"])).status_code == 200
        await asyncio.sleep(0.7)
        expired = await _customers(client, "short-lived", tokens["access_token"])
        assert expired.status_code == 401
        assert "expired" in expired.json()["fault"]["error"][0]["detail"]
        grant = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        renewed = (await client.post("/oauth2/v1/tokens/bearer", data=grant)).json()
        assert (await _customers(client, "short-lived", renewed["access_token"])).status_code == 200


async def test_the_admin_api_answers_only_its_own_token(sim_server: SimServer) -> None:
    async with httpx.AsyncClient(base_url=sim_server.url) as client:
        assert (await client.put("/admin/faults", json={"error_rate": 1.0})).status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}  # the API's token does not open the admin API
        assert (await client.post("/admin/realms/r1/connect", headers=bearer)).status_code == 401
        wrong = {"X-Ledgerflow-Admin": "not-the-admin-token"}
        assert (await client.get("/admin/realms/r1/books", headers=wrong)).status_code == 401
        assert (await client.get("/admin/faults", headers=ADMIN)).status_code == 200


async def test_without_an_admin_token_the_admin_api_is_off() -> None:
    app = create_app(Simulator(token=TOKEN))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        answer = await client.post("/admin/realms/r1/connect", headers=ADMIN)
    assert answer.status_code == 403 and "--admin-token" in answer.json()["error"]
