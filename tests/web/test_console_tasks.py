"""The console's Task Center in a real browser against a real server: the batch-task wizard
(algorithm, generated parameter form, groups and sources, an ROI drawn with the mouse or a
finger on the source's snapshot, a schedule painted in the grid, outputs), editing through
it, bulk start and stop, a refused input shown on its step; desktop and phone."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from openvias.domain.schedules import WeeklySchedule
from tests.api.video_center import URL_CONFIG, source_body
from tests.engine.media_fixtures import write_clip
from tests.web.conftest import ConsoleServer, ConsoleWatch, Shoot
from tests.web.console_support import call, roi_canvas_box, unique

VIDEOS = Path(tempfile.mkdtemp(prefix="openvias-console-tasks-"))
CONSOLE_SERVER_ENV = {"OPENVIAS_FILE_ROOTS": str(VIDEOS)}
SOURCE_WIDTH, SOURCE_HEIGHT = 640, 360
SMOKE = "c-smoke-and-fire-cloud"
#: Corners of the polygon drawn, as fractions of the snapshot shown.
POLYGON = [(0.1, 0.15), (0.6, 0.1), (0.7, 0.75), (0.15, 0.8)]


@pytest.fixture(scope="module")
def clip() -> Iterator[Path]:
    path = write_clip(
        VIDEOS / "scene.mp4", seconds=4, gop=25, width=SOURCE_WIDTH, height=SOURCE_HEIGHT
    )
    yield path
    shutil.rmtree(VIDEOS, ignore_errors=True)


def make_group(console: ConsoleServer, clip: Path, n: int) -> tuple[str, str, list[str]]:
    """A group (name, id) of ``n`` new file sources; their names in order."""
    names = [unique(f"cam{i}") for i in range(n)]
    ids = [
        call(
            console,
            "POST",
            "source",
            json=source_body(
                video_source_name=name, type_config=URL_CONFIG.format(url=clip.as_uri())
            ),
        )["video_source_id"]
        for name in names
    ]
    group_name = unique("grp")  # at most 20 characters
    group = call(
        console,
        "POST",
        "video-group",
        json={
            "access_type": "cloud",
            "video_group_name": group_name,
            "description": "",
            "video_source_ids": ids,
        },
    )
    return group_name, group["video_group_id"], names


def source_ids(console: ConsoleServer, group_id: str) -> dict[str, str]:
    listing = call(console, "GET", "source/sources", params={"video_group_id": group_id})
    return {s["video_source_name"]: s["video_source_id"] for s in listing["video_source_list"]}


def batch_named(console: ConsoleServer, name: str) -> dict[str, Any] | None:
    listing = call(
        console,
        "GET",
        "batch-tasks",
        params={"type_like": "batch_task_name", "name_like": name, "page_size": 200},
    )
    found = [b for b in listing["batch_task_list"] if b["batch_task_name"] == name]
    return found[0] if found else None


def members(console: ConsoleServer, batch_id: str) -> dict[str, dict[str, Any]]:
    """ShowTaskInfo of every member task, by video source id."""
    listing = call(console, "GET", "tasks", params={"batch_id": batch_id, "page_size": 1000})
    shown = [call(console, "GET", f"tasks/{t['id']}") for t in listing["tasks"]]
    return {t["input"]["data"][0]["video_source_id"]: t for t in shown}


def create_batch(
    console: ConsoleServer, group_id: str, sources: list[tuple[str, str | None]]
) -> tuple[str, str]:
    name = unique("batch")
    listed = [
        {"video_source_id": sid, **({"target_roi": roi} if roi else {})} for sid, roi in sources
    ]
    body = {
        "name": name,
        "service_name": SMOKE,
        "service_version": "3.0",
        "batch_input": {
            "video_source_group": [{"video_source_group_id": group_id, "video_source_list": listed}]
        },
        "config": {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 0}},
        "output": {"webhook": {"url": "http://example.com/hook", "headers": {"a": "b"}}},
    }
    return name, call(console, "POST", "batch-tasks", json=body)["id"]


def labelled(page: Page, label: str) -> Any:
    """The control whose label starts with ``label`` (a field's label also holds its hint)."""
    return page.get_by_label(re.compile("^" + re.escape(label)))


def step_heading(page: Page, title: str) -> Any:
    return page.get_by_role("heading", name=re.compile(rf"Step \d of 7: {re.escape(title)}"))


def next_step(page: Page, title: str) -> None:
    page.get_by_role("button", name="Next step").click()
    expect(step_heading(page, title)).to_be_visible()


def draw_polygon(page: Page, viewport: str) -> None:
    """Taps (phone) or clicks (desktop) the corners, then the first corner again to close."""
    box = roi_canvas_box(page)
    for fx, fy in [*POLYGON, POLYGON[0]]:
        x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
        if viewport == "phone":
            page.touchscreen.tap(x, y)
        else:
            page.mouse.click(x, y)


def drag_slots(page: Page, day: int, first: int, last: int) -> None:
    """Drags with the mouse from one 15-minute slot of ``day`` (0 = Monday) to another."""
    start = page.locator(f'[data-day="{day}"][data-slot="{first}"]')
    end = page.locator(f'[data-day="{day}"][data-slot="{last}"]')
    start.scroll_into_view_if_needed()
    a, b = start.bounding_box(), end.bounding_box()
    assert a is not None
    assert b is not None
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=6)
    page.mouse.up()


def near(point: Sequence[float], expected: tuple[float, float]) -> bool:
    """Within 2 source pixels of ``expected`` in both directions."""
    return abs(point[0] - expected[0]) <= 2 and abs(point[1] - expected[1]) <= 2


def assert_roi_drawn(roi: str) -> None:
    """The exact VIAS string of one polygon, its corners where they were drawn (source
    pixels, within 2 px)."""
    document = json.loads(roi)
    assert roi == json.dumps(document, separators=(",", ":"))
    assert list(document) == ["polygons"]
    (polygon,) = document["polygons"]
    assert list(polygon) == ["data"]
    expected = [(fx * SOURCE_WIDTH, fy * SOURCE_HEIGHT) for fx, fy in POLYGON]
    assert len(polygon["data"]) == len(expected)
    for (x, y), (ex, ey) in zip(polygon["data"], expected, strict=True):
        assert isinstance(x, int)
        assert isinstance(y, int)
        assert near((x, y), (ex, ey)), (polygon["data"], expected)


def test_the_wizard_creates_a_batch_task_with_a_drawn_roi_and_a_painted_schedule(
    console_server: ConsoleServer,
    console_page: Page,
    console_watch: ConsoleWatch,
    shoot: Shoot,
    viewport: str,
    clip: Path,
) -> None:
    page = console_page
    console_watch.allow(r"status of 400")  # the refused webhook URL, on purpose
    group_name, group_id, (first, _second) = make_group(console_server, clip, 2)
    name = unique("wiz")

    page.goto(console_server.console_url + "#/tasks/batch")
    page.get_by_role("link", name="New batch task").click()
    expect(step_heading(page, "Name and algorithm")).to_be_visible()
    labelled(page, "Name").fill(name)
    labelled(page, "Algorithm").select_option(SMOKE)
    expect(labelled(page, "Version")).to_have_value("3.0")
    shoot(page, "wizard-1-basics")

    next_step(page, "Parameters")
    interval = labelled(page, "video sampling interval")
    expect(interval).to_have_value("1")  # the schema's default
    interval.fill("3")
    labelled(page, "render result switch").check()
    shoot(page, "wizard-2-parameters")

    next_step(page, "Groups and sources")
    labelled(page, "Search groups").fill(group_name)
    page.get_by_role("checkbox", name=re.compile(re.escape(group_name))).check()
    page.get_by_role("radio", name="Chosen sources").check()
    page.get_by_role("checkbox", name=first).check()
    expect(page.get_by_text(f"1 chosen: {first}")).to_be_visible()
    shoot(page, "wizard-3-sources")

    next_step(page, "Detection area (ROI)")
    expect(page.get_by_text(f"{SOURCE_WIDTH} × {SOURCE_HEIGHT}")).to_be_visible()
    draw_polygon(page, viewport)
    expect(page.get_by_role("button", name=re.compile(r"Polygon 1 · 4 points"))).to_be_visible()
    shoot(page, "wizard-4-roi")

    next_step(page, "Schedule")
    labelled(page, "Run on a weekly schedule").check()
    labelled(page, "Time zone").select_option("+08:00")
    drag_slots(page, 0, 32, 39)  # Monday 08:00-10:00
    drag_slots(page, 2, 88, 95)  # Wednesday 22:00-24:00
    friday_noon = page.locator('[data-day="4"][data-slot="48"]')
    friday_noon.focus()
    page.keyboard.press("Space")  # Friday 12:00-12:15
    page.keyboard.press("Shift+" + ("ArrowDown" if viewport == "phone" else "ArrowRight"))
    expect(page.get_by_text("4.5 hours a week")).to_be_visible()
    shoot(page, "wizard-5-schedule")

    next_step(page, "Outputs")
    page.get_by_role("checkbox", name="Webhook").check()
    labelled(page, "Webhook URL").fill("not a url")
    labelled(page, "Header 1 name").fill("X-Token")
    labelled(page, "Header 1 value").fill("secret-1")
    shoot(page, "wizard-6-outputs")

    next_step(page, "Review and save")
    shoot(page, "wizard-7-review")
    page.get_by_role("button", name="Create batch task").click()
    # Refused by the API: shown on the outputs step, nothing created.
    expect(step_heading(page, "Outputs")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="output.webhook.url")).to_be_visible()
    shoot(page, "wizard-6-outputs-refused")
    assert batch_named(console_server, name) is None

    labelled(page, "Webhook URL").fill("http://example.com/alarms")
    page.get_by_role("button", name="Review and save").click()
    page.get_by_role("button", name="Create batch task").click()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()

    batch = batch_named(console_server, name)
    assert batch is not None
    assert batch["num_task"] == 1
    ids = source_ids(console_server, group_id)
    (task,) = members(console_server, batch["id"]).values()
    assert task["input"]["data"][0]["video_source_id"] == ids[first]
    common = task["config"]["common"]
    assert common["video_sampling_interval"] == 3
    assert common["render_result_sw"] == 1
    assert_roi_drawn(common["target_roi"])
    assert task["schedule"] == {
        "type": "weekly",
        "timezone": "+08:00",
        "days_of_week": [1, 3, 5],
        "periods": [
            [{"begin_at": "08:00:00", "end_at": "10:00:00"}],
            [{"begin_at": "22:00:00", "end_at": "00:00:00"}],
            [{"begin_at": "12:00:00", "end_at": "12:30:00"}],
        ],
    }
    assert task["output"] == {
        "webhook": {"url": "http://example.com/alarms", "headers": {"X-Token": "secret-1"}},
        "event_center": True,
    }


def test_editing_changes_the_name_and_sources_and_keeps_the_roi(
    console_server: ConsoleServer, console_page: Page, shoot: Shoot, clip: Path
) -> None:
    page = console_page
    _group_name, group_id, (first, second) = make_group(console_server, clip, 2)
    ids = source_ids(console_server, group_id)
    roi = '{"polygons":[{"data":[[10,20],[300,20],[300,200]],"name":"door"}]}'
    _name, batch_id = create_batch(console_server, group_id, [(ids[first], roi)])
    renamed = unique("renamed")

    page.goto(console_server.console_url + f"#/tasks/batch/{batch_id}/edit")
    name_field = labelled(page, "Name")
    expect(name_field).not_to_have_value("")
    name_field.fill(renamed)
    page.get_by_role("button", name="Groups and sources").click()
    expect(page.get_by_text(f"1 chosen: {first}")).to_be_visible()
    page.get_by_role("checkbox", name=second).check()
    shoot(page, "wizard-edit-sources")
    # The saved area shows as shapes on the snapshot, and as the same string.
    page.get_by_role("button", name="Detection area (ROI)").click()
    expect(page.get_by_role("button", name=re.compile(r"Polygon door · 3 points"))).to_be_visible()
    page.get_by_text("As text (target_roi)").click()
    expect(page.get_by_role("textbox", name=re.compile("^target_roi"))).to_have_value(roi)
    page.get_by_role("button", name="Review and save").click()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("link", name=renamed, exact=True)).to_be_visible()

    batch = batch_named(console_server, renamed)
    assert batch is not None
    assert batch["id"] == batch_id
    shown = members(console_server, batch_id)
    assert set(shown) == {ids[first], ids[second]}
    assert shown[ids[first]]["config"]["common"]["target_roi"] == roi
    assert "target_roi" not in shown[ids[second]]["config"]["common"]
    assert shown[ids[first]]["config"]["common"]["smoke_detection_sw"] == 0


def member_states(console: ConsoleServer, batch_id: str) -> set[str]:
    return {t["state"] for t in members(console, batch_id).values()}


def test_batch_tasks_start_and_stop_in_bulk_and_tasks_link_to_their_alarms(
    console_server: ConsoleServer, console_page: Page, shoot: Shoot, clip: Path
) -> None:
    page = console_page
    group_name, group_id, names = make_group(console_server, clip, 2)
    ids = source_ids(console_server, group_id)
    batches = [create_batch(console_server, group_id, [(ids[n], None)]) for n in names]

    page.goto(console_server.console_url + "#/tasks/batch")
    labelled(page, "Group names").fill(group_name)
    page.get_by_role("button", name="Search").click()
    for _name, batch_id in batches:
        page.get_by_role("checkbox", name=f"Select {batch_id}").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    shoot(page, "batch-tasks")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text("Stop: done for 2.")).to_be_visible()
    for _name, batch_id in batches:
        assert member_states(console_server, batch_id) == {"STOPPED"}
    for _name, batch_id in batches:
        page.get_by_role("checkbox", name=f"Select {batch_id}").check()
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_text("Start: done for 2.")).to_be_visible()
    for _name, batch_id in batches:
        assert member_states(console_server, batch_id) <= {"STARTING", "PENDING"}

    # The batch's tasks, with a link to their alarms; stop one of them from the list.
    name, batch_id = batches[0]
    page.goto(console_server.console_url + f"#/tasks/list?batch={batch_id}")
    (task_id,) = [t["id"] for t in members(console_server, batch_id).values()]
    alarms = page.get_by_role("link", name=f"Alarms of {name}")
    expect(alarms).to_have_attribute("href", f"#/events?task={task_id}")
    page.get_by_role("checkbox", name=f"Select {task_id}").check()
    shoot(page, "tasks")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text("Stop: done for 1.")).to_be_visible()
    assert member_states(console_server, batch_id) == {"STOPPED"}

    # The Overview's links: one task by id, tasks by state.
    page.goto(console_server.console_url + f"#/tasks/list?task_id={task_id}")
    expect(page.get_by_text(f"Task {task_id} only.")).to_be_visible()
    expect(page.get_by_role("checkbox", name=f"Select {task_id}")).to_be_visible()
    page.goto(console_server.console_url + f"#/tasks/list?task_state=STOPPED&name={name}")
    expect(labelled(page, "State")).to_have_value("STOPPED")
    expect(page.get_by_role("checkbox", name=f"Select {task_id}")).to_be_visible()

    # Delete both batch tasks, after confirming.
    page.goto(console_server.console_url + f"#/tasks/batch?group={group_name}")
    for _name, batch_id in batches:
        page.get_by_role("checkbox", name=f"Select {batch_id}").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Delete: done for 2.")).to_be_visible()
    for batch_name, _batch_id in batches:
        assert batch_named(console_server, batch_name) is None


#: Slot patterns (day, first slot, last slot included) for the schedule round trip: a
#: window that reaches midnight, a whole day, two windows in one day, a single slot.
PAINTED = [(0, 0, 95), (1, 4, 7), (1, 60, 95), (3, 40, 40), (6, 92, 95)]


def test_the_roi_and_schedule_conversions_are_what_the_server_reads(
    console_server: ConsoleServer, console_page: Page, clip: Path
) -> None:
    page = console_page
    shapes = [
        {
            "kind": "line",
            "name": "gate",
            "points": [[0.1, 0.5], [0.9, 0.52]],
            "side1": "in",
            "side2": "out",
        },
        {"kind": "polygon", "name": "", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]},
        {"kind": "polygon", "name": "half", "points": [[0.5, 0.5], [0.75, 0.5]]},  # unfinished
    ]
    roi, back, schedule, slots_back = page.evaluate(
        """async ([shapes, painted]) => {
            const roiEditor = await import('./js/pages/roi-editor.js');
            const grid = await import('./js/pages/schedule-grid.js');
            const size = { width: 640, height: 360 };
            const roi = roiEditor.toTargetRoi(shapes, size);
            const back = roiEditor.toTargetRoi(roiEditor.fromTargetRoi(roi, size), size);
            const slots = grid.emptySlots();
            for (const [day, first, last] of painted) {
                for (let s = first; s <= last; s++) slots[day][s] = true;
            }
            const schedule = grid.toSchedule(slots, '-05:30');
            return [roi, back, schedule, grid.fromSchedule(schedule).slots];
        }""",
        [shapes, PAINTED],
    )
    assert roi == (
        '{"lines":[{"data":[[64,180],[576,187]],"name":"gate",'
        '"properties":{"side1_name":"in","side2_name":"out"}}],'
        '"polygons":[{"data":[[0,0],[640,0],[640,360],[0,360]]}]}'
    )
    assert back == roi
    painted = {(d, s) for d, first, last in PAINTED for s in range(first, last + 1)}
    assert {(d, s) for d in range(7) for s in range(96) if slots_back[d][s]} == painted

    # The server takes both as they are and reads them back unchanged.
    _group_name, group_id, (first,) = make_group(console_server, clip, 1)
    source_id = source_ids(console_server, group_id)[first]
    _name, batch_id = create_batch(console_server, group_id, [(source_id, roi)])
    call(console_server, "PUT", f"batch-tasks/{batch_id}", json={"schedule": schedule})
    (task,) = members(console_server, batch_id).values()
    assert task["config"]["common"]["target_roi"] == roi
    assert task["schedule"] == schedule

    # And the schedule runs exactly in the painted slots (openvias.domain.schedules).
    weekly = WeeklySchedule.from_wire(schedule)
    zone = timezone(-timedelta(hours=5, minutes=30))
    monday = datetime(2026, 12, 7, tzinfo=zone)
    for day in range(7):
        for slot in range(96):
            middle = monday + timedelta(days=day, minutes=15 * slot + 7)
            assert weekly.is_active(middle) == ((day, slot) in painted), (day, slot)


def test_lines_with_side_names_and_keyboard_drawing(
    console_server: ConsoleServer, console_page: Page, shoot: Shoot, clip: Path, viewport: str
) -> None:
    page = console_page
    group_name, _group_id, (first,) = make_group(console_server, clip, 1)
    page.goto(console_server.console_url + "#/tasks/batch/new")
    labelled(page, "Name").fill(unique("lines"))
    labelled(page, "Algorithm").select_option("c-intrusiondetection-cloud")
    page.get_by_role("button", name="Groups and sources").click()
    labelled(page, "Search groups").fill(group_name)
    page.get_by_role("checkbox", name=re.compile(re.escape(group_name))).check()
    page.get_by_role("radio", name="Chosen sources").check()
    page.get_by_role("checkbox", name=first).check()
    page.get_by_role("button", name="Detection area (ROI)").click()

    # A line: two clicks (taps on the phone), then its side names, swapped.
    page.get_by_role("radio", name="Draw line").check()
    canvas = page.get_by_test_id("roi-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    for fx, fy in [(0.25, 0.2), (0.25, 0.8)]:
        x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
        if viewport == "phone":
            page.touchscreen.tap(x, y)
        else:
            page.mouse.click(x, y)
    labelled(page, "Side 1 name").fill("street")
    labelled(page, "Side 2 name").fill("shop")
    page.get_by_role("button", name="Swap side names").click()

    # Select and move: the line's end dragged to the right.
    page.get_by_role("radio", name="Select and move").check()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.8 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.4 * box["width"], box["y"] + 0.8 * box["height"], steps=4)
    page.mouse.up()

    # A polygon by keyboard: the cross starts in the middle; arrows move it, Enter adds.
    page.get_by_role("radio", name="Draw polygon").check()
    canvas.focus()
    for key in ["Enter", "Shift+ArrowRight", "Enter", "Shift+ArrowDown", "Enter", "c"]:
        page.keyboard.press(key)
    page.get_by_text("As text (target_roi)").click()
    shoot(page, "wizard-4-roi-line")
    text = page.get_by_role("textbox", name=re.compile("^target_roi")).input_value()
    document = json.loads(text)
    (line,) = document["lines"]
    assert line["properties"] == {"side1_name": "shop", "side2_name": "street"}
    (start, end) = line["data"]
    assert near(start, (160, 72))
    assert near(end, (256, 288))
    (polygon,) = document["polygons"]
    assert polygon["data"] == [[320, 180], [384, 180], [384, 216]]


def test_a_group_taken_whole_gets_the_common_area(
    console_server: ConsoleServer, console_page: Page, clip: Path, viewport: str
) -> None:
    page = console_page
    group_name, group_id, (first,) = make_group(console_server, clip, 1)
    name = unique("whole")
    page.goto(console_server.console_url + "#/tasks/batch/new")
    labelled(page, "Name").fill(name)
    labelled(page, "Algorithm").select_option(SMOKE)
    page.get_by_role("button", name="Groups and sources").click()
    labelled(page, "Search groups").fill(group_name)
    page.get_by_role("checkbox", name=re.compile(re.escape(group_name))).check()
    expect(page.get_by_role("radio", name="Every source of the group")).to_be_checked()
    page.get_by_role("button", name="Detection area (ROI)").click()
    expect(labelled(page, "Draw for")).to_have_value("*")
    expect(page.get_by_text(f"{SOURCE_WIDTH} × {SOURCE_HEIGHT}")).to_be_visible()
    draw_polygon(page, viewport)
    page.get_by_role("button", name="Review and save").click()
    page.get_by_role("button", name="Create batch task").click()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()

    batch = batch_named(console_server, name)
    assert batch is not None
    (task,) = members(console_server, batch["id"]).values()
    assert (
        task["input"]["data"][0]["video_source_id"] == source_ids(console_server, group_id)[first]
    )
    assert_roi_drawn(task["config"]["common"]["target_roi"])
