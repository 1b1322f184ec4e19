"""The server answers, on both backends."""

from __future__ import annotations

from tests.support import Server


def test_healthz_and_readyz(server: Server) -> None:
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
