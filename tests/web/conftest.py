"""Browser-test fixtures for the web console: a real ``openvias serve``, Debian's Chromium
driven by Python Playwright, both viewports, console-error watching and screenshots.

A test module may set ``CONSOLE_SERVER_ENV = {"OPENVIAS_ENGINE_SLOTS": "2", ...}`` to start
its server with more settings (the defaults are those of ``tests/support.running_server``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    sync_playwright,
)
from playwright.sync_api import expect as playwright_expect

from tests.support import ADMIN_PASSWORD, REPO, Server, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
#: name -> Playwright context options
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1366, "height": 850}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
#: Long enough for a page's first API calls on a busy two-core machine.
playwright_expect.set_options(timeout=15_000)


@dataclass(frozen=True)
class Account:
    """Who signs in through the form."""

    user: str
    password: str
    domain: str
    project: str
    project_id: str = ""


@dataclass
class ConsoleServer:
    """A running server, its admin account (domain ``openvias``, project ``default``) and an
    API client holding the admin's token (``api.post("/v2/{project_id}/...")``)."""

    server: Server
    admin: Account
    api: httpx.Client

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def console_url(self) -> str:
        return f"{self.server.base_url}/console/"

    @property
    def project_id(self) -> str:
        return self.server.project_id

    @property
    def token(self) -> str:
        return self.server.token

    def path(self, rest: str) -> str:
        """``/v2/{project_id}/<rest>`` of the admin's project."""
        return f"/v2/{self.project_id}/{rest.lstrip('/')}"


@pytest.fixture(scope="module")
def console_server(request: pytest.FixtureRequest) -> Iterator[ConsoleServer]:
    """A real ``openvias serve`` on loopback over a fresh SQLite database, per test module."""
    env = dict(getattr(request.module, "CONSOLE_SERVER_ENV", {}))
    with running_server("sqlite", **env) as server, server.client() as client:
        admin = Account("admin", ADMIN_PASSWORD, "openvias", "default", server.project_id)
        yield ConsoleServer(server, admin, client)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (no ``playwright install``), headless."""
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
    )
    yield launched
    launched.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """``desktop`` (1366x850) or ``phone`` (390x844, mobile, touch): every test using it
    runs at both sizes."""
    return str(request.param)


@dataclass
class ConsoleWatch:
    """Collects the pages' console errors, uncaught exceptions and failed requests; the test
    fails at teardown when one was not expected with ``allow(pattern)``."""

    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect messages matching ``pattern`` (a regular expression), e.g. the browser's
        ``status of 401`` line after a deliberately wrong password."""
        self.allowed.append(re.compile(pattern))

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._request_failed)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location})")

    def _request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        # A superseded fetch the page aborted on purpose (useAsync), or a page closed early.
        if "ERR_ABORTED" in failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url}: {failure}")


@pytest.fixture
def console_watch() -> Iterator[ConsoleWatch]:
    watch = ConsoleWatch()
    yield watch
    unexpected = watch.unexpected()
    assert not unexpected, "the console page reported:\n" + "\n".join(unexpected)


def sign_in(page: Page, account: Account) -> None:
    """Fills the sign-in form and waits for the shell (the Sign out button)."""
    page.get_by_label("User name").fill(account.user)
    page.get_by_label("Password").fill(account.password)
    page.get_by_label("Domain name").fill(account.domain)
    page.get_by_label("Project").fill(account.project)
    page.get_by_role("button", name="Sign in").click()
    playwright_expect(page.get_by_role("button", name="Sign out")).to_be_visible()


OpenConsole = Callable[..., Page]


@pytest.fixture
def open_console(
    browser: Browser, viewport: str, console_server: ConsoleServer, console_watch: ConsoleWatch
) -> Iterator[OpenConsole]:
    """``open_console(account=None, signed_in=True, path="")`` -> a page in a new browser
    context (its own sessionStorage) at the viewport, on ``/console/<path>``, signed in through
    the form as ``account`` (the admin by default) unless ``signed_in=False``."""
    contexts: list[BrowserContext] = []

    def open_page(
        account: Account | None = None, *, signed_in: bool = True, path: str = ""
    ) -> Page:
        context = browser.new_context(**VIEWPORTS[viewport], locale="en-US", timezone_id="UTC")
        contexts.append(context)
        page = context.new_page()
        console_watch.watch(page)
        page.goto(console_server.console_url + path)
        if signed_in:
            sign_in(page, account or console_server.admin)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def console_page(open_console: OpenConsole) -> Page:
    """A new context and page at the viewport, signed in as the admin through the form."""
    return open_console()


Shoot = Callable[[Page, str], Path]


@pytest.fixture
def shoot(viewport: str) -> Shoot:
    """``shoot(page, name)`` writes ``test-artifacts/screenshots/<viewport>/<name>.png``
    (the whole page) and returns its path."""

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / viewport / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        # From the top: a full-page picture of a scrolled page repeats the sticky top bar.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
