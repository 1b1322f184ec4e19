"""A PostgreSQL server of the test's own, which the test may stop and restart (the shared one
at 127.0.0.1:5432 serves the whole machine's tests and must never be). ``initdb`` in a
temporary folder (trust authentication, loopback on a free port, the socket in that folder),
started with ``pg_ctl``. PostgreSQL refuses to run as root: as root, its programs run as the
``postgres`` user, who owns the folder."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port

DATABASE = "openvias"
UNPRIVILEGED_USER = "postgres"


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", UNPRIVILEGED_USER, "--", *argv]


@dataclass
class PrivatePostgres:
    folder: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its ``openvias`` database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            _as_owner(["pg_ctl", "-D", str(self.data_dir), "-w", "-t", "30", *args]),
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def start(self) -> None:
        self._pg_ctl("-l", str(self.folder / "postgres.log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-l", str(self.folder / "postgres.log"), "restart")

    def psql(self, statement: str) -> None:
        subprocess.run(
            _as_owner(
                [
                    *("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"),
                    *("-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", statement),
                ]
            ),
            check=True,
            capture_output=True,
            timeout=30,
        )


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running PostgreSQL with an empty ``openvias`` database; removed afterwards."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        raise RuntimeError("initdb and pg_ctl must be on PATH (PostgreSQL server binaries)")
    folder = Path(tempfile.mkdtemp(prefix="openvias-private-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(UNPRIVILEGED_USER)
        os.chown(folder, account.pw_uid, account.pw_gid)
    server = PrivatePostgres(folder, free_port())
    subprocess.run(
        _as_owner(
            [
                *("initdb", "-D", str(server.data_dir), "-U", "postgres", "--auth=trust"),
                *("--no-sync", "-E", "UTF8", "--locale=C"),
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    with open(server.data_dir / "postgresql.conf", "a") as conf:
        conf.write(
            f"\nlisten_addresses = '127.0.0.1'\nport = {server.port}\n"
            f"unix_socket_directories = '{folder}'\nmax_connections = 200\n"
            "fsync = off\nsynchronous_commit = off\n"
        )
    try:
        server.start()
        server.psql(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def wait_until_accepting(server: PrivatePostgres, timeout: float = 30) -> float:
    """Seconds until the server takes a connection."""
    started = time.monotonic()
    while True:
        result = subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", str(server.port)], capture_output=True
        )
        if result.returncode == 0:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError("the private PostgreSQL did not come back")
        time.sleep(0.05)
