"""Fixtures shared by the whole suite. Every API test runs once per database backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import Server, running_server

BACKENDS = ("sqlite", "postgresql")
#: ``database_url``: a fresh database per module, for tests without a server.
pytest_plugins = ["tests.db_support"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "only_backend(name): run the test on that database backend alone"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``only_backend`` is not collected for the other backends (it is about
    a feature the other one does not have: nothing to skip there)."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("only_backend")
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if marker is not None and backend is not None and backend != marker.args[0]:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def server(backend: str) -> Iterator[Server]:
    """A real ``openvias serve`` on loopback over a fresh database of ``backend``."""
    with running_server(backend) as running:
        yield running
