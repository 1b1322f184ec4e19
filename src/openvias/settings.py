"""Typed settings, read once from the environment (``OPENVIAS_*``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENVIAS_", extra="ignore")

    data_dir: Path = Field(Path("./.openvias"), description="Embedded database, objects, logs.")
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; defaults to SQLite under data_dir."
    )
    engine: Literal["local", "celery"] = "local"
    metrics_enabled: bool = Field(
        True, description="Serve Prometheus metrics on /metrics (unauthenticated, as /healthz)."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines: text for people, json for one JSON object a line."
    )
    broker_url: str | None = None
    admin_password: str | None = Field(None, description="Bootstrap admin password.")
    allow_private_targets: bool = False
    file_roots: str | None = Field(None, description="':'-separated folders for file:// sources.")
    token_ttl_seconds: int = Field(24 * 3600, ge=60, le=7 * 24 * 3600)
    signature_max_skew_seconds: int = Field(15 * 60, ge=1, le=3600)
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_batch_body_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, description="Limit for batch-task bodies (100x100 sources)."
    )
    auth_cache_seconds: float = Field(
        5.0, ge=0, le=60, description="How long a verified token stays cached in-process."
    )
    public_hosts: str | None = Field(
        None,
        description="','-separated host names (name or name:port) that AK/SK requests may "
        "sign as Host, besides the address a request arrives on (behind a proxy: its names).",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="32 bytes, base64: seals access-key secrets in the database; else the key "
        "file data_dir/secret.key (made on first start). Same value on every replica.",
    )
    token_purge_seconds: float = Field(
        3600.0, ge=1, le=86400, description="How often expired tokens are deleted."
    )

    login_max_failures: int = Field(
        5, ge=1, le=1000, description="Failed logins of one user name that lock it out."
    )
    login_failure_window_seconds: float = Field(
        900.0, gt=0, le=86400, description="The window those failures are counted in."
    )
    login_lockout_seconds: float = Field(
        60.0, gt=0, le=86400, description="First lockout; each further one lasts twice as long."
    )
    login_lockout_max_seconds: float = Field(900.0, gt=0, le=86400)
    login_client_failure_burst: int = Field(
        30, ge=1, le=1_000_000, description="Failed logins one client address may make at once."
    )
    login_client_failures_per_minute: float = Field(
        6.0, gt=0, le=1_000_000, description="How fast a client's failed logins come back."
    )
    login_concurrency: int | None = Field(
        None, ge=1, le=256, description="Password checks at once (default: the CPU count)."
    )
    login_queue: int = Field(
        32, ge=0, le=100_000, description="Logins that may wait for a check; more get 429."
    )

    engine_slots: int = Field(
        32,
        ge=0,
        le=4096,
        description="Streams this node analyses at once (one process each); 0 = API only.",
    )
    heartbeat_seconds: float = Field(
        5.0, gt=0, le=300, description="How often an engine renews its leases and its worker row."
    )
    lease_ttl_seconds: float = Field(
        15.0,
        gt=0,
        le=3600,
        description="A lease (and a worker) not renewed for this long is dead: others take over.",
    )
    engine_tick_seconds: float = Field(
        0.25,
        ge=0.05,
        le=60,
        description="How often an engine reconciles: claims unowned tasks, stops unwanted ones.",
    )
    obs_endpoint: str | None = Field(None, description="S3-compatible endpoint for OBS inputs.")
    obs_region: str = "us-east-1"
    obs_access_key_id: str | None = None
    obs_secret_access_key: str | None = None

    snapshot_timeout_seconds: float = Field(
        15.0, gt=0, le=120, description="A video-source snapshot's time limit (then killed)."
    )
    snapshot_concurrency: int = Field(2, ge=1, le=64, description="Snapshots taken at once.")
    snapshot_queue: int = Field(
        4, ge=0, le=1000, description="Snapshots that may wait for those; more get 429."
    )
    snapshot_cache_seconds: float = Field(
        3.0, ge=0, le=60, description="How long a snapshot is answered again from memory."
    )

    delivery_max_attempts: int = Field(
        12, ge=1, le=1000, description="Attempts before a delivery is dead-lettered."
    )
    delivery_backoff_first_seconds: float = Field(1.0, gt=0, le=3600)
    delivery_backoff_max_seconds: float = Field(300.0, gt=0, le=86400)
    delivery_concurrency: int = Field(64, ge=1, le=4096, description="Deliveries in flight.")
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=120)
    webhook_signing_secret: str | None = Field(
        None, description="Standard Webhooks secret (whsec_...): signs every webhook POST."
    )
    kafka_bootstrap_servers: str | None = Field(
        None, description="Kafka-protocol brokers for dis outputs (host:port,...)."
    )
    dis_endpoint: str | None = Field(None, description="Huawei DIS endpoint for dis outputs.")
    dis_region: str | None = None
    dis_project_id: str | None = None
    dis_access_key_id: str | None = None
    dis_secret_access_key: str | None = None

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'openvias.db'}"

    @cached_property
    def resolved_public_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip() for h in (self.public_hosts or "").split(",") if h.strip())

    @cached_property
    def resolved_file_roots(self) -> list[Path]:
        if self.file_roots:
            return [Path(p).resolve() for p in self.file_roots.split(":") if p]
        return [(self.data_dir / "videos").resolve()]
