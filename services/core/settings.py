"""Settings read from environment variables only (pydantic-settings)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".ducha")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str | None = Field(default=None, description="PostgreSQL DSN")
    nats_url: str | None = Field(default=None, description="NATS server URL")
    data_dir: Path = DEFAULT_DATA_DIR

    jwt_algorithm: str = "HS256"
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "ducha"
    jwt_audience: str = "ducha"

    host: str = "127.0.0.1"
    port: int = 0
    # how long an idle keep-alive connection stays open. Longer than the gateway's own
    # idle timeout (Node's http agent: 5 s): the client must be the one closing it, or a
    # request sent on a pooled connection as the server shuts it fails ("socket hang up")
    http_keep_alive_seconds: int = 75
    # /metrics on its own port (bound on ``host``), so that the NetworkPolicy can open
    # it to Prometheus without opening /graphql; 0 = /metrics on the service's port.
    metrics_port: int = 0
    log_level: str = "INFO"
    log_json: bool = True
    auto_migrate: bool = True
    db_pool_min: int = 1
    db_pool_max: int = 10
    dev_mode: bool = False
    # a client's X-Request-Id is used (and stored in audit rows) only if it fits this
    request_id_max_length: int = 128
    # verified token claims are reused until the token expires (at most this many tokens)
    token_cache_size: int = 4096
    # subgraphs: limits for any caller, and the secret the gateway signs requests with
    subgraph_max_depth: int = 20
    subgraph_max_tokens: int = 10000
    subgraph_max_aliases: int = 60
    subgraph_hmac_secret: str | None = None
    # what a list without a `first` argument counts as in the gateway's cost estimate
    assumed_list_size: int = 20

    # heavy work off the event loop (Excel, .docx): upload limit, time limit, threads
    upload_max_bytes: int = 20 * 1024 * 1024
    heavy_work_timeout_seconds: float = 60.0
    heavy_work_threads: int = 2

    outbox_poll_seconds: float = 1.0
    # benchmarks only: log wall-clock stamps of every event's way through the consumers and
    # the outbox relay (logger ducha.event_path, ADR 0020); off costs one test per message
    event_path_timing: bool = False
    consumer_max_deliver: int = 5
    consumer_ack_wait_seconds: float = 30.0
    # supervised background work (ADR 0015): the longest wait between retries while the
    # database or NATS is away, and how long a worker may go without progress before
    # /readyz calls it stuck (a job's run may take job_stuck_seconds beyond its interval)
    consumer_retry_max_seconds: float = 5.0
    worker_stuck_seconds: float = 120.0
    job_stuck_seconds: float = 900.0
    readiness_timeout_seconds: float = 2.0
    stream_replicas: int = 1
    stream_max_age_days: int = 3650

    # alerts: outbound channels (unset channels are skipped with a warning)
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_corp_id: str | None = None
    wecom_corp_secret: str | None = None
    wecom_agent_id: int | None = None
    wecom_robot_base: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    # tasks: WeCom sign-in (ADR 0022): 网页授权 and 扫码登录 pages, where WeCom sends the
    # browser back (WEB_BASE_URL + /signin, a trusted domain of the app), token lifetimes
    wecom_oauth_base: str = "https://open.weixin.qq.com"
    wecom_sso_base: str = "https://login.work.weixin.qq.com"
    web_base_url: str = "http://127.0.0.1:4000"
    signin_access_ttl_seconds: int = 900
    signin_refresh_ttl_seconds: int = 12 * 3600
    # tasks: the WeCom callback URL's token and EncodingAESKey (a Secret, issue 14)
    wecom_callback_token: str | None = None
    wecom_callback_aes_key: str | None = None
    # alerts: where a card's 去汇报 button opens the mobile report page
    mobile_base_url: str = "http://127.0.0.1:4000/m"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "ducha@localhost"
    smtp_starttls: bool = False
    smtp_ssl: bool = False  # SMTPS (implicit TLS, usually port 465); both verify certificates
    sweep_interval_seconds: float = 300.0
    delivery_interval_seconds: float = 5.0
    timezone: str = "Asia/Shanghai"
    # every replica re-reads the working-day calendar when it changed (ADR 0016)
    calendar_refresh_seconds: float = 60.0
    # demo/training only: ISO date-time every service's clock reads at CLOCK_ANCHOR (then it
    # runs on in real time), so a demo district from 2018 lives in its own "today".
    clock_at: str = ""
    # the real ISO instant at which the clock reads CLOCK_AT (empty: process start-up);
    # one value for every service makes their clocks agree (ADR 0016)
    clock_anchor: str = ""
    # alerts: reminders and their durable delivery
    reminder_scan_seconds: float = 300.0
    deadline_reminder_workdays: str = "3,1"  # comma-separated working-day offsets
    escalation_grace_workdays: int = 2
    notification_max_attempts: int = 6
    notification_backoff_seconds: float = 30.0
    notification_backoff_max_seconds: float = 3600.0
    delivery_lease_seconds: float = 30.0  # claim, send and mark of one message fit in it
    delivery_batch: int = 200
    wecom_robot_per_minute: int = 20
    wecom_member_per_minute: int = 30
    channel_timeout_seconds: float = 10.0
    wecom_robot_markdown: bool = False  # markdown robot messages (@mentions by user id only)
    # alerts: integrations (public event feed and webhooks, issue 14)
    webhook_dispatch_interval_seconds: float = 0.5
    webhook_backoff_scale: float = 1.0  # multiplies the retry schedule (tests shrink it)
    webhook_timeout_seconds: float = 10.0
    webhook_max_response_bytes: int = 65536
    webhook_batch: int = 100
    webhook_concurrency: int = 16
    webhook_disable_after_hours: float = 72.0
    webhook_require_https: bool = True  # http endpoints only with DEV_MODE or this off
    # comma-separated IPs/CIDRs exempt from the SSRF block (e.g. an internal receiver)
    webhook_allowed_hosts: str = ""
    webhook_egress_proxy: str = ""  # http(s) proxy every webhook goes through, if set
    integration_token_days: int = 365

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError("DATABASE_URL is not set")
        return self.database_url

    def require_nats_url(self) -> str:
        if not self.nats_url:
            raise RuntimeError("NATS_URL is not set")
        return self.nats_url

    def signing_secret(self) -> str:
        """The HS256 secret: from JWT_SECRET, else generated once under the data dir."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
