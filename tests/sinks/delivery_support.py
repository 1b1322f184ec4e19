"""Alarms stored the way the engine stores them (``insert_alarm`` and
``enqueue_deliveries`` in one transaction) on a running server's database, and the
delivery API as tests read it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import cv2
import numpy as np

from openvias.domain.alarms import Alarm, alarm_message_id
from openvias.domain.clock import now_ms
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.repositories.alarm_events import insert_alarm
from openvias.store.repositories.deliveries import enqueue_deliveries
from tests.support import Server

_JPEG: bytes | None = None


def jpeg() -> bytes:
    global _JPEG
    if _JPEG is None:
        image = np.full((48, 64, 3), 40, dtype=np.uint8)
        cv2.rectangle(image, (8, 8), (40, 30), (0, 0, 255), -1)
        ok, encoded = cv2.imencode(".jpg", image)
        assert ok
        _JPEG = encoded.tobytes()
    return _JPEG


def new_task_id() -> str:
    return uuid.uuid4().hex


def make_alarm(project_id: str, task_id: str, media_ms: int) -> Alarm:
    return Alarm(
        message_id=alarm_message_id(task_id, 1, media_ms),
        project_id=project_id,
        task_id=task_id,
        batch_id=None,
        video_source_id="b664d367-3bf4-4d94-969f-b877d8c5d9ae",
        stream_id="b664d367-3bf4-4d94-969f-b877d8c5d9ae",
        service_name="c-smoke-and-fire-cloud",
        event_type=393216,
        timestamp=1_700_000_000 + media_ms // 1000,
        media_ms=media_ms,
        run=1,
        event_set=[{"state": 1, "bounding_box": {"x": 8, "y": 8, "w": 33, "h": 23}}],
        jpeg=jpeg(),
    )


def alarms(server: Server, task_id: str, count: int) -> list[Alarm]:
    return [make_alarm(server.project_id, task_id, 1000 * (i + 1)) for i in range(count)]


def webhook(url: str, **headers: str) -> dict[str, Any]:
    """A task output with one webhook."""
    return {"webhook": {"url": url, "headers": headers or {"X-Test": "yes"}}}


def seed(server: Server, items: Sequence[Alarm], output: Mapping[str, Any]) -> None:
    """Store the alarms and their deliveries in one transaction, as the engine does."""

    async def store() -> None:
        engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                for alarm in items:
                    now = now_ms()
                    assert await insert_alarm(session, alarm, now)
                    await enqueue_deliveries(session, alarm, output, now)
        finally:
            await engine.dispose()

    asyncio.run(store())


def deliveries(server: Server, **params: Any) -> dict[str, Any]:
    params.setdefault("limit", 1000)
    with server.client() as client:
        response = client.get(f"/v2/{server.project_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_deliveries(
    server: Server,
    predicate: Callable[[dict[str, Any]], bool],
    timeout: float = 30,
    **params: Any,
) -> dict[str, Any]:
    """Poll the delivery list until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        body = deliveries(server, **params)
        if predicate(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries never got there: {body['summary']}")
        time.sleep(0.1)


def settled(body: Mapping[str, Any]) -> bool:
    """Nothing pending (the page and the summary are read apart: both must say so)."""
    rows = body["deliveries"]
    return (
        bool(rows)
        and body["summary"]["pending"] == 0
        and all(d["state"] != "pending" for d in rows)
    )
