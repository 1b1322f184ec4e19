"""Video Center data belongs to one project: another project neither sees nor refers to it."""

from __future__ import annotations

from tests.api.video_center import VideoCenter, other_project, source_body, unique, video_center
from tests.support import Server


def test_projects_are_isolated(server: Server) -> None:
    other = other_project(server)
    with video_center(server) as mine, video_center(other) as theirs:
        name = unique("shared")
        sid = mine.create_source(video_source_name=name)
        gid = mine.create_group([sid])
        _check_isolation(mine, theirs, name, sid, gid)


def _check_isolation(mine: VideoCenter, theirs: VideoCenter, name: str, sid: str, gid: str) -> None:
    # Invisible to the other project...
    assert theirs.list_sources(scope=name)["total_number"] == 0
    assert sid not in theirs.source_ids()
    assert gid not in theirs.group_ids()
    theirs.fail("ShowVideoSourceDetail", "GET", f"/source/sources/{sid}", 404)
    theirs.fail("ShowVideoGroupDetail", "GET", f"/video-group/{gid}", 404)
    update = {"type_config": source_body()["type_config"], "video_source_name": "x"}
    theirs.fail("UpdateVideoSource", "PUT", f"/source/{sid}", 404, json=update)
    theirs.fail("DeleteVideoSource", "DELETE", f"/source/{sid}", 404)
    theirs.fail("DeleteVideoGroup", "DELETE", f"/video-group/{gid}", 404)
    # ...and not a valid reference there.
    body = {"access_type": "cloud", "video_group_name": unique("x")[:20], "video_source_ids": [sid]}
    answer = theirs.fail("CreateVideoGroup", "POST", "/video-group", 400, json=body)
    assert answer["params"] == ["video_source_ids"]
    answer = theirs.fail(
        "CreateVideoSource", "POST", "/source", 400, json=source_body(video_group_ids=[gid])
    )
    assert answer["params"] == ["video_group_ids"]
    assert theirs.source_ids(video_group_id=gid) == []
    # Names are unique per project only.
    their_sid = theirs.create_source(video_source_name=name)
    their_group = theirs.create_group(
        [their_sid], video_group_name=mine.show_group(gid)["video_group_name"]
    )
    assert mine.show_group(gid)["num_video_source"] == 1
    assert theirs.show_group(their_group)["num_video_source"] == 1
    assert mine.list_sources(scope=name)["total_number"] == 1
    # A token of one project may not use the other's paths.
    answer = mine.client.get(f"{theirs.base}/source/sources")
    assert answer.status_code == 403, answer.text
