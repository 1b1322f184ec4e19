"""Resolving a batch input (groups x sources) into the member tasks it asks for.

Each listed source is one item of the batch response: it succeeds when the source exists
in the project and belongs to the listed group, and fails on its own otherwise. A group
entry with an empty ``video_source_list`` stands for every source of the group. An input of
which no item succeeds is refused whole (a batch task always has member tasks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.roi import RoiError, parse_target_roi
from openvias.errors import InvalidParameter
from openvias.schemas.batch_tasks import BatchInput
from openvias.store.repositories.video_groups import VideoGroupRepository
from openvias.store.repositories.video_sources import VideoSourceRepository

ROI_PARAM = "batch_input.video_source_group.video_source_list.target_roi"
#: Item errors quoted in the refusal of an input that yields no task (the rest are counted).
ERRORS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class Member:
    group_id: str
    source_id: str
    target_roi: str | None


@dataclass
class BatchPlan:
    members: dict[str, Member] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    group_ids: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.members) + len(self.errors)


def check_rois(batch_input: BatchInput) -> None:
    """ROI strings are part of the body: a malformed one fails the whole request."""
    for group in batch_input.video_source_group:
        for source in group.video_source_list:
            if source.target_roi:
                try:
                    parse_target_roi(source.target_roi)
                except RoiError as exc:
                    raise InvalidParameter(
                        f"Invalid target_roi of video source {source.video_source_id}: {exc}",
                        param=ROI_PARAM,
                    ) from exc


def require_members(plan: BatchPlan) -> None:
    """Refuse an input that yields no member task, quoting why its items failed."""
    if plan.members:
        return
    if not plan.errors:
        raise InvalidParameter(
            "The batch input yields no task: its video source groups have no sources.",
            param="batch_input",
        )
    reasons = "; ".join(plan.errors[:ERRORS_SHOWN])
    if len(plan.errors) > ERRORS_SHOWN:
        reasons += f"; and {len(plan.errors) - ERRORS_SHOWN} more"
    raise InvalidParameter(
        f"The batch input yields no task, every item failed: {reasons}.", param="batch_input"
    )


async def resolve(session: AsyncSession, project_id: str, batch_input: BatchInput) -> BatchPlan:
    check_rois(batch_input)
    entries = batch_input.video_source_group
    wanted_groups = {g.video_source_group_id for g in entries}
    groups = VideoGroupRepository(session)
    known_groups = await groups.existing_ids(project_id, list(wanted_groups))
    membership: set[tuple[str, str]] = set()
    by_group: dict[str, list[str]] = {gid: [] for gid in known_groups}
    if known_groups:
        for group_id, source_id in await groups.memberships(known_groups):
            membership.add((group_id, source_id))
            by_group[group_id].append(source_id)
    listed = {s.video_source_id for g in entries for s in g.video_source_list}
    known_sources = await VideoSourceRepository(session).existing_ids(project_id, list(listed))

    plan = BatchPlan()
    for entry in entries:
        group_id = entry.video_source_group_id
        if group_id not in known_groups:
            subjects = [f"video source {s.video_source_id}" for s in entry.video_source_list]
            for subject in subjects or ["the group"]:
                plan.errors.append(
                    f"{subject}: video source group {group_id} does not exist in this project"
                )
            continue
        if group_id not in plan.group_ids:
            plan.group_ids.append(group_id)
        items = [(s.video_source_id, s.target_roi) for s in entry.video_source_list] or [
            (source_id, None) for source_id in by_group[group_id]
        ]
        for source_id, roi in items:
            if source_id not in known_sources and (group_id, source_id) not in membership:
                plan.errors.append(f"video source {source_id}: does not exist in this project")
            elif (group_id, source_id) not in membership:
                plan.errors.append(
                    f"video source {source_id}: is not in video source group {group_id}"
                )
            elif source_id in plan.members:
                plan.errors.append(f"video source {source_id}: listed more than once")
            else:
                plan.members[source_id] = Member(group_id, source_id, roi or None)
    require_members(plan)
    return plan
