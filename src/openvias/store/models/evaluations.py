"""Evaluation jobs (openvias extension): a labelled data set scored on the engine.

The API writes the row (``WAITING``); an engine claims it (``owner``, ``epoch`` + 1,
``lease_expires_at`` of the database clock), renews the lease while it runs and writes the
report. A claim whose lease expired (its engine died) is taken again by another engine,
at most ``MAX_CLAIMS`` times in all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        Index("ix_evaluations_project_created", "project_id", "created_at", "id"),
        Index("ix_evaluations_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64), default="", server_default="")
    service_name: Mapped[str] = mapped_column(String(64))
    #: ``config.common`` as sent.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sweep: Mapped[str | None] = mapped_column(String(255), nullable=True)
    goal: Mapped[str] = mapped_column(String(64))
    #: ``{"type": "obs", "bucket", "prefix"}`` or ``{"type": "file", "path"}``.
    dataset: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: WAITING, RUNNING, SUCCEEDED or FAILED.
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    files_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    files_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_expires_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    finished_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
