"""A real server per database backend for the client tests: a clip under its file roots
(for snapshots), deliveries that give up after one attempt (for RetryDelivery), and a
fresh tenant per module so that the tests own their project."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openvias.client import Client
from tests.api.identity_support import Tenant, create_tenant
from tests.engine.media_fixtures import FPS, write_clip
from tests.support import Server, running_server

ENV = {
    "OPENVIAS_ALLOW_PRIVATE_TARGETS": "true",
    "OPENVIAS_DELIVERY_MAX_ATTEMPTS": "1",
    "OPENVIAS_WEBHOOK_TIMEOUT_SECONDS": "1",
}


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("client-videos") / "scene.mp4"
    write_clip(path, seconds=2, gop=FPS, width=320, height=240)
    return path


@pytest.fixture(scope="session")
def served(backend: str, clip: Path) -> Iterator[Server]:
    with running_server(backend, OPENVIAS_FILE_ROOTS=str(clip.parent), **ENV) as server:
        yield server


@pytest.fixture(scope="module")
def tenant(served: Server) -> Tenant:
    return create_tenant(served)


class Driven:
    """The operation ids a client's successful calls went to (read from ``/openapi.json``:
    the literal path wins over a template, ``/events/rules`` over ``/events/{event_id}``)."""

    def __init__(self, server: Server) -> None:
        document = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
        routes = [
            (path.count("{"), method.upper(), path, op["operationId"])
            for path, item in document["paths"].items()
            for method, op in item.items()
        ]
        self.routes = [
            (method, re.compile(re.sub(r"\{[^}]+\}", "[^/]+", path)), op)
            for _, method, path, op in sorted(routes)
        ]
        self.operations: set[str] = set()

    def record(self, response: httpx.Response) -> None:
        if not response.is_success:
            return
        request = response.request
        for method, pattern, operation in self.routes:
            if method == request.method and pattern.fullmatch(request.url.path):
                self.operations.add(operation)
                return


@pytest.fixture(scope="module")
def driven(served: Server) -> Driven:
    return Driven(served)


@pytest.fixture(scope="module")
def client(served: Server, tenant: Tenant, driven: Driven) -> Iterator[Client]:
    with Client.with_password(
        served.base_url, tenant.user, tenant.password, tenant.domain, tenant.project
    ) as opened:
        opened.http.event_hooks["response"].append(driven.record)
        yield opened
