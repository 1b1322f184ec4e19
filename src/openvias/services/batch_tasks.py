"""Batch tasks: one configuration over groups x sources, materialised as one task per
source (see ``store/models/tasks.py`` for what members inherit)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain import task_states
from openvias.domain.algorithm_catalogue import ServiceSpec
from openvias.domain.clock import now_ms
from openvias.domain.ids import new_hex_id
from openvias.domain.task_states import Command, Desired, TaskState
from openvias.errors import Conflict, NotFound
from openvias.schemas.batch_tasks import BatchTaskCreate, BatchTaskResult, BatchTaskUpdate
from openvias.services.algorithms import (
    check_resource_order,
    require_deployed,
    require_service,
    validated_config,
)
from openvias.services.batch_plan import BatchPlan, Member, resolve
from openvias.services.tasks import TASKS_CHANGED, Caller, TaskStateConflict, task_row
from openvias.services.templates import save_template
from openvias.store.models import BatchTask
from openvias.store.repositories.tasks import BatchTaskRepository, TaskRepository, enqueue


class DuplicateTaskName(Conflict):
    error_code = "VIAS.00010011"
    reason = "There is a job with the same name."


def _result(batch_id: str, succeeded: int, errors: list[str]) -> BatchTaskResult:
    return BatchTaskResult(
        id=batch_id,
        total_count=succeeded + len(errors),
        succeed_count=succeeded,
        failed_count=len(errors),
        error_list=errors,
    )


class BatchTaskService:
    def __init__(self, session: AsyncSession, caller: Caller) -> None:
        self.session = session
        self.caller = caller
        self.batches = BatchTaskRepository(session)
        self.tasks = TaskRepository(session)

    async def _lock(self, batch_id: str) -> BatchTask:
        if not await self.batches.lock(self.caller.project_id, batch_id):
            raise NotFound(f"Batch task {batch_id} does not exist.", param="id")
        batch = await self.batches.get(self.caller.project_id, batch_id)
        assert batch is not None
        return batch

    async def _order_check(
        self,
        spec: ServiceSpec,
        order_id: str | None,
        batch_active: int,
        batch_id: str | None = None,
    ) -> None:
        """The order covers ``batch_active`` running members of this batch task on top of
        every other active task that uses it."""
        await check_resource_order(
            self.session,
            self.caller.project_id,
            spec,
            order_id,
            batch_active,
            except_batch_id=batch_id,
        )

    async def _flush_named(self, name: str) -> None:
        """Flush, turning a name taken by a concurrent request into DuplicateTaskName."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            if "unique" in str(exc.orig).lower():
                raise DuplicateTaskName(f"A batch task named {name} exists.", param="name") from exc
            raise

    def _member_rows(
        self, batch: BatchTask, members: list[Member], desired: Desired, now: int
    ) -> list[dict[str, Any]]:
        start = task_states.on_create(start=desired is Desired.RUNNING)
        return [
            task_row(
                self.caller,
                start,
                now,
                name=batch.name,
                description=batch.description,
                service_name=batch.service_name,
                service_version=batch.service_version,
                task_input={"type": "video_source", "data": [{"video_source_id": m.source_id}]},
                batch_id=batch.id,
                group_id=m.group_id,
                video_source_id=m.source_id,
                target_roi=m.target_roi,
            )
            for m in members
        ]

    async def create(self, body: BatchTaskCreate) -> BatchTaskResult:
        spec = require_service(body.service_name, body.service_version)
        config = validated_config(spec, body.config.model_dump() if body.config else None)
        if await self.batches.name_taken(self.caller.project_id, body.name):
            raise DuplicateTaskName(f"A batch task named {body.name} exists.", param="name")
        await require_deployed(self.session, self.caller.project_id, spec)
        plan = await resolve(self.session, self.caller.project_id, body.batch_input)
        await self._order_check(spec, body.resource_order_id, len(plan.members))
        now = now_ms()
        batch = BatchTask(
            id=new_hex_id(),
            project_id=self.caller.project_id,
            name=body.name,
            description=body.description or "",
            service_name=spec.service_name,
            service_version=body.service_version,
            config=config,
            output=body.output.stored(),
            schedule=body.schedule.stored() if body.schedule else None,
            resource_order_id=body.resource_order_id,
            creator=self.caller.user_name,
            created_at=now,
            updated_at=now,
            revision=1,
        )
        self.session.add(batch)
        await self._flush_named(batch.name)
        await self.batches.set_groups(batch.id, plan.group_ids)
        await self.tasks.insert_many(
            self._member_rows(batch, list(plan.members.values()), Desired.RUNNING, now)
        )
        await enqueue(self.session, TASKS_CHANGED, batch.id, {"batch_id": batch.id}, now)
        if body.is_saved_as_template:
            await self._save_template(batch, now)
        return _result(batch.id, len(plan.members), plan.errors)

    async def update(self, batch_id: str, body: BatchTaskUpdate) -> BatchTaskResult:
        batch = await self._lock(batch_id)
        spec = require_service(batch.service_name, batch.service_version)
        now = now_ms()
        labels = (batch.name, batch.description)
        if body.name is not None and body.name != batch.name:
            if await self.batches.name_taken(self.caller.project_id, body.name, batch.id):
                raise DuplicateTaskName(f"A batch task named {body.name} exists.", param="name")
            batch.name = body.name
        if body.config is not None:
            batch.config = validated_config(spec, body.config.model_dump())
        if body.output is not None:
            batch.output = body.output.stored()
        if body.schedule is not None:
            batch.schedule = body.schedule.stored()
        if body.description is not None:
            batch.description = body.description
        if body.resource_order_id is not None:
            batch.resource_order_id = body.resource_order_id
        existing = await self.tasks.members(batch.id)
        if body.batch_input is not None:
            plan = await resolve(self.session, self.caller.project_id, body.batch_input)
            succeeded = await self._reconcile_members(batch, existing, plan, now)
            errors = plan.errors
        else:
            succeeded, errors = len(existing), []
        if body.resource_order_id is not None or body.batch_input is not None:
            counts = (await self.tasks.member_state_counts([batch.id]))[batch.id]
            active = sum(n for state, n in counts.items() if state in task_states.ACTIVE)
            await self._order_check(spec, batch.resource_order_id, active, batch.id)
        batch.updated_at = now
        if (batch.name, batch.description) != labels:
            # Members carry their batch's name and description; everything else they
            # inherit on read, so a config/output/schedule change writes one row.
            await self.tasks.update_members(
                batch.id, {"name": batch.name, "description": batch.description, "updated_at": now}
            )
        await enqueue(self.session, TASKS_CHANGED, batch.id, {"batch_id": batch.id}, now)
        await self._flush_named(batch.name)
        if body.is_saved_as_template:
            await self._save_template(batch, now)
        return _result(batch.id, succeeded, errors)

    async def _reconcile_members(
        self,
        batch: BatchTask,
        existing: list[tuple[str, str, str | None, str]],
        plan: BatchPlan,
        now: int,
    ) -> int:
        by_source = {source_id: (task_id, roi) for task_id, source_id, roi, _ in existing}
        removed = [
            task_id
            for source_id, (task_id, _) in by_source.items()
            if source_id not in plan.members
        ]
        await self.tasks.delete_tasks(removed)
        roi_changes = [
            (by_source[m.source_id][0], m.target_roi)
            for m in plan.members.values()
            if m.source_id in by_source and by_source[m.source_id][1] != m.target_roi
        ]
        await self.tasks.update_member_rois(roi_changes, now)
        added = [m for m in plan.members.values() if m.source_id not in by_source]
        running = any(state in task_states.ACTIVE for *_, state in existing) or not existing
        desired = Desired.RUNNING if running else Desired.STOPPED
        await self.tasks.insert_many(self._member_rows(batch, added, desired, now))
        await self.batches.set_groups(batch.id, plan.group_ids)
        return len(plan.members)

    async def delete(self, batch_id: str) -> BatchTaskResult:
        batch = await self._lock(batch_id)
        members = await self.tasks.members(batch.id)
        busy = sorted({state for *_, state in members if state in task_states.BUSY})
        if busy:
            raise TaskStateConflict(
                f"Batch task {batch_id} has member tasks that are {', '.join(busy)}."
            )
        await self.tasks.delete_members(batch.id)
        await enqueue(self.session, TASKS_CHANGED, batch.id, {"batch_id": batch.id}, now_ms())
        await self.session.delete(batch)
        await self.session.flush()
        return _result(batch.id, len(members), [])

    async def command(self, batch_id: str, command: Command) -> BatchTaskResult:
        batch = await self._lock(batch_id)
        counts = (await self.tasks.member_state_counts([batch.id]))[batch.id]
        now = now_ms()
        errors: list[str] = []
        for state, n in counts.items():
            if TaskState(state) in task_states.BUSY:
                errors.extend([f"{n} task(s) are {state} and cannot {command.value}"])
        failed = sum(n for s, n in counts.items() if TaskState(s) in task_states.BUSY)
        total = sum(counts.values())
        if command is Command.START:
            startable = [s.value for s in task_states.STARTABLE]
            to_start = sum(n for s, n in counts.items() if s in startable)
            if to_start:
                spec = require_service(batch.service_name, batch.service_version)
                active = sum(n for s, n in counts.items() if TaskState(s) in task_states.ACTIVE)
                await self._order_check(spec, batch.resource_order_id, active + to_start, batch.id)
            await self.tasks.set_member_states(
                batch.id, startable, TaskState.STARTING.value, Desired.RUNNING.value, now
            )
        else:
            await self.tasks.set_member_states(
                batch.id,
                [s.value for s in task_states.STOPPABLE],
                TaskState.STOPPED.value,
                Desired.STOPPED.value,
                now,
            )
        await enqueue(self.session, TASKS_CHANGED, batch.id, {"batch_id": batch.id}, now)
        return BatchTaskResult(
            id=batch.id,
            total_count=total,
            succeed_count=total - failed,
            failed_count=failed,
            error_list=errors,
        )

    async def _save_template(self, batch: BatchTask, now: int) -> None:
        await save_template(
            self.session,
            self.caller.project_id,
            name=batch.name,
            service_name=batch.service_name,
            service_version=batch.service_version,
            body={
                "description": batch.description,
                "config": batch.config,
                "output": batch.output,
                "schedule": batch.schedule,
                "resource_order_id": batch.resource_order_id,
            },
            now=now,
        )
