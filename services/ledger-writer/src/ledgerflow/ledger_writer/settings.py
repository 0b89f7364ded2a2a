from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WriterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_QBO_", extra="ignore")

    base_url: str = Field(default="http://127.0.0.1:8000", description="QuickBooks Online API base URL.")
    token: str = Field(default="dev-token", description="Bearer token (OAuth 2 access token in production).")
    minorversion: int = 75
    timeout_seconds: float = 15.0
    realms: dict[str, str] = Field(
        default_factory=dict, description="Tenant id -> QuickBooks realm (company) id; default: the tenant id."
    )

    def realm_for(self, tenant_id: str) -> str:
        return self.realms.get(tenant_id, tenant_id)
