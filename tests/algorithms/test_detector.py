"""The shipped YOLOX-Nano detector: finds people, and refuses a missing or corrupt model."""

from __future__ import annotations

from pathlib import Path

import pytest

from openvias.algorithms.base import AlgorithmUnavailable
from openvias.algorithms.detector import (
    BUILTIN_SHA256,
    MODEL_ENV,
    MODEL_SHA256_ENV,
    PERSON,
    ObjectDetector,
    builtin_model_path,
)
from tests.algorithms.people_data import INTEL, frame_at, needs_people_data


@needs_people_data
def test_finds_the_person_at_the_table_and_nothing_in_the_empty_room() -> None:
    detector = ObjectDetector()
    people = [b for b in detector.detect(frame_at(INTEL, 15.0)) if b.class_id == PERSON]
    assert len(people) == 1
    person = people[0]
    # Seen from behind at the bar table: tall box, feet inside the table zone.
    assert person.score > 0.5
    assert 380 <= (person.x0 + person.x1) / 2 <= 580
    assert 330 <= person.y1 <= 432
    assert person.height > 250
    empty = [b for b in detector.detect(frame_at(INTEL, 2.0)) if b.class_id == PERSON]
    assert empty == []


@needs_people_data
def test_boxes_are_in_source_pixels_when_the_frame_comes_downscaled() -> None:
    import cv2

    detector = ObjectDetector()
    full = frame_at(INTEL, 15.0)
    small = cv2.resize(full, (416, 234), interpolation=cv2.INTER_AREA)
    [a] = [b for b in detector.detect(full) if b.class_id == PERSON]
    [b] = [b for b in detector.detect(small, (768, 432)) if b.class_id == PERSON]
    assert abs(a.x0 - b.x0) < 15
    assert abs(a.y1 - b.y1) < 15


def test_the_shipped_model_has_the_pinned_hash() -> None:
    import hashlib

    assert hashlib.sha256(builtin_model_path().read_bytes()).hexdigest() == BUILTIN_SHA256


def test_a_missing_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere.onnx"
    monkeypatch.setenv(MODEL_ENV, str(missing))
    with pytest.raises(AlgorithmUnavailable, match=r"nowhere\.onnx cannot be read"):
        ObjectDetector()


def test_a_corrupt_copy_of_the_model_fails_its_hash(tmp_path: Path) -> None:
    corrupt = tmp_path / "yolox_nano.onnx"
    data = bytearray(builtin_model_path().read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    with pytest.raises(AlgorithmUnavailable, match="corrupt or not the expected file"):
        ObjectDetector(corrupt, BUILTIN_SHA256)


def test_an_operator_model_is_checked_against_its_pinned_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "other.onnx"
    copy.write_bytes(builtin_model_path().read_bytes())
    monkeypatch.setenv(MODEL_ENV, str(copy))
    monkeypatch.setenv(MODEL_SHA256_ENV, "0" * 64)
    with pytest.raises(AlgorithmUnavailable, match="SHA-256"):
        ObjectDetector()
    monkeypatch.setenv(MODEL_SHA256_ENV, BUILTIN_SHA256.upper())
    assert ObjectDetector().path == copy


def test_a_file_that_is_not_onnx_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model" * 100)
    monkeypatch.setenv(MODEL_ENV, str(junk))
    with pytest.raises(AlgorithmUnavailable, match="not a loadable ONNX model"):
        ObjectDetector()
