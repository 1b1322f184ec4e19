"""The Event Center and Deliveries pages in Chromium, at both viewports, against a real
``openvias serve``: alarms are stored the way the engine stores them (``insert_alarm`` and
``enqueue_deliveries``) for real tasks created through the API."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np
from playwright.sync_api import Page, expect

from openvias.domain.alarms import Alarm, alarm_message_id
from tests.api.task_center import task_body, task_center
from tests.sinks.delivery_support import deliveries, seed
from tests.web.conftest import ConsoleServer, OpenConsole, Shoot

PICTURE_SIZE = (640, 360)
FIRE_BOX = {"x": 200, "y": 120, "w": 160, "h": 90}


def picture() -> bytes:
    width, height = PICTURE_SIZE
    image = np.full((height, width, 3), 60, dtype=np.uint8)
    box = FIRE_BOX
    cv2.rectangle(
        image, (box["x"], box["y"]), (box["x"] + box["w"], box["y"] + box["h"]), (0, 90, 255), -1
    )
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return bytes(encoded.tobytes())


def make_task(console: ConsoleServer, **common: int) -> tuple[str, str]:
    """A source and a task on it (not started: the server has no engine slots)."""
    with task_center(console.server) as tc:
        source = tc.vc.create_source()
        config = {"common": {"fire_detection_sw": 1, **common}}
        (task_id,) = tc.create_ids(task_body([source], config=config))
    return source, task_id


def alarm(console: ConsoleServer, source: str, task_id: str, n: int) -> Alarm:
    return Alarm(
        message_id=alarm_message_id(task_id, 1, 1000 * n),
        project_id=console.project_id,
        task_id=task_id,
        batch_id=None,
        video_source_id=source,
        stream_id=source,
        service_name="c-smoke-and-fire-cloud",
        event_type=393216,
        timestamp=int(time.time()) - 600 + n,
        media_ms=1000 * n,
        run=1,
        event_set=[{"state": 1, "bounding_box": FIRE_BOX}],
        jpeg=picture(),
    )


def store(console: ConsoleServer, items: Sequence[Alarm], output: dict[str, Any]) -> None:
    """Stores the alarms as the engine does; in a thread of its own, as Playwright's sync API
    keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(seed, console.server, items, output).result()


def alarm_cards(page: Page) -> Any:
    return page.get_by_role("list", name="Alarms").get_by_role("listitem")


def open_filters(page: Page) -> None:
    """The filters fold away on a phone."""
    if not page.locator("details.ev-filter-box").evaluate("box => box.open"):
        page.locator("details.ev-filter-box > summary").click()


def event(console: ConsoleServer, event_id: str) -> dict[str, Any]:
    response = console.api.get(console.path(f"events/{event_id}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_alarms_show_with_their_boxes_filters_survive_a_reload_and_new_ones_appear(
    console_server: ConsoleServer, open_console: OpenConsole, shoot: Shoot
) -> None:
    # given two alarms of a task whose pictures carry no boxes (render_result_sw off)
    source, task_id = make_task(console_server)
    store(console_server, [alarm(console_server, source, task_id, n) for n in (1, 2)], {})
    page = open_console(path=f"#/events?task={task_id}")
    # then both show, newest first, with the picture (scaled down on the server to 480 px,
    # not ShowEvent's Base64) and the fire box drawn over it in the stored picture's pixels
    cards = alarm_cards(page)
    expect(cards).to_have_count(2)
    first = cards.first
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ev-card img')].every(i => i.naturalWidth === 480)"
    )
    box = first.get_by_test_id("alarm-boxes").locator("rect")
    expect(box).to_have_count(1)
    expect(first.get_by_test_id("alarm-boxes")).to_have_attribute("viewBox", "0 0 640 360")
    expect(box).to_have_attribute("x", str(FIRE_BOX["x"]))
    expect(box).to_have_attribute("width", str(FIRE_BOX["w"]))
    assert page.locator(".ev-card img").first.get_attribute("loading") == "lazy"
    # when the page is reloaded the task filter stays (URL), showing the task's name
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.reload()
    expect(alarm_cards(page)).to_have_count(2)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ev-card img')].every(i => i.naturalWidth === 480)"
    )
    # (each card asked for its picture alone, never for ShowEvent's Base64)
    assert sum("/image?max_side=480" in url for url in fetched) == 2, fetched
    assert not any(re.search(r"/events/[0-9A-Fa-f-]{36}$", url) for url in fetched), fetched
    name = console_server.api.get(console_server.path(f"tasks/{task_id}")).json()["name"]
    expect(page.get_by_label("Task")).to_have_value(name)
    # when the source is chosen by typing its name instead of the task
    source_name = console_server.api.get(console_server.path(f"source/sources/{source}")).json()[
        "video_source_name"
    ]
    open_filters(page)
    page.get_by_role("button", name="Clear filters").click()
    expect(page).not_to_have_url(re.compile("task="))
    page.get_by_label("Video source").fill(source_name)
    expect(page).to_have_url(re.compile(f"source={source}"))
    expect(alarm_cards(page)).to_have_count(2)
    # when the engine stores another alarm, it appears without a reload, announced politely
    store(console_server, [alarm(console_server, source, task_id, 3)], {})
    expect(page.get_by_role("status").filter(has_text="1 new alarm")).to_be_visible()
    expect(alarm_cards(page)).to_have_count(3)
    shoot(page, "events")


def test_pictures_that_carry_their_boxes_get_none_drawn_over(
    console_server: ConsoleServer, open_console: OpenConsole
) -> None:
    # given a task that draws the boxes into its alarm pictures (render_result_sw on)
    source, task_id = make_task(console_server, render_result_sw=1)
    store(console_server, [alarm(console_server, source, task_id, 1)], {})
    page = open_console(path=f"#/events?task={task_id}")
    expect(alarm_cards(page)).to_have_count(1)
    page.wait_for_function("() => document.querySelector('.ev-card img')?.naturalWidth === 480")
    # then the console draws no second box over them
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("alarm-boxes")).to_have_count(0)


def test_bulk_approve_and_the_review_filter(
    console_server: ConsoleServer, open_console: OpenConsole, shoot: Shoot
) -> None:
    source, task_id = make_task(console_server)
    items = [alarm(console_server, source, task_id, n) for n in (1, 2, 3)]
    store(console_server, items, {})
    page = open_console(path=f"#/events?task={task_id}")
    expect(alarm_cards(page)).to_have_count(3)
    # when every alarm of the page is selected and approved
    page.get_by_label("Select all on this page").check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    shoot(page, "events-selected")
    page.get_by_role("button", name="Approve selected").click()
    # then the API has them approved, and the review filter (in the URL) finds them
    expect(page.get_by_text("3 selected")).to_have_count(0)
    for item in items:
        assert event(console_server, item.message_id)["review_state"] == "approved"
    open_filters(page)
    page.get_by_label("Review state").select_option("pending")
    expect(page.get_by_text("No alarms match these filters.")).to_be_visible()
    assert "review=pending" in page.url
    page.get_by_label("Review state").select_option("approved")
    expect(alarm_cards(page)).to_have_count(3)
    # the detail walks the filtered list: next, next, then back
    alarm_cards(page).first.get_by_role("link").first.click()
    seen = [page.url.split("#/events/")[1].split("?")[0]]
    for _ in range(2):
        page.get_by_role("link", name="Next alarm").click()
        expect(page).not_to_have_url(re.compile(f"/events/{seen[-1]}"))
        seen.append(page.url.split("#/events/")[1].split("?")[0])
    assert sorted(seen) == sorted(item.message_id for item in items)
    assert "review=approved" in page.url
    expect(page.get_by_role("link", name="Previous alarm")).to_be_visible()
    expect(page.get_by_role("link", name="Next alarm")).to_have_count(0)
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile(f"/events/{seen[1]}"))


def test_detail_review_deliveries_and_retry_of_a_dead_delivery(
    console_server: ConsoleServer, open_console: OpenConsole, shoot: Shoot
) -> None:
    # given an alarm whose webhook target is refused for good (a loopback address, not
    # allowed by this server), so its delivery is dead
    source, task_id = make_task(console_server)
    item = alarm(console_server, source, task_id, 1)
    output = {"webhook": {"url": "http://127.0.0.1:9/alarms", "headers": {"X-Test": "yes"}}}
    store(console_server, [item], output)
    deadline = time.monotonic() + 20
    while deliveries(console_server.server, event_id=item.message_id)["summary"]["dead"] != 1:
        assert time.monotonic() < deadline, "the delivery never died"
        time.sleep(0.2)
    page = open_console(path=f"#/events?task={task_id}")
    alarm_cards(page).first.get_by_role("link").first.click()
    # then the detail shows the full picture, the VIAS message, and the delivery is dead
    page.wait_for_function(
        "() => document.querySelector('.ev-detail-picture img')?.naturalWidth === 640"
    )
    expect(page.get_by_role("heading", name="VIAS alarm message")).to_be_visible()
    expect(page.locator(".ev-message")).to_contain_text(item.message_id)
    expect(page.locator(".ev-message")).to_contain_text('"event_type": 393216')
    deliveries_table = page.locator("section", has=page.get_by_role("heading", name="Deliveries"))
    expect(deliveries_table.get_by_text("Dead")).to_be_visible()
    # when it is approved with a comment
    page.get_by_label("Comment").fill("real fire, crew sent")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".ev-facts").get_by_text("Approved")).to_be_visible()
    stored = event(console_server, item.message_id)
    assert (stored["review_state"], stored["review_comment"]) == (
        "approved",
        "real fire, crew sent",
    )
    assert stored["reviewed_by"] == "admin"
    shoot(page, "event-detail")
    # when the dead delivery is retried from the Deliveries page
    page.goto(page.url.split("#")[0] + "#/deliveries?state=dead")
    dead = deliveries(console_server.server, event_id=item.message_id)["deliveries"][0]
    expect(page.get_by_role("button", name=f"Retry delivery {dead['id']}")).to_be_visible()
    shoot(page, "deliveries")
    page.get_by_role("button", name=f"Retry delivery {dead['id']}").click()
    # then it was attempted again (and died again: the target is still refused)
    deadline = time.monotonic() + 20
    while (
        len(deliveries(console_server.server, event_id=item.message_id)["deliveries"][0]["history"])
        < 2
    ):
        assert time.monotonic() < deadline, "the retry was not attempted"
        time.sleep(0.2)


def test_an_aggregated_alarm_shows_its_count_and_opens_its_secondaries(
    console_server: ConsoleServer, open_console: OpenConsole
) -> None:
    rules = {"aggregation_enabled": True, "aggregation_minutes": 10}
    assert (
        console_server.api.put(console_server.path("events/rules"), json=rules).status_code == 200
    )
    try:
        source, task_id = make_task(console_server)
        store(console_server, [alarm(console_server, source, task_id, n) for n in (1, 2, 3)], {})
    finally:
        off = {"aggregation_enabled": False}
        assert (
            console_server.api.put(console_server.path("events/rules"), json=off).status_code == 200
        )
    page = open_console(path=f"#/events?task={task_id}")
    expect(alarm_cards(page)).to_have_count(1)
    page.get_by_role("link", name="3 events").click()
    expect(page.get_by_role("heading", name="Aggregated events (2)")).to_be_visible()
    secondaries = page.locator(
        "section", has=page.get_by_role("heading", name="Aggregated events (2)")
    )
    expect(secondaries.locator("tbody tr")).to_have_count(2)
