"""Video Center: sources, groups and their membership. Times are epoch milliseconds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openvias.store.base import Base


class VideoSource(Base):
    __tablename__ = "video_sources"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        # (created_at, id) is the default order of ListVideoSources: pages come straight
        # from the index, with no sort (migration 0006).
        Index("ix_video_sources_project_created_id", "project_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    access_type: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(32))
    type_config: Mapped[str] = mapped_column(String(1024))
    stream_path: Mapped[str] = mapped_column(String(1024), default="")
    latitude: Mapped[str] = mapped_column(String(16), default="")
    longitude: Mapped[str] = mapped_column(String(16), default="")
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="online")
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class VideoGroup(Base):
    __tablename__ = "video_groups"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_video_groups_project_created_id", "project_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(100), default="")
    access_type: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class VideoGroupMember(Base):
    __tablename__ = "video_group_members"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("video_groups.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(
        ForeignKey("video_sources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
