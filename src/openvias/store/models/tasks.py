"""Task Center: batch tasks, their groups, tasks, templates. Times are epoch milliseconds.

A batch task is one configuration over groups x sources, materialised as one ``Task`` per
source. Member tasks keep only their own input (source and ROI); ``config``, ``output`` and
``schedule`` are NULL on them and inherited from the batch, so an update of the batch
reaches every member in one row write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base


class BatchTask(Base):
    __tablename__ = "batch_tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_batch_tasks_project_created", "project_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    service_name: Mapped[str] = mapped_column(String(100))
    service_version: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    output: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    resource_order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    manufacturer: Mapped[str] = mapped_column(String(64), default="openvias")
    creator: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    #: Bumped first by every update, which takes the row (PostgreSQL) or database (SQLite)
    #: write lock at once: concurrent updates of one batch task serialise, never interleave.
    revision: Mapped[int] = mapped_column(Integer, default=1)


class BatchTaskGroup(Base):
    __tablename__ = "batch_task_groups"

    batch_id: Mapped[str] = mapped_column(
        ForeignKey("batch_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(
        ForeignKey("video_groups.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # Pages are ordered by (created_at, id); batch members share one created_at, so the
        # id must be in the index for a page to be read off it without a sort.
        Index("ix_tasks_project_created_id", "project_id", "created_at", "id"),
        Index("ix_tasks_project_state_created_id", "project_id", "state", "created_at", "id"),
        Index("ix_tasks_resource_order", "resource_order_id"),
        Index("ix_tasks_batch_source", "batch_id", "video_source_id"),
        Index("ix_tasks_video_source", "video_source_id"),
        Index("ix_tasks_desired", "desired_state", "state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    batch_id: Mapped[str | None] = mapped_column(
        ForeignKey("batch_tasks.id", ondelete="CASCADE"), nullable=True
    )
    group_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    service_name: Mapped[str] = mapped_column(String(100))
    service_version: Mapped[str] = mapped_column(String(32))
    input_type: Mapped[str] = mapped_column(String(16))
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    video_source_id: Mapped[str | None] = mapped_column(
        ForeignKey("video_sources.id", ondelete="RESTRICT"), nullable=True
    )
    target_roi: Mapped[str | None] = mapped_column(Text, nullable=True)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    resource_order_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: The VIAS state (upper case), as shown by ShowTaskInfo / ListTasks.
    state: Mapped[str] = mapped_column(String(24))
    #: What the user asked for: "running" or "stopped"; the engine reconciles toward it.
    desired_state: Mapped[str] = mapped_column(String(16), default="stopped")
    status: Mapped[str] = mapped_column(String(4096), default="")
    error_code: Mapped[str | None] = mapped_column(String(36), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(512), nullable=True)
    #: "vias" (Task Center routes) or "vas" (legacy /services/{name}/tasks routes).
    api_flavor: Mapped[str] = mapped_column(String(8), default="vias")
    creator: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    #: The edge pool the task must run on (``EdgePool.id``); NULL for the default pool.
    edge_pool_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class TaskTemplate(Base):
    """A saved configuration (``is_saved_as_template``); an openvias extension."""

    __tablename__ = "task_templates"
    __table_args__ = (Index("ix_task_templates_project_created", "project_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    service_name: Mapped[str] = mapped_column(String(100))
    service_version: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[int] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """Work for the engine and the sinks, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "processed_at", "available_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[int] = mapped_column(BigInteger)
    available_at: Mapped[int] = mapped_column(BigInteger)
    processed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
