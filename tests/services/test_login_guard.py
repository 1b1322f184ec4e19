"""Argon2 verification runs in worker threads, at most so many at once: a login beyond the
limit is refused at once (429) instead of waiting without bound."""

from __future__ import annotations

import asyncio

import pytest
from argon2 import PasswordHasher

from openvias.errors import TooManyRequests
from openvias.services.login_guard import LoginGuard
from openvias.settings import Settings

#: Far slower than the default parameters, so a check is surely still running meanwhile.
SLOW_HASH = PasswordHasher(time_cost=6, memory_cost=65536, parallelism=1).hash("right-password")


async def test_checks_run_off_the_loop_and_beyond_the_limit_are_refused() -> None:
    guard = LoginGuard(Settings(login_concurrency=1, login_queue=1))
    try:
        first = asyncio.create_task(guard.verify(SLOW_HASH, "right-password"))
        waiting = asyncio.create_task(guard.verify(SLOW_HASH, "wrong-password"))
        await asyncio.sleep(0)
        # the loop runs on while both are under way: they are not computed on it
        assert not first.done()
        assert not waiting.done()
        with pytest.raises(TooManyRequests) as refused:
            await guard.verify(SLOW_HASH, "right-password")
        assert refused.value.status_code == 429
        assert refused.value.retry_after == 1
        assert await first is True
        assert await waiting is False
        # once they are done, a new check is taken
        assert await guard.verify(SLOW_HASH, "right-password") is True
        assert await guard.verify(None, "any-password") is False  # an unknown user
    finally:
        guard.close()
