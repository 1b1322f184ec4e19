"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from files shipped in the package, so that
they work on a machine without Internet access.

The files are pinned npm packages vendored by ``scripts/vendor-docs-assets.sh``; their
versions, tarballs and SHA-256 are in ``docs_assets/assets.lock.json``. The pages are
FastAPI's own HTML with the asset URLs pointing here, served with a Content-Security-Policy
that keeps the browser on this server: Swagger UI is started by FastAPI's inline script,
allowed by its hash; both libraries set inline styles; and ReDoc's sidebar shows a logo
from its vendor's CDN, which the policy blocks (the link beside it stays)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from openvias.errors import NotFound

ASSETS_DIR = Path(__file__).resolve().parents[1] / "docs_assets"
ASSETS_PATH = "/docs/assets"
#: What the pages load, and the licences beside them; nothing else in the folder is served.
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
    "LICENSE-swagger-ui": "text/plain; charset=utf-8",
    "NOTICE-swagger-ui": "text/plain; charset=utf-8",
    "LICENSE-redoc": "text/plain; charset=utf-8",
}
OPENAPI_URL = "/openapi.json"
TITLE = "openvias API"

router = APIRouter(include_in_schema=False)


def with_policy(page: HTMLResponse) -> HTMLResponse:
    """The page with a policy allowing only this server, and its own inline scripts."""
    inline = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), re.DOTALL)
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in inline
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=TITLE,
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        # Swagger UI would otherwise show a badge image from validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return with_policy(page)


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    page = get_redoc_html(
        openapi_url=OPENAPI_URL,
        title=TITLE,
        redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        with_google_fonts=False,
    )
    return with_policy(page)


@router.get(ASSETS_PATH + "/{name}")
async def asset(name: str) -> FileResponse:
    media_type = ASSET_TYPES.get(name)
    if media_type is None:
        raise NotFound(f"No documentation asset {name!r}.")
    return FileResponse(ASSETS_DIR / name, media_type=media_type)
