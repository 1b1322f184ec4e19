"""The engine's records: who runs which task (a lease), and the alarms it raised.

``StreamLease`` is the ownership record of ``research/scale-out.md`` §4: one row per task
the engine has taken on, owned by one node until ``expires_at`` (epoch ms); every write an
owner makes about its task is conditional on its ``epoch``, so a stale owner (a paused or
partitioned process) can never overwrite a newer one (its stream ``health`` included).
``run`` counts user starts: a resume
after a restart keeps the run (and the checkpoint ``position_ms`` of a file), a new start
begins a new run from the beginning.

``AlarmEvent`` is one alarm in the VIAS envelope, written once; its JPEG lives in
``AlarmImage`` so that listing events never reads images.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base


class StreamLease(Base):
    __tablename__ = "stream_leases"
    __table_args__ = (Index("ix_stream_leases_owner", "owner"),)

    task_id: Mapped[str] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    run: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[int] = mapped_column(BigInteger, default=0)
    #: How far a file task got (stream ms of the last sample whose alarms are stored).
    position_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Consecutive failed attempts of this run (crashes, unreachable source).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=0)
    #: How the stream does, as its owner last wrote it (``engine/stream_health.py``), and
    #: when (epoch ms); read by ``services/stream_health.py``.
    health: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    health_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AlarmEvent(Base):
    __tablename__ = "alarm_events"
    __table_args__ = (
        Index("ix_alarm_events_project_created", "project_id", "created_at", "id"),
        Index("ix_alarm_events_task_created", "task_id", "created_at"),
        # Counts over a time range (ListEvents' total, the Overview) read this index alone.
        Index(
            "ix_alarm_events_project_time",
            "project_id",
            "timestamp",
            "service_name",
            "review_state",
            "primary_id",
        ),
        # primary_id after the filter: every list but include_secondary=true asks for
        # primary_id IS NULL (or = a primary), and the page is then read off the index in order.
        Index(
            "ix_alarm_events_project_service_created",
            "project_id",
            "service_name",
            "primary_id",
            "created_at",
            "id",
        ),
        Index(
            "ix_alarm_events_project_review_created",
            "project_id",
            "review_state",
            "primary_id",
            "created_at",
            "id",
        ),
        Index(
            "ix_alarm_events_project_task_created",
            "project_id",
            "task_id",
            "primary_id",
            "created_at",
            "id",
        ),
        Index(
            "ix_alarm_events_project_source_created",
            "project_id",
            "video_source_id",
            "primary_id",
            "created_at",
            "id",
        ),
        Index(
            "ix_alarm_events_project_primary_created",
            "project_id",
            "primary_id",
            "created_at",
            "id",
        ),
    )

    #: The envelope's ``message_id`` (upper-case UUID); deterministic per (task, run,
    #: stream position), so an alarm re-raised after a resume is stored once.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    video_source_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    stream_id: Mapped[str] = mapped_column(String(256))
    service_name: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[int] = mapped_column(BigInteger)
    #: Alarm time, epoch seconds (the envelope's ``timestamp``).
    timestamp: Mapped[int] = mapped_column(BigInteger)
    #: Stream position of the analysed frame, ms from the start of the stream/file.
    media_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    run: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[int] = mapped_column(BigInteger)
    #: Event Center review: "pending", "approved" or "rejected", with who, when and why.
    review_state: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending"
    )
    review_comment: Mapped[str] = mapped_column(String(1024), default="", server_default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: Repeated-event aggregation: a secondary event names its primary; a primary counts the
    #: events aggregated into it (itself included).
    primary_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    aggregated_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class AlarmImage(Base):
    __tablename__ = "alarm_images"

    event_id: Mapped[str] = mapped_column(
        ForeignKey("alarm_events.id", ondelete="CASCADE"), primary_key=True
    )
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
