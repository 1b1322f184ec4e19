"""The console end to end in Chromium, against a real ``openvias serve`` whose engine
analyses a real fire clip from the shared evaluation set (``../shared/data``, internal
material read in place; the module is skipped when it is absent).

Desktop, the whole flow through the console's forms: sign in; a file source on the clip
(Video Center form), a group with it; a batch task through the wizard, its ROI drawn with the
mouse on the snapshot, a schedule painted in the grid around the current time, a webhook
to a receiver on loopback that the test runs, and the Event Center; start it; the fire alarm
appears in the Event Center without a reload, with its picture; approve it; its webhook
delivery shows as delivered on the Deliveries page; the batch task's name and sources are
edited through the wizard and the API shows what the console saved; a user of another
project sees none of it. Phone: sign in, the alarm of a batch task made through the API
appears in the Event Center, its detail, approve."""

from __future__ import annotations

import csv
import datetime
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.api.identity_support import create_tenant
from tests.sinks.test_end_to_end import Receiver
from tests.support import REPO
from tests.web.conftest import Account, ConsoleServer, OpenConsole, Shoot
from tests.web.console_support import call, go, roi_canvas_box, unique
from tests.web.test_console_tasks import drag_slots, labelled, members, next_step

DATA = REPO.parent / "shared" / "data"
SMOKE = "c-smoke-and-fire-cloud"
#: The ROI drawn on the snapshot, as fractions of the picture: nearly the whole frame.
ROI = [(0.03, 0.03), (0.97, 0.03), (0.97, 0.97), (0.03, 0.97)]
#: The engine decodes and analyses the clip on a machine shared with other work.
ALARM_TIMEOUT_MS = 120_000

pytestmark = pytest.mark.skipif(
    not (DATA / "labels.csv").exists(),
    reason=f"the shared fire evaluation data is not at {DATA} (internal material, not in the "
    "repository): the end-to-end console test needs one of its fire clips",
)

CONSOLE_SERVER_ENV = {
    "OPENVIAS_ENGINE_SLOTS": "2",
    "OPENVIAS_FILE_ROOTS": str(DATA),
    # The webhook receiver is on loopback.
    "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
}


def fire_clip() -> Path:
    """The shortest video of the set labelled with fire."""
    with open(DATA / "labels.csv", newline="") as labels:
        rows = [
            row
            for row in csv.DictReader(labels)
            if row["kind"] == "video" and "fire" in row["label"].split("+")
        ]
    shortest = min(rows, key=lambda row: float(row["duration_s"]))
    return DATA / shortest["file"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def draw_roi(page: Page) -> None:
    box = roi_canvas_box(page)
    for fx, fy in [*ROI, ROI[0]]:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def paint_the_coming_hour(page: Page) -> tuple[int, str, str]:
    """Paints the 15-minute slots (UTC) from the current one on, up to an hour or midnight;
    returns the weekday (1 = Monday) and the window's begin and end as the API shows them."""
    now = datetime.datetime.now(datetime.UTC)
    first = now.hour * 4 + now.minute // 15
    last = min(95, first + 4)
    drag_slots(page, now.weekday(), first, last)

    def clock(slot: int) -> str:
        return "00:00:00" if slot == 96 else f"{slot // 4:02d}:{slot % 4 * 15:02d}:00"

    return now.isoweekday(), clock(first), clock(last + 1)


def wait_for_alarm_card(page: Page) -> None:
    """The first alarm appears in the Event Center opened by watch_events, without a reload
    (the marker set on the page's window survives only if the document is not loaded
    again), announced, with its picture."""
    cards = page.get_by_role("list", name="Alarms").get_by_role("listitem")
    expect(cards.first).to_be_visible(timeout=ALARM_TIMEOUT_MS)
    assert page.evaluate("window.__stillTheSamePage === true")
    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"\d+ new alarms?$"))
    ).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.ev-card img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=30_000,
    )


def open_first_alarm_and_approve(page: Page, console: ConsoleServer, comment: str) -> str:
    page.get_by_role("list", name="Alarms").get_by_role("listitem").first.get_by_role(
        "link"
    ).first.click()
    expect(page.get_by_role("heading", name="VIAS alarm message")).to_be_visible()
    event_id = page.url.split("#/events/")[1].split("?")[0]
    page.wait_for_function(
        "() => { const i = document.querySelector('.ev-detail img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    expect(page.locator(".ev-message")).to_contain_text('"event_type": 393216')
    page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".ev-facts").get_by_text("Approved")).to_be_visible()
    stored = call(console, "GET", f"events/{event_id}")
    assert stored["review_state"] == "approved"
    assert stored["review_comment"] == comment
    assert stored["data"]["event_set"][0]["state"] in (1, 2)
    return event_id


def create_source_in_the_form(page: Page, name: str, clip: Path) -> None:
    go(page, "/video/sources")
    page.get_by_role("link", name="New source").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("radio", name="Video file").check()
    page.get_by_label("File path on the server").fill(str(clip))
    page.get_by_role("button", name="Create source").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def create_group_in_the_form(page: Page, group: str) -> str:
    go(page, "/video/groups")
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Name", exact=True).fill(group)
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name=group, level=1)).to_be_visible()
    return page.url.split("/video/groups/")[1].split("?")[0]


def add_to_group(page: Page, group_id: str, source: str) -> None:
    go(page, f"/video/groups/{group_id}")
    page.get_by_role("button", name="Add sources").click()
    picker = page.locator("#video-picker")
    picker.get_by_label("Search", exact=True).fill(source)
    picker.get_by_role("row").filter(has_text=source).get_by_role("checkbox").check()
    picker.get_by_role("button", name="Add selected (1)").click()
    expect(page.get_by_text("Sources added to the group: 1.")).to_be_visible()


def source_id_named(console: ConsoleServer, name: str) -> str:
    listed = call(console, "GET", "source/sources", params={"scope": name})["video_source_list"]
    (found,) = [s["video_source_id"] for s in listed if s["video_source_name"] == name]
    return str(found)


def file_source_body(name: str, clip: Path) -> dict[str, Any]:
    return {
        "access_type": "cloud",
        "type": "url",
        "video_source_name": name,
        "type_config": f"<type_config><url_address>{clip.as_uri()}</url_address></type_config>",
    }


def watch_events(open_console: OpenConsole, source_id: str) -> Page:
    """A second browser, signed in, with the Event Center open on the source's alarms
    before there are any."""
    watcher = open_console(path=f"#/events?source={source_id}")
    expect(watcher.get_by_text("No alarms match these filters.")).to_be_visible()
    watcher.evaluate("window.__stillTheSamePage = true")
    return watcher


def test_a_fire_alarm_from_a_real_clip_through_the_whole_console(
    console_server: ConsoleServer,
    open_console: OpenConsole,
    receiver: Receiver,
    viewport: str,
    shoot: Shoot,
) -> None:
    if viewport == "phone":
        phone_flow(console_server, open_console, receiver, shoot)
        return
    clip = fire_clip()
    page = open_console()
    source, group, batch = unique("fire-cam"), unique("grp"), unique("fire-watch")

    # Video Center: the source on the clip, and a group holding it
    create_source_in_the_form(page, source, clip)
    source_id = source_id_named(console_server, source)
    group_id = create_group_in_the_form(page, group)
    add_to_group(page, group_id, source)
    watcher = watch_events(open_console, source_id)

    # Task Center: the wizard
    go(page, "/tasks/batch")
    page.get_by_role("link", name="New batch task").click()
    labelled(page, "Name").fill(batch)
    labelled(page, "Algorithm").select_option(SMOKE)
    next_step(page, "Parameters")
    next_step(page, "Groups and sources")
    labelled(page, "Search groups").fill(group)
    page.get_by_role("checkbox", name=re.compile(re.escape(group))).check()
    page.get_by_role("radio", name="Chosen sources").check()
    page.get_by_role("checkbox", name=source).check()
    next_step(page, "Detection area (ROI)")
    draw_roi(page)
    expect(page.get_by_role("button", name=re.compile(r"Polygon 1 · 4 points"))).to_be_visible()
    next_step(page, "Schedule")
    labelled(page, "Run on a weekly schedule").check()
    labelled(page, "Time zone").select_option("UTC")
    weekday, begin, end = paint_the_coming_hour(page)
    next_step(page, "Outputs")
    page.get_by_role("checkbox", name="Webhook").check()
    labelled(page, "Webhook URL").fill(receiver.url)
    labelled(page, "Header 1 name").fill("X-Site")
    labelled(page, "Header 1 value").fill("plant-7")
    page.get_by_role("checkbox", name="Event Center").check()
    next_step(page, "Review and save")
    page.get_by_role("button", name="Create batch task").click()
    expect(page.get_by_role("link", name=batch, exact=True)).to_be_visible()

    listed = call(console_server, "GET", "batch-tasks", params={"page_size": 200})
    (batch_id,) = [b["id"] for b in listed["batch_task_list"] if b["batch_task_name"] == batch]
    (task,) = members(console_server, batch_id).values()
    assert task["input"]["data"][0]["video_source_id"] == source_id
    assert task["schedule"]["timezone"] == "UTC"
    assert task["schedule"]["days_of_week"] == [weekday]
    assert task["schedule"]["periods"] == [[{"begin_at": begin, "end_at": end}]]
    assert task["output"]["event_center"] is True
    assert task["output"]["webhook"] == {"url": receiver.url, "headers": {"X-Site": "plant-7"}}
    assert task["config"]["common"]["target_roi"].startswith('{"polygons":[{"data":[[')

    # A created batch task is queued at once: stop it and start it from the list
    page.get_by_role("button", name=f"Stop {batch}").click()
    expect(page.get_by_text("Stop: done for 1.")).to_be_visible()
    # A running task is STOPPING until its engine lets go; only then may it start again.
    deadline = time.monotonic() + 60
    while call(console_server, "GET", f"tasks/{task['id']}")["state"] != "STOPPED":
        assert time.monotonic() < deadline, "the task did not stop"
        time.sleep(0.2)
    page.get_by_role("button", name=f"Start {batch}").click()
    expect(page.get_by_text("Start: done for 1.")).to_be_visible()
    shoot(page, "e2e-batch-started")

    # The fire alarm appears in the open Event Center; its detail; approve it
    wait_for_alarm_card(watcher)
    shoot(watcher, "e2e-events")
    event_id = open_first_alarm_and_approve(watcher, console_server, "flames seen on site")
    shoot(watcher, "e2e-event-detail")

    # Its webhook delivery: at the receiver, and delivered on the Deliveries page
    go(page, "/deliveries?sink=webhook&state=delivered")
    delivery_rows = page.get_by_role("row").filter(has_text=receiver.url)
    expect(delivery_rows.filter(has_text="Delivered").first).to_be_visible(timeout=60_000)
    assert event_id.upper() in receiver.message_ids()
    delivered = call(console_server, "GET", "deliveries", params={"event_id": event_id})
    assert [d["state"] for d in delivered["deliveries"]] == ["delivered"]
    shoot(page, "e2e-deliveries")

    # Edit the batch task through the wizard: its name, and a second source of the group
    second = unique("fire-cam2")
    second_id = call(console_server, "POST", "source", json=file_source_body(second, clip))[
        "video_source_id"
    ]
    add_to_group(page, group_id, second)
    renamed = unique("fire-watch-renamed")
    go(page, f"/tasks/batch/{batch_id}/edit")
    name_field = labelled(page, "Name")
    expect(name_field).to_have_value(batch)
    name_field.fill(renamed)
    page.get_by_role("button", name="Groups and sources").click()
    expect(page.get_by_text(f"1 chosen: {source}")).to_be_visible()
    page.get_by_role("checkbox", name=second).check()
    page.get_by_role("button", name="Review and save").click()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("link", name=renamed, exact=True)).to_be_visible()
    shoot(page, "e2e-batch-edited")
    listed = call(console_server, "GET", "batch-tasks", params={"page_size": 200})
    assert [b["batch_task_name"] for b in listed["batch_task_list"] if b["id"] == batch_id] == [
        renamed
    ]
    after = members(console_server, batch_id)
    assert set(after) == {source_id, second_id}
    assert (
        after[source_id]["config"]["common"]["target_roi"] == task["config"]["common"]["target_roi"]
    )
    assert after[source_id]["schedule"] == task["schedule"]

    # A user of another project sees none of it
    tenant = create_tenant(console_server.server)
    other = open_console(Account(tenant.user, tenant.password, tenant.domain, tenant.project))
    go(other, "/events")
    expect(other.get_by_text("No alarms match these filters.")).to_be_visible()
    go(other, "/deliveries")
    expect(other.get_by_role("heading", name="Deliveries", level=1)).to_be_visible()
    expect(other.get_by_text("No deliveries match.").first).to_be_visible()
    expect(other.get_by_text(receiver.url)).to_have_count(0)
    go(other, "/tasks/batch")
    expect(other.get_by_role("heading", name="Batch tasks", level=1)).to_be_visible()
    expect(other.get_by_text(renamed)).to_have_count(0)
    go(other, "/video/sources")
    expect(other.get_by_role("heading", name="Video sources", level=1)).to_be_visible()
    expect(other.get_by_text(source)).to_have_count(0)
    shoot(other, "e2e-other-project")


def phone_flow(
    console_server: ConsoleServer, open_console: OpenConsole, receiver: Receiver, shoot: Shoot
) -> None:
    """At phone size, with the data made through the API: sign in, the alarm appears in the
    Event Center without a reload, its detail, approve."""
    clip = fire_clip()
    source_id = call(
        console_server, "POST", "source", json=file_source_body(unique("phone-cam"), clip)
    )["video_source_id"]
    group = {"access_type": "cloud", "video_group_name": unique("pgrp"), "description": "",
             "video_source_ids": [source_id]}  # fmt: skip
    group_id = call(console_server, "POST", "video-group", json=group)["video_group_id"]
    watcher = watch_events(open_console, source_id)
    listed = [{"video_source_id": source_id}]
    call(
        console_server,
        "POST",
        "batch-tasks",
        json={
            "name": unique("phone-watch"),
            "service_name": SMOKE,
            "service_version": "3.0",
            "batch_input": {
                "video_source_group": [
                    {"video_source_group_id": group_id, "video_source_list": listed}
                ]
            },
            "config": {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1}},
            "output": {
                "event_center": True,
                "webhook": {"url": receiver.url, "headers": {"a": "b"}},
            },
        },
    )
    wait_for_alarm_card(watcher)
    shoot(watcher, "e2e-events")
    open_first_alarm_and_approve(watcher, console_server, "seen from the phone")
    shoot(watcher, "e2e-event-detail")
