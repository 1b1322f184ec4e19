"""Alarm delivery: one row per (alarm, output), written in the same transaction as the alarm,
and one row per delivery attempt. Times are epoch milliseconds.

A delivery is ``pending`` until a sink accepts it (``delivered``) or it runs out of attempts
or meets a permanent refusal (``dead``: the dead-letter record, retried on demand through
the API). ``locked_until``/``locked_by`` let several delivery workers share the table: a
worker takes due rows for a short lease, and a row whose worker died becomes due again when
the lease passes (at-least-once; receivers dedupe on ``message_id``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        Index("ix_deliveries_event", "event_id"),
        Index("ix_deliveries_task_state", "task_id", "state"),
        Index("ix_deliveries_project_created", "project_id", "created_at", "id"),
        Index("ix_deliveries_project_state_created", "project_id", "state", "created_at", "id"),
        Index("ix_deliveries_project_sink_state", "project_id", "sink", "state"),
        Index("ix_deliveries_project_failed", "project_id", "last_failed_at"),
        Index("ix_deliveries_project_event", "project_id", "event_id", "created_at", "id"),
        Index(
            "ix_deliveries_project_event_state", "project_id", "event_id", "state", "last_failed_at"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("alarm_events.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str] = mapped_column(String(32))
    #: The output kind: "webhook", "obs" or "dis".
    sink: Mapped[str] = mapped_column(String(16))
    #: The task's output object for this sink, as configured when the alarm was raised.
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    locked_until: Mapped[int] = mapped_column(BigInteger, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    #: ``started_at`` of the latest failed attempt (``last_error`` is its detail), so the
    #: latest failure among many deliveries is read without their attempts.
    last_failed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: "delivered", "retry" (a failure worth retrying) or "dead" (permanent, or the last).
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(1024), default="")
    worker: Mapped[str] = mapped_column(String(128), default="")
