"""Connection settings, read from ``LEDGERFLOW_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_KAFKA_", extra="ignore")

    bootstrap_servers: str = Field(default="127.0.0.1:9092", description="Comma-separated host:port list.")
    client_id_prefix: str = "ledgerflow"


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_DATABASE_", extra="ignore")

    url: str = Field(default="postgresql://postgres@127.0.0.1:5432/ledgerflow")
    pool_min_size: int = 1
    pool_max_size: int = 8


class ServiceSettings(BaseSettings):
    """Settings every service reads; a service adds its own next to these."""

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_", extra="ignore")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    outbox_sweep_seconds: float = Field(
        default=2.0, description="How often leftover outbox rows (after a crash) are re-published."
    )
