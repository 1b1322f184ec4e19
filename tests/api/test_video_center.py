"""Video Center round trip: sources and groups through every operation, each 200 body
validated against that operation's response schema in Huawei's definitions."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.api.video_center import (
    DOC_URL_CONFIG,
    URL_CONFIG,
    VideoCenter,
    unique,
    video_center,
)
from tests.support import Server


@pytest.fixture
def vc(server: Server) -> Iterator[VideoCenter]:
    with video_center(server) as center:
        yield center


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_round_trip(vc: VideoCenter) -> None:
    before = _now_ms()
    name = unique("源 src")
    sid = vc.create_source(
        video_source_name=name, tag=["t1", "中文"], latitude="30.12345", longitude="-120.5"
    )
    after = _now_ms()

    listing = vc.list_sources(scope=name)
    assert listing["total_number"] == listing["video_source_number"] == 1
    (item,) = listing["video_source_list"]
    assert item["video_source_id"] == sid
    assert item["video_source_name"] == name

    shown = vc.show_source(sid)
    assert shown["video_source_name"] == name
    assert (shown["access_type"], shown["type"]) == ("cloud", "url")
    assert shown["type_config"] == URL_CONFIG.format(url="rtsp://12.12.12.12:333/live")
    assert shown["stream_path"] == "rtsp://12.12.12.12:333/live"
    assert shown["tag"] == ["t1", "中文"]
    assert (shown["latitude"], shown["longitude"]) == ("30.12345", "-120.5")
    assert shown["status"] == {"level": "2", "name": "离线", "status": "Offline"}
    assert shown["video_packages"] == []
    assert before - 1000 <= shown["create_at"] <= after + 1000
    assert {k: v for k, v in item.items() if k in shown} == {
        k: v for k, v in shown.items() if k in item
    }

    new_name = unique("renamed")
    updated = vc.update_source(
        sid,
        {
            "type_config": DOC_URL_CONFIG.format(url="http://example.com/clip.mp4"),
            "video_source_name": new_name,
            "tag": ["new"],
        },
    )
    assert updated["video_source_name"] == new_name
    assert updated["stream_path"] == "http://example.com/clip.mp4"
    assert updated["tag"] == ["new"]
    assert (updated["latitude"], updated["longitude"]) == ("30.12345", "-120.5")
    assert updated["create_at"] == shown["create_at"]
    assert vc.show_source(sid) == updated

    # An empty name keeps the stored one.
    kept = vc.update_source(sid, {"type_config": updated["type_config"], "video_source_name": ""})
    assert kept["video_source_name"] == new_name

    sid2, sid3 = vc.create_source(), vc.create_source(type="obs", type_config=_obs("clip.mp4"))
    group_name = unique("g")[:20]
    gid = vc.create_group([sid], video_group_name=group_name, description="first")
    detail = vc.show_group(gid)
    assert detail["video_group_id"] == gid
    assert detail["video_group_name"] == group_name
    assert detail["description"] == "first"
    assert detail["access_type"] == "cloud"
    assert detail["num_video_source"] == 1
    assert detail["num_batch_task"] == 0
    assert detail["group_status"] == {"num_online": 0, "num_offline": 1, "num_exception": 0}
    assert detail["create_at"] == detail["modify_at"]

    vc.update_group(gid, {"video_source_ids": [sid, sid2, sid3], "description": "second"})
    vc.set_status(sid2, "online")
    vc.set_status(sid3, "abnormal")
    detail = vc.show_group(gid)
    assert detail["num_video_source"] == 3
    assert detail["group_status"] == {"num_online": 1, "num_offline": 1, "num_exception": 1}
    assert detail["description"] == "second"
    assert detail["video_group_name"] == group_name
    assert detail["modify_at"] >= detail["create_at"]
    assert vc.show_source(sid2)["status"] == {"level": "1", "name": "在线", "status": "Online"}
    assert vc.show_source(sid3)["status"]["level"] == "9"

    (package,) = vc.show_source(sid)["video_packages"]
    assert package["video_group_id"] == gid
    assert package["num_video_source"] == 3

    (listed,) = vc.list_groups(name=group_name)["video_group_list"]
    assert listed["video_group_id"] == gid
    assert listed["num_video_source"] == 3
    assert listed["group_status"] == detail["group_status"]
    assert listed["type"] == "obs,url"

    renamed = unique("h")[:20]
    vc.update_group(gid, {"video_source_ids": [sid, sid3], "video_group_name": renamed})
    detail = vc.show_group(gid)
    assert (detail["video_group_name"], detail["description"]) == (renamed, "second")
    assert detail["group_status"] == {"num_online": 0, "num_offline": 1, "num_exception": 1}
    assert vc.show_source(sid2)["video_packages"] == []

    # Deleting a member source takes it out of its group's counts.
    vc.delete_source(sid3)
    detail = vc.show_group(gid)
    assert detail["num_video_source"] == 1
    assert detail["group_status"] == {"num_online": 0, "num_offline": 1, "num_exception": 0}
    assert vc.source_ids(video_group_id=gid) == [sid]

    vc.delete_group(gid)
    vc.fail("ShowVideoGroupDetail", "GET", f"/video-group/{gid}", 404)
    assert vc.show_source(sid)["video_packages"] == []
    assert vc.group_ids(name=renamed) == []

    for source_id in (sid, sid2):
        vc.delete_source(source_id)
        vc.fail("ShowVideoSourceDetail", "GET", f"/source/sources/{source_id}", 404)
    assert vc.list_sources(scope=new_name)["total_number"] == 0


def _obs(path: str, bucket: str = "my-bucket") -> str:
    return f"<type_config><bucket>{bucket}</bucket><path>{path}</path></type_config>"


@pytest.mark.parametrize(
    ("type_config", "stream_path"),
    [
        (URL_CONFIG.format(url="rtsp://12.12.12.12:333"), "rtsp://12.12.12.12:333"),
        (DOC_URL_CONFIG.format(url="rtsp://cam.local/s1"), "rtsp://cam.local/s1"),
        (
            "<type>URL</type>\n<config>\n<URL_ADDRESS> https://a.example/x.m3u8 </URL_ADDRESS>\n"
            "</config>",
            "https://a.example/x.m3u8",
        ),
        (
            '<?xml version="1.0" encoding="UTF-8"?><type_config><url_address>'
            "rtmp://live.example/app/key</url_address></type_config>",
            "rtmp://live.example/app/key",
        ),
        (
            URL_CONFIG.format(url="http://h.example/v?a=1&amp;b=2"),
            "http://h.example/v?a=1&b=2",
        ),
    ],
    ids=["url-layout", "documented-layout", "whitespace", "xml-declaration", "entity"],
)
def test_both_type_config_layouts(vc: VideoCenter, type_config: str, stream_path: str) -> None:
    sid = vc.create_source(type_config=type_config)
    shown = vc.show_source(sid)
    assert shown["type_config"] == type_config
    assert shown["stream_path"] == stream_path
    updated = vc.update_source(sid, {"type_config": type_config, "video_source_name": ""})
    assert updated["stream_path"] == stream_path


def test_obs_source(vc: VideoCenter) -> None:
    sid = vc.create_source(type="obs", type_config=_obs("/videos/day 1.mp4", "cams.2024"))
    assert vc.show_source(sid)["stream_path"] == "obs://cams.2024/videos/day 1.mp4"
    updated = vc.update_source(sid, {"type_config": _obs("other.mp4"), "video_source_name": ""})
    assert updated["stream_path"] == "obs://my-bucket/other.mp4"


def test_sources_of_other_types_are_stored(vc: VideoCenter) -> None:
    vcn = "<type>VCN</type><config><IP>10.0.0.1</IP><PORT>9000</PORT></config>"
    camera = "<type>CAMERA</type><config><EDGE_CAMERA_ID>cam-1</EDGE_CAMERA_ID></config>"
    for source_type, config in (("vcn", vcn), ("camera", camera)):
        sid = vc.create_source(type=source_type, type_config=config, access_type="edge")
        shown = vc.show_source(sid)
        assert (shown["type"], shown["type_config"], shown["access_type"]) == (
            source_type,
            config,
            "edge",
        )
