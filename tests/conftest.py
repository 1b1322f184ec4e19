"""Fixtures shared by the whole suite. Every API test runs once per database backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import Server, running_server

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def server(backend: str) -> Iterator[Server]:
    """A real ``openvias serve`` on loopback over a fresh database of ``backend``."""
    with running_server(backend) as running:
        yield running
