"""The console's settings, from ``LEDGERFLOW_*`` variables like every service's."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerflow.runtime.settings import DatabaseSettings, KafkaSettings


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_CONSOLE_", extra="ignore")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    host: str = "127.0.0.1"
    port: int = 8090
    # Where each service answers /health/ready: name -> base URL (the Kubernetes Services, or local ports).
    services: dict[str, str] = Field(default_factory=dict)
    trace_ui_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LEDGERFLOW_CONSOLE_TRACE_UI_URL", "LEDGERFLOW_TRACE_UI_URL"),
        description="The trace UI's address (Jaeger): trace ids become links to it.",
    )
    # Behind TLS (the Ingress), session cookies are sent over HTTPS only.
    secure_cookies: bool = False
    session_hours: float = Field(default=12.0, gt=0)
    # Orders shown on one page; the filters narrow further.
    page_size: int = Field(default=100, ge=1, le=1000)
