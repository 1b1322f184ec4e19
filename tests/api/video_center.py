"""Helpers of the Video Center tests: a thin client that checks every answer against the
spec (200 bodies against the operation's schema, failures against ``ErrorResponse``)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx

from tests import spec
from tests.support import ADMIN_PASSWORD, Server

URL_CONFIG = "<type_config>        <url_address>{url}</url_address>      </type_config>"
DOC_URL_CONFIG = "<type>URL</type><config><URL_ADDRESS>{url}</URL_ADDRESS></config>"


def unique(prefix: str = "vc") -> str:
    """A name no other test uses (sources: up to 100 chars, groups: up to 20)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def source_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_type": "cloud",
        "type": "url",
        "type_config": URL_CONFIG.format(url="rtsp://12.12.12.12:333/live"),
        "video_source_name": unique("src"),
        "latitude": "",
        "longitude": "",
        "tag": [],
        "video_group_ids": [],
    }
    body.update(overrides)
    return body


class VideoCenter:
    """Calls the ten Video Center operations; every answer is checked against the spec."""

    def __init__(self, server: Server, client: httpx.Client) -> None:
        self.server = server
        self.client = client
        self.base = f"/v2/{server.project_id}"

    # -- raw calls -----------------------------------------------------------------------

    def call(self, operation: str, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.client.request(method, self.base + path, **kwargs)
        assert response.status_code == expect, (operation, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json"), response.headers
        body = response.json()
        if response.status_code == 200:
            spec.assert_response(operation, body)
        else:
            spec.assert_error(body)
        return body

    def fail(self, operation: str, method: str, path: str, status: int, **kwargs: Any) -> Any:
        return self.call(operation, method, path, expect=status, **kwargs)

    # -- sources -------------------------------------------------------------------------

    def create_source(self, **overrides: Any) -> str:
        body = self.call("CreateVideoSource", "POST", "/source", json=source_body(**overrides))
        return str(body["video_source_id"])

    def show_source(self, source_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "ShowVideoSourceDetail", "GET", f"/source/sources/{source_id}"
        )
        return result

    def update_source(self, source_id: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "UpdateVideoSource", "PUT", f"/source/{source_id}", json=body
        )
        return result

    def delete_source(self, source_id: str) -> None:
        self.call("DeleteVideoSource", "DELETE", f"/source/{source_id}")

    def list_sources(self, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "ListVideoSources", "GET", "/source/sources", params=params
        )
        return result

    def source_ids(self, **params: Any) -> list[str]:
        return [s["video_source_id"] for s in self.list_sources(**params)["video_source_list"]]

    # -- groups --------------------------------------------------------------------------

    def create_group(self, source_ids: list[str] | None = None, **overrides: Any) -> str:
        body: dict[str, Any] = {
            "access_type": "cloud",
            "video_group_name": unique("g")[:20],
            "description": "",
        }
        if source_ids is not None:
            body["video_source_ids"] = source_ids
        body.update(overrides)
        return str(
            self.call("CreateVideoGroup", "POST", "/video-group", json=body)["video_group_id"]
        )

    def show_group(self, group_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "ShowVideoGroupDetail", "GET", f"/video-group/{group_id}"
        )
        return result

    def update_group(self, group_id: str, body: dict[str, Any]) -> None:
        self.call("UpdateVideoGroup", "PUT", f"/video-group/{group_id}", json=body)

    def delete_group(self, group_id: str) -> None:
        self.call("DeleteVideoGroup", "DELETE", f"/video-group/{group_id}")

    def list_groups(self, **params: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "ListVideoGroups", "GET", "/video-group/groups", params=params
        )
        return result

    def group_ids(self, **params: Any) -> list[str]:
        return [g["video_group_id"] for g in self.list_groups(**params)["video_group_list"]]

    # -- state the API cannot set -------------------------------------------------------

    def set_status(self, source_id: str, status: str) -> None:
        """Set a source's status (``online``/``offline``/``abnormal``) the way the engine
        does: straight in the server's database."""
        asyncio.run(
            _execute(
                self.server.env["OPENVIAS_DATABASE_URL"],
                "UPDATE video_sources SET status = :status WHERE id = :id",
                {"status": status, "id": source_id},
            )
        )


async def _execute(url: str, statement: str, params: dict[str, Any]) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement), params)
    finally:
        await engine.dispose()


@contextmanager
def video_center(server: Server) -> Iterator[VideoCenter]:
    spec.require_spec()
    with server.client() as client:
        yield VideoCenter(server, client)


def other_project(server: Server, prefix: str = "proj") -> Server:
    """The same server, seen through an admin token scoped to a fresh project."""
    name = unique(prefix)
    for args in (
        ("admin", "create-project", "--domain", "openvias", "--name", name),
        ("admin", "grant", "--user", "admin", "--project", name, "--domain", "openvias"),
    ):
        done = server.cli(*args)
        assert done.returncode == 0, done.stderr
        json.loads(done.stdout)
    token, project_id = server.login("admin", ADMIN_PASSWORD, "openvias", name)
    return replace(server, token=token, project_id=project_id)
