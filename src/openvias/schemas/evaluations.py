"""Evaluation jobs (openvias extension): score an algorithm service on a labelled data set.

The data set is a folder in the layout of ``docs/evaluate.md`` (``dataset.json`` with the
clips and pictures it names, or the converted ``labels.csv`` layout), read from OBS/S3
(``bucket`` and ``prefix`` of the operator's ``OPENVIAS_OBS_*`` endpoint) or from a
``file://`` folder under ``OPENVIAS_FILE_ROOTS``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from openvias.schemas.common import FreeJsonObject, WireModel
from openvias.schemas.tasks import InputBucket, ObsPath

EVALUATION_ID_PATTERN = r"^[a-f0-9]{32}$"
GOAL_PATTERN = r"^(recall|precision) *>= *[0-9]*\.?[0-9]+$"
SWEEP_PATTERN = r"^[A-Za-z0-9_]{1,64}=-?[0-9.]{1,20}:-?[0-9.]{1,20}:[0-9.]{1,20}$"
EvaluationState = Literal["WAITING", "RUNNING", "SUCCEEDED", "FAILED"]


class ObsDataset(WireModel):
    type: Literal["obs"]
    bucket: InputBucket
    prefix: ObsPath = Field(description="The folder: every object under it, '/' separated.")


class FileDataset(WireModel):
    type: Literal["file"]
    url: str = Field(
        pattern=r"^file:///[^\x00]{1,1000}$",
        max_length=1008,
        description="A file:// folder under OPENVIAS_FILE_ROOTS.",
    )


EvaluationDataset = Annotated[ObsDataset | FileDataset, Field(discriminator="type")]


class EvaluationCreate(WireModel):
    name: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9_. -]{0,64}$")
    service_name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9-]{1,64}$")
    config: FreeJsonObject | None = Field(
        None, description='config.common, as {"common": {...}} or the bare object.'
    )
    sweep: str | None = Field(
        None,
        max_length=128,
        pattern=SWEEP_PATTERN,
        description="KEY=LO:HI:STEP: one run per value of one config.common key.",
    )
    goal: str = Field(
        "recall>=0.9",
        max_length=32,
        pattern=GOAL_PATTERN,
        description="With sweep: recall>=X or precision>=X picks the value.",
    )
    dataset: EvaluationDataset


class EvaluationCreated(WireModel):
    id: str


class EvaluationInfo(WireModel):
    id: str
    name: str
    service_name: str
    config: dict[str, Any]
    sweep: str | None = None
    goal: str
    dataset: dict[str, Any]
    state: EvaluationState
    reason: str | None = Field(None, description="Why it FAILED, or what went wrong in files.")
    files_done: int = Field(description="Files analysed so far (of every swept value).")
    files_total: int = Field(description="Files to analyse (0 until the data set is read).")
    progress: int = Field(ge=0, le=100, description="Percent of files_total done.")
    created_at: int
    started_at: int | None = None
    finished_at: int | None = None


class EvaluationList(WireModel):
    count: int
    evaluations: list[EvaluationInfo]
