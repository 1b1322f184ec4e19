"""How deep the delivery outbox is, read at most every few seconds: ``/metrics`` may be
scraped often, by several Prometheus servers, and the answer need not be fresher."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.clock import now_ms
from openvias.store.db import transaction
from openvias.store.repositories.deliveries import OutboxDepth, outbox_depth


class OutboxGauge:
    def __init__(self, max_age_seconds: float = 5.0) -> None:
        self.max_age = max_age_seconds
        self._reading: OutboxDepth | None = None
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def read(self, sessionmaker: async_sessionmaker[AsyncSession]) -> OutboxDepth:
        async with self._lock:  # concurrent scrapes share one query
            if self._reading is None or time.monotonic() - self._read_at > self.max_age:
                async with transaction(sessionmaker) as session:
                    self._reading = await outbox_depth(session, now_ms())
                self._read_at = time.monotonic()
            return self._reading

    @staticmethod
    def oldest_due_age_seconds(reading: OutboxDepth) -> float:
        if reading.oldest_due_at is None:
            return 0.0
        return max(0, now_ms() - reading.oldest_due_at) / 1000
