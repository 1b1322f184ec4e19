"""Distributed mode: the engine workers that run tasks, and the edge pools they form.

``EngineWorker`` is one engine process (an ``openvias worker`` or the embedded engine of
``openvias serve``), registered under its node id (the ``owner`` of its stream leases) and
kept alive by heartbeats (epoch ms of the database clock). It joins the pool named by
``pool``: ``default``, or the **name** of an ``EdgePool``. A task runs only on workers of
its pool (``Task.edge_pool_id``, NULL for the default pool).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base

DEFAULT_POOL = "default"


class EngineWorker(Base):
    __tablename__ = "engine_workers"
    __table_args__ = (Index("ix_engine_workers_pool_heartbeat", "pool", "heartbeat_at"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    pool: Mapped[str] = mapped_column(String(64), default=DEFAULT_POOL, server_default=DEFAULT_POOL)
    slots: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[int] = mapped_column(Integer, default=0)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str] = mapped_column(String(32), default="")
    started_at: Mapped[int] = mapped_column(BigInteger)
    heartbeat_at: Mapped[int] = mapped_column(BigInteger)
    #: Set by SIGTERM: the worker claims nothing more and hands its streams over.
    draining: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class EdgePool(Base):
    __tablename__ = "edge_pools"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    #: Unique across the deployment: workers join a pool by name (``--pool NAME``).
    name: Mapped[str] = mapped_column(String(32), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="", server_default="")
    #: The ``nodes`` the user listed on create (worker ids); informative only.
    nodes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
