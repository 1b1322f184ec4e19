"""A claimed task, read from the database and resolved into a :class:`StreamJob`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.engine.job import StreamJob
from openvias.engine.locate import NotPullable, locate
from openvias.engine.pipeline import SOURCE_NOT_PULLABLE
from openvias.services.task_views import EffectiveTask
from openvias.settings import Settings
from openvias.store.models import BatchTask, Task, VideoSource
from openvias.store.repositories.stream_leases import Lease

#: A file resumes this many samples before its checkpoint, so that the detectors rebuild their
#: memory (an ongoing fire is not a new onset); the engine drops what they raise up to the
#: checkpoint (the previous owner stored it).
RESUME_REWIND_SAMPLES = 10


@dataclass(frozen=True, slots=True)
class BuiltJob:
    job: StreamJob | None
    #: The task's configuration revision the job was built from.
    revision: int
    #: (code, message) when the task cannot run at all.
    error: tuple[str, str] | None = None
    #: The effective weekly schedule, if any (the job waits outside its windows).
    schedule: dict[str, Any] | None = None


async def build_job(
    session: AsyncSession, task_id: str, lease: Lease, settings: Settings
) -> BuiltJob:
    task = await session.get(Task, task_id)
    if task is None:
        return BuiltJob(None, 0, (SOURCE_NOT_PULLABLE, "the task no longer exists"))
    batch = await session.get(BatchTask, task.batch_id) if task.batch_id else None
    source = await session.get(VideoSource, task.video_source_id) if task.video_source_id else None
    effective = EffectiveTask.of(task, batch)
    try:
        located = locate(task, source, settings)
    except NotPullable as exc:
        return BuiltJob(None, effective.updated_at, (SOURCE_NOT_PULLABLE, str(exc)))
    common = dict(effective.config.get("common") or {})
    job = StreamJob(
        task_id=task.id,
        project_id=task.project_id,
        service_name=task.service_name,
        url=located.source.url,
        live=located.source.live,
        rtsp_transport=located.source.rtsp_transport,
        common=common,
        stream_id=located.stream_id,
        batch_id=task.batch_id,
        video_source_id=task.video_source_id,
        run=lease.run,
        epoch=lease.epoch,
        start_at=0.0,
        output=dict(effective.output or {}),
        allow_private_targets=settings.allow_private_targets,
        operator_configured=located.source.operator_configured,
    )
    if not job.live and lease.position_ms > 0:
        rewind_ms = round(RESUME_REWIND_SAMPLES * job.interval * 1000)
        job = replace(job, start_at=max(lease.position_ms - rewind_ms, 0) / 1000)
    return BuiltJob(job, effective.updated_at, schedule=effective.schedule)
