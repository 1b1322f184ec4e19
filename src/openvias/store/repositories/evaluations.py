"""Queries over evaluation jobs: the API's pages and the engine's claim, lease and result.

Every engine write after the claim is fenced by ``(id, owner, epoch)``: an engine whose
lease expired and was taken over, or whose job was deleted, changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.store.models import Evaluation

WAITING, RUNNING, SUCCEEDED, FAILED = "WAITING", "RUNNING", "SUCCEEDED", "FAILED"
#: Claims of one job in all; a job whose engines stopped this often with it ends FAILED.
MAX_CLAIMS = 5


class EvaluationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str, evaluation_id: str) -> Evaluation | None:
        return await self.session.scalar(
            select(Evaluation).where(
                Evaluation.project_id == project_id, Evaluation.id == evaluation_id
            )
        )

    async def page(
        self, project_id: str, *, limit: int, offset: int
    ) -> tuple[list[Evaluation], int]:
        """A page of the project's evaluations, newest first, and how many it has."""
        where = Evaluation.project_id == project_id
        total = int(
            await self.session.scalar(select(func.count()).select_from(Evaluation).where(where))
            or 0
        )
        rows = await self.session.scalars(
            select(Evaluation)
            .where(where)
            .order_by(Evaluation.created_at.desc(), Evaluation.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total

    async def delete(self, project_id: str, evaluation_id: str) -> bool:
        result = await self.session.execute(
            delete(Evaluation).where(
                Evaluation.project_id == project_id, Evaluation.id == evaluation_id
            )
        )
        return bool(getattr(result, "rowcount", 0))


class EvaluationClaims:
    """The engine's side: one owner's claims (``owner`` is the engine's node id)."""

    def __init__(self, session: AsyncSession, owner: str) -> None:
        self.session = session
        self.owner = owner

    async def claim_next(self, now: int, ttl_ms: int) -> Evaluation | None:
        """The oldest waiting job, or a running one whose lease expired, now this owner's
        (compare-and-set on its epoch); None when there is none or another engine won."""
        claimable = or_(
            Evaluation.state == WAITING,
            and_(Evaluation.state == RUNNING, Evaluation.lease_expires_at < now),
        )
        candidate = (
            await self.session.execute(
                select(Evaluation.id, Evaluation.epoch)
                .where(claimable)
                .order_by(Evaluation.created_at, Evaluation.id)
                .limit(1)
            )
        ).one_or_none()
        if candidate is None:
            return None
        if candidate.epoch >= MAX_CLAIMS:
            await self.session.execute(
                update(Evaluation)
                .where(Evaluation.id == candidate.id, Evaluation.epoch == candidate.epoch)
                .values(
                    state=FAILED,
                    reason=f"the engine stopped {candidate.epoch} times while evaluating",
                    owner=None,
                    lease_expires_at=None,
                    finished_at=now,
                )
            )
            return None
        result = await self.session.execute(
            update(Evaluation)
            .where(Evaluation.id == candidate.id, Evaluation.epoch == candidate.epoch, claimable)
            .values(
                owner=self.owner,
                epoch=candidate.epoch + 1,
                state=RUNNING,
                lease_expires_at=now + ttl_ms,
                started_at=func.coalesce(Evaluation.started_at, now),
                files_done=0,
            )
        )
        if not getattr(result, "rowcount", 0):
            return None
        return await self.session.get(Evaluation, candidate.id, populate_existing=True)

    def _mine(self, evaluation_id: str, epoch: int) -> Any:
        return and_(
            Evaluation.id == evaluation_id,
            Evaluation.owner == self.owner,
            Evaluation.epoch == epoch,
            Evaluation.state == RUNNING,
        )

    async def renew(
        self, evaluation_id: str, epoch: int, now: int, ttl_ms: int, done: int, total: int
    ) -> bool:
        """Extend the lease and note the progress; False when the job is no longer held."""
        result = await self.session.execute(
            update(Evaluation)
            .where(self._mine(evaluation_id, epoch))
            .values(lease_expires_at=now + ttl_ms, files_done=done, files_total=total)
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(
        self,
        evaluation_id: str,
        epoch: int,
        now: int,
        *,
        state: str,
        reason: str | None,
        report: dict[str, Any] | None,
    ) -> bool:
        result = await self.session.execute(
            update(Evaluation)
            .where(self._mine(evaluation_id, epoch))
            .values(
                state=state,
                reason=reason,
                report=report,
                owner=None,
                lease_expires_at=None,
                finished_at=now,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def release(self, evaluation_id: str, epoch: int) -> None:
        """Give the job back (this engine stops): another engine takes it at once."""
        await self.session.execute(
            update(Evaluation)
            .where(self._mine(evaluation_id, epoch))
            .values(state=WAITING, owner=None, lease_expires_at=None)
        )
