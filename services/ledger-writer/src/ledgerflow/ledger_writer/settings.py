from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledgerflow.contracts.envelope import TenantId


class QboSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_QBO_", extra="ignore")

    base_url: str = Field(default="http://127.0.0.1:8000", description="QuickBooks Online API base URL.")
    token: SecretStr = Field(
        default=SecretStr("dev-token"), description="Bearer token for companies without stored credentials."
    )
    client_id: SecretStr | None = Field(default=None, description="The Intuit app's OAuth 2 client id.")
    client_secret: SecretStr | None = Field(default=None, description="The Intuit app's OAuth 2 client secret.")
    token_url: str | None = Field(
        default=None,
        description="OAuth 2 token endpoint (Intuit: https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer); "
        "default: the base URL's /oauth2/v1/tokens/bearer, as the simulator serves it.",
    )
    refresh_margin_seconds: float = Field(
        default=300.0, gt=0, description="Renew an access token this long before it expires (at most half its life)."
    )
    credentials_recheck_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a company without stored credentials uses the static token "
        "before the writer looks for stored ones again.",
    )
    minorversion: int = 75
    timeout_seconds: float = 15.0
    realms: dict[TenantId, TenantId] = Field(
        default_factory=dict, description="Tenant id -> QuickBooks realm (company) id; default: the tenant id."
    )
    requests_per_minute: int = Field(default=500, description="Per company, as QuickBooks Online allows.")
    concurrent: int = Field(default=10, description="Requests in flight per company.")
    throttle_pause_seconds: float = Field(default=60.0, description="Pause after a 429 without Retry-After.")
    attempts: int = Field(default=5, ge=1, description="Tries of one call before the message is retried later.")
    batch_items: int = Field(
        default=30,
        ge=1,
        le=30,
        description="Most documents of one company created in one batch request, when its creates wait for each "
        'other (docs/operations.md, "Batch requests"); 1 sends every document alone.',
    )
    batch_in_flight: int = Field(
        default=2, ge=1, description="Creates of one company on their way before the next ones wait to go as a batch."
    )
    batches_per_minute: int = Field(default=120, ge=1, description="Per company, as QuickBooks Online allows.")
    batch_timeout_seconds: float = Field(
        default=60.0, gt=0, description="A batch request's timeout: QuickBooks runs its items one after the other."
    )

    @property
    def refresh_url(self) -> str:
        return self.token_url or f"{self.base_url.rstrip('/')}/oauth2/v1/tokens/bearer"


class QbdSettings(BaseSettings):
    """QuickBooks Desktop: the Web Connector endpoint the writers serve, and how its sessions run."""

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_QBD_", extra="ignore")

    port: int | None = Field(
        default=None, ge=0, le=65535, description="Serve the Web Connector endpoint on this port (none: not served)."
    )
    host: str = Field(default="127.0.0.1", description="Address the endpoint listens on (0.0.0.0 in a container).")
    public_url: str | None = Field(
        default=None,
        description="The endpoint's URL as the Web Connector reaches it (HTTPS, behind the ingress); "
        "default http://localhost:<port>/qbwc, which the Web Connector allows for development only.",
    )
    owner_id: str = Field(
        default="{6B2F4C8A-3D1E-4F5B-9A7C-2E8D1B0F4A6C}",
        description="ledgerflow's OwnerID in company files (the FileID check); one per deployment, never changed.",
    )
    session_ttl_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A Web Connector session silent this long is over (a PC asleep, a cut network): "
        "its unanswered requests are looked up before anything is sent again.",
    )
    send_wait_seconds: float = Field(
        default=10.0, ge=0, description="How long a sendRequestXML waits for requests while orders are being posted."
    )
    max_requests: int = Field(default=100, ge=1, le=1000, description="Requests in one qbXML message set.")
    gather_seconds: float = Field(
        default=0.02, ge=0, description="Requests arriving this close together go in one message set."
    )
    in_flight: int = Field(default=25, ge=1, description="A company file's orders being posted at once.")
    income_account: str = Field(default="Sales", description="Income account of items ledgerflow creates.")
    max_connections: int = Field(default=200, ge=1, description="Connections the endpoint serves at once.")

    @property
    def app_url(self) -> str:
        return self.public_url or f"http://localhost:{self.port or 8095}/qbwc"


class TokenKeySettings(BaseSettings):
    """The key that encrypts the stored OAuth tokens (``LEDGERFLOW_TOKEN_KEY``), from a Secret.

    Several comma-separated keys are a rotation in progress: the first encrypts, every one decrypts.
    """

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_TOKEN_", extra="ignore")

    key: SecretStr | None = Field(default=None, description="Fernet key(s); `ledgerflow tokens key` makes one.")


class WriterSettings(BaseSettings):
    """The accounting API, and which tenants this writer serves: its pool (the unlisted go to ``default``)."""

    model_config = SettingsConfigDict(env_prefix="LEDGERFLOW_WRITER_", extra="ignore")

    pool: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9-]*$")
    pools: dict[str, list[str]] = Field(default_factory=dict, description="Pool -> tenants, e.g. large tenants.")
    lease_seconds: float = Field(
        default=10.0,
        ge=2.0,
        description="How long a writer's hold on a company lasts unless renewed: how soon "
        "another writer takes a company over when its writer dies.",
    )
    max_companies: int = Field(default=100, ge=1, description="Companies one writer process drains at once.")
    max_in_flight: int = Field(default=200, ge=1, description="Documents one writer process posts at once.")
    quantum_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a company keeps its writer before giving it up to a company "
        "waiting for one, or to a writer that has too few.",
    )
    poll_seconds: float = Field(
        default=0.25, gt=0, description="How often a writer looks for companies with work it was not told of."
    )
    idle_release_seconds: float = Field(
        default=2.0, ge=0, description="How long a writer keeps a company with nothing to do before letting it go."
    )
    queue_warn_depth: int = Field(
        default=10_000,
        ge=1,
        description="Commands queued for one company beyond which the operator is told "
        "(a metric and a log line); they are still taken and kept.",
    )
    qbo: QboSettings = Field(default_factory=QboSettings)
    qbd: QbdSettings = Field(default_factory=QbdSettings)
    token_key: TokenKeySettings = Field(default_factory=TokenKeySettings)

    def serves(self, tenant_id: str) -> bool:
        owner = next((pool for pool, tenants in self.pools.items() if tenant_id in tenants), "default")
        return owner == self.pool

    def realm_for(self, tenant_id: str) -> str:
        return self.qbo.realms.get(tenant_id, tenant_id)
