"""Alarm deliveries (openvias extension): watch them, and send a dead one again."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.clock import now_ms
from openvias.errors import NotFound, WrongState
from openvias.schemas.deliveries import (
    DeliveryAttemptInfo,
    DeliveryInfo,
    DeliveryList,
    DeliverySummary,
)
from openvias.services.rendering import shown
from openvias.store.models import Delivery, DeliveryAttempt
from openvias.store.repositories.delivery_queries import (
    DeliveryFilter,
    attempts_of,
    get_delivery,
    list_deliveries,
    retry_dead,
    summary,
)


class DeliveryService:
    def __init__(self, session: AsyncSession, project_id: str) -> None:
        self.session = session
        self.project_id = project_id

    async def list_page(self, f: DeliveryFilter, *, offset: int, limit: int) -> DeliveryList:
        if f.event_id is not None:
            f = replace(f, event_id=f.event_id.upper())
        rows, total = await list_deliveries(
            self.session, self.project_id, f, offset=offset, limit=limit
        )
        history = await attempts_of(self.session, [row.id for row in rows])
        counted = await summary(self.session, self.project_id, f)
        return DeliveryList(
            total=total,
            summary=DeliverySummary(
                pending=counted.counts["pending"],
                delivered=counted.counts["delivered"],
                dead=counted.counts["dead"],
                last_error=counted.last_error,
                last_error_at=counted.last_error_at,
                last_error_delivery_id=counted.last_error_delivery_id,
            ),
            deliveries=[_info(row, history[row.id]) for row in rows],
        )

    async def show(self, delivery_id: int) -> DeliveryInfo:
        row = await self._get(delivery_id)
        history = await attempts_of(self.session, [row.id])
        return _info(row, history[row.id])

    async def retry(self, delivery_id: int) -> DeliveryInfo:
        """A dead delivery goes back to pending, due now, its attempt count reset."""
        row = await self._get(delivery_id)
        if not await retry_dead(self.session, self.project_id, delivery_id, now_ms()):
            raise WrongState(
                f"Delivery {delivery_id} is {row.state}: only a dead delivery can be retried.",
                param="delivery_id",
            )
        await self.session.refresh(row)
        return await self.show(delivery_id)

    async def _get(self, delivery_id: int) -> Delivery:
        row = await get_delivery(self.session, self.project_id, delivery_id)
        if row is None:
            raise NotFound(f"Delivery {delivery_id} does not exist.", param="delivery_id")
        return row


def _info(row: Delivery, history: list[DeliveryAttempt]) -> DeliveryInfo:
    fields = shown(
        {
            "id": row.id,
            "event_id": row.event_id,
            "task_id": row.task_id,
            "sink": row.sink,
            "target": row.target or {},
            "state": row.state,
            "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at,
            "last_error": row.last_error,
            "created_at": row.created_at,
            "delivered_at": row.delivered_at,
            "history": [
                DeliveryAttemptInfo.model_validate(
                    {
                        "attempt": a.attempt,
                        "started_at": a.started_at,
                        "duration_ms": a.duration_ms,
                        "outcome": a.outcome,
                        "status_code": a.status_code,
                        "detail": a.detail,
                        "worker": a.worker,
                    }
                )
                for a in history
            ],
        },
        what=f"delivery {row.id}",
    )
    return DeliveryInfo.model_validate(fields)
