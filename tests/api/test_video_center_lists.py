"""ListVideoSources and ListVideoGroups: every filter, sort order and paging, on a fixture
of sources and groups whose names share a marker (the database is shared across tests)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.api.video_center import VideoCenter, unique, video_center
from tests.support import Server

VCN = "<type>VCN</type><config><IP>10.0.0.1</IP><PORT>9000</PORT></config>"
OBS = "<type_config><bucket>my-bucket</bucket><path>a.mp4</path></type_config>"


@pytest.fixture
def vc(server: Server) -> Iterator[VideoCenter]:
    with video_center(server) as center:
        yield center


@dataclass
class World:
    marker: str
    s1: str  # url, cloud, tags red/中文, online;   groups g1
    s2: str  # obs, edge,  tag  blue,      abnormal; groups g1, g3
    s3: str  # vcn, cloud, no tag,         offline;  groups g2, g3
    g1: str  # cloud, 2 sources
    g2: str  # cloud, 1 source
    g3: str  # edge,  2 sources


def _pause() -> None:
    time.sleep(0.01)  # distinct create_at milliseconds, so create order is the sort order


@pytest.fixture
def world(vc: VideoCenter) -> World:
    marker = unique("w")[:12]
    s1 = vc.create_source(video_source_name=f"{marker}-Alpha", tag=["red", "中文"])
    _pause()
    s2 = vc.create_source(
        video_source_name=f"{marker}-beta",
        type="obs",
        type_config=OBS,
        access_type="edge",
        tag=["blue"],
    )
    _pause()
    s3 = vc.create_source(video_source_name=f"{marker}-gamma", type="vcn", type_config=VCN)
    vc.set_status(s1, "online")
    vc.set_status(s2, "abnormal")
    g1 = vc.create_group([s1, s2], video_group_name=f"{marker}-a")
    _pause()
    g2 = vc.create_group([s3], video_group_name=f"{marker}-b")
    _pause()
    g3 = vc.create_group([s2, s3], video_group_name=f"{marker}-c", access_type="edge")
    return World(marker, s1, s2, s3, g1, g2, g3)


def test_source_scope(vc: VideoCenter, world: World) -> None:
    w = world
    assert vc.source_ids(scope=w.marker) == [w.s3, w.s2, w.s1]  # create_at desc
    assert vc.source_ids(scope=w.marker, order_by="asc") == [w.s1, w.s2, w.s3]
    assert vc.source_ids(scope=f"{w.marker}-al") == [w.s1]
    # Fuzzy search ignores case, on every backend.
    assert vc.source_ids(scope=f"{w.marker}-ALPHA".upper()) == [w.s1]
    assert vc.source_ids(scope=w.marker, scope_name="source_name") == [w.s3, w.s2, w.s1]
    assert vc.source_ids(scope=w.marker, scope_name="") == [w.s3, w.s2, w.s1]
    assert vc.source_ids(scope=f"{w.marker}-a", scope_name="group_name") == [w.s2, w.s1]
    assert vc.source_ids(scope=f"{w.marker}-c", scope_name="group_name") == [w.s3, w.s2]
    assert vc.source_ids(scope=f"{w.marker}-", scope_name="group_name") == [w.s3, w.s2, w.s1]
    # LIKE wildcards are literal characters.
    assert vc.list_sources(scope="%")["total_number"] == 0
    assert vc.list_sources(scope=f"{w.marker}%")["total_number"] == 0


def test_source_filters(vc: VideoCenter, world: World) -> None:
    w = world

    def ids(**params: object) -> set[str]:
        return set(vc.source_ids(scope=w.marker, **params))

    assert ids(status="1") == {w.s1}
    assert ids(status=["1", "9"]) == {w.s1, w.s2}
    assert ids(status="2") == {w.s3}
    assert ids(type="obs") == {w.s2}
    assert ids(type=["url", "vcn"]) == {w.s1, w.s3}
    assert ids(type="camera") == set()
    assert ids(video_group_id=w.g1) == {w.s1, w.s2}
    assert ids(video_group_id=[w.g1, w.g2]) == {w.s1, w.s2, w.s3}
    assert ids(video_group_id="no-such-group") == set()
    assert ids(access_type="edge") == {w.s2}
    assert ids(access_type=["cloud", "edge"]) == {w.s1, w.s2, w.s3}
    assert ids(access_type="") == {w.s1, w.s2, w.s3}
    assert ids(status="9", type="obs", access_type="edge", video_group_id=w.g3) == {w.s2}
    assert ids(status="9", type="url") == set()
    assert ids(platform_name="anything") == {w.s1, w.s2, w.s3}
    assert ids(sort_name="num_task") == {w.s1, w.s2, w.s3}
    assert vc.source_ids(scope=w.marker, sort_name="num_template", order_by="asc") == [
        w.s1,
        w.s2,
        w.s3,
    ]


def test_source_tag_filter(vc: VideoCenter, world: World) -> None:
    w = world

    def ids(tag: str) -> set[str]:
        return set(vc.source_ids(scope=w.marker, tag=tag))

    assert ids("red") == {w.s1}
    assert ids("blue") == {w.s2}
    assert ids("中文") == {w.s1}
    assert ids("e") == {w.s1, w.s2}  # a tag containing it
    assert ids("RED") == {w.s1}
    # Only tags match, never the way they are stored.
    for probe in (",", '"', "[", " ", '", "', "u4e2d"):
        assert ids(probe) == set(), probe


def test_source_paging(vc: VideoCenter) -> None:
    marker = unique("p")
    created = []
    for i in range(7):
        created.append(vc.create_source(video_source_name=f"{marker}-{i}"))
        _pause()
    newest_first = created[::-1]
    assert vc.source_ids(scope=marker) == newest_first
    # Without is_paged every match comes back, whatever page_size says.
    assert vc.source_ids(scope=marker, page_size=5) == newest_first
    pages = []
    for page_num in (1, 2, 3):
        page = vc.list_sources(scope=marker, is_paged="true", page_size=5, page_num=page_num)
        assert page["total_number"] == page["video_source_number"] == 7
        pages.append([s["video_source_id"] for s in page["video_source_list"]])
    assert pages == [newest_first[:5], newest_first[5:], []]
    page = vc.list_sources(scope=marker, is_paged="true", page_size=5, order_by="asc")
    assert [s["video_source_id"] for s in page["video_source_list"]] == created[:5]
    assert vc.list_sources(scope=marker)["quota_number"] > 0


def test_group_list_filters(vc: VideoCenter, world: World) -> None:
    w = world

    def ids(**params: object) -> list[str]:
        return vc.group_ids(name=w.marker, **params)

    assert ids() == [w.g3, w.g2, w.g1]
    assert ids(order_by="asc") == [w.g1, w.g2, w.g3]
    assert vc.group_ids(name=f"{w.marker}-b") == [w.g2]
    assert vc.group_ids(name=f"{w.marker}-B".upper()) == [w.g2]
    assert vc.group_ids(name="%") == []
    assert ids(status="1") == [w.g1]
    assert ids(status="9") == [w.g3, w.g1]
    assert ids(status="2") == [w.g3, w.g2]
    assert ids(status="") == [w.g3, w.g2, w.g1]
    assert ids(access_type="edge") == [w.g3]
    assert ids(access_type=["", "cloud"]) == [w.g2, w.g1]
    assert ids(type="obs") == [w.g3, w.g1]
    assert ids(type=["vcn", "url"]) == [w.g3, w.g2, w.g1]
    assert ids(type="") == [w.g3, w.g2, w.g1]
    assert ids(has_task="true") == []
    assert ids(has_task="false") == [w.g3, w.g2, w.g1]

    listing = vc.list_groups(name=w.marker)
    assert listing["total_number"] == listing["video_group_number"] == 3
    by_id = {g["video_group_id"]: g for g in listing["video_group_list"]}
    assert by_id[w.g1]["type"] == "obs,url"
    assert by_id[w.g2]["type"] == "vcn"
    assert by_id[w.g3]["type"] == "obs,vcn"
    assert by_id[w.g1]["group_status"] == {"num_online": 1, "num_offline": 0, "num_exception": 1}
    assert by_id[w.g3]["group_status"] == {"num_online": 0, "num_offline": 1, "num_exception": 1}
    assert by_id[w.g3]["access_type"] == "edge"
    for group in listing["video_group_list"]:
        assert group == {**vc.show_group(group["video_group_id"]), "type": group["type"]}


def test_group_sorting(vc: VideoCenter, world: World) -> None:
    w = world
    extra = vc.create_source()
    _pause()
    vc.update_group(w.g2, {"video_source_ids": [w.s3, extra, w.s1]})  # g2: 3 sources
    assert vc.group_ids(name=w.marker, sort_name="num_video_source") == [w.g2, w.g3, w.g1]
    assert vc.group_ids(name=w.marker, sort_name="num_video_source", order_by="asc") == [
        w.g1,
        w.g3,
        w.g2,
    ]
    _pause()
    vc.update_group(w.g1, {"video_source_ids": [w.s1]})
    assert vc.group_ids(name=w.marker, sort_name="modify_at") == [w.g1, w.g2, w.g3]
    assert vc.group_ids(name=w.marker, sort_name="modify_at", order_by="asc") == [
        w.g3,
        w.g2,
        w.g1,
    ]
    assert vc.group_ids(name=w.marker, sort_name="create_at") == [w.g3, w.g2, w.g1]
    assert set(vc.group_ids(name=w.marker, sort_name="num_task")) == {w.g1, w.g2, w.g3}


def test_group_paging(vc: VideoCenter) -> None:
    marker = unique("q")[:12]
    created = []
    for i in range(6):
        created.append(vc.create_group(video_group_name=f"{marker}-{i}"))
        _pause()
    newest_first = created[::-1]
    assert vc.group_ids(name=marker) == newest_first
    assert vc.group_ids(name=marker, page_size=5) == newest_first
    pages = []
    for page_num in (1, 2, 3):
        page = vc.list_groups(name=marker, is_paged="true", page_size=5, page_num=page_num)
        assert page["total_number"] == page["video_group_number"] == 6
        pages.append([g["video_group_id"] for g in page["video_group_list"]])
    assert pages == [newest_first[:5], newest_first[5:], []]
    assert vc.list_groups(name=marker)["quota_number"] > 0
