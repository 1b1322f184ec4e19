"""``openvias analyze``: the engine's pipeline on one file, no server, alarms on stdout."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.cli.test_admin import assert_fails
from tests.engine.clips import write_clip


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    write_clip(folder / "flame.mp4", 8, flame=True)
    write_clip(folder / "plain.mkv", 6, flame=False)
    (folder / "corrupt.avi").write_bytes(b"RIFF" + os.urandom(10_000))
    return folder


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openvias", "analyze", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_flame_clip_prints_vias_alarms(clips: Path) -> None:
    done = analyze(str(clips / "flame.mp4"), "--config", '{"render_result_sw": 1}')
    assert done.returncode == 0, done.stderr
    alarms = [json.loads(line) for line in done.stdout.splitlines()]
    assert alarms, done.stderr
    first = alarms[0]
    assert list(first) == [
        "event_type",
        "task_id",
        "stream_id",
        "timestamp",
        "message_id",
        "image_base64",
        "data",
        "media_ms",
        "media_time",
    ]
    assert first["event_type"] == 393216
    assert first["data"]["event_set"][0]["state"] == 1
    image = cv2.imdecode(
        np.frombuffer(base64.b64decode(first["image_base64"]), np.uint8), cv2.IMREAD_COLOR
    )
    assert image is not None
    assert image.shape[:2] == (360, 640)
    # render_result_sw draws the box in pure red on the alarm image.
    red = (image[..., 2] > 200) & (image[..., 1] < 60) & (image[..., 0] < 60)
    assert red.sum() > 100


def test_each_alarm_says_where_it_is_in_the_clip(clips: Path) -> None:
    # given an 8 s clip whose flame burns from its start, when it is analysed
    done = analyze(str(clips / "flame.mp4"))
    assert done.returncode == 0, done.stderr
    alarms = [json.loads(line) for line in done.stdout.splitlines()]
    assert alarms
    for alarm in alarms:
        # then each alarm has its position in the clip, in ms and as HH:MM:SS.mmm
        assert 0 < alarm["media_ms"] < 8000
        seconds, millis = divmod(alarm["media_ms"], 1000)
        assert alarm["media_time"] == f"00:00:{seconds:02d}.{millis:03d}"
    # and the positions follow the clip, not the wall clock
    assert [a["media_ms"] for a in alarms] == sorted(a["media_ms"] for a in alarms)


def test_a_summary_line_ends_the_analysis(clips: Path) -> None:
    done = analyze(str(clips / "flame.mp4"))
    assert done.returncode == 0, done.stderr
    alarms = [json.loads(line) for line in done.stdout.splitlines()]
    # stdout is alarms only; the summary is the one line on stderr
    (summary,) = done.stderr.strip().splitlines()
    found = re.fullmatch(
        r"openvias: analysed (\d+) samples, 00:00:08\.000 of media in [\d.]+ s "
        r"\([\d.]+x real time\); (\d+) messages? \((.+)\)",
        summary,
    )
    assert found, summary
    assert int(found[1]) == 8  # one sample a second (video_sampling_interval 1)
    assert int(found[2]) == len(alarms)
    states = Counter(
        (alarm["event_type"], event["state"])
        for alarm in alarms
        for event in alarm["data"]["event_set"]
    )
    expected = ", ".join(
        f"event_type {kind} state {state}: {n}" for (kind, state), n in sorted(states.items())
    )
    assert found[3] == expected


def test_a_plain_clip_prints_nothing(clips: Path) -> None:
    done = analyze(str(clips / "plain.mkv"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert re.fullmatch(r"openvias: analysed 6 samples, .*; 0 messages", done.stderr.strip())


def test_the_roi_limits_where_alarms_come_from(clips: Path) -> None:
    elsewhere = '{"polygons":[{"data":[[0,0],[100,0],[100,100],[0,100]]}]}'
    done = analyze(str(clips / "flame.mp4"), "--roi", elsewhere)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_a_corrupt_file_fails_with_one_line(clips: Path) -> None:
    done = analyze(str(clips / "corrupt.avi"))
    assert done.returncode == 1
    assert_fails(done)


def test_a_missing_file_fails_with_one_line(clips: Path) -> None:
    done = analyze(str(clips / "nowhere.mp4"))
    assert done.returncode == 1
    assert_fails(done)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--config", "{not json"), ("--config",)),
        (
            ("--config", '{"video_sampling_interval": 99}'),
            ("invalid configuration: video_sampling_interval: ", "less than or equal to 10"),
        ),
        (
            ("--config", '{"common": {"render_result_sw": "yes", "video_sampling_interval": 1}}'),
            ("render_result_sw: ", "valid integer", '(got "yes")'),
        ),
        (("--config", '{"common": 3}'), ("common must be a JSON object",)),
        (("--roi", '{"polygons": 3}'), ("invalid configuration: target_roi: ", "polygons")),
        (("--service", "c-no-such-service"), ("c-no-such-service",)),
    ],
)
def test_bad_arguments_exit_2(clips: Path, args: tuple[str, ...], words: tuple[str, ...]) -> None:
    done = analyze(str(clips / "plain.mkv"), *args)
    assert done.returncode == 2
    line = assert_fails(done, *words)
    assert "http" not in line  # no pydantic documentation link
    assert "validation error" not in line
