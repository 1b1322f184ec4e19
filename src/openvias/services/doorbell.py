"""In-process wake-up calls between background services of one server process.

The database stays the source of truth (every loop also polls it, so another process's
writes are seen within its poll period); a ring only saves the wait, e.g. the engine rings
``DELIVERIES`` after storing an alarm so that the delivery worker sends it at once.
"""

from __future__ import annotations

import asyncio
import contextlib

DELIVERIES = "deliveries"

_bells: dict[str, asyncio.Event] = {}


def _bell(name: str) -> asyncio.Event:
    bell = _bells.get(name)
    if bell is None:
        bell = _bells[name] = asyncio.Event()
    return bell


def ring(name: str) -> None:
    """Wake whoever waits on ``name`` (call from the event loop's thread)."""
    _bell(name).set()


async def wait(name: str, seconds: float) -> bool:
    """Wait until ``name`` rings or ``seconds`` pass; True when it rang."""
    bell = _bell(name)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(bell.wait(), seconds)
    rang = bell.is_set()
    bell.clear()
    return rang
