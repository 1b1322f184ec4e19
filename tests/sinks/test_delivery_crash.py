"""At-least-once across a crash: 1,000 alarms with webhook deliveries, a slow receiver,
``openvias serve`` killed with SIGKILL while deliveries are in flight and started again:
every alarm arrives, none is lost; duplicates (same ``message_id``) are counted."""

from __future__ import annotations

import time
from collections import Counter

from tests.sinks.delivery_support import alarms, new_task_id, seed, wait_deliveries, webhook
from tests.sinks.receiver import Receiver, running_receiver
from tests.support import Server, running_server

ALARMS = 1000
RECEIVER_DELAY = 0.02  # seconds per request


def test_sigkill_while_delivering_loses_nothing(backend: str) -> None:
    with (
        running_receiver() as receiver,
        running_server(backend, OPENVIAS_ALLOW_PRIVATE_TARGETS="true") as server,
    ):
        crash_and_recover(backend, receiver, server)  # running_server stops the restarted one


def crash_and_recover(backend: str, receiver: Receiver, server: Server) -> None:
    task = new_task_id()
    path = f"/crash/{task}"
    items = alarms(server, task, ALARMS)
    expected = {a.message_id for a in items}
    t0 = time.monotonic()
    seed(server, items, webhook(receiver.script(path, delay=RECEIVER_DELAY)))
    seeded = time.monotonic() - t0

    # Kill once a good share is through but most is still to go.
    receiver.wait(lambda got: len(got) >= 150, path, timeout=60)
    server.process.kill()  # SIGKILL: no shutdown of any kind
    server.process.wait()
    killed_at = len(receiver.received(path))
    t0 = time.monotonic()
    server.restart()  # it is gone already: this starts it again
    restart = time.monotonic() - t0
    assert killed_at < ALARMS, "everything was delivered before the kill"

    started = time.monotonic()
    got = receiver.wait(lambda got: expected <= {r.message_id for r in got}, path, 180)
    recovery = time.monotonic() - started
    counts = Counter(r.message_id for r in got)
    assert set(counts) == expected  # none lost, nothing foreign
    body = wait_deliveries(
        server, lambda b: b["summary"]["delivered"] == ALARMS, 60, task_id=task, limit=1
    )
    assert body["summary"]["pending"] == body["summary"]["dead"] == 0
    duplicates = sum(counts.values()) - ALARMS
    print(
        f"\n[{backend}] crash test: {ALARMS} alarms (seeded in {seeded:.1f} s), "
        f"{killed_at} received before SIGKILL, restarted in {restart:.1f} s, all received "
        f"{recovery:.1f} s after, {duplicates} duplicates "
        f"(at most {max(counts.values())} copies of one alarm)"
    )
    assert duplicates < ALARMS  # duplicates are only the deliveries the kill interrupted
