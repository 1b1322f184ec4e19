"""Small helpers the console's browser tests share."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import FloatRect, Page

from tests.web.conftest import ConsoleServer


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(console: ConsoleServer, method: str, path: str, **kwargs: Any) -> Any:
    """An API call with the admin's token that must succeed; its JSON answer."""
    response = console.api.request(method, console.path(path), **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def go(page: Page, route: str) -> None:
    """Opens a console route in the same page (the session stays)."""
    page.goto(page.url.split("#")[0] + "#" + route)


def roi_canvas_box(page: Page) -> FloatRect:
    """The ROI drawing surface, scrolled to the middle of the window (so that no sticky bar
    covers the corners a test clicks) and measured."""
    canvas = page.get_by_test_id("roi-canvas")
    canvas.evaluate("element => element.scrollIntoView({ block: 'center', inline: 'center' })")
    box = canvas.bounding_box()
    assert box is not None
    return box
