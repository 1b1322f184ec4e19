"""Duties of ``openvias serve`` that one process runs at a time: the leader's.

With several API replicas on PostgreSQL, the replica holding the leader's lock
(``store/leader_lock.py``) runs the scheduler and the token purge; the others only answer
requests. Every check interval each replica confirms or tries the lock; a replica that loses
it (its lock connection failed) stops its duties, and another one takes the lock as soon as
PostgreSQL has ended the old session (at once when the old leader exited). On SQLite there is
one process and the duties always run.

The duties stay idempotent (conditional updates, deletes of what is expired), so the short
overlap possible at a handover (the old leader notices the loss at its next check) changes
nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from openvias.store.leader_lock import LeaderLock

log = logging.getLogger(__name__)

#: How often a replica confirms (or tries) the leader's lock.
CHECK_SECONDS = 1.0
#: A check that takes longer than this counts as a lost connection.
CHECK_TIMEOUT_SECONDS = 5.0


class Duty(Protocol):
    async def run(self) -> None: ...

    async def shutdown(self) -> None: ...


class _AppResources(Protocol):
    @property
    def engine(self) -> AsyncEngine: ...


App = TypeVar("App", bound=_AppResources)


class LeaderDuties:
    """Runs ``duties`` (built anew each time leadership is gained) while this process
    leads; ``lock`` None means it always leads (SQLite)."""

    def __init__(
        self,
        lock: LeaderLock | None,
        duties: Sequence[Callable[[], Duty]],
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.lock = lock
        self.duties = duties
        self.check_seconds = check_seconds
        self._stopping = asyncio.Event()
        self._running: list[tuple[Duty, asyncio.Task[None]]] = []

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                leading = await self._leads()
                if leading and not self._running:
                    self._start()
                elif not leading and self._running:
                    log.warning("this replica no longer leads: its duties stop")
                    await self._stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.check_seconds)
        finally:
            await self._stop()
            if self.lock is not None:
                await self.lock.release()

    async def shutdown(self) -> None:
        self._stopping.set()

    async def _leads(self) -> bool:
        if self.lock is None:
            return True
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                return await self.lock.hold()
        except TimeoutError:
            log.warning("checking the leader's lock took over %.0f s", CHECK_TIMEOUT_SECONDS)
            await self.lock.release()
            return False

    def _start(self) -> None:
        duties = [build() for build in self.duties]
        if self.lock is not None:
            names = ", ".join(type(duty).__name__ for duty in duties)
            log.info("this replica leads: it runs %s", names)
        self._running = [(duty, asyncio.create_task(duty.run())) for duty in duties]

    async def _stop(self) -> None:
        running, self._running = self._running, []
        for duty, _ in running:
            await duty.shutdown()
        for _, task in running:
            try:
                await asyncio.wait_for(task, CHECK_TIMEOUT_SECONDS)
            except TimeoutError:
                log.warning("a duty did not stop in time; cancelled")
            except Exception:
                log.exception("a duty failed")


def leader_only(*factories: Callable[[App], Duty]) -> Callable[[App], LeaderDuties]:
    """A background service of ``openvias serve`` running ``factories``' services in the
    leader only (every process on SQLite, which has one)."""

    def build(app: App) -> LeaderDuties:
        lock = LeaderLock(app.engine) if app.engine.dialect.name == "postgresql" else None
        return LeaderDuties(lock, [functools.partial(factory, app) for factory in factories])

    return build
