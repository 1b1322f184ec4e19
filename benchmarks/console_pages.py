"""Console page speed: the server time of the API calls each console page makes when it
loads, with 10,000 sources, 10,000 tasks and 100,000 events stored.

    .venv/bin/python benchmarks/console_pages.py [--backend sqlite|postgresql|both] [--runs 20]

A real ``openvias serve`` on loopback per backend (one uvicorn worker, engine off). Set-up,
not measured: 100 groups x 100 sources through CreateVideoGroup/CreateVideoSource
(concurrent keep-alive requests, ``benchmarks/batch_tasks.py``), one CreateBatchTask over
all of them (10,000 tasks), then 100,000 alarms written in bulk through the store's models
(``alarm_events`` with their JPEG in ``alarm_images``, spread over the 10,000 tasks and the
last 30 days; 10 % aggregated into a primary; 70 % not reviewed, 20 % approved, 10 %
rejected) and one webhook delivery each (95 % delivered, 4 % dead, 1 % retrying, with their
attempts).

Each page's calls are the URLs its JavaScript requests on load (``src/openvias/web/console/
js/pages/*.js``), with the same query parameters. Every call is made ``--runs`` times
(after 2 warm-ups), one at a time over a keep-alive connection; the time is the request's
round trip on loopback, i.e. the server's time plus well under a millisecond. An ignored
query parameter makes every URL new, so the read cache of ``api/fast_reads.py`` never
answers: these are first-load figures. A page's figure is the sum of its calls' times (the
browser sends them concurrently; one worker process answers them in turn), judged against
< 300 ms at p95. Calls made per card of a list (an alarm's picture, its task's name) are
listed on their own, each judged against the same 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
from sqlalchemy import func, insert, select, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.batch_tasks import GROUPS, PER_GROUP, URL_CONFIG, create_body  # noqa: E402
from tests.support import Server, running_server  # noqa: E402

from openvias.domain.alarms import alarm_message_id  # noqa: E402
from openvias.store.db import create_engine, create_sessionmaker, transaction  # noqa: E402
from openvias.store.models import AlarmEvent, AlarmImage, Delivery, DeliveryAttempt  # noqa: E402

EVENTS = int(os.environ.get("CONSOLE_BENCH_EVENTS", "100000"))
CHUNK = 5_000
DAYS = 30
SERVICE = "c-smoke-and-fire-cloud"
TARGET_MS = 300.0
WARMUP = 2
EVENT_PAGE = 24  # js/pages/events.js PAGE_SIZE
DELIVERY_PAGE = 20  # js/pages/deliveries.js PAGE_SIZE
WEBHOOK = {"url": "https://alarms.example.com/hook", "headers": {"X-Site": "bench"}}


@dataclass
class Seeded:
    """What the pages' URLs need: ids that exist."""

    task_ids: list[str]
    source_ids: list[str]
    group_id: str
    batch_id: str
    event_ids: list[str]
    primary_id: str
    dead_delivery_event: str


@dataclass
class Measured:
    page: str
    call: str
    times_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1)]


def small_jpeg() -> bytes:
    image = np.full((180, 320, 3), 50, dtype=np.uint8)
    cv2.rectangle(image, (120, 60), (200, 120), (0, 90, 255), -1)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return bytes(encoded.tobytes())


def alarm_rows(
    server: Server, n: int, task_id: str, source_id: str, created: int, rng: random.Random
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The n-th alarm's row, its webhook delivery and the delivery's attempts: 95 %
    delivered at once, 4 % dead after 12 attempts, 1 % retrying after 3."""
    review = rng.random()
    event = {
        "id": alarm_message_id(task_id, 1, n * 1000),
        "project_id": server.project_id,
        "task_id": task_id,
        "batch_id": None,
        "video_source_id": source_id,
        "stream_id": source_id,
        "service_name": SERVICE,
        "event_type": 393216,
        "timestamp": created // 1000,
        "media_ms": n * 1000,
        "run": 1,
        "data": {
            "event_set": [{"state": 1, "bounding_box": {"x": 120, "y": 60, "w": 80, "h": 60}}]
        },
        "created_at": created,
        "review_state": "pending" if review < 0.7 else "approved" if review < 0.9 else "rejected",
        "primary_id": None,
        "aggregated_count": 1,
    }
    fate = rng.random()
    state = "delivered" if fate < 0.95 else "dead" if fate < 0.99 else "pending"
    tries = 1 if state == "delivered" else 12 if state == "dead" else 3
    failure = "HTTP 503: Service Unavailable"
    delivery = {
        "id": n + 1,
        "event_id": event["id"],
        "project_id": server.project_id,
        "task_id": task_id,
        "sink": "webhook",
        "target": WEBHOOK,
        "state": state,
        "attempts": tries,
        "next_attempt_at": created + 3_600_000,
        "locked_until": 0,
        "last_error": None if state == "delivered" else failure,
        # the start of the latest failed attempt, as the delivery worker records it
        "last_failed_at": None if state == "delivered" else created + tries * 1000,
        "created_at": created,
        "delivered_at": created + 40 if state == "delivered" else None,
    }
    attempts = []
    for attempt in range(1, tries + 1):
        if state == "delivered":
            outcome = "delivered"
        else:
            outcome = "dead" if attempt == tries and state == "dead" else "retry"
        attempts.append(
            {
                "delivery_id": n + 1,
                "attempt": attempt,
                "started_at": created + attempt * 1000,
                "duration_ms": 30,
                "outcome": outcome,
                "status_code": 200 if outcome == "delivered" else 503,
                "detail": "HTTP 200" if outcome == "delivered" else failure,
                "worker": "bench",
            }
        )
    return event, delivery, attempts


async def store_events(server: Server, task_ids: list[str], sources: dict[str, str]) -> list[str]:
    """EVENTS alarms with images and one webhook delivery each, over the last DAYS days, in
    bulk through the store's models (CHUNK rows per INSERT, one transaction per chunk). The
    alarms of every tenth task after its first are aggregated into that first one."""
    rng = random.Random(7)
    jpeg = small_jpeg()
    now_ms = int(time.time() * 1000)
    start_ms = now_ms - DAYS * 86_400_000
    step = (now_ms - start_ms) // EVENTS
    engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
    sessionmaker = create_sessionmaker(engine)
    ids: list[str] = []
    primary_of: dict[str, str] = {}
    try:
        for first in range(0, EVENTS, CHUNK):
            events, deliveries, attempts = [], [], []
            for n in range(first, min(first + CHUNK, EVENTS)):
                task_id = task_ids[n % len(task_ids)]
                created = start_ms + n * step
                event, delivery, tried = alarm_rows(
                    server, n, task_id, sources[task_id], created, rng
                )
                if n % 10 == 9 and task_id in primary_of:
                    event["primary_id"] = primary_of[task_id]
                else:
                    primary_of[task_id] = event["id"]
                events.append(event)
                deliveries.append(delivery)
                attempts.extend(tried)
                ids.append(event["id"])
            async with transaction(sessionmaker) as session:
                await session.execute(insert(AlarmEvent), events)
                images = [{"event_id": e["id"], "jpeg": jpeg} for e in events]
                await session.execute(insert(AlarmImage), images)
                await session.execute(insert(Delivery), deliveries)
                await session.execute(insert(DeliveryAttempt), attempts)
            print(f"  events stored: {first + len(events):,}", end="\r", flush=True)
        # The primaries' counts, as insert_alarm keeps them.
        async with transaction(sessionmaker) as session:
            counts = await session.execute(
                select(AlarmEvent.primary_id, func.count())
                .where(AlarmEvent.primary_id.is_not(None))
                .group_by(AlarmEvent.primary_id)
            )
            for primary_id, count in counts.all():
                await session.execute(
                    update(AlarmEvent)
                    .where(AlarmEvent.id == primary_id)
                    .values(aggregated_count=count + 1)
                )
    finally:
        await engine.dispose()
    print()
    return ids


async def post_all(server: Server, path: str, bodies: list[dict[str, Any]]) -> list[Any]:
    """POST every body over 8 keep-alive connections; a 503 (SQLite busy while other work
    shares the machine) is retried after a pause."""
    results: list[Any] = [None] * len(bodies)
    queue = iter(range(len(bodies)))
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"X-Auth-Token": server.token}, timeout=120
    ) as client:

        async def worker() -> None:
            for i in queue:
                for pause in (0.2, 0.5, 1, 2, 4, 8, 0):
                    response = await client.post(path, json=bodies[i])
                    if response.status_code != 503 or not pause:
                        break
                    await asyncio.sleep(pause)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"POST {path}: HTTP {response.status_code}: {response.text[:300]}"
                    )
                results[i] = response.json()

        await asyncio.gather(*(worker() for _ in range(8)))
    return results


async def sources_in_groups(server: Server) -> list[tuple[str, list[str]]]:
    """GROUPS groups of PER_GROUP sources each, as benchmarks/batch_tasks.py makes them."""
    base = f"/v2/{server.project_id}"
    groups = [
        {"access_type": "cloud", "video_group_name": f"bench-g{g:03d}"} for g in range(GROUPS)
    ]
    group_ids = [r["video_group_id"] for r in await post_all(server, f"{base}/video-group", groups)]
    sources = [
        {
            "access_type": "cloud",
            "type": "url",
            "type_config": URL_CONFIG.format(n=n),
            "video_source_name": f"bench-s{n:05d}",
            "video_group_ids": [group_ids[n // PER_GROUP]],
        }
        for n in range(GROUPS * PER_GROUP)
    ]
    source_ids = [r["video_source_id"] for r in await post_all(server, f"{base}/source", sources)]
    return [
        (gid, source_ids[g * PER_GROUP : (g + 1) * PER_GROUP]) for g, gid in enumerate(group_ids)
    ]


def seed(server: Server, client: httpx.Client) -> Seeded:
    started = time.monotonic()
    groups = asyncio.run(sources_in_groups(server))
    print(f"  10,000 sources in 100 groups: {time.monotonic() - started:.0f} s", flush=True)
    started = time.monotonic()
    response = client.post(
        f"/v2/{server.project_id}/batch-tasks", json=create_body("console-bench", groups)
    )
    assert response.status_code == 200, response.text[:500]
    batch_id = response.json()["id"]
    print(f"  10,000 tasks (one batch task): {time.monotonic() - started:.0f} s", flush=True)
    # Every task of the batch task is on one source, named in ListTasks.
    all_sources = [s for _, group in groups for s in group]
    sources: dict[str, str] = {}
    page = 1
    while True:
        listed = client.get(
            f"/v2/{server.project_id}/tasks", params={"page": page, "page_size": 1000}
        ).json()
        for task in listed["tasks"]:
            sources[task["id"]] = all_sources[
                int(task["video_source_name"].removeprefix("bench-s"))
            ]
        if len(listed["tasks"]) < 1000:
            break
        page += 1
    task_ids = sorted(sources)
    started = time.monotonic()
    event_ids = asyncio.run(store_events(server, task_ids, sources))
    print(f"  100,000 events and deliveries: {time.monotonic() - started:.0f} s", flush=True)
    primary = client.get(f"/v2/{server.project_id}/events", params={"limit": 100}).json()["events"]
    primary_id = max(primary, key=lambda e: e["aggregated_count"])["message_id"]
    dead = client.get(
        f"/v2/{server.project_id}/deliveries", params={"state": "dead", "limit": 1}
    ).json()["deliveries"][0]["event_id"]
    return Seeded(task_ids, all_sources, groups[0][0], batch_id, event_ids, primary_id, dead)


#: (page, call name, path relative to /v2/{project_id}/, query) for every page's load calls,
#: as the page's JavaScript sends them.
Call = tuple[str, str, str, dict[str, Any]]
PAGED = {"is_paged": "true", "page_num": 1}


def c(page: str, name: str, path: str, /, **query: Any) -> Call:
    return (page, name, path, query)


def event_pages(s: Seeded) -> list[Call]:
    """js/pages/events.js, event-detail.js and deliveries.js."""
    now = int(time.time())
    task, source = s.task_ids[5], s.source_ids[5]
    services = c("", "ListUserServices (service filter)", "algorithm/services/user")
    return [
        # The grid: ListEvents (also its poll, every 4 s) and the service filter's choices.
        c("Event Center", "ListEvents", "events", offset=0, limit=EVENT_PAGE),
        ("Event Center", *services[1:]),
        c("Event Center, not reviewed, 7 days", "ListEvents", "events", offset=0,
          limit=EVENT_PAGE, review_state="pending", start_time=now - 7 * 86400, end_time=now),
        ("Event Center, not reviewed, 7 days", *services[1:]),
        c("Event Center, page 100", "ListEvents", "events", offset=99 * EVENT_PAGE,
          limit=EVENT_PAGE),
        ("Event Center, page 100", *services[1:]),
        c("Event Center, one task", "ListEvents", "events", offset=0, limit=EVENT_PAGE,
          task_id=task),
        c("Event Center, one task", "ShowTaskInfo (the filter's name)", f"tasks/{task}"),
        ("Event Center, one task", *services[1:]),
        c("Event Center, one source", "ListEvents", "events", offset=0, limit=EVENT_PAGE,
          video_source_id=source),
        c("Event Center, one source", "ShowVideoSource (the filter's name)",
          f"source/sources/{source}"),
        ("Event Center, one source", *services[1:]),
        # Per card, as it scrolls into view; names are looked up once per task and source.
        c("per alarm card", "ShowEventImage (picture)",
          f"events/{s.event_ids[len(s.event_ids) // 2]}/image", max_side=480),
        c("per alarm card", "ShowTaskInfo (name, render switch)", f"tasks/{s.task_ids[7]}"),
        c("per alarm card", "ShowVideoSource (name)", f"source/sources/{s.source_ids[7]}"),
        # The detail of an aggregated alarm opened from the grid's 100th place.
        c("Event detail", "ShowEvent", f"events/{s.primary_id}"),
        c("Event detail", "ShowEventImage", f"events/{s.primary_id}/image"),
        c("Event detail", "ListEvents (previous, next)", "events", offset=99, limit=3),
        c("Event detail", "ListDeliveries of the alarm", "deliveries", event_id=s.primary_id,
          limit=50),
        c("Event detail", "ListSecondaryEvents", f"events/{s.primary_id}/secondary", offset=0,
          limit=10),
        c("Event detail", "ShowTaskInfo", f"tasks/{s.task_ids[3]}"),
        c("Event detail", "ShowVideoSource", f"source/sources/{s.source_ids[3]}"),
        # Deliveries: the page (its summary: the chosen kind in every state) and the newest
        # 100 for the per-target table.
        c("Deliveries", "ListDeliveries (page)", "deliveries", offset=0, limit=DELIVERY_PAGE),
        c("Deliveries", "ListDeliveries (newest 100)", "deliveries", limit=100),
        c("Deliveries, dead webhooks", "ListDeliveries (page)", "deliveries", state="dead",
          sink="webhook", offset=0, limit=DELIVERY_PAGE),
        c("Deliveries, dead webhooks", "ListDeliveries (newest 100)", "deliveries", sink="webhook",
          limit=100),
    ]  # fmt: skip


def other_pages(s: Seeded) -> list[Call]:
    """The other areas' pages, with the calls their modules make on load (read from
    js/pages/overview.js, video-*.js, batch-tasks.js, tasks.js, algorithms.js)."""
    return [
        c("Overview", "ShowOverview", "overview", tz="Europe/Berlin"),
        c("Overview", "ListStreams", "streams", limit=100),
        c("Video sources", "ListVideoSources", "source/sources", **PAGED, page_size=20,
          sort_name="create_at", order_by="desc"),
        c("Video sources", "ListVideoGroups (filter)", "video-group/groups", **PAGED,
          page_size=200),
        c("Video sources, page 500", "ListVideoSources", "source/sources", is_paged="true",
          page_num=500, page_size=20, sort_name="create_at", order_by="desc"),
        c("Video sources, page 500", "ListVideoGroups (filter)", "video-group/groups", **PAGED,
          page_size=200),
        c("Video source detail", "ShowVideoSource", f"source/sources/{s.source_ids[9]}"),
        c("Video groups", "ListVideoGroups", "video-group/groups", **PAGED, page_size=20,
          sort_name="create_at", order_by="desc"),
        c("Video group detail", "ShowVideoGroup", f"video-group/{s.group_id}"),
        c("Video group detail", "ListVideoSources (members)", "source/sources",
          video_group_id=s.group_id, **PAGED, page_size=10),
        c("Batch tasks", "ListBatchTasks", "batch-tasks", page_num=1, page_size=20),
        c("Tasks", "ListTasks", "tasks", page=1, page_size=20),
        c("Tasks", "ListEvents task_id (per row)", "events", task_id=s.task_ids[11], limit=1),
        c("Tasks, page 500", "ListTasks", "tasks", page=500, page_size=20),
        c("Algorithm Center", "ListUserServices", "algorithm/services/user", order_by="asc",
          sort_name="created_at"),
    ]  # fmt: skip


def measure(server: Server, calls: list[Call], runs: int) -> list[Measured]:
    results: list[Measured] = []
    base = f"/v2/{server.project_id}/"
    with httpx.Client(
        base_url=server.base_url, headers={"X-Auth-Token": server.token}, timeout=60
    ) as client:
        for page, name, path, query in calls:
            measured = Measured(page, name)
            for run in range(WARMUP + runs):
                # An ignored parameter: every URL is new to the read cache.
                params = {**query, "bench_run": f"{time.monotonic_ns()}-{run}"}
                started = time.perf_counter()
                response = client.get(base + path, params=params)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(
                        f"{page} {name}: HTTP {response.status_code} {response.text[:300]}"
                    )
                if run >= WARMUP:
                    measured.times_ms.append(elapsed)
            results.append(measured)
            print(f"  {page}: {name}: median {measured.median:.1f} ms", flush=True)
    return results


def print_table(backend: str, results: list[Measured], out: Callable[[str], None] = print) -> None:
    out(f"\n### {backend}\n")
    out("| page | call | median ms | p95 ms |")
    out("|---|---|---|---|")
    for r in results:
        out(f"| {r.page} | {r.call} | {r.median:.1f} | {r.p95:.1f} |")
    out("\n| page | calls | sum of medians ms | sum of p95 ms | < 300 ms |")
    out("|---|---|---|---|---|")
    pages: dict[str, list[Measured]] = {}
    for r in results:
        pages.setdefault(r.page, []).append(r)
    for page, rows in pages.items():
        median = sum(r.median for r in rows)
        p95 = sum(r.p95 for r in rows)
        worst = max(r.p95 for r in rows)
        # Per-card calls are judged one by one; a page by the sum of its calls.
        judged = worst if page.startswith("per ") else p95
        verdict = "PASS" if judged < TARGET_MS else "MISS"
        out(f"| {page} | {len(rows)} | {median:.1f} | {p95:.1f} | {verdict} |")


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def run_backend(backend: str, runs: int) -> list[Measured]:
    print(f"\n== {backend} ==", flush=True)
    print(f"  load average at start: {load_average()} on {os.cpu_count()} CPUs")
    with running_server(backend) as server, server.client() as client:
        client.timeout = httpx.Timeout(600)
        seeded = seed(server, client)
        if backend == "postgresql":
            asyncio.run(vacuum_analyze(server))
        results = measure(server, [*event_pages(seeded), *other_pages(seeded)], runs)
    print(f"  load average at end: {load_average()}")
    return results


async def vacuum_analyze(server: Server) -> None:
    """What autovacuum would have done after a bulk load (the test cluster runs without)."""
    import asyncpg

    dsn = server.env["OPENVIAS_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        print_table(backend, run_backend(backend, args.runs))


if __name__ == "__main__":
    main()
