"""ListBatchTasks: batch tasks with their member counts per state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.algorithm_catalogue import CATALOGUE, find_service
from openvias.schemas.batch_tasks import BatchTaskItem, BatchTaskList
from openvias.services.task_views import COMPANY, deploy_type_code
from openvias.store.repositories.tasks import BatchTaskRepository, TaskRepository


@dataclass(frozen=True, slots=True)
class BatchFilter:
    name_like: str | None = None
    service_name_like: str | None = None
    title: str | None = None
    manufacturer: str | None = None
    group_names: Sequence[str] = ()
    states: Sequence[str] = ()
    sort: str = "created_at"
    descending: bool = True


def _service_names(f: BatchFilter) -> list[str] | None:
    if f.manufacturer and f.manufacturer.lower() not in (COMPANY, "vias"):
        return []
    if not (f.service_name_like or f.title):
        return None
    return [
        spec.service_name
        for spec in CATALOGUE.values()
        if (not f.service_name_like or f.service_name_like in spec.service_name)
        and (not f.title or f.title in spec.title_zh or f.title in spec.title_en)
    ]


async def list_batch_tasks(
    session: AsyncSession, project_id: str, f: BatchFilter, *, limit: int | None, offset: int
) -> BatchTaskList:
    batches = BatchTaskRepository(session)
    stmt = batches.listing(
        project_id,
        name_like=f.name_like,
        service_names=_service_names(f),
        group_names=f.group_names,
        states=[s.upper() for s in f.states],
    )
    page, total = await batches.page(
        stmt, sort=f.sort, descending=f.descending, limit=limit, offset=offset
    )
    ids = [b.id for b in page]
    counts = await TaskRepository(session).member_state_counts(ids)
    groups = await batches.group_names(ids)
    items = []
    for batch in page:
        spec = find_service(batch.service_name)
        states = counts[batch.id]
        items.append(
            BatchTaskItem(
                id=batch.id,
                batch_task_name=batch.name,
                alg_name=spec.title_zh if spec else batch.service_name,
                company=COMPANY,
                created_at=batch.created_at,
                num_task=sum(states.values()),
                type=deploy_type_code(spec),
                video_group_name=",".join(groups[batch.id]),
                video_source_name="",
                service_name=batch.service_name,
                batch_task_status_info={state.lower(): n for state, n in states.items()},
            )
        )
    return BatchTaskList(count=total, batch_task_list=items)
