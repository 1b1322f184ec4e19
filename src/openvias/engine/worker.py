"""``openvias worker``: the engine, evaluation jobs and the delivery worker without the API.

A worker joins a pool (``default`` or an edge pool's name), registers in ``engine_workers``
and heartbeats there with its leases (``engine/local.py``). SIGTERM or SIGINT drains it: it
claims nothing more, stops its streams and releases their leases so other workers take them
at once (files at their checkpoint), then returns. A tiny HTTP listener answers
``/healthz`` (the process lives) and ``/readyz`` (the database answers) for probes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from openvias.engine import stream_metrics
from openvias.engine.evaluation_jobs import EvaluationWorker
from openvias.engine.local import LocalEngine
from openvias.settings import Settings
from openvias.sinks.worker import DeliveryWorker
from openvias.store.db import create_engine, create_sessionmaker

log = logging.getLogger(__name__)

_READY_TIMEOUT_S = 2.0


async def run_worker(
    settings: Settings,
    *,
    pool: str,
    node_id: str | None,
    health_host: str,
    health_port: int | None,
) -> None:
    """Run until SIGTERM/SIGINT, then drain and return."""
    database = create_engine(settings.resolved_database_url)
    sessionmaker = create_sessionmaker(database)
    engine = LocalEngine(
        settings, sessionmaker, owner=node_id, pool=pool, hand_over_on_shutdown=True
    )
    stream_metrics.register(
        stream_metrics.EngineCollector(engine.supervisor, settings.engine_slots)
    )
    delivery = DeliveryWorker(settings, sessionmaker)
    evaluations = EvaluationWorker(settings, sessionmaker, engine.owner)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    health = None
    if health_port is not None:
        health = await asyncio.start_server(
            lambda r, w: _answer_probe(r, w, database), health_host, health_port
        )
    services = [
        asyncio.create_task(engine.run()),
        asyncio.create_task(delivery.run()),
        asyncio.create_task(evaluations.run()),
    ]
    log.info(
        "worker %s of pool %s runs up to %d streams", engine.owner, pool, settings.engine_slots
    )
    try:
        await stop.wait()
        log.info("draining: handing streams over")
        await asyncio.gather(engine.shutdown(), delivery.shutdown(), evaluations.shutdown())
    finally:
        for task in services:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if health is not None:
            health.close()
        await database.dispose()
    log.info("worker %s stopped", engine.owner)


async def _answer_probe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, database: AsyncEngine
) -> None:
    try:
        request = await asyncio.wait_for(reader.readline(), _READY_TIMEOUT_S)
        parts = request.decode("latin-1").split()
        path = parts[1] if len(parts) > 1 else ""
        if path == "/healthz":
            status, body = "200 OK", "ok"
        elif path == "/readyz":
            ready = await _database_answers(database)
            status, body = ("200 OK", "ready") if ready else ("503 Service Unavailable", "no db")
        else:
            status, body = "404 Not Found", "not found"
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n{body}".encode()
        )
        await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def _database_answers(database: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(_READY_TIMEOUT_S), database.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
