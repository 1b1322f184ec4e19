"""``openvias worker`` on its own: it refuses SQLite, its probes follow the database, it
leaves cleanly on SIGTERM; and the fair-share arithmetic of ``engine/assignment.py``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from openvias.engine.assignment import claim_limit, fair_share, should_hand_over
from openvias.engine.local import EngineTimings
from openvias.settings import Settings
from openvias.store.repositories.workers import PoolLoad
from tests.support import _pg, database, free_port, stop_process


def test_a_worker_given_sqlite_refuses_with_one_line_naming_postgresql(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENVIAS_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "openvias", "worker", "--data-dir", str(tmp_path)],
        env={**env, "OPENVIAS_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "PostgreSQL" in lines[0]
    assert "OPENVIAS_DATABASE_URL" in lines[0]


def _status(port: int, path: str) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code
    except httpx.HTTPError:
        return None


def _wait(check: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_readyz_follows_the_database_and_sigterm_ends_the_worker(tmp_path: Path) -> None:
    with database("postgresql", tmp_path) as url:
        port = free_port()
        env = {**os.environ, "OPENVIAS_DATA_DIR": str(tmp_path), "OPENVIAS_DATABASE_URL": url}
        log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(
            [sys.executable, "-m", "openvias", "worker", "--health-port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait(lambda: _status(port, "/readyz") == 200)
            assert _status(port, "/healthz") == 200
            assert _status(port, "/nothing") == 404
            # The database goes away (dropped under the worker): not ready, still alive.
            name = url.rsplit("/", 1)[1]
            asyncio.run(_pg(f'DROP DATABASE "{name}" WITH (FORCE)'))
            _wait(lambda: _status(port, "/readyz") == 503)
            assert _status(port, "/healthz") == 200
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0
        finally:
            stop_process(worker)
            log.close()


@pytest.mark.parametrize(
    ("load", "mine", "my_free", "limit"),
    [
        (PoolLoad(live_workers=2, slots=8, held=0, wanted=4), 0, 4, 2),  # half each
        (PoolLoad(live_workers=2, slots=8, held=2, wanted=4), 2, 2, 0),  # has its share
        (PoolLoad(live_workers=2, slots=8, held=4, wanted=5), 2, 2, 1),  # rounds up
        (PoolLoad(live_workers=2, slots=8, held=6, wanted=9), 2, 2, 2),  # others are full
        (PoolLoad(live_workers=1, slots=4, held=0, wanted=9), 0, 4, 4),  # alone: its slots
    ],
)
def test_a_worker_claims_its_fair_share_while_others_have_room(
    load: PoolLoad, mine: int, my_free: int, limit: int
) -> None:
    assert claim_limit(load, mine, my_free) == limit


def test_only_a_worker_above_its_share_by_more_than_one_hands_over() -> None:
    joined = PoolLoad(live_workers=2, slots=8, held=4, wanted=4)  # 4 on one, 0 on the new one
    assert fair_share(joined) == 2
    assert should_hand_over(joined, mine=4, my_free=0)
    assert not should_hand_over(joined, mine=3, my_free=1)  # within one: left alone
    alone = PoolLoad(live_workers=1, slots=4, held=4, wanted=4)
    assert not should_hand_over(alone, mine=4, my_free=0)


def test_the_reconcile_tick_comes_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENVIAS_ENGINE_TICK_SECONDS", "0.5")
    timings = EngineTimings.from_settings(Settings(data_dir=tmp_path))
    assert timings.tick == 0.5
    monkeypatch.setenv("OPENVIAS_ENGINE_TICK_SECONDS", "0")
    with pytest.raises(ValueError, match="engine_tick_seconds"):
        Settings(data_dir=tmp_path)
