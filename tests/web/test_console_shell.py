"""The console's shell in a real browser against a real server: sign-in and its errors,
navigation to every centre, the session (sessionStorage, sign-out revokes the token),
project isolation, the Overview's counts and the Algorithm Center; desktop and phone."""

from __future__ import annotations

import hashlib
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from openvias.api.console import CONSOLE_DIR, CONTENT_SECURITY_POLICY
from tests.api.event_support import alarm, seed
from tests.api.identity_support import create_tenant
from tests.api.task_center import task_body, task_center
from tests.web.conftest import (
    Account,
    ConsoleServer,
    ConsoleWatch,
    OpenConsole,
    Shoot,
    sign_in,
)

#: (link name, hash path) of every entry of the main navigation, sub-pages included.
NAV_ENTRIES = [
    ("Overview", "#/overview"),
    ("Video Center", "#/video/sources"),
    ("Video sources", "#/video/sources"),
    ("Video groups", "#/video/groups"),
    ("Task Center", "#/tasks/batch"),
    ("Batch tasks", "#/tasks/batch"),
    ("Tasks", "#/tasks/list"),
    ("Algorithm Center", "#/algorithms"),
    ("Event Center", "#/events"),
    ("Deliveries", "#/deliveries"),
]
#: The Overview's label of each task state it lists.
STATE_LABELS = {
    "RUNNING": "Running",
    "PENDING": "Pending",
    "STARTING": "Starting",
    "SCHEDULING": "Scheduling",
    "STOPPED": "Stopped",
    "SUCCEEDED": "Succeeded",
    "ABNORMAL": "Abnormal",
    "START_FAILED": "Start failed",
    "CREATE_FAILED": "Create failed",
    "FAILED": "Failed",
    "LACK_OF_RESOURCES": "Lack of resources",
}


def open_nav(page: Page, viewport: str) -> None:
    """On a phone the navigation is behind the Menu button."""
    if viewport == "phone":
        page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def session_token(page: Page) -> str | None:
    saved = page.evaluate("sessionStorage.getItem('openvias.console.session')")
    return None if saved is None else str(json.loads(saved)["token"])


def count_items(page: Page, list_name: str) -> dict[str, int]:
    """{label: number} of the Overview list ``list_name`` (items: a badge and a count)."""
    counted = {}
    for item in page.get_by_role("list", name=list_name).get_by_role("listitem").all():
        label, number = item.inner_text().strip().rsplit("\n", 1)
        counted[label.strip()] = int(number.replace(",", ""))
    return counted


def test_a_wrong_password_shows_the_vias_error(
    open_console: OpenConsole,
    console_server: ConsoleServer,
    console_watch: ConsoleWatch,
    shoot: Shoot,
) -> None:
    tenant = create_tenant(console_server.server)
    console_watch.allow(r"status of 401")
    page = open_console(signed_in=False)
    shoot(page, "sign-in")
    page.get_by_label("User name").fill(tenant.user)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_label("Domain name").fill(tenant.domain)
    page.get_by_label("Project").fill(tenant.project)
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("401")
    expect(alert).to_contain_text(re.compile(r"VIAS\.\d{8}"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert session_token(page) is None
    shoot(page, "sign-in-error")


def test_a_locked_out_user_sees_the_lockout(
    open_console: OpenConsole, console_server: ConsoleServer, console_watch: ConsoleWatch
) -> None:
    tenant = create_tenant(console_server.server)
    wrong = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": tenant.user, "password": "wrong", "domain": {"name": tenant.domain}}}},
        "scope": {"project": {"name": tenant.project}}}}  # fmt: skip
    answers = [
        httpx.post(f"{console_server.base_url}/v3/auth/tokens", json=wrong).status_code
        for _ in range(8)  # the lockout comes after OPENVIAS_LOGIN_MAX_FAILURES (5)
    ]
    assert answers[-1] == 429, answers
    console_watch.allow(r"status of 429")
    page = open_console(signed_in=False)
    page.get_by_label("User name").fill(tenant.user)
    page.get_by_label("Password").fill(tenant.password)
    page.get_by_label("Domain name").fill(tenant.domain)
    page.get_by_label("Project").fill(tenant.project)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("429")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_every_centre_opens_its_page(console_page: Page, viewport: str, shoot: Shoot) -> None:
    expect(console_page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(console_page.get_by_text("default", exact=True)).to_be_visible()
    for name, path in NAV_ENTRIES:
        open_nav(console_page, viewport)
        console_page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=name, exact=True
        ).click()
        expect(console_page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(console_page.get_by_role("heading", level=1)).to_be_visible()
        if viewport == "phone":  # the menu closed itself
            expect(console_page.get_by_role("navigation", name="Main")).to_be_hidden()
    open_nav(console_page, viewport)
    shoot(console_page, "navigation")


def test_the_keyboard_reaches_the_content_first(console_page: Page, viewport: str) -> None:
    console_page.keyboard.press("Tab")
    skip = console_page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    console_page.keyboard.press("Enter")
    expect(console_page.get_by_role("heading", level=1)).to_be_focused()

    # a centre chosen with the keyboard: the keyboard continues on its heading
    open_nav(console_page, viewport)
    nav = console_page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Algorithm Center").focus()
    console_page.keyboard.press("Enter")
    expect(console_page.get_by_role("heading", name="Algorithm Center", level=1)).to_be_focused()


def test_sign_out_revokes_the_token(
    console_page: Page, console_server: ConsoleServer, shoot: Shoot
) -> None:
    token = session_token(console_page)
    assert token
    ok = httpx.get(f"{console_server.base_url}/v3/projects", headers={"X-Auth-Token": token})
    assert ok.status_code == 200, ok.text

    console_page.get_by_role("button", name="Sign out").click()

    expect(console_page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(console_page.get_by_text("You have signed out.")).to_be_visible()
    assert session_token(console_page) is None
    gone = httpx.get(f"{console_server.base_url}/v3/projects", headers={"X-Auth-Token": token})
    assert gone.status_code == 401, gone.text
    shoot(console_page, "signed-out")


def test_a_reload_keeps_the_session_and_a_new_context_does_not(
    console_page: Page, open_console: OpenConsole
) -> None:
    console_page.goto(console_page.url.split("#")[0] + "#/algorithms")
    console_page.reload()
    expect(console_page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(console_page.get_by_role("heading", name="Algorithm Center", level=1)).to_be_visible()

    other = open_console(signed_in=False)
    expect(other.get_by_role("button", name="Sign in")).to_be_visible()
    assert session_token(other) is None
    assert other.evaluate("localStorage.length") == 0
    assert other.context.cookies() == []


def test_a_revoked_token_returns_to_sign_in(
    console_page: Page, console_server: ConsoleServer, console_watch: ConsoleWatch
) -> None:
    console_watch.allow(r"status of 401")
    token = session_token(console_page)
    revoked = httpx.request(
        "DELETE",
        f"{console_server.base_url}/v3/auth/tokens",
        headers={"X-Auth-Token": token or "", "X-Subject-Token": token or ""},
    )
    assert revoked.status_code == 204, revoked.text
    console_page.reload()  # the stored token is sent again, and refused
    expect(console_page.get_by_text("Your session has ended. Sign in again.")).to_be_visible()
    assert session_token(console_page) is None


def utc_midnight(days_back: int = 0) -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=days_back)


def test_the_overview_counts_what_the_api_counts(
    open_console: OpenConsole, console_server: ConsoleServer, shoot: Shoot
) -> None:
    api = console_server.api
    with task_center(console_server.server) as tc:
        source = tc.sources(1)
        created = [tc.create_ids(task_body(source))[0] for _ in range(3)]
        tc.action(created[0], "start")
    project = console_server.project_id
    now = int(time.time())
    # In a thread: seed() runs its own event loop, and Playwright's runs in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            seed,
            console_server.server,
            (alarm(project, created[0], 1_000, timestamp=now), now * 1000),
            (alarm(project, created[0], 2_000, timestamp=now - 1), now * 1000),
            (alarm(project, created[1], 3_000, timestamp=now - 2 * 86_400), now * 1000),
            (alarm(project, created[1], 4_000, timestamp=now - 10 * 86_400), now * 1000),
        ).result()
    today = int(utc_midnight().timestamp())
    week = int(utc_midnight(utc_midnight().weekday()).timestamp())

    def total(path: str, **params: Any) -> int:
        answer = api.get(console_server.path(path), params=params)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    expected_states = {
        label: n
        for state, label in STATE_LABELS.items()
        if (n := total("tasks", task_state=state, page_size=5))
    }
    expected_alarms = (total("events", start_time=today), total("events", start_time=week))
    assert sum(expected_states.values()) >= 3
    assert expected_alarms[0] >= 2

    calls: list[str] = []
    page = open_console(signed_in=False)
    page.on("request", lambda request: calls.append(request.url) if "/v2/" in request.url else None)
    sign_in(page, console_server.admin)
    tasks = page.get_by_role("region", name="Tasks")
    expect(tasks).to_contain_text(f"{total('tasks', page_size=5)} tasks in all")
    # the counts come from one Overview summary in the browser's time zone, no list calls
    assert any(url.endswith("/overview?tz=UTC") for url in calls), calls
    assert not [url for url in calls if re.search(r"/(events|tasks|deliveries)\b", url)], calls
    assert count_items(page, "Tasks by state") == expected_states
    alarms = page.get_by_role("region", name="Alarms")
    expect(alarms.get_by_test_id("alarms-today")).to_have_text(str(expected_alarms[0]))
    expect(alarms.get_by_test_id("alarms-week")).to_have_text(str(expected_alarms[1]))
    smoke = alarms.get_by_role("row", name=re.compile("c-smoke-and-fire-cloud"))
    expect(smoke).to_contain_text(str(expected_alarms[0]))
    summary = api.get(console_server.path("deliveries")).json()["summary"]
    deliveries = {
        "Pending": summary["pending"],
        "Delivered": summary["delivered"],
        "Dead": summary["dead"],
    }
    assert count_items_in(page, "Deliveries") == deliveries
    expect(page.get_by_role("region", name="Needs attention")).to_contain_text(
        "alarms this week not reviewed"
    )
    shoot(page, "overview")


def count_items_in(page: Page, region: str) -> dict[str, int]:
    counted = {}
    for item in page.get_by_role("region", name=region).get_by_role("listitem").all():
        label, number = item.inner_text().strip().rsplit("\n", 1)
        counted[label.strip()] = int(number.replace(",", ""))
    return counted


def test_another_project_sees_none_of_the_first_projects_data(
    open_console: OpenConsole, console_server: ConsoleServer
) -> None:
    with task_center(console_server.server) as tc:
        tc.create_ids(task_body(tc.sources(1)))
    tenant = create_tenant(console_server.server)
    account = Account(tenant.user, tenant.password, tenant.domain, tenant.project)
    project_paths: list[str] = []

    page = open_console(signed_in=False)
    page.on(
        "request",
        lambda request: project_paths.append(request.url) if "/v2/" in request.url else None,
    )
    sign_in(page, account)
    expect(page.get_by_role("region", name="Tasks")).to_contain_text("0 tasks in all")
    expect(page.get_by_text(tenant.project, exact=True)).to_be_visible()
    assert project_paths
    assert all(f"/v2/{tenant.project_id}/" in url for url in project_paths), project_paths


def test_the_algorithm_center_shows_each_configuration(
    console_page: Page, console_server: ConsoleServer, shoot: Shoot
) -> None:
    services = console_server.api.get(console_server.path("algorithm/services/user")).json()
    listed = {s["service_name"]: s["service_id"] for s in services["service_list"]}
    detail = console_server.api.get(
        console_server.path(f"algorithm/services/{listed['c-smoke-and-fire-cloud']}")
    ).json()
    console_page.goto(console_server.console_url + "#/algorithms")
    table = console_page.get_by_role("table", name=re.compile("Algorithm services"))
    for name in listed:
        expect(table.get_by_role("link", name=name, exact=True)).to_be_visible()
    shoot(console_page, "algorithms")

    table.get_by_role("link", name="c-smoke-and-fire-cloud", exact=True).click()
    parameters = console_page.get_by_role("table", name=re.compile("Configuration parameters"))
    for name, schema in detail["config_schema"]["properties"].items():
        row = parameters.get_by_role("row", name=re.compile(re.escape(name)))
        expect(row).to_contain_text(schema["description"])
    expect(console_page).to_have_url(re.compile(r"#/algorithms\?service="))
    console_page.reload()
    expect(parameters).to_be_visible()
    shoot(console_page, "algorithm-detail")


@pytest.mark.parametrize("path", ["/console/", "/console/js/app.js", "/console/missing.js"])
def test_the_console_answers_with_strict_headers(console_server: ConsoleServer, path: str) -> None:
    answer = httpx.get(console_server.base_url + path)
    assert answer.status_code == (404 if "missing" in path else 200)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    if path.endswith(".js") and answer.status_code == 200:
        assert "javascript" in answer.headers["content-type"]


def test_the_root_leads_to_the_console(console_server: ConsoleServer) -> None:
    for path in ("/", "/console"):
        answer = httpx.get(console_server.base_url + path)
        assert answer.status_code == 307
        assert answer.headers["location"] == "/console/"


def test_the_vendored_library_matches_its_lock() -> None:
    vendor = CONSOLE_DIR / "vendor"
    lock = json.loads((vendor / "VENDOR.json").read_text())
    assert (lock["package"], lock["version"]) == ("htm", "3.1.1")
    assert hashlib.sha256((vendor / lock["file"]).read_bytes()).hexdigest() == lock["sha256"]
    assert lock["integrity"].startswith("sha512-")
    assert "Apache License" in (vendor / "LICENSE-htm").read_text()
    assert "MIT License" in (vendor / "LICENSE-preact").read_text()


def test_no_html_file_has_inline_script_or_style() -> None:
    """The CSP forbids them; a browser would silently ignore them."""
    for page in CONSOLE_DIR.rglob("*.html"):
        text = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page
        assert not re.search(r"\sstyle=", text), page
        assert "<style" not in text, page
