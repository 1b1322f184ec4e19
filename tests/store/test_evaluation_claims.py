"""Claims of evaluation jobs on real SQLite and PostgreSQL: one engine at a time, taken
over only after the lease expires, a stale engine writes nothing, and a job whose engines
keep dying ends FAILED."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openvias.domain.ids import new_hex_id
from openvias.store.db import transaction
from openvias.store.models import Evaluation
from openvias.store.repositories.evaluations import MAX_CLAIMS, EvaluationClaims
from tests.db_support import ensure_project, migrated

TTL = 15_000
T0 = 1_800_000_000_000
PROJECT = "0" * 31 + "2"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with migrated(database_url) as (_, maker):
        await ensure_project(maker, PROJECT, "evaluation-claims")
        yield maker


async def new_job(maker: async_sessionmaker[AsyncSession], created_at: int = T0) -> str:
    job_id = new_hex_id()
    async with transaction(maker) as session:
        session.add(
            Evaluation(
                id=job_id,
                project_id=PROJECT,
                service_name="c-smoke-and-fire-cloud",
                config={},
                goal="recall>=0.9",
                dataset={"type": "file", "path": "/nowhere"},
                state="WAITING",
                created_at=created_at,
            )
        )
    return job_id


async def claim(maker: async_sessionmaker[AsyncSession], owner: str, now: int) -> str | None:
    async with transaction(maker) as session:
        job = await EvaluationClaims(session, owner).claim_next(now, TTL)
        return None if job is None else job.id


async def state_of(maker: async_sessionmaker[AsyncSession], job_id: str) -> Evaluation:
    async with transaction(maker) as session:
        job = await session.get(Evaluation, job_id)
        assert job is not None
        return job


async def test_one_engine_holds_a_job_until_its_lease_expires(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # given a waiting job and an older one another test left aside
    first, second = await new_job(sessions, T0), await new_job(sessions, T0 + 1)
    # when engine a claims, it gets the oldest; engine b gets the next, then nothing
    assert await claim(sessions, "a", T0) == first
    assert await claim(sessions, "b", T0) == second
    assert await claim(sessions, "c", T0 + TTL - 1) is None
    # a renews and keeps its job; b's lapses and c takes it over
    async with transaction(sessions) as session:
        assert await EvaluationClaims(session, "a").renew(first, 1, T0 + 5_000, TTL, 2, 4)
    assert await claim(sessions, "c", T0 + TTL + 1) == second
    taken = await state_of(sessions, second)
    assert (taken.owner, taken.epoch, taken.state) == ("c", 2, "RUNNING")
    # b (paused, its lease gone) writes nothing: no renewal, no result
    async with transaction(sessions) as session:
        stale = EvaluationClaims(session, "b")
        assert not await stale.renew(second, 1, T0 + TTL + 2, TTL, 4, 4)
        assert not await stale.finish(
            second, 1, T0 + TTL + 2, state="SUCCEEDED", reason=None, report={"x": 1}
        )
    assert (await state_of(sessions, second)).report is None
    # c finishes it; a finished job is never claimed again
    async with transaction(sessions) as session:
        assert await EvaluationClaims(session, "c").finish(
            second, 2, T0 + TTL + 3, state="SUCCEEDED", reason=None, report={"ok": True}
        )
    done = await state_of(sessions, second)
    assert (done.state, done.report, done.owner) == ("SUCCEEDED", {"ok": True}, None)
    assert await claim(sessions, "d", T0 + 10 * TTL) == first  # a's lease lapsed meanwhile
    assert await claim(sessions, "e", T0 + 10 * TTL) is None


async def test_a_released_job_is_taken_at_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    job = await new_job(sessions, T0 - 10)
    assert await claim(sessions, "a", T0) == job
    async with transaction(sessions) as session:
        await EvaluationClaims(session, "a").release(job, 1)
    assert await claim(sessions, "b", T0 + 1) == job


async def test_a_job_whose_engines_keep_dying_ends_failed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    job = await new_job(sessions, T0 - 20)
    now = T0
    for attempt in range(MAX_CLAIMS):
        assert await claim(sessions, f"engine-{attempt}", now) == job
        now += TTL + 1  # the engine dies: its lease expires
    assert await claim(sessions, "last", now) is None
    failed = await state_of(sessions, job)
    assert failed.state == "FAILED"
    assert failed.reason == f"the engine stopped {MAX_CLAIMS} times while evaluating"
