"""Aborting a blocked FFmpeg call (open, read) from another thread.

PyAV exposes FFmpeg's interrupt callback only as its open/read timeout: while a container
call runs, FFmpeg polls the callback about every 100 ms (network waits, HLS reloads) and
PyAV answers "abort" once ``time.monotonic() - start > timeout``, reading the clock through
the ``time`` global of ``av.container.core``. PyAV has no other way to wake a read stuck on
a silent camera, and closing the container from another thread would free it under the
reader's feet. So :func:`install` replaces that global by :class:`_InterruptibleClock`,
which answers the real clock except on threads marked with :func:`abort`, where every call
jumps a thousand years ahead: the pending call then fails with ``av.error.ExitError``
within one poll. Only containers opened with a timeout have the callback; ``MediaReader``
always passes one for network sources.

If a PyAV release stops reading the clock this way, :func:`install` returns False and a
``close()`` from another thread takes effect at the next packet or after ``read_timeout``
(``tests/engine`` checks the 2 s promise on every run).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from types import ModuleType
from typing import Final

import av.container.core as pyav_container

log = logging.getLogger(__name__)

_JUMP_S: Final = 3.2e10  # a thousand years: more than any timeout


class _InterruptibleClock:
    """A stand-in for the ``time`` module that runs away on aborted threads."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real
        self._real_monotonic = real.monotonic
        self._aborted: set[int] = set()
        self._jumps = itertools.count(1)

    def monotonic(self) -> float:
        # PyAV reads it before every packet of every container: the usual case is short.
        now: float = self._real_monotonic()
        if self._aborted and threading.get_ident() in self._aborted:
            # Strictly increasing per call, so a timeout restarted after the abort is
            # overdue again at FFmpeg's next check.
            return now + _JUMP_S * next(self._jumps)
        return now

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def abort(self, thread_id: int) -> None:
        self._aborted.add(thread_id)

    def clear(self, thread_id: int) -> None:
        self._aborted.discard(thread_id)


_install_lock = threading.Lock()
_clock: _InterruptibleClock | None = None


def install() -> bool:
    """Puts the interruptible clock into PyAV (once); False when PyAV no longer uses it."""
    global _clock
    with _install_lock:
        if _clock is not None:
            return True
        current = getattr(pyav_container, "time", None)
        if isinstance(current, _InterruptibleClock):
            _clock = current
            return True
        if current is not time:
            log.warning("PyAV reads no clock we can interrupt; close() will wait for a timeout")
            return False
        _clock = _InterruptibleClock(time)
        setattr(pyav_container, "time", _clock)  # noqa: B010 (no such name in PyAV's stubs)
        return True


def abort(thread_id: int) -> None:
    """Makes the FFmpeg call that ``thread_id`` is in (or enters next) fail promptly."""
    if _clock is not None:
        _clock.abort(thread_id)


def clear(thread_id: int) -> None:
    """Ends :func:`abort`: FFmpeg calls on ``thread_id`` time out normally again."""
    if _clock is not None:
        _clock.clear(thread_id)
