"""The reads answered before routing (``api/fast_reads.py``): ShowVideoSourceDetail read
directly, ListVideoSources from a cache that every committed write empties at once, writes
of other processes included (SQLite's change counter, PostgreSQL LISTEN/NOTIFY), API
replicas on the same database among them."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import make_url, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from openvias.domain.clock import utcnow
from openvias.services.identity import token_digest
from openvias.store.db import create_engine
from openvias.store.models import Token
from tests.api.video_center import VideoCenter, unique, video_center
from tests.support import ADMIN_PASSWORD, Server, _wait_ready, free_port, stop_process


@pytest.fixture
def vc(server: Server) -> Iterator[VideoCenter]:
    with video_center(server) as center:
        yield center


@pytest.fixture
async def other_process(server: Server) -> AsyncIterator[AsyncEngine]:
    """The server's database, written through an engine of this (test) process: to the
    server, the writes of another process."""
    engine = create_engine(server.env["OPENVIAS_DATABASE_URL"])
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def replica(server: Server) -> Iterator[Server]:
    """A second ``openvias serve`` on the server's database (an API replica behind a load
    balancer), with the same admin token."""
    port = free_port()
    with open(server.data_dir / "replica.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "openvias", "serve", "--port", str(port)],
            env=server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    other = Server(
        f"http://127.0.0.1:{port}",
        server.env,
        server.data_dir,
        process,
        token=server.token,
        project_id=server.project_id,
    )
    try:
        _wait_ready(other, timeout=120)
        yield other
    finally:
        stop_process(process, timeout=15)


def _metric(server: Server, name: str) -> int:
    body = httpx.get(f"{server.base_url}/metrics").text
    found = re.search(rf"^{re.escape(name)} (\d+)(?:\.0)?$", body, re.MULTILINE)
    assert found, body
    return int(found.group(1))


HITS = 'openvias_read_cache_lookups_total{result="hit"}'
VERSIONS = "openvias_read_cache_versions_total"
DIRECT_SHOWS = 'openvias_direct_reads_total{operation="ShowVideoSourceDetail"}'


def test_direct_show_is_the_routed_show_byte_for_byte(server: Server, vc: VideoCenter) -> None:
    """A new token is not in the token cache: its first read is routed, the next direct."""
    sid = vc.create_source(video_source_name=unique("直读"), tag=["北门", "a_1"], latitude="1.5")
    vc.create_group([sid])
    vc.create_group([sid])
    token, _ = server.login("admin", ADMIN_PASSWORD, "openvias", "default")
    path = f"/v2/{server.project_id}/source/sources/{sid}"
    with server.client(token) as client:
        before = _metric(server, DIRECT_SHOWS)
        routed = client.get(path)
        direct = client.get(path)
        assert _metric(server, DIRECT_SHOWS) == before + 1
    assert routed.status_code == direct.status_code == 200
    assert routed.content == direct.content
    assert routed.headers["content-type"] == direct.headers["content-type"] == "application/json"
    assert routed.headers["content-length"] == direct.headers["content-length"]
    packages = direct.json()["video_packages"]
    assert [p["video_group_id"] for p in packages] == [
        g["video_group_id"] for g in map(vc.show_group, [p["video_group_id"] for p in packages])
    ]
    assert packages == [vc.show_group(p["video_group_id"]) for p in packages]


def test_direct_show_falls_back_for_every_error(server: Server, vc: VideoCenter) -> None:
    base = f"/source/sources/{'0' * 8}-0000-4000-8000-{'0' * 12}"
    assert vc.fail("ShowVideoSourceDetail", "GET", base, 404)["error_code"]
    assert vc.fail("ShowVideoSourceDetail", "GET", "/source/sources/BAD.ID", 400)["params"] == [
        "video_source_id"
    ]
    sid = vc.create_source()
    vc.show_source(sid)
    vc.delete_source(sid)
    vc.fail("ShowVideoSourceDetail", "GET", f"/source/sources/{sid}", 404)


def test_list_reflects_each_write_at_once(vc: VideoCenter) -> None:
    prefix = unique("fresh")
    seen: list[str] = []
    for i in range(6):
        assert vc.source_ids(scope=prefix) == seen[::-1]
        assert vc.source_ids(scope=prefix) == seen[::-1]  # from the cache
        seen.append(vc.create_source(video_source_name=f"{prefix}-{i}"))
    assert vc.source_ids(scope=prefix) == seen[::-1]
    renamed = f"{prefix}-renamed"
    vc.update_source(
        seen[0],
        {"type_config": vc.show_source(seen[0])["type_config"], "video_source_name": renamed},
    )
    names = [s["video_source_name"] for s in vc.list_sources(scope=prefix)["video_source_list"]]
    assert renamed in names
    vc.delete_source(seen[0])
    assert seen[0] not in vc.source_ids(scope=prefix)


def test_repeated_lists_come_from_the_cache(server: Server, vc: VideoCenter) -> None:
    prefix = unique("hits")
    vc.create_source(video_source_name=prefix)
    vc.list_sources(scope=prefix)
    hits = _metric(server, HITS)
    for _ in range(3):
        assert len(vc.list_sources(scope=prefix)["video_source_list"]) == 1
    assert _metric(server, HITS) == hits + 3


async def test_list_reflects_writes_of_another_process_at_once(
    vc: VideoCenter, other_process: AsyncEngine
) -> None:
    """Each write commits in another process, then the list is read at once: the answer
    may never be the cached one from before the write."""
    prefix = unique("other")
    sid = vc.create_source(video_source_name=f"{prefix}-0")
    for i in range(1, 41):
        vc.list_sources(scope=prefix)  # cached under the current version
        async with other_process.begin() as connection:
            await connection.execute(
                text("UPDATE video_sources SET name = :name WHERE id = :id"),
                {"name": f"{prefix}-{i}", "id": sid},
            )
        listed = vc.list_sources(scope=prefix)["video_source_list"]
        assert [s["video_source_name"] for s in listed] == [f"{prefix}-{i}"], i


def test_a_write_through_one_replica_is_in_the_next_read_of_another(
    server: Server, replica: Server, vc: VideoCenter
) -> None:
    """Two replicas take turns: one warms its cached list and direct show, the other
    writes (create, update, group, delete), then the first reads again at once."""
    prefix = unique("replica")
    with video_center(replica) as other:
        centers = (vc, other)
        sid = vc.create_source(video_source_name=f"{prefix}-0")
        created: list[str] = []
        reads_before = [(_metric(c.server, HITS), _metric(c.server, DIRECT_SHOWS)) for c in centers]
        for i in range(1, 13):
            writer, reader = centers[i % 2], centers[1 - i % 2]
            for _ in range(2):  # the second from the cache
                assert reader.source_ids(scope=prefix) == [sid, *created][::-1]
                reader.show_source(sid)
            name = f"{prefix}-{i}"
            writer.update_source(
                sid,
                {"type_config": writer.show_source(sid)["type_config"], "video_source_name": name},
            )
            if i % 3 == 0:
                created.append(writer.create_source(video_source_name=f"{prefix}-new-{i}"))
            if i % 4 == 0:
                group = writer.create_group([sid])
                assert [p["video_group_id"] for p in reader.show_source(sid)["video_packages"]][
                    -1
                ] == group
            listed = reader.list_sources(scope=prefix)["video_source_list"]
            assert [s["video_source_id"] for s in listed] == [sid, *created][::-1], i
            assert (
                next(s for s in listed if s["video_source_id"] == sid)["video_source_name"] == name
            )
            assert reader.show_source(sid)["video_source_name"] == name
        gone = created.pop()
        vc.delete_source(gone)
        assert gone not in other.source_ids(scope=prefix)
        other.fail("ShowVideoSourceDetail", "GET", f"/source/sources/{gone}", 404)
    for center, (hits, shows) in zip(centers, reads_before, strict=True):
        # the reads above took the fast path on both replicas
        assert _metric(center.server, HITS) >= hits + 6
        assert _metric(center.server, DIRECT_SHOWS) >= shows + 12


async def test_concurrent_reads_never_miss_an_acknowledged_write(
    server: Server, vc: VideoCenter, other_process: AsyncEngine
) -> None:
    """Readers keep the cache busy (and share in-flight answers) while another process
    writes; a read that starts after a write's commit returned must see that write."""
    prefix = unique("race")
    sid = vc.create_source(video_source_name=f"{prefix}-0")
    path = f"/v2/{server.project_id}/source/sources"
    params = {"scope": prefix}
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"X-Auth-Token": server.token}, timeout=30
    ) as client:
        committed = 0
        stop = asyncio.Event()

        async def reader() -> None:
            while not stop.is_set():
                floor = committed
                answer = await client.get(path, params=params)
                assert answer.status_code == 200, answer.text
                name = answer.json()["video_source_list"][0]["video_source_name"]
                assert int(name.rsplit("-", 1)[1]) >= floor, (name, floor)

        readers = [asyncio.create_task(reader()) for _ in range(8)]
        try:
            for i in range(1, 31):
                async with other_process.begin() as connection:
                    await connection.execute(
                        text("UPDATE video_sources SET name = :name WHERE id = :id"),
                        {"name": f"{prefix}-{i}", "id": sid},
                    )
                committed = i
                await asyncio.sleep(0.01)
        finally:
            stop.set()
            await asyncio.gather(*readers)


@pytest.mark.only_backend("postgresql")
async def test_a_bare_notify_empties_the_cache(
    backend: str, server: Server, vc: VideoCenter, other_process: AsyncEngine
) -> None:
    """On PostgreSQL, a writer that bypasses openvias's engine (psql) announces its change
    with ``NOTIFY openvias_changes``; here the NOTIFY is sent apart from the write."""
    prefix = unique("bare")
    sid = vc.create_source(video_source_name=prefix)
    vc.list_sources(scope=prefix)
    async with other_process.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute(f"UPDATE video_sources SET name = '{prefix}x' WHERE id = '{sid}'")
        await driver.execute("NOTIFY openvias_changes")
    assert vc.source_ids(scope=f"{prefix}x") == [sid]
    names = [s["video_source_name"] for s in vc.list_sources(scope=prefix)["video_source_list"]]
    assert names == [f"{prefix}x"]


@pytest.mark.only_backend("sqlite")
def test_a_write_from_a_plain_sqlite3_connection_empties_the_cache(
    backend: str, server: Server, vc: VideoCenter
) -> None:
    """SQLite: the change counter is bumped by triggers in the database itself, so a
    writer that knows nothing of openvias (the ``sqlite3`` shell, say) is seen too."""
    prefix = unique("shell")
    sid = vc.create_source(video_source_name=prefix)
    vc.list_sources(scope=prefix)
    path = make_url(server.env["OPENVIAS_DATABASE_URL"]).database
    assert path
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db, db:
        db.execute("UPDATE video_sources SET name = ? WHERE id = ?", (f"{prefix}x", sid))
    names = [s["video_source_name"] for s in vc.list_sources(scope=prefix)["video_source_list"]]
    assert names == [f"{prefix}x"]


async def test_writes_no_cached_read_depends_on_keep_the_cache(
    backend: str, server: Server, vc: VideoCenter, other_process: AsyncEngine
) -> None:
    """Writes to tables outside the cached reads (tokens, the engine's leases and alarms)
    leave the cache warm: PostgreSQL does not announce them, SQLite's change counter has no
    trigger on them. (On PostgreSQL a textual statement is always announced, its table
    being unknown.) On PostgreSQL a token update empties the token caches
    (``api/token_coherence.py``), so the first list after it is routed, to verify the
    token again; the read cache's version must not have moved meanwhile."""
    prefix = unique("warm")
    vc.create_source(video_source_name=prefix)
    vc.list_sources(scope=prefix)
    vc.list_sources(scope=prefix)
    hits, versions = _metric(server, HITS), _metric(server, VERSIONS)
    async with other_process.begin() as connection:
        touched = await connection.execute(update(Token).values(expires_at=Token.expires_at))
    assert touched.rowcount > 0
    vc.list_sources(scope=prefix)
    vc.list_sources(scope=prefix)
    assert _metric(server, VERSIONS) == versions
    assert _metric(server, HITS) in (hits + 1, hits + 2)


async def test_a_token_revoked_elsewhere_stops_working_within_the_cache_time(
    server: Server, vc: VideoCenter, other_process: AsyncEngine
) -> None:
    """A busy token is verified again before its cache entry ends (so that it never drops
    out): that verification must also notice a revoke made by another process."""
    sid = vc.create_source()
    token, _ = server.login("admin", ADMIN_PASSWORD, "openvias", "default")
    path = f"/v2/{server.project_id}/source/sources/{sid}"
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"X-Auth-Token": token}, timeout=30
    ) as client:
        assert (await client.get(path)).status_code == 200
        async with other_process.begin() as connection:
            await connection.execute(
                update(Token).where(Token.digest == token_digest(token)).values(revoked_at=utcnow())
            )
        revoked_at = time.monotonic()
        while (await client.get(path)).status_code == 200:
            # auth_cache_seconds is 5 s by default; the verification takes a round trip more
            assert time.monotonic() - revoked_at < 5 + 1.5
            await asyncio.sleep(0.02)
        answer = await client.get(path)
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "VIAS.00010005"
