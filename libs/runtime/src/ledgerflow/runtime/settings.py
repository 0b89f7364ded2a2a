"""Connection settings, read from ``LEDGERFLOW_*`` environment variables (secrets from a Secret, never a file)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerflow.contracts import MAX_MESSAGE_BYTES


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_KAFKA_", extra="ignore")

    bootstrap_servers: str = Field(default="127.0.0.1:9092", description="Comma-separated host:port list.")
    client_id_prefix: str = "ledgerflow"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = Field(default=None, description="CA bundle for the brokers' certificates.")
    linger_ms: int = Field(
        default=5, ge=0, description="How long a producer waits to fill a batch: one request carries many messages."
    )
    fetch_min_bytes: int = Field(
        default=1, ge=1, description="Bytes a consumer's fetch waits for (up to fetch_max_wait_ms) before it returns."
    )
    fetch_max_wait_ms: int = Field(default=500, ge=0, description="The longest a fetch waits for fetch_min_bytes.")
    max_message_bytes: int = Field(
        default=MAX_MESSAGE_BYTES,
        ge=10_000,
        le=100_000_000,
        description="The largest message a service emits: a larger one is refused with its reason. Keep it under "
        "the brokers' message.max.bytes (1,048,588 by default), which also counts the key and headers.",
    )


class DatabaseSettings(BaseSettings):
    """``url`` may carry ``sslmode=verify-full`` (and ``sslrootcert``) for TLS to PostgreSQL."""

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
    http_host: str = "0.0.0.0"  # noqa: S104 (probes and Prometheus reach the pod's address)
    http_port: int = Field(default=8080, description="/health/live, /health/ready and /metrics; 0 picks a free port.")
    lag_interval_seconds: float = 5.0
    consumer_batch_size: int = Field(
        default=200, ge=1, le=10_000, description="Records read and handled together; offsets commit per batch."
    )
