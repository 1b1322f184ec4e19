"""The Video Center of the console in a real browser: sources (create on a real clip, search,
filters that survive a reload, snapshot, edit, delete, paging, bulk delete) and groups
(create, membership); desktop and phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.engine.media_fixtures import write_clip
from tests.web.conftest import ConsoleServer, ConsoleWatch, Shoot
from tests.web.console_support import go

SEEDED = 230  # sources created through the API for the paging test


@pytest.fixture(scope="module")
def clip(console_server: ConsoleServer) -> Path:
    """A 4-second H.264 clip in the server's default file root (<data dir>/videos)."""
    folder = console_server.server.data_dir / "videos"
    folder.mkdir(exist_ok=True)
    return write_clip(folder / "gate.mp4", seconds=4, gop=25)


def rtsp_source(name: str, host: str) -> dict[str, Any]:
    """A CreateVideoSource body of an RTSP camera."""
    return {
        "access_type": "cloud",
        "type": "RTSP_STREAM",
        "video_source_name": name,
        "type_config": f"<type_config><url_address>rtsp://{host}:554/s</url_address></type_config>",
    }


@pytest.fixture(scope="module")
def seeded(console_server: ConsoleServer) -> list[str]:
    """SEEDED RTSP sources named ``bulk-NNNN``, created with the API one call each."""
    ids = []
    for n in range(SEEDED):
        body = rtsp_source(f"bulk-{n:04d}", f"192.0.2.{n % 250}")
        created = console_server.api.post(console_server.path("source"), json=body)
        assert created.status_code == 200, created.text
        ids.append(created.json()["video_source_id"])
    return ids


def list_sources(server: ConsoleServer, **query: Any) -> dict[str, Any]:
    answer = server.api.get(server.path("source/sources"), params=query)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def source_named(server: ConsoleServer, name: str) -> dict[str, Any] | None:
    found = list_sources(server, scope=name)["video_source_list"]
    return next((s for s in found if s["video_source_name"] == name), None)


def row(where: Page | Locator, text: str) -> Locator:
    return where.get_by_role("row").filter(has_text=text)


def confirm(page: Page, button: str) -> None:
    page.get_by_role("dialog").get_by_role("button", name=button).click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def show_filters(page: Page, viewport: str) -> None:
    """On a phone the filters beyond the search are behind the Filters button."""
    if viewport == "phone":
        page.get_by_role("button", name=re.compile(r"^Filters")).click()


def snapshot_width(page: Page, name: str) -> int:
    picture = page.get_by_role("img", name=f"Snapshot of {name}")
    expect(picture).to_be_visible(timeout=30_000)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    return int(picture.evaluate("img => img.naturalWidth"))


def test_a_file_source_from_creation_to_deletion(
    console_page: Page, console_server: ConsoleServer, clip: Path, viewport: str, shoot: Shoot
) -> None:
    page, name = console_page, f"Gate {viewport}"
    decoy = rtsp_source(f"Yard {viewport}", "192.0.2.7")
    assert console_server.api.post(console_server.path("source"), json=decoy).status_code == 200
    go(page, "/video/sources")
    page.get_by_role("link", name="New source").click()
    expect(page.get_by_role("heading", name="New video source", level=1)).to_be_visible()

    # When the form is filled for a file on the server
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("radio", name="Video file").check()
    page.get_by_label("File path on the server").fill(str(clip))
    page.get_by_label("Tags").fill("gate, north")
    shoot(page, "video-source-new")
    page.get_by_role("button", name="Create source").click()

    # Then the detail page shows it, with a snapshot of the clip
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    stored = source_named(console_server, name)
    assert stored is not None
    assert stored["type"] == "url"
    assert stored["stream_path"] == f"file://{clip}"
    assert stored["tag"] == ["gate", "north"]
    assert snapshot_width(page, name) > 0
    expect(page.get_by_text("Source picture: 320 × 240 pixels")).to_be_visible()
    shoot(page, "video-source-detail")

    # The list finds it by name, and a type filter and the search survive a reload
    page.get_by_role("link", name="All sources").click()
    expect(row(page, f"Yard {viewport}")).to_have_count(1)
    page.get_by_label("Search", exact=True).fill(name)
    expect(page).to_have_url(re.compile(r"q=Gate"))
    expect(page.get_by_text("Sources: 1", exact=True)).to_be_visible()
    expect(row(page, f"Yard {viewport}")).to_have_count(0)
    expect(row(page, name)).to_have_count(1)
    show_filters(page, viewport)
    page.get_by_label("Type", exact=True).select_option("url")
    expect(page).to_have_url(re.compile(r"type=url"))
    page.reload()
    expect(page.get_by_label("Type", exact=True)).to_have_value("url")
    expect(page.get_by_label("Search", exact=True)).to_have_value(name)
    expect(row(page, name)).to_have_count(1)
    show_filters(page, viewport)
    page.get_by_label("Type", exact=True).select_option("RTSP_STREAM")
    expect(page.get_by_text("No video source matches.")).to_be_visible()
    page.get_by_label("Type", exact=True).select_option("url")
    page.get_by_label("Tag", exact=True).fill("south")
    expect(page.get_by_text("No video source matches.")).to_be_visible()
    page.get_by_label("Tag", exact=True).fill("nort")
    expect(row(page, name)).to_have_count(1)
    shoot(page, "video-sources-filtered")

    # Edit the name; the API shows what the console saved
    row(page, name).get_by_role("link", name=name).click()
    page.get_by_role("link", name="Edit").click()
    renamed = f"{name} renamed"
    page.get_by_label("Name", exact=True).fill(renamed)
    shoot(page, "video-source-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=renamed, level=1)).to_be_visible()
    shown = console_server.api.get(
        console_server.path(f"source/sources/{stored['video_source_id']}")
    )
    assert shown.json()["video_source_name"] == renamed
    assert shown.json()["stream_path"] == f"file://{clip}"  # the address was kept

    # A group, and the source added to it with the picker
    group = f"grp-{viewport}"
    go(page, "/video/groups")
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Name", exact=True).fill(group)
    page.get_by_label("Description").fill("North entrance")
    shoot(page, "video-group-new")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name=group, level=1)).to_be_visible()
    expect(page.get_by_text("No source in this group yet.")).to_be_visible()
    page.get_by_role("button", name="Add sources").click()
    picker = page.locator("#video-picker")
    picker.get_by_label("Search", exact=True).fill(renamed)
    expect(row(picker, renamed)).to_have_count(1)
    row(picker, renamed).get_by_role("checkbox").check()
    picker.get_by_role("button", name="Add selected (1)").click()
    expect(page.get_by_text("Sources added to the group: 1.")).to_be_visible()
    members = page.locator(".video-members > .video-source-page")
    expect(row(members, renamed)).to_have_count(1)
    shoot(page, "video-group-detail")
    group_id = page.url.split("/video/groups/")[1].split("?")[0]
    in_group = list_sources(console_server, video_group_id=group_id)["video_source_list"]
    assert [s["video_source_name"] for s in in_group] == [renamed]

    # The source page names its group; deleting the source asks first
    row(members, renamed).get_by_role("link", name=renamed).click()
    expect(page.get_by_role("link", name=group)).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    confirm(page, "Delete")
    expect(page.get_by_role("heading", name="Video sources", level=1)).to_be_visible()
    gone = console_server.api.get(
        console_server.path(f"source/sources/{stored['video_source_id']}")
    )
    assert gone.status_code == 404


def test_bad_input_shows_the_vias_error_and_changes_nothing(
    console_page: Page,
    console_server: ConsoleServer,
    console_watch: ConsoleWatch,
    viewport: str,
    shoot: Shoot,
) -> None:
    console_watch.allow(r"status of 400")
    page = console_page
    before = list_sources(console_server)["total_number"]
    go(page, "/video/sources/new")

    # An empty name, submitted from the keyboard
    page.get_by_role("radio", name="HTTP stream").check()
    page.get_by_label("Stream address").fill("https://example.com/live/index.m3u8")
    page.get_by_label("Name", exact=True).press("Enter")
    expect(page.get_by_text("Invalid parameter: video_source_name.")).to_be_visible()
    expect(page.get_by_role("heading", name="New video source", level=1)).to_be_visible()

    # A name with a URL that has no host
    page.get_by_label("Name", exact=True).fill(f"Broken {viewport}")
    page.get_by_label("Stream address").fill("http://")
    page.get_by_role("button", name="Create source").click()
    expect(page.get_by_text("url_address must be an http, https, rtsp")).to_be_visible()
    expect(page.get_by_text("Invalid parameter: video_source_name.")).to_have_count(0)
    shoot(page, "video-source-new-error")

    assert list_sources(console_server)["total_number"] == before
    assert source_named(console_server, f"Broken {viewport}") is None


def test_a_snapshot_that_fails_says_why_and_refresh_tries_again(
    console_page: Page,
    console_server: ConsoleServer,
    console_watch: ConsoleWatch,
    clip: Path,
    viewport: str,
    shoot: Shoot,
) -> None:
    console_watch.allow(r"status of 422")
    page, name = console_page, f"Later {viewport}"
    later = clip.with_name(f"later-{viewport}.mp4")
    body = {
        "access_type": "cloud",
        "type": "url",
        "video_source_name": name,
        "type_config": f"<type_config><url_address>file://{later}</url_address></type_config>",
    }
    created = console_server.api.post(console_server.path("source"), json=body)
    assert created.status_code == 200, created.text

    # Given a file source whose file is not there yet
    go(page, f"/video/sources/{created.json()['video_source_id']}")
    alert = page.locator(".video-snapshot").get_by_role("alert")
    expect(alert).to_contain_text(f"The file {later} does not exist.", timeout=60_000)
    expect(alert).to_contain_text("VIAS.00090502")
    expect(page.get_by_role("img", name=f"Snapshot of {name}")).to_have_count(0)
    shoot(page, "video-source-snapshot-error")

    # When the file arrives, Refresh shows its picture
    later.write_bytes(clip.read_bytes())
    page.get_by_role("button", name="Refresh").click()
    assert snapshot_width(page, name) > 0
    expect(alert).to_have_count(0)


def test_paging_and_bulk_delete_over_hundreds_of_sources(
    console_page: Page, console_server: ConsoleServer, seeded: list[str], shoot: Shoot
) -> None:
    page = console_page
    go(page, "/video/sources?q=bulk-")
    total = list_sources(console_server, scope="bulk-")["total_number"]
    expect(page.get_by_text(f"Sources: {total}", exact=True)).to_be_visible()
    expect(page.get_by_text(f"1–20 of {total}")).to_be_visible()

    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.get_by_text(f"21–40 of {total}")).to_be_visible()
    second = list_sources(console_server, scope="bulk-", is_paged="true", page_num=2, page_size=20)
    names = [s["video_source_name"] for s in second["video_source_list"]]
    expect(page.locator(".video-col-name a")).to_have_text(names)
    shoot(page, "video-sources-page-2")

    # A reload stays on page 2
    page.reload()
    expect(page.get_by_text(f"21–40 of {total}")).to_be_visible()
    expect(page.locator(".video-col-name a")).to_have_text(names)

    # Two rows of the page, deleted together
    for name in names[:2]:
        row(page, name).get_by_role("checkbox").check()
    page.get_by_role("button", name="Delete selected (2)").click()
    confirm(page, "Delete")
    expect(page.get_by_text("2 video sources deleted.")).to_be_visible()
    expect(page.get_by_text(f"Sources: {total - 2}", exact=True)).to_be_visible()
    for name in names[:2]:
        assert source_named(console_server, name) is None
    assert source_named(console_server, names[2]) is not None


def test_the_groups_list_pages_and_filters(
    console_page: Page,
    console_server: ConsoleServer,
    console_watch: ConsoleWatch,
    seeded: list[str],
    viewport: str,
    shoot: Shoot,
) -> None:
    api, page = console_server.api, console_page
    for n in range(3):
        name, members = f"lot-{viewport}-{n}", seeded[n * 2 : n * 2 + 2]
        body = {"access_type": "cloud", "video_group_name": name, "video_source_ids": members}
        assert api.post(console_server.path("video-group"), json=body).status_code == 200
    go(page, "/video/groups")
    page.get_by_label("Search names").fill(f"lot-{viewport}")
    expect(page).to_have_url(re.compile(rf"q=lot-{viewport}"))
    expect(page.get_by_text("Groups: 3", exact=True)).to_be_visible()
    expect(row(page, f"lot-{viewport}-1").locator("td.num").first).to_have_text("2")
    page.reload()
    expect(page.get_by_label("Search names")).to_have_value(f"lot-{viewport}")
    expect(page.get_by_text("Groups: 3", exact=True)).to_be_visible()
    shoot(page, "video-groups")

    # Removing a member from a group of two leaves one (the API shows it)
    row(page, f"lot-{viewport}-0").get_by_role("link", name=f"lot-{viewport}-0").click()
    members = page.locator(".video-members > .video-source-page")
    first = row(members, "bulk-0000")
    expect(first).to_have_count(1)
    first.get_by_role("checkbox").check()
    page.get_by_role("button", name="Remove selected (1)").click()
    confirm(page, "Remove")
    expect(row(members, "bulk-0000")).to_have_count(0)
    group_id = page.url.split("/video/groups/")[1].split("?")[0]
    left = list_sources(console_server, video_group_id=group_id)["video_source_list"]
    assert [s["video_source_name"] for s in left] == ["bulk-0001"]

    # The last member cannot go (UpdateVideoGroup takes 1 to 50): the VIAS error shows
    console_watch.allow(r"status of 400")
    row(members, "bulk-0001").get_by_role("checkbox").check()
    page.get_by_role("button", name="Remove selected (1)").click()
    confirm(page, "Remove")
    alert = page.locator(".video-members").get_by_role("alert")
    expect(alert).to_contain_text("Invalid parameter: video_source_ids.")
    expect(alert).to_contain_text("VIAS.00010001")
    left = list_sources(console_server, video_group_id=group_id)["video_source_list"]
    assert [s["video_source_name"] for s in left] == ["bulk-0001"]
