"""Read-only views of the engine workers for operators: who is registered, what each runs.

The workers themselves are listed by ``workers.py``; their writes (heartbeats, claims) are
there and in ``stream_leases.py``. This module only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import StreamLease, Task


@dataclass(frozen=True, slots=True)
class HeldLease:
    owner: str
    task_id: str
    #: When the owner last claimed or renewed it, and until when it holds it (epoch ms).
    renewed_at: int
    expires_at: int


async def leases_held(
    session: AsyncSession, owners: Sequence[str], project_id: str | None = None
) -> list[HeldLease]:
    """The leases ``owners`` hold (expired ones included: the owner may still be alive),
    of the tasks of ``project_id`` only when given."""
    if not owners:
        return []
    stmt = (
        select(
            StreamLease.owner, StreamLease.task_id, StreamLease.updated_at, StreamLease.expires_at
        )
        .where(StreamLease.owner.in_(list(owners)))
        .order_by(StreamLease.owner, StreamLease.task_id)
    )
    if project_id is not None:
        stmt = stmt.join(Task, Task.id == StreamLease.task_id).where(Task.project_id == project_id)
    rows = await session.execute(stmt)
    return [
        HeldLease(str(owner), task_id, renewed, expires)
        for owner, task_id, renewed, expires in rows
    ]
