from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class QboSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_QBO_", extra="ignore")

    base_url: str = Field(default="http://127.0.0.1:8000", description="QuickBooks Online API base URL.")
    token: str = Field(default="dev-token", description="Bearer token (OAuth 2 access token in production).")
    minorversion: int = 75
    timeout_seconds: float = 15.0
    realms: dict[str, str] = Field(
        default_factory=dict, description="Tenant id -> QuickBooks realm (company) id; default: the tenant id."
    )
    requests_per_minute: int = Field(default=500, description="Per company, as QuickBooks Online allows.")
    concurrent: int = Field(default=10, description="Requests in flight per company.")
    throttle_pause_seconds: float = Field(default=60.0, description="Pause after a 429 without Retry-After.")
    attempts: int = Field(default=5, ge=1, description="Tries of one call before the message is retried later.")


class WriterSettings(BaseSettings):
    """The accounting API, and which tenants this writer serves: its pool (the unlisted go to ``default``)."""

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_WRITER_", extra="ignore")

    pool: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9-]*$")
    pools: dict[str, list[str]] = Field(default_factory=dict, description="Pool -> tenants, e.g. large tenants.")
    qbo: QboSettings = Field(default_factory=QboSettings)

    def serves(self, tenant_id: str) -> bool:
        owner = next((pool for pool, tenants in self.pools.items() if tenant_id in tenants), "default")
        return owner == self.pool

    def realm_for(self, tenant_id: str) -> str:
        return self.qbo.realms.get(tenant_id, tenant_id)
