"""Where the engine pulls a task's video from: addresses stored by earlier releases are
checked again when a task starts (a rule tightened since must hold for old rows too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openvias.engine.locate import NotPullable, resolve_address
from openvias.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        obs_endpoint="http://127.0.0.1:9",
        obs_access_key_id="k",
        obs_secret_access_key="s",
    )


@pytest.mark.parametrize("key", ["a/../b.mp4", "../other-bucket/x.mp4", "a/./b.mp4", "a//b.mp4"])
def test_an_obs_key_with_dot_segments_is_not_pulled(settings: Settings, key: str) -> None:
    with pytest.raises(NotPullable, match=r"segment|'//'"):
        resolve_address(f"obs://bucket/{key}", settings)


def test_a_plain_obs_key_is_presigned(settings: Settings) -> None:
    source = resolve_address("obs://bucket/cams/a.mp4", settings)
    assert source.url.startswith("http://127.0.0.1:9/bucket/cams/a.mp4?")
