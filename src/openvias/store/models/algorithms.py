"""Algorithm Center state per project: deployments of catalogue services, resource orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base


class AlgorithmDeployment(Base):
    """A project's deployment of a built-in algorithm service (absent row = defaults)."""

    __tablename__ = "algorithm_deployments"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    alg_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    stream_count: Mapped[int] = mapped_column(Integer, default=0)
    pool_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deploy_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    envs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class ResourceOrder(Base):
    """A purchased package for a commercial algorithm: how many tasks may run at once."""

    __tablename__ = "resource_orders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    service_name: Mapped[str] = mapped_column(String(100))
    max_tasks: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
