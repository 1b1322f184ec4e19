"""Shared wire pieces: the base model, the error body, the id patterns."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: Path id pattern of sources, groups, tasks and batch tasks.
RESOURCE_ID_PATTERN = r"^[a-z0-9-_]{4,36}$"
PROJECT_ID_PATTERN = r"^[a-zA-Z0-9-]{1,64}$"
CJK = "\u4e00-\u9fa5"

ResourceId = Annotated[str, Field(pattern=RESOURCE_ID_PATTERN, max_length=36)]


class WireModel(BaseModel):
    """Requests ignore unknown keys (official examples carry extra ones); patterns use
    Python's ``re`` because the definitions use look-arounds."""

    model_config = ConfigDict(extra="ignore", regex_engine="python-re", populate_by_name=True)


class ErrorBody(BaseModel):
    """The VIAS error body, on every failure of every route."""

    error_code: str = Field(examples=["VIAS.00010001"])
    error_msg: str = Field(examples=["Invalid parameter: video_source_name."])
    detail: str
    params: list[str] = Field(max_length=1)
    reason: str
    advice: str
