"""``/docs`` and ``/redoc`` load nothing from another host: an air-gapped install shows them."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from openvias.api.routers.docs import ASSET_TYPES, ASSETS_DIR
from tests.support import Server

LOCK = json.loads((ASSETS_DIR / "assets.lock.json").read_text())
LOCKED_FILES = {
    name: file["sha256"] for package in LOCK["packages"] for name, file in package["files"].items()
}
PAGES = ("/docs", "/redoc")

pytestmark = pytest.mark.only_backend("sqlite")  # the pages do not touch the database


def referenced_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href|spec-url)=["']([^"']+)["']|url:\s*'([^']+)'""", html)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_refers_to_local_files_only(server: Server, page: str) -> None:
    # given the running server, when the page is fetched
    response = server.client().get(page)
    # then it is HTML whose every script, style, icon and spec URL is a path on this server
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "http://" not in response.text
    assert "https://" not in response.text
    urls = [url for pair in referenced_urls(response.text) for url in pair if url]
    assert len(urls) >= 2, response.text
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    # and the browser is told to load from nowhere else
    policy = response.headers["content-security-policy"]
    assert "default-src 'self';" in policy
    assert "http" not in policy
    assert "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]


@pytest.mark.parametrize("page", PAGES)
def test_every_asset_a_page_loads_is_served_as_locked(server: Server, page: str) -> None:
    html = server.client().get(page).text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets
    for url in assets:
        # when the browser loads it (no token: the pages are public)
        response = server.client(token="").get(url)
        # then it answers with the vendored file, byte for byte what the lock records
        assert response.status_code == 200, url
        name = url.rsplit("/", 1)[1]
        assert hashlib.sha256(response.content).hexdigest() == LOCKED_FILES[name]
        assert response.headers["content-type"] == ASSET_TYPES[name]


def test_the_spec_the_pages_load_is_served(server: Server) -> None:
    response = server.client(token="").get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "openvias"


def test_only_the_listed_assets_are_served(server: Server) -> None:
    for name in ("assets.lock.json", "..%2F..%2Fapp.py", "nothing.js"):
        response = server.client(token="").get(f"/docs/assets/{name}")
        assert response.status_code == 404, name
        assert response.json()["error_code"] == "VIAS.00010002"


def test_the_vendored_files_match_the_lock() -> None:
    # every file the lock records is in the package, unchanged, and served
    assert set(LOCKED_FILES) == set(ASSET_TYPES)
    on_disk = {path.name for path in ASSETS_DIR.iterdir()} - {"assets.lock.json"}
    assert on_disk == set(LOCKED_FILES)
    for name, sha256 in LOCKED_FILES.items():
        assert hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest() == sha256, name


def test_the_lock_pins_registry_packages() -> None:
    for package in LOCK["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"])
        assert package["tarball"].endswith(f"/{package['package']}-{package['version']}.tgz")
        assert package["integrity"].startswith("sha512-")


def test_the_vendor_script_exists() -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "vendor-docs-assets.sh"
    text = script.read_text()
    for package in LOCK["packages"]:
        assert f"{package['package']}@{package['version']}" in text
