"""MediaReader on local files: containers, sampling instants, decoding modes, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from openvias.algorithms.base import Sample
from openvias.engine.media import MediaError, MediaReader, MediaSource
from openvias.engine.sampling import BurstSampler
from tests.engine.clips import write_clip
from tests.engine.conftest import Clips
from tests.engine.media_fixtures import (
    CONTAINER_CODECS,
    FPS,
    picture_index,
    reference_bursts,
    write_damaged_middle,
    write_garbage_after,
    write_random_bytes,
    write_truncated,
)
from tests.engine.media_fixtures import write_clip as write_media_clip


@pytest.fixture
def fed_packets(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each packet the sampler was fed is a key frame's."""
    fed: list[bool] = []
    feed = BurstSampler.feed

    def counting_feed(sampler: BurstSampler, packet: Any) -> Any:
        fed.append(packet.is_keyframe)
        return feed(sampler, packet)

    monkeypatch.setattr(BurstSampler, "feed", counting_feed)
    return fed


def read_all(
    path: Path | str, interval: float = 1.0, **options: Any
) -> tuple[list[Sample], MediaReader]:
    with MediaReader(MediaSource.from_url(str(path)), interval=interval, **options) as reader:
        return list(reader.samples()), reader


def stamps(samples: list[Sample]) -> list[float]:
    return [round(t, 3) for sample in samples for t in sample.timestamps]


def assert_right_pictures(samples: list[Sample]) -> None:
    """Every frame shows the picture its timestamp says (decoded with its references)."""
    for sample in samples:
        shown = [picture_index(frame) for frame in sample.frames]
        assert shown == [round(t * FPS) for t in sample.timestamps]


@pytest.mark.parametrize("extension", sorted(CONTAINER_CODECS))
def test_every_container_gives_a_burst_every_interval(clips: Clips, extension: str) -> None:
    samples, reader = read_all(clips.by_container[extension])

    assert stamps(samples) == [0.0, 0.04, 0.08, 1.0, 1.04, 1.08, 2.0, 2.04, 2.08]
    assert_right_pictures(samples)
    assert (reader.width, reader.height) == (320, 240)
    assert reader.duration == pytest.approx(3.0, abs=0.15)
    assert all(sample.key.shape == (240, 320, 3) for sample in samples)


@pytest.mark.parametrize(
    ("clip", "interval", "mode"),
    [
        ("gop_1s", 1.0, "keyframe"),
        ("x264_defaults", 1.0, "keyframe"),
        ("gop_2s", 2.0, "keyframe"),
        ("gop_2s", 1.0, "full"),
    ],
)
def test_key_frames_alone_are_decoded_when_they_come_every_interval(
    clips: Clips, clip: str, interval: float, mode: str
) -> None:
    path: Path = getattr(clips, clip)
    samples, reader = read_all(path, interval=interval)

    assert reader.mode == mode
    total = 8 * FPS
    if mode == "keyframe":  # per sample: the I, the P after it, and the 3 B-frames between
        assert reader.frames_decoded <= 5 * len(samples)
    else:
        assert reader.frames_decoded == total
    # Same instants and bit-identical pictures as a plain full decode (bursts() of the
    # fire benchmark): the B-frames after each sampled key frame had all their references.
    expected = list(reference_bursts(path, interval, burst=3))
    assert stamps(samples) == stamps(expected)
    for ours, theirs in zip(samples, expected, strict=True):
        for a, b in zip(ours.frames, theirs.frames, strict=True):
            assert np.array_equal(a, b)


def test_a_local_file_without_b_frames_is_demuxed_key_frames_only_between_bursts(
    tmp_path: Path, fed_packets: list[bool]
) -> None:
    path = write_media_clip(tmp_path / "no_b.mp4", seconds=8, gop=FPS, bframes=0)

    def pictures_after(key: np.ndarray, timestamp: float) -> int:
        return 2 if round(timestamp) % 2 else 0  # whole bursts at odd seconds only

    samples, reader = read_all(path, pictures_after=pictures_after)

    assert reader.mode == "keyframe"
    assert fed_packets.count(True) == 8
    # The first key frames' packets read ahead at opening, then 2 packets after each key
    # picture of a whole burst: far fewer than the 192 others.
    assert fed_packets.count(False) < 8 * FPS // 3
    expected = list(reference_bursts(path, 1.0, burst=3))
    assert [round(s.timestamp, 3) for s in samples] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    for ours, theirs in zip(samples, expected, strict=True):
        wanted = 3 if round(ours.timestamp) % 2 else 1
        assert stamps([ours]) == stamps([theirs])[:wanted]
        for a, b in zip(ours.frames, theirs.frames[:wanted], strict=True):
            assert np.array_equal(a, b)
    assert_right_pictures(samples)


def test_a_file_with_b_frames_goes_through_the_demuxer_whole(
    clips: Clips, fed_packets: list[bool]
) -> None:
    """The MP4 demuxer mistimes packets after skipping some in a stream with B-frames."""
    samples, reader = read_all(clips.gop_1s)

    assert reader.mode == "keyframe"
    assert len(fed_packets) == 8 * FPS
    assert [round(s.timestamp, 3) for s in samples] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert_right_pictures(samples)


@pytest.mark.parametrize("prefer_keyframes", [True, False])
def test_the_pictures_after_a_key_picture_are_decoded_only_when_asked(
    clips: Clips, prefer_keyframes: bool
) -> None:
    asked: list[tuple[tuple[int, ...], float]] = []

    def pictures_after(key: np.ndarray, timestamp: float) -> int:
        asked.append((key.shape, round(timestamp, 3)))
        return 2 if round(timestamp) % 2 else 0  # the burst at odd seconds only

    whole, whole_reader = read_all(clips.gop_1s, prefer_keyframes=prefer_keyframes)
    lazy, reader = read_all(
        clips.gop_1s, prefer_keyframes=prefer_keyframes, pictures_after=pictures_after
    )

    assert asked == [((240, 320, 3), float(t)) for t in range(8)]
    assert [len(sample.frames) for sample in lazy] == [1, 3] * 4
    for ours, theirs in zip(lazy, whole, strict=True):  # the same pictures, fewer of them
        assert ours.timestamps == theirs.timestamps[: len(ours.frames)]
        for a, b in zip(ours.frames, theirs.frames, strict=False):
            assert np.array_equal(a, b)
    if prefer_keyframes:
        assert reader.frames_decoded < whole_reader.frames_decoded
    else:
        assert reader.frames_decoded == whole_reader.frames_decoded == 8 * FPS


def test_short_gops_serve_each_instant_with_the_nearest_key_frame(clips: Clips) -> None:
    samples, reader = read_all(clips.gop_12_pictures, interval=2.0)

    assert reader.mode == "keyframe"
    # Key frames every 0.48 s: the three that serve no instant are not decoded either.
    assert reader.frames_decoded <= 5 * len(samples)
    assert len(samples) == 4
    half_gop = 6 / FPS
    for k, sample in enumerate(samples):
        assert abs(sample.timestamp - 2.0 * k) <= half_gop + 1e-6
    assert_right_pictures(samples)


def test_full_decoding_can_be_forced(clips: Clips) -> None:
    keyframes, _ = read_all(clips.gop_1s)
    full, reader = read_all(clips.gop_1s, prefer_keyframes=False)

    assert reader.mode == "full"
    assert reader.frames_decoded == 8 * FPS
    assert stamps(full) == stamps(keyframes)


@pytest.mark.parametrize("burst", [1, 2, 3])
def test_bursts_hold_consecutive_pictures(clips: Clips, burst: int) -> None:
    samples, _ = read_all(clips.gop_1s, interval=0.5, burst=burst)

    assert len(samples) == 16
    for sample in samples:
        assert len(sample.frames) == burst
        assert list(sample.timestamps) == sorted(set(sample.timestamps))
        indices = [picture_index(frame) for frame in sample.frames]
        assert indices == list(range(indices[0], indices[0] + burst))
    assert_right_pictures(samples)


def test_start_at_seeks_instead_of_decoding_from_the_start(clips: Clips) -> None:
    samples, reader = read_all(clips.gop_1s, start_at=5.5)

    # The seek lands on the key frame at 5 s; pictures from there to 5.5 s are decoded,
    # not converted. Later instants (6.5, 7.5) fall to the key frames at 7 and 8 s.
    assert samples[0].timestamp == pytest.approx(5.52)
    assert [round(s.timestamp, 2) for s in samples] == [5.52, 7.0]
    assert_right_pictures(samples)
    assert reader.frames_decoded < 3 * FPS


def test_file_urls_are_files(clips: Clips) -> None:
    samples, _ = read_all(clips.by_container["mkv"].as_uri())

    assert len(samples) == 3


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    for address in (str(tmp_path / "gone.mp4"), (tmp_path / "gone.mp4").as_uri()):
        with pytest.raises(MediaError) as caught:
            read_all(address)
        assert caught.value.reason == "not_found"
        assert not caught.value.transient
        assert "gone.mp4" in caught.value.message


def test_a_file_without_video_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16_000)
        silence = np.zeros((1, 1024), np.float32)
        for _ in range(16):
            frame = av.AudioFrame.from_ndarray(silence, format="fltp", layout="mono")
            frame.sample_rate = 16_000
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

    with pytest.raises(MediaError) as caught:
        read_all(path)
    assert caught.value.reason == "unsupported"
    assert "no video" in caught.value.message


def test_a_reader_closed_before_it_opens_yields_nothing(clips: Clips) -> None:
    reader = MediaReader(MediaSource.from_url(str(clips.gop_1s)), interval=1.0)
    reader.close()
    reader.open()

    assert list(reader.samples()) == []
    reader.close()


def test_an_unknown_scheme_is_unsupported() -> None:
    with pytest.raises(MediaError) as caught:
        read_all("gopher://example.com/video.mp4")
    assert caught.value.reason == "unsupported"


@pytest.mark.parametrize("damage", ["random bytes", "truncated mp4", "mkv header then garbage"])
def test_corrupt_files_fail_clearly(clips: Clips, tmp_path: Path, damage: str) -> None:
    if damage == "random bytes":
        path = write_random_bytes(tmp_path / "random.mp4")
    elif damage == "truncated mp4":  # the index (moov) is at the end and got cut off
        path = write_truncated(clips.gop_1s, tmp_path / "truncated.mp4", keep=0.6)
    else:
        path = write_garbage_after(clips.by_container["mkv"], tmp_path / "garbage.mkv", 600)

    with pytest.raises(MediaError) as caught:
        read_all(path)

    assert caught.value.reason == "corrupt"
    assert not caught.value.transient
    assert path.name in caught.value.message
    assert "Traceback" not in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("prefer_keyframes", [True, False])
def test_a_partly_damaged_file_yields_what_decodes(
    clips: Clips, tmp_path: Path, prefer_keyframes: bool
) -> None:
    # A tenth of the bytes overwritten around 3 s: the samples there are lost or smeared,
    # the rest of the file still decodes.
    path = write_damaged_middle(clips.gop_1s, tmp_path / "damaged.mp4")

    samples, reader = read_all(path, prefer_keyframes=prefer_keyframes)

    assert reader.damaged_packets > 0
    intact = [s for s in samples if s.timestamp < 2.5 or s.timestamp > 3.9]
    assert [round(s.timestamp, 2) for s in intact] == [0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0]
    assert_right_pictures(intact)


def test_frames_are_converted_at_the_analysis_size(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "flame.mp4", 3, flame=True)
    full = MediaReader(MediaSource(url=str(clip), live=False), interval=1.0)
    small = MediaReader(MediaSource(url=str(clip), live=False), interval=1.0, analysis_side=320)
    with full, small:
        for big, little in zip(full.samples(), small.samples(), strict=True):
            assert big.source_size is None
            assert big.key.shape == (360, 640, 3)
            assert little.key.shape == (180, 320, 3)
            assert (little.width, little.height) == (640, 360) == (big.width, big.height)
            assert little.timestamps == big.timestamps
            # The alarm image is rendered on the key frame at source resolution.
            assert np.array_equal(little.full_resolution_key(), big.key)
            # ... and the small frames are that picture, scaled (not another one).
            scaled = cv2.resize(big.key, (320, 180), interpolation=cv2.INTER_AREA)
            assert np.abs(little.key.astype(int) - scaled.astype(int)).mean() < 4


@pytest.mark.parametrize("extension", ["mp4", "mkv"])
def test_the_last_pictures_of_a_file_are_sampled(clips: Clips, extension: str) -> None:
    """The pictures the decoder hands back when drained at the end of a file carry no time
    base of their own; they still get their time (they used to be dropped, so a 3 s clip
    sampled every picture ended at 2.88 s)."""
    samples, _ = read_all(clips.by_container[extension], interval=1 / FPS, burst=1)

    assert stamps(samples)[-1] == round(3 - 1 / FPS, 3)
    assert_right_pictures(samples)
