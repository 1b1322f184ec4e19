"""``/docs`` and ``/redoc`` render in a real browser that may reach nothing but this server:
what an air-gapped install shows (the HTML-level checks are in tests/api/test_docs_pages.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.web.conftest import ConsoleServer


@dataclass
class OfflinePage:
    page: Page
    #: Requests to any host but loopback (refused).
    elsewhere: list[str] = field(default_factory=list)
    #: The browser console's errors (a policy's refusals included).
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def offline(browser: Browser) -> Iterator[OfflinePage]:
    """A page whose requests to any host but loopback are refused and recorded."""
    context = browser.new_context()
    offline = OfflinePage(context.new_page())
    elsewhere = offline.elsewhere

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    offline.page.on(
        "console", lambda message: message.type == "error" and offline.errors.append(message.text)
    )
    try:
        yield offline
    finally:
        context.close()


def test_swagger_ui_renders_the_operations_offline(
    console_server: ConsoleServer, offline: OfflinePage
) -> None:
    page = offline.page
    page.goto(f"{console_server.base_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("openvias", timeout=60_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 40
    assert offline.elsewhere == []
    assert offline.errors == []  # its inline start-up script is allowed by the policy


def test_redoc_renders_the_operations_offline(
    console_server: ConsoleServer, offline: OfflinePage
) -> None:
    page = offline.page
    page.goto(f"{console_server.base_url}/redoc")
    # ReDoc lays out all ~50 operations before it shows anything: slow on a busy machine
    expect(page.locator(".api-content h1").first).to_contain_text("openvias", timeout=120_000)
    expect(page.get_by_text("/v2/{project_id}/source/sources").first).to_be_attached()
    # ReDoc's sidebar logo comes from its vendor's CDN: the policy stops it in the browser
    assert offline.elsewhere == []
    assert all("cdn.redoc.ly/redoc/logo-mini.svg" in error for error in offline.errors)
