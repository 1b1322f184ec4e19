"""Helpers of the event center tests: alarms stored the way the engine stores them
(``insert_alarm`` on the server's own database), a fresh project per scenario, the wire
form of a stored event."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import cv2
import httpx
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.alarms import Alarm, alarm_message_id
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.models import AlarmImage, Delivery
from openvias.store.repositories.alarm_events import insert_alarm
from tests.support import Server

T = TypeVar("T")

T0 = 1_700_000_000  # alarm times, epoch seconds
CREATED = 1_700_000_000_000  # storage times, epoch ms
SMOKE, INTRUSION = "c-smoke-and-fire-cloud", "c-intrusiondetection-edge"
SOURCE = "b664d367-3bf4-4d94-969f-b877d8c5d9ae"
EXTRA_KEYS = [
    "batch_id",
    "video_source_id",
    "service_name",
    "created_at",
    "primary_id",
    "aggregated_count",
    "review_state",
    "review_comment",
    "reviewed_by",
    "reviewed_at",
]
#: The fields an event has before any review or aggregation.
FRESH = {
    "primary_id": None,
    "aggregated_count": 1,
    "review_state": "pending",
    "review_comment": "",
    "reviewed_by": None,
    "reviewed_at": None,
}


def jpeg(shade: int = 40) -> bytes:
    image = np.full((48, 64, 3), shade, dtype=np.uint8)
    cv2.rectangle(image, (8, 8), (40, 30), (0, 0, 255), -1)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return encoded.tobytes()


def alarm(project_id: str, task_id: str, media_ms: int, **changes: Any) -> Alarm:
    fields: dict[str, Any] = {
        "message_id": alarm_message_id(task_id, 1, media_ms),
        "project_id": project_id,
        "task_id": task_id,
        "batch_id": None,
        "video_source_id": SOURCE,
        "stream_id": SOURCE,
        "service_name": SMOKE,
        "event_type": 393216,
        "timestamp": T0 + media_ms // 1000,
        "media_ms": media_ms,
        "run": 1,
        "event_set": [{"state": 1, "bounding_box": {"x": 8, "y": 8, "w": 33, "h": 23}}],
        "jpeg": jpeg(media_ms % 200),
        **changes,
    }
    return Alarm(**fields)


def on_db(server: Server, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the server's database."""

    async def run() -> T:
        engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def seed(server: Server, *alarms: tuple[Alarm, int]) -> list[bool]:
    """Store (alarm, created_at ms) pairs in one transaction on the server's database."""

    async def store(session: AsyncSession) -> list[bool]:
        return [await insert_alarm(session, a, created) for a, created in alarms]

    return on_db(server, store)


def stored_rows(server: Server, event_ids: list[str]) -> tuple[int, int]:
    """(images, deliveries) stored for these events."""

    async def count(session: AsyncSession) -> tuple[int, int]:
        images = await session.scalar(
            select(func.count()).where(AlarmImage.event_id.in_(event_ids))
        )
        deliveries = await session.scalar(
            select(func.count()).where(Delivery.event_id.in_(event_ids))
        )
        return int(images or 0), int(deliveries or 0)

    return on_db(server, count)


def wire(a: Alarm, created_at: int, *, image: bool, **changes: Any) -> dict[str, Any]:
    """The event as the API shows it: envelope, openvias fields (``changes`` replace the
    aggregation and review fields of a fresh event)."""
    return {
        **a.envelope(include_image=image),
        "batch_id": a.batch_id,
        "video_source_id": a.video_source_id,
        "service_name": a.service_name,
        "created_at": created_at,
        **FRESH,
        **changes,
    }


@dataclass
class Events:
    """The event routes of one project."""

    server: Server

    @property
    def base(self) -> str:
        return f"/v2/{self.server.project_id}/events"

    def call(self, method: str, path: str = "", **kwargs: Any) -> httpx.Response:
        with self.server.client() as client:
            return client.request(method, f"{self.base}{path}", **kwargs)

    def get(self, path: str = "", **params: Any) -> Any:
        response = self.call("GET", path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def ids(self, path: str = "", **params: Any) -> list[str]:
        return [event["message_id"] for event in self.get(path, **params)["events"]]

    def put(self, path: str, body: Any) -> Any:
        response = self.call("PUT", path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def rules(self, enabled: bool, minutes: int | None = None) -> Any:
        body: dict[str, Any] = {"aggregation_enabled": enabled}
        if minutes is not None:
            body["aggregation_minutes"] = minutes
        return self.put("/rules", body)

    def delete(self, event_id: str) -> None:
        response = self.call("DELETE", f"/{event_id}")
        assert response.status_code == 200, response.text
        assert response.json() == "true"
