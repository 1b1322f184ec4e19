"""Test support: a real ``openvias serve`` on loopback, per database backend."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ADMIN_PASSWORD = "admin-Passw0rd!"
PG_DSN = os.environ.get("OPENVIAS_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
REPO = Path(__file__).resolve().parents[1]
SPEC_DIR = REPO.parent / "shared" / "spec" / "huawei-api-definitions"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(
    process: subprocess.Popen[Any], *, timeout: float = 10, graceful: bool = True
) -> None:
    """Stop a child and reap it: SIGTERM (SIGKILL when not ``graceful``), then SIGKILL if it
    is still there after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    if graceful:
        process.terminate()
    else:
        process.kill()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(f"{PG_DSN}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def database(backend: str, data_dir: Path) -> Iterator[str]:
    """A fresh, empty database URL for one test run; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{data_dir / 'openvias.db'}"
        return
    name = f"openvias_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{PG_DSN.split('://', 1)[1]}/{name}"
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Server:
    """A running server with the bootstrap admin's token for project ``default``."""

    base_url: str
    env: dict[str, str]
    data_dir: Path
    process: subprocess.Popen[bytes]
    token: str = ""
    project_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def restart(self, *, kill: bool = False) -> None:
        """Stop the server (SIGTERM, or SIGKILL with ``kill``) and start it again on the
        same port, data folder and database."""
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=30)
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115
        port = self.base_url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "openvias", "serve", "--port", port],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_ready(self)

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"X-Auth-Token": token if token is not None else self.token}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kwargs)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "openvias", *args],
            input=stdin,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def login(self, user: str, password: str, domain: str, project: str) -> tuple[str, str]:
        response = httpx.post(
            f"{self.base_url}/v3/auth/tokens",
            json=password_body(user, password, domain, project_name=project),
        )
        assert response.status_code == 201, response.text
        return response.headers["X-Subject-Token"], response.json()["token"]["project"]["id"]


def password_body(
    user: str,
    password: str,
    domain: str,
    *,
    project_name: str | None = None,
    project_id: str | None = None,
) -> dict[str, Any]:
    project = {"id": project_id} if project_id else {"name": project_name}
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": domain}}
                },
            },
            "scope": {"project": project},
        }
    }


@contextmanager
def running_server(backend: str, **env_overrides: str) -> Iterator[Server]:
    with tempfile.TemporaryDirectory(prefix=f"openvias-{backend}-") as tmp:
        data_dir = Path(tmp)
        with database(backend, data_dir) as url:
            port = free_port()
            env = {
                **os.environ,
                "OPENVIAS_DATA_DIR": str(data_dir),
                "OPENVIAS_DATABASE_URL": url,
                "OPENVIAS_ADMIN_PASSWORD": ADMIN_PASSWORD,
                # API tests watch the states the API sets; engine tests give it slots.
                "OPENVIAS_ENGINE_SLOTS": "0",
                # The whole suite logs in from 127.0.0.1, wrong passwords included.
                "OPENVIAS_LOGIN_CLIENT_FAILURE_BURST": "100000",
                **env_overrides,
            }
            log = open(data_dir / "server.log", "wb")  # noqa: SIM115
            process = subprocess.Popen(
                [sys.executable, "-m", "openvias", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            server = Server(f"http://127.0.0.1:{port}", env, data_dir, process)
            try:
                _wait_ready(server)
                server.token, server.project_id = server.login(
                    "admin", ADMIN_PASSWORD, "openvias", "default"
                )
                yield server
            finally:
                # restart() may have replaced the first process
                stop_process(server.process, timeout=15)
                log.close()


def _wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                "openvias serve exited:\n" + (server.data_dir / "server.log").read_text()
            )
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("openvias serve did not become ready in time")


def stream_pids(server_pid: int) -> list[int]:
    """The server's stream processes (its children running openvias.engine.stream_process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == server_pid and b"openvias.engine.stream_process" in cmdline:
            found.append(int(entry.name))
    return found
