"""The web console: its static files under ``/console/``, with strict security headers.

The console is plain files (``openvias/web/console/``) that call the public API from the
browser; nothing here knows about its pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "web" / "console"
CONSOLE_PATH = "/console"

#: No inline script or style, nothing from elsewhere, never framed. ``blob:`` and ``data:``
#: images are the snapshots and alarm pictures the console fetches with its token.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidated on every load (ETag), so an upgraded server never runs with stale modules.
    "Cache-Control": "no-cache",
}


class ConsoleFiles:
    """Serves the console's files (``index.html`` for a folder) and adds the security
    headers to every answer, a missing file's 404 included."""

    def __init__(self, directory: Path) -> None:
        self.files = StaticFiles(directory=directory, html=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        try:
            await self.files(scope, receive, send_with_headers)
        except HTTPException as error:
            answer = PlainTextResponse(str(error.detail), status_code=error.status_code)
            await answer(scope, receive, send_with_headers)


def install_console(app: FastAPI) -> None:
    """Mounts the console at ``/console/``; ``/`` and ``/console`` lead there."""

    async def to_console() -> RedirectResponse:
        return RedirectResponse(f"{CONSOLE_PATH}/", status_code=307)

    app.add_api_route("/", to_console, include_in_schema=False)
    app.add_api_route(CONSOLE_PATH, to_console, include_in_schema=False)
    app.mount(CONSOLE_PATH, ConsoleFiles(CONSOLE_DIR), name="console")
