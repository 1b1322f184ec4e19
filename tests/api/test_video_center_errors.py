"""Video Center failures: duplicates, dangling references, bad ``type_config``, unknown ids.
Every error body is checked against ``ErrorResponse``; a refused write writes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.video_center import URL_CONFIG, VideoCenter, source_body, unique, video_center
from tests.support import Server

MISSING_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def vc(server: Server) -> Iterator[VideoCenter]:
    with video_center(server) as center:
        yield center


def _count_sources(vc: VideoCenter) -> int:
    return int(vc.list_sources()["total_number"])


def _count_groups(vc: VideoCenter) -> int:
    return int(vc.list_groups()["total_number"])


def test_duplicate_source_name(vc: VideoCenter) -> None:
    name = unique("dup")
    sid = vc.create_source(video_source_name=name)
    total = _count_sources(vc)
    body = vc.fail(
        "CreateVideoSource", "POST", "/source", 409, json=source_body(video_source_name=name)
    )
    assert (body["error_code"], body["params"]) == ("VIAS.00010010", ["video_source_name"])
    assert _count_sources(vc) == total

    other = vc.create_source()
    update = {"type_config": URL_CONFIG.format(url="rtsp://1.2.3.4/x"), "video_source_name": name}
    body = vc.fail("UpdateVideoSource", "PUT", f"/source/{other}", 409, json=update)
    assert (body["error_code"], body["params"]) == ("VIAS.00010010", ["video_source_name"])
    assert vc.show_source(other)["stream_path"] == "rtsp://12.12.12.12:333/live"
    # Renaming a source to its own name is no conflict.
    assert vc.update_source(sid, update)["video_source_name"] == name


def test_duplicate_group_name(vc: VideoCenter) -> None:
    name = unique("d")[:20]
    gid = vc.create_group(video_group_name=name)
    total = _count_groups(vc)
    body = vc.fail(
        "CreateVideoGroup",
        "POST",
        "/video-group",
        409,
        json={"access_type": "edge", "video_group_name": name},
    )
    assert (body["error_code"], body["params"]) == ("VIAS.00010003", ["video_group_name"])
    assert _count_groups(vc) == total

    sid = vc.create_source()
    other = vc.create_group([sid])
    update = {"video_group_name": name, "video_source_ids": [sid]}
    body = vc.fail("UpdateVideoGroup", "PUT", f"/video-group/{other}", 409, json=update)
    assert body["params"] == ["video_group_name"]
    vc.update_group(gid, update)  # its own name: no conflict
    assert vc.show_group(gid)["video_group_name"] == name


@pytest.mark.parametrize("kind", ["source", "group"])
def test_concurrent_creates_with_one_name(server: Server, vc: VideoCenter, kind: str) -> None:
    """The name check and the insert race; the loser still gets the duplicate-name error."""
    name = unique("race")[:20]
    path, body, code, param = (
        ("/source", source_body(video_source_name=name), "VIAS.00010010", "video_source_name")
        if kind == "source"
        else (
            "/video-group",
            {"access_type": "cloud", "video_group_name": name},
            "VIAS.00010003",
            "video_group_name",
        )
    )

    def create(_: int) -> tuple[int, Any, Any]:
        with server.client() as client:
            answer = client.post(vc.base + path, json=body)
            payload = answer.json()
            return answer.status_code, payload.get("error_code"), payload.get("params")

    with ThreadPoolExecutor(8) as pool:
        outcomes = Counter(map(str, pool.map(create, range(8))))
    assert outcomes == {str((200, None, None)): 1, str((409, code, [param])): 7}, outcomes


def test_group_with_unknown_source(vc: VideoCenter) -> None:
    sid = vc.create_source()
    total = _count_groups(vc)
    name = unique("u")[:20]
    body = vc.fail(
        "CreateVideoGroup",
        "POST",
        "/video-group",
        400,
        json={
            "access_type": "cloud",
            "video_group_name": name,
            "video_source_ids": [sid, MISSING_ID],
        },
    )
    assert body["params"] == ["video_source_ids"]
    assert body["error_code"] == "VIAS.00010002"
    assert MISSING_ID in body["error_msg"]
    assert _count_groups(vc) == total
    assert vc.group_ids(name=name) == []

    gid = vc.create_group([sid], video_group_name=name)
    before = vc.show_group(gid)
    update = {"video_source_ids": [MISSING_ID], "video_group_name": unique("v")[:20]}
    body = vc.fail("UpdateVideoGroup", "PUT", f"/video-group/{gid}", 400, json=update)
    assert body["params"] == ["video_source_ids"]
    assert vc.show_group(gid) == before


def test_source_in_unknown_group(vc: VideoCenter) -> None:
    total = _count_sources(vc)
    body = vc.fail(
        "CreateVideoSource", "POST", "/source", 400, json=source_body(video_group_ids=[MISSING_ID])
    )
    assert (body["error_code"], body["params"]) == ("VIAS.00010002", ["video_group_ids"])
    assert _count_sources(vc) == total


def test_source_created_in_groups(vc: VideoCenter) -> None:
    g1, g2 = vc.create_group(), vc.create_group()
    sid = vc.create_source(video_group_ids=[g1, g2, g1])
    assert sorted(p["video_group_id"] for p in vc.show_source(sid)["video_packages"]) == sorted(
        [g1, g2]
    )
    assert vc.show_group(g1)["num_video_source"] == 1


_BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<type_config><url_address>rtsp://a/&lol2;</url_address></type_config>"
)
_XXE = (
    '<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<type_config><url_address>&xxe;</url_address></type_config>"
)
BAD_CONFIGS = {
    "malformed-xml": ("url", "<type_config><url_address>rtsp://a/b</type_config>"),
    "not-xml": ("url", "rtsp://12.12.12.12:333"),
    "no-url-address": ("url", "<type_config><ip>1.2.3.4</ip></type_config>"),
    "empty-url-address": ("url", "<type_config><url_address> </url_address></type_config>"),
    "documented-layout-no-address": ("url", "<type>URL</type><config></config>"),
    "not-a-url": ("url", URL_CONFIG.format(url="not a url")),
    "no-host": ("url", URL_CONFIG.format(url="rtsp:12.12.12.12")),
    "bad-scheme": ("url", URL_CONFIG.format(url="ftp://h.example/a.mp4")),
    "bad-ipv6": ("url", URL_CONFIG.format(url="http://[::1/a")),
    "bad-port": ("url", URL_CONFIG.format(url="rtsp://1.2.3.4:99999/a")),
    "space-in-url": ("url", URL_CONFIG.format(url="rtsp://1.2.3.4/a b")),
    "entity-bomb": ("url", _BILLION_LAUGHS),
    "external-entity": ("url", _XXE),
    "obs-no-path": ("obs", "<type_config><bucket>my-bucket</bucket></type_config>"),
    "obs-root-path": ("obs", "<type_config><bucket>my-bucket</bucket><path>/</path></type_config>"),
    "obs-bad-bucket": (
        "obs",
        "<type_config><bucket>My_Bucket</bucket><path>a</path></type_config>",
    ),
    "vcn-text": ("vcn", "just some text"),
    "vcn-malformed": ("vcn", "<type>VCN</type><config>"),
}


@pytest.mark.parametrize(("source_type", "type_config"), BAD_CONFIGS.values(), ids=BAD_CONFIGS)
def test_bad_type_config(vc: VideoCenter, source_type: str, type_config: str) -> None:
    name = unique("bad")
    total = _count_sources(vc)
    body = vc.fail(
        "CreateVideoSource",
        "POST",
        "/source",
        400,
        json=source_body(type=source_type, type_config=type_config, video_source_name=name),
    )
    assert (body["error_code"], body["params"]) == ("VIAS.00010018", ["type_config"])
    assert _count_sources(vc) == total
    assert vc.list_sources(scope=name)["total_number"] == 0

    good = {"obs": "<type_config><bucket>b-1</bucket><path>a.mp4</path></type_config>"}
    sid = vc.create_source(
        type=source_type, type_config=good.get(source_type, URL_CONFIG.format(url="rtsp://h/1"))
    )
    before = vc.show_source(sid)
    update = {"type_config": type_config, "video_source_name": unique("new")}
    body = vc.fail("UpdateVideoSource", "PUT", f"/source/{sid}", 400, json=update)
    assert (body["error_code"], body["params"]) == ("VIAS.00010018", ["type_config"])
    assert vc.show_source(sid) == before


UNKNOWN = [
    ("ShowVideoSourceDetail", "GET", "/source/sources/{id}", None, "video_source_id"),
    (
        "UpdateVideoSource",
        "PUT",
        "/source/{id}",
        {"type_config": URL_CONFIG.format(url="rtsp://h/1"), "video_source_name": "x"},
        "video_source_id",
    ),
    ("DeleteVideoSource", "DELETE", "/source/{id}", None, "video_source_id"),
    ("ShowVideoGroupDetail", "GET", "/video-group/{id}", None, "video_group_id"),
    (
        "UpdateVideoGroup",
        "PUT",
        "/video-group/{id}",
        {"video_source_ids": [MISSING_ID]},
        "video_group_id",
    ),
    ("DeleteVideoGroup", "DELETE", "/video-group/{id}", None, "video_group_id"),
]


@pytest.mark.parametrize(
    ("operation", "method", "path", "body", "param"), UNKNOWN, ids=[u[0] for u in UNKNOWN]
)
def test_unknown_id(
    vc: VideoCenter, operation: str, method: str, path: str, body: object, param: str
) -> None:
    kwargs = {} if body is None else {"json": body}
    answer = vc.fail(operation, method, path.format(id=MISSING_ID), 404, **kwargs)
    assert (answer["error_code"], answer["params"]) == ("VIAS.00010002", [param])
    # An id that breaks the path pattern is a bad parameter, not a missing object.
    answer = vc.fail(operation, method, path.format(id="Bad_ID"), 400, **kwargs)
    assert answer["params"] == [param]


def test_delete_twice(vc: VideoCenter) -> None:
    sid = vc.create_source()
    gid = vc.create_group([sid])
    vc.delete_group(gid)
    vc.fail("DeleteVideoGroup", "DELETE", f"/video-group/{gid}", 404)
    vc.delete_source(sid)
    vc.fail("DeleteVideoSource", "DELETE", f"/source/{sid}", 404)
