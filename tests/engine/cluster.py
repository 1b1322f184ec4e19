"""Distributed mode from tests: ``openvias worker`` processes beside an API-only server, and
a look straight into the shared PostgreSQL database (who holds which lease)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import Server, free_port, stop_process

#: Short timings so that a test sees a dead worker's leases expire within seconds.
FAST_LEASES = {"OPENVIAS_HEARTBEAT_SECONDS": "0.5", "OPENVIAS_LEASE_TTL_SECONDS": "3"}


async def _query(url: str, statement: str, *args: Any) -> list[dict[str, Any]]:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [dict(row) for row in await connection.fetch(statement, *args)]
    finally:
        await connection.close()


def sql(server: Server, statement: str, *args: Any) -> list[dict[str, Any]]:
    """Run one statement on the server's database; its rows as dicts."""
    return asyncio.run(_query(server.env["OPENVIAS_DATABASE_URL"], statement, *args))


def owners(server: Server, task_ids: list[str]) -> dict[str, tuple[str | None, int]]:
    """task id -> (lease owner while unexpired, epoch)."""
    rows = sql(
        server,
        "SELECT task_id, owner, epoch, expires_at >= "
        "(extract(epoch FROM clock_timestamp()) * 1000) AS live "
        "FROM stream_leases WHERE task_id = ANY($1::text[])",
        task_ids,
    )
    return {r["task_id"]: (r["owner"] if r["live"] else None, r["epoch"]) for r in rows}


@dataclass
class Worker:
    node_id: str
    pool: str
    process: subprocess.Popen[bytes]
    log_path: Path
    health_port: int
    paused: bool = field(default=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.health_port}/readyz"
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)


@contextmanager
def workers_of(server: Server) -> Iterator[Any]:
    """A function that starts ``openvias worker`` processes against ``server``'s database;
    every one is stopped at the end (thawed first if paused)."""
    started: list[Worker] = []

    def start(node_id: str, *, pool: str = "default", slots: int = 4) -> Worker:
        data_dir = server.data_dir / f"worker-{node_id}"
        data_dir.mkdir(exist_ok=True)
        log_path = data_dir / "worker.log"
        port = free_port()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "openvias", "worker", "--pool", pool),
                    *("--slots", str(slots), "--node-id", node_id),
                    *("--data-dir", str(data_dir), "--health-port", str(port)),
                ],
                env=server.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(node_id, pool, process, log_path, port)
        started.append(worker)
        deadline = time.monotonic() + 60
        while not worker.ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {node_id} did not start:\n{worker.log()}")
            time.sleep(0.1)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            if worker.process.poll() is None:
                worker.signal(signal.SIGCONT)
            stop_process(worker.process, timeout=15)
