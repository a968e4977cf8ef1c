"""Settings: one pydantic-settings object, built once at start-up and passed down.

SalesPad's own knobs use the `SALESPAD_` prefix; provider credentials keep the names their
providers document (`SENDGRID_API_KEY`, `TWILIO_AUTH_TOKEN`, `OPENAI_API_KEY`, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PLACEHOLDER = "change-me"
# Signs unsubscribe links; fine on a laptop, refused when SALESPAD_ENV=prod.
DEV_SECRET_KEY = "salespad-dev-secret-key-not-for-production"


# Every settings class reads the same way: an empty variable (`SENDGRID_API_KEY=` in a .env file,
# `${SENDGRID_API_KEY:-}` in docker-compose.yml) counts as unset, so the default applies.
def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_ignore_empty=True, extra="ignore"
    )


class SendGridSettings(BaseSettings):
    model_config = _config("SENDGRID_")

    api_key: SecretStr | None = None
    api_host: str = "https://api.sendgrid.com"
    from_email: str | None = None
    from_name: str | None = None
    webhook_public_key: str | None = None
    # Inbound Parse cannot sign its posts: this shared secret goes in the URL (?token=) or as
    # the basic-auth password of the webhook URL configured at SendGrid.
    inbound_token: SecretStr | None = None


class TwilioSettings(BaseSettings):
    model_config = _config("TWILIO_")

    account_sid: str | None = None
    auth_token: SecretStr | None = None
    sms_from: str | None = None
    whatsapp_from: str | None = None
    base_url: str | None = None
    # Only when a Twilio Webhook Rule signs with a SharedKey instead of the Auth Token.
    webhook_shared_key: SecretStr | None = None


class OpenAISettings(BaseSettings):
    model_config = _config("OPENAI_")

    api_key: SecretStr | None = None
    base_url: str | None = None


class WebhookSettings(BaseSettings):
    """The outgoing-webhook dispatcher (runs inside every worker). A failed POST is retried
    after backoff_base_seconds, doubling up to backoff_max_seconds (each delay +-jitter), until
    retry_window_hours after its first attempt; then the delivery is `failed`."""

    model_config = _config("SALESPAD_WEBHOOK_")

    dispatch: bool = True  # false: this worker sends no webhooks (another process does)
    timeout_seconds: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=32, ge=1, le=1000)
    batch_size: int = Field(default=100, ge=1, le=1000)
    # A claimed delivery is re-sent by any worker once its lease ends without a recorded
    # outcome (its worker died mid-POST); longer than a POST can take.
    lease_seconds: float = Field(default=60.0, gt=0)
    backoff_base_seconds: float = Field(default=10.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    jitter: float = Field(default=0.2, ge=0, lt=1)
    retry_window_hours: float = Field(default=24.0, gt=0)
    # NOTIFY wakes the dispatcher at once; this poll finds retries coming due (and anything a
    # lost LISTEN connection missed).
    poll_seconds: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _lease_outlasts_a_post(self) -> WebhookSettings:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError(
                "SALESPAD_WEBHOOK_LEASE_SECONDS must exceed SALESPAD_WEBHOOK_TIMEOUT_SECONDS "
                "(else a slow POST is sent again by another worker while it runs)"
            )
        return self


class MailboxHealthSettings(BaseSettings):
    """Deliverability guards (services/mailboxes/health.py): a mailbox is paused when, over
    the messages it sent in the last health_window_hours (and since it was last resumed),
    hard bounces or spam complaints per send exceed their threshold, once it has sent at
    least health_min_sends there. A mailbox's own bounce_threshold / complaint_threshold
    override the two thresholds."""

    model_config = _config("SALESPAD_MAILBOX_")

    # Mailbox providers' guidance: keep hard bounces under 2-5 % and spam complaints under
    # 0.1 % (Gmail's and Yahoo's bulk-sender rules say never reach 0.3 %).
    bounce_threshold: float = Field(default=0.05, gt=0, le=1)
    complaint_threshold: float = Field(default=0.001, gt=0, le=1)
    # A week: long enough that a slow outbound mailbox (20-50 sends a day) has a meaningful
    # sample and asynchronous bounces (hours to days late) land inside it; short enough that
    # an old bad list stops counting once it is cleaned.
    health_window_hours: float = Field(default=168.0, gt=0, le=24 * 90)
    # Below this many sends in the window a rate is noise (1 bounce of 1 send is 100 %).
    health_min_sends: int = Field(default=20, ge=1)


class Settings(BaseSettings):
    model_config = _config("SALESPAD_")

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path(".salespad")

    # None means "start an embedded PostgreSQL" (salespad dev, tests).
    database_url: str | None = None

    # None means "start the Temporal dev server" under `salespad dev`; the api and worker
    # commands fall back to the local default address.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    # A Temporal cluster or Temporal Cloud (config/temporal.py builds the connection):
    # TLS verified against the system's roots (temporal_tls) or a CA file, mTLS with a client
    # certificate and key (PEM files), and/or an API key sent as a Bearer token (Temporal
    # Cloud's API-key auth; TLS is then on by default).
    temporal_tls: bool | None = None  # None: on when a CA, certificate or API key is given
    temporal_tls_ca: Path | None = None
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    # The name the server's certificate is checked against (and SNI), when not the host dialed.
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None
    # `salespad temporal setup`: a namespace it registers keeps closed workflows this long.
    temporal_retention_days: int = Field(default=30, ge=1, le=3650)
    task_queue: str = "salespad"
    # Workflows a worker keeps in memory (about 0.25 MB each); one evicted and woken again is
    # replayed from its history. 500 keeps a worker under 400 MB with 10,000 leads asleep.
    worker_max_cached_workflows: int = Field(default=500, ge=0)
    # The workflow sandbox re-imports a workflow's module for every run (and every replay of
    # an evicted one). Off (the default): our `workflows` package is imported once and shared,
    # the sandbox still runs each workflow; on: the package is re-imported per run as well,
    # so the sandbox also catches a nondeterministic call (datetime.now) hidden in it at run
    # time, at about 8 ms more worker CPU per run or replay (bench/sandbox.py: a `demo` replay
    # 33 ms against 26 ms; a lead costs the worker about 90 ms). The tests replay every history
    # both ways, and tests/unit/test_layers.py bans such calls in workflows/ statically.
    worker_strict_sandbox: bool = False
    # Queues per concern (README "Task queues"): a rate is Temporal's
    # max_task_queue_activities_per_second for that queue, enforced by the server across every
    # worker polling it (a provider's rate limit); a concurrency is max_concurrent_activities of
    # each worker on it. Unset: no rate limit, the SDK's default concurrency.
    queue_email_rate: float | None = Field(default=None, gt=0)
    queue_email_concurrency: int | None = Field(default=None, ge=1)
    queue_messaging_rate: float | None = Field(default=None, gt=0)
    queue_messaging_concurrency: int | None = Field(default=None, ge=1)
    queue_ai_rate: float | None = Field(default=None, gt=0)
    queue_ai_concurrency: int | None = Field(default=None, ge=1)
    # How often at most a worker checks whether channels were configured over the API since
    # (one small query); a change reaches its sends within about this long, without a restart.
    config_refresh_seconds: float = Field(default=2.0, gt=0, le=3600)
    # A lead whose mailbox is paused (deliverability guard, or ops): "hold" keeps it on that
    # mailbox and checks again every `mailbox_hold_seconds` (its thread and sender stay the
    # same); "reassign" sends on from the pool's other mailboxes.
    mailbox_paused_leads: Literal["hold", "reassign"] = "hold"
    mailbox_hold_seconds: float = Field(default=900.0, ge=1, le=86400)
    # Where links into the Temporal Web UI point; defaults to the dev server's UI.
    temporal_ui_url: str | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_key: SecretStr | None = None
    public_url: str = "http://127.0.0.1:8000"
    # The dashboard's sign-in (POST /api/session) lasts this long; then the browser signs in
    # again. Rotating SALESPAD_API_KEY ends every session at once.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    # Mark the session cookie `Secure` even when the request reached the API over plain http
    # (TLS ends at a proxy that does not forward the scheme); over https it always is.
    session_cookie_secure: bool = False
    # The dashboard's built bundle (index.html + assets/); unset: the one shipped in the
    # package, api/static/dashboard (`make dashboard` builds it there).
    dashboard_dir: Path | None = None
    # JSON bodies under /api larger than this are refused (413) before they are read further.
    api_max_body_bytes: int = Field(default=2_000_000, ge=1_000)
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Signs lead-capture posts (POST /webhooks/leads, HMAC-SHA256); unset: the webhook is off.
    lead_capture_secret: SecretStr | None = None

    # Dev server ports (only used when salespad dev starts its own Temporal).
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    # How long POST /api/leads/{id}/replies waits for the workflow to answer before it falls
    # back to a durable signal (a reply is never lost because no worker is up).
    reply_update_timeout_seconds: float = 5.0

    # Imports: phone numbers without a country code are read as this region's (ISO 3166 code);
    # uploads over max_import_bytes are refused (413); files up to import_sync_max_bytes are
    # imported within the request, bigger ones in the background (202 + Location).
    default_phone_region: str = "US"
    max_import_bytes: int = 100 * 1024 * 1024
    import_sync_max_bytes: int = 256 * 1024

    # Replies to mailboxes read over IMAP (a mailbox's imap_* settings): how often each
    # mailbox's folder is read. A reply stops its sequence within about this long.
    imap_poll_seconds: float = Field(default=60.0, gt=0, le=86_400)

    llm_model: str = "gpt-4o-mini"
    # Kept for compatibility: one best-effort POST per dead letter. A webhook subscription to
    # lead.dead_lettered (POST /api/webhook-subscriptions) is the durable, signed way.
    ops_webhook_url: str | None = None

    # Observability (README "Observability"). Logs: "text" for a terminal, "json" (one object
    # per line, with the request id) for a log collector.
    log_format: Literal["text", "json"] = "text"
    # Set: GET /metrics wants `Authorization: Bearer <token>`; unset: /metrics is open.
    metrics_token: SecretStr | None = None
    # The event-log totals behind /metrics are recounted at most this often per API process.
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    # host:port where a worker serves the Temporal SDK's Prometheus metrics; unset: off.
    worker_metrics_address: str | None = None
    # `salespad mailbox check`: the DNS server to ask, HOST or HOST:PORT (unset: the system's).
    dns_nameserver: str | None = None

    sendgrid: SendGridSettings = Field(default_factory=SendGridSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    mailbox_health: MailboxHealthSettings = Field(default_factory=MailboxHealthSettings)

    @field_validator("worker_metrics_address")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if not value:  # empty means unset
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(
                "SALESPAD_WORKER_METRICS_ADDRESS must be HOST:PORT, e.g. 127.0.0.1:9464"
            )
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets_outside_dev(self) -> Settings:
        if self.env == "prod":
            if self.api_key is None or self.api_key.get_secret_value() in ("", DEV_PLACEHOLDER):
                raise ValueError("SALESPAD_API_KEY must be a real secret when SALESPAD_ENV=prod")
            if self.database_url is None:
                raise ValueError("SALESPAD_DATABASE_URL must be set when SALESPAD_ENV=prod")
            secret = self.secret_key.get_secret_value()
            if secret in (DEV_SECRET_KEY, DEV_PLACEHOLDER) or len(secret) < 32:
                raise ValueError(
                    "SALESPAD_SECRET_KEY must be a random secret of at least 32 characters "
                    "when SALESPAD_ENV=prod (it signs unsubscribe links)"
                )
            capture = self.lead_capture_secret
            if capture is not None and len(capture.get_secret_value()) < 32:
                raise ValueError(
                    "SALESPAD_LEAD_CAPTURE_SECRET must be a random secret of at least 32 "
                    "characters when SALESPAD_ENV=prod (or unset, which turns lead capture off)"
                )
        return self

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def temporal_ui(self) -> str:
        return self.temporal_ui_url or f"http://127.0.0.1:{self.temporal_ui_port}"

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(
                "SALESPAD_DATABASE_URL is not set. `salespad dev` starts an embedded PostgreSQL "
                "for you; `salespad api` and `salespad worker` need a URL such as "
                "postgresql+psycopg://user:pass@host:5432/salespad"
            )
        return self.database_url


def environment_variables() -> list[str]:
    """Every environment variable the settings read, in the order they are defined: the nested
    groups (SendGrid, Twilio, OpenAI, webhooks) under their own prefixes. `.env.example` and
    docker-compose.yml list exactly these (tests/unit/test_compose.py)."""

    def names(cls: type[BaseSettings]) -> list[str]:
        prefix = str(cls.model_config.get("env_prefix", ""))
        found: list[str] = []
        for name, field in cls.model_fields.items():
            kind = field.annotation
            if isinstance(kind, type) and issubclass(kind, BaseSettings):
                found += names(kind)
            else:
                found.append(f"{prefix}{name}".upper())
        return found

    return names(Settings)
