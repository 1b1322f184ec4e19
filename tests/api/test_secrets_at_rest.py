"""What the server keeps on disk: a private data folder, access-key secrets sealed under a
key kept outside the database, expired tokens purged."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from openvias.domain.secret_box import SecretBox, SecretKeyError, new_key_text, parse_key
from openvias.store.db import create_engine
from tests.api.identity_support import cli_json
from tests.api.test_aksk import send, sign
from tests.support import Server, running_server, stop_process

PRIVATE_FILES = ("secret.key", "delivery-worker-id")
SQLITE_FILES = ("openvias.db", "openvias.db-wal", "openvias.db-shm")


@pytest.fixture(scope="module")
def private(backend: str) -> Iterator[tuple[Server, Path]]:
    """A server whose data folder existed before, readable by all (as older releases made
    it), with a node-name file of theirs; expired tokens purged every second."""
    with tempfile.TemporaryDirectory() as parent:
        data = Path(parent) / "data"
        data.mkdir()
        data.chmod(0o755)
        stale = data / "delivery-worker-id"
        stale.write_text(f"delivery-{uuid.uuid4().hex[:8]}\n")
        stale.chmod(0o644)
        env = {"OPENVIAS_DATA_DIR": str(data), "OPENVIAS_TOKEN_PURGE_SECONDS": "1"}
        if backend == "sqlite":
            env["OPENVIAS_DATABASE_URL"] = f"sqlite+aiosqlite:///{data / 'openvias.db'}"
        with running_server(backend, **env) as server:
            yield server, data


def sql(server: Server, statement: str, **params: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def stored_secret(server: Server, access: str) -> str:
    ((value,),) = sql(server, "SELECT secret FROM access_keys WHERE access = :a", a=access)
    return str(value)


def signed_status(server: Server, keys: tuple[str, str]) -> int:
    path = f"/v2/{server.project_id}/source/sources"
    return send(server, sign(server, keys, "GET", path)).status_code


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_folder_and_files_are_private(private: tuple[Server, Path], backend: str) -> None:
    server, data = private
    cli_json(server, "admin", "create-access-key", "--user", "admin")  # a key file, a write
    assert mode(data) == 0o700
    names = PRIVATE_FILES + (SQLITE_FILES if backend == "sqlite" else ())
    for name in names:
        assert mode(data / name) == 0o600, name
    log = (server.data_dir / "server.log").read_text()
    assert f"{data} was mode 755, readable by others: now 700" in log


def test_a_copy_of_the_database_cannot_sign(private: tuple[Server, Path]) -> None:
    server, data = private
    printed = cli_json(server, "admin", "create-access-key", "--user", "admin")
    keys = (printed["access"], printed["secret"])
    stored = stored_secret(server, keys[0])
    assert keys[1] not in stored
    with pytest.raises(SecretKeyError):
        SecretBox(parse_key(new_key_text())).open(stored, keys[0])
    # What opens it is the key file (the database plus the key file is a full backup).
    key = parse_key((data / "secret.key").read_text())
    assert SecretBox(key).open(stored, keys[0]) == keys[1]
    assert signed_status(server, keys) == 200


def test_expired_tokens_are_purged(private: tuple[Server, Path]) -> None:
    server, _ = private
    ((user_id,),) = sql(server, "SELECT id FROM users WHERE name = 'admin'")
    expired = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    now = datetime.now(UTC)
    sql(
        server,
        "INSERT INTO tokens (digest, user_id, project_id, issued_at, expires_at) "
        "VALUES (:d, :u, :p, :issued, :expires)",
        d=expired,
        u=user_id,
        p=server.project_id,
        issued=now - timedelta(days=2),
        expires=now - timedelta(days=1),
    )
    count = "SELECT count(*) FROM tokens WHERE digest = :d"
    deadline = time.monotonic() + 60
    while sql(server, count, d=expired)[0][0] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sql(server, count, d=expired)[0][0] == 0
    live = hashlib.sha256(server.token.encode()).hexdigest()
    assert sql(server, count, d=live)[0][0] == 1
    with server.client() as client:
        assert client.get("/v3/projects").status_code == 200


def test_plaintext_secret_of_an_older_release_is_sealed_and_keys_survive_restart(
    private: tuple[Server, Path],
) -> None:
    server, _ = private
    printed = cli_json(server, "admin", "create-access-key", "--user", "admin")
    sealed = (printed["access"], printed["secret"])
    ((user_id,),) = sql(server, "SELECT id FROM users WHERE name = 'admin'")
    plain = ("AK" + uuid.uuid4().hex[:18].upper(), uuid.uuid4().hex + uuid.uuid4().hex[:8])
    sql(
        server,
        "INSERT INTO access_keys (access, secret, user_id, enabled, created_at) "
        "VALUES (:a, :s, :u, :e, :c)",
        a=plain[0],
        s=plain[1],
        u=user_id,
        e=True,
        c=datetime.now(UTC),
    )
    server.restart()
    assert plain[1] not in stored_secret(server, plain[0])
    assert signed_status(server, plain) == 200
    assert signed_status(server, sealed) == 200


def _refused_start(server: Server) -> str:
    port = server.base_url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "openvias", "serve", "--port", port],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("openvias: error: "), done.stderr
    return last


def test_start_is_refused_without_the_key_that_sealed_the_secrets(
    private: tuple[Server, Path],
) -> None:
    server, data = private
    cli_json(server, "admin", "create-access-key", "--user", "admin")
    key_file = data / "secret.key"
    kept = key_file.read_text()
    stop_process(server.process)
    try:
        key_file.unlink()
        assert "secret.key is missing" in _refused_start(server)
        assert not key_file.exists()  # no new key made over sealed secrets
        key_file.write_text(new_key_text() + "\n")
        assert "does not open" in _refused_start(server)
    finally:
        key_file.write_text(kept)
        os.chmod(key_file, 0o600)
        server.restart()
    with server.client() as client:
        assert client.get("/v3/projects").status_code == 200
