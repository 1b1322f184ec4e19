"""Typed settings, read once from the environment (``OPENVIAS_*``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENVIAS_", extra="ignore")

    data_dir: Path = Field(Path("./.openvias"), description="Embedded database, objects, logs.")
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; defaults to SQLite under data_dir."
    )
    engine: Literal["local", "celery"] = "local"
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

    engine_slots: int = Field(
        32,
        ge=0,
        le=4096,
        description="Streams this node analyses at once (one process each); 0 = API only.",
    )
    obs_endpoint: str | None = Field(None, description="S3-compatible endpoint for OBS inputs.")
    obs_region: str = "us-east-1"
    obs_access_key_id: str | None = None
    obs_secret_access_key: str | None = None

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
    def resolved_file_roots(self) -> list[Path]:
        if self.file_roots:
            return [Path(p).resolve() for p in self.file_roots.split(":") if p]
        return [(self.data_dir / "videos").resolve()]
