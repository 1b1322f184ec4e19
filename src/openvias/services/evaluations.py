"""Evaluation jobs (openvias extension): checked and written by the API, run by an engine.

A create is refused (400, nothing written) when the service cannot be scored, the
configuration or sweep is invalid (the checks of ``openvias evaluate``,
``domain/evaluation_requests.py``), the folder lies outside ``OPENVIAS_FILE_ROOTS``, OBS
is not configured, or the folder has no labels file. What only reading the whole data set
shows (a bad ``dataset.json``, a missing clip) ends the job FAILED with the reason.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from openvias.domain.algorithm_catalogue import find_service
from openvias.domain.clock import now_ms
from openvias.domain.evaluation_requests import (
    LABEL_FILES,
    EvaluationRequestError,
    kind_of,
    plan_evaluation,
)
from openvias.domain.ids import new_hex_id
from openvias.errors import InvalidParameter, NotFound, ServiceUnavailable
from openvias.schemas.evaluations import (
    EvaluationCreate,
    EvaluationInfo,
    EvaluationList,
    FileDataset,
    ObsDataset,
)
from openvias.services.object_store import (
    ObjectStoreError,
    ObjectStoreUnreachable,
    existing_keys,
    folder_prefix,
)
from openvias.services.rendering import shown
from openvias.settings import Settings
from openvias.store.models import Evaluation
from openvias.store.repositories.evaluations import FAILED, WAITING, EvaluationRepository

log = logging.getLogger(__name__)

_STATES = ("WAITING", "RUNNING", "SUCCEEDED", "FAILED")


def allowed_folder(url: str, settings: Settings) -> Path | None:
    """The folder of a ``file://`` URL when it lies under ``OPENVIAS_FILE_ROOTS``."""
    resolved = Path(unquote(urlsplit(url).path)).resolve()
    for root in settings.resolved_file_roots:
        if resolved.is_relative_to(root):
            return resolved
    return None


class EvaluationService:
    def __init__(self, session: AsyncSession, project_id: str, settings: Settings) -> None:
        self.session = session
        self.project_id = project_id
        self.settings = settings
        self.repository = EvaluationRepository(session)

    async def create(self, body: EvaluationCreate) -> str:
        spec = find_service(body.service_name)
        if spec is None or kind_of(spec.service_name) is None:
            raise InvalidParameter(
                f"The algorithm service {body.service_name} cannot be evaluated: "
                "c-smoke-and-fire-*, c-intrusiondetection-* or c-flowcount-*.",
                param="service_name",
            )
        try:
            plan = plan_evaluation(
                spec.service_name, spec.config_model, body.config, body.sweep, body.goal
            )
        except EvaluationRequestError as exc:
            raise InvalidParameter(
                f"Invalid parameter: {exc.field}.", detail=exc.message, param=exc.field
            ) from exc
        dataset = await self._checked_dataset(body.dataset)
        evaluation = Evaluation(
            id=new_hex_id(),
            project_id=self.project_id,
            name=body.name,
            service_name=spec.service_name,
            config=plan.common,
            sweep=body.sweep,
            goal=plan.goal.text,
            dataset=dataset,
            state=WAITING,
            created_at=now_ms(),
        )
        self.session.add(evaluation)
        await self.session.flush()
        return evaluation.id

    async def _checked_dataset(self, dataset: ObsDataset | FileDataset) -> dict[str, Any]:
        if isinstance(dataset, FileDataset):
            folder = allowed_folder(dataset.url, self.settings)
            if folder is None:
                raise InvalidParameter(
                    "Invalid parameter: dataset.url.",
                    detail=f"{dataset.url} is outside the folders data sets may be read from "
                    "(OPENVIAS_FILE_ROOTS)",
                    param="dataset.url",
                )
            if not any((folder / name).is_file() for name in LABEL_FILES):
                raise self._no_labels(dataset.url)
            return {"type": "file", "path": str(folder)}
        prefix = folder_prefix(dataset.prefix)
        keys = [prefix + name for name in LABEL_FILES]
        try:
            found = await asyncio.to_thread(existing_keys, self.settings, dataset.bucket, keys)
        except ObjectStoreUnreachable as exc:
            raise ServiceUnavailable(str(exc)) from exc
        except ObjectStoreError as exc:
            raise InvalidParameter(
                "Invalid parameter: dataset.", detail=str(exc), param="dataset"
            ) from exc
        if not found:
            raise self._no_labels(f"obs://{dataset.bucket}/{prefix}")
        return {"type": "obs", "bucket": dataset.bucket, "prefix": prefix}

    @staticmethod
    def _no_labels(where: str) -> InvalidParameter:
        names = ", ".join(LABEL_FILES)
        return InvalidParameter(
            "Invalid parameter: dataset.",
            detail=f"{where} holds no labels file ({names}); see docs/evaluate.md",
            param="dataset",
        )

    async def get(self, evaluation_id: str) -> Evaluation:
        evaluation = await self.repository.get(self.project_id, evaluation_id)
        if evaluation is None:
            raise NotFound(f"The evaluation {evaluation_id} does not exist.")
        return evaluation

    async def show(self, evaluation_id: str) -> EvaluationInfo:
        return evaluation_info(await self.get(evaluation_id))

    async def list_page(self, *, limit: int, offset: int) -> EvaluationList:
        rows, total = await self.repository.page(self.project_id, limit=limit, offset=offset)
        return EvaluationList(count=total, evaluations=[evaluation_info(row) for row in rows])

    async def report(self, evaluation_id: str) -> dict[str, Any]:
        evaluation = await self.get(evaluation_id)
        if evaluation.report is None:
            raise NotFound(
                f"The evaluation {evaluation_id} has no report ({evaluation.state}).",
                detail=evaluation.reason or f"the evaluation is {evaluation.state}",
            )
        report: dict[str, Any] = shown(evaluation.report, what=f"evaluation {evaluation.id}")
        return report

    async def delete(self, evaluation_id: str) -> None:
        """Deleting a running job stops it: its engine finds the row gone at its next lease
        renewal and stops analysing."""
        if not await self.repository.delete(self.project_id, evaluation_id):
            raise NotFound(f"The evaluation {evaluation_id} does not exist.")


def evaluation_info(row: Evaluation) -> EvaluationInfo:
    """The row as shown; a row an older or broken writer left unrenderable is shown
    repaired (``services/rendering.py``), never failing the list it is on."""
    what = f"evaluation {row.id}"
    state, reason = row.state, row.reason
    if state not in _STATES:
        state, reason = FAILED, f"stored state {state!r} is unknown"
    total = max(row.files_total or 0, 0)
    done = min(max(row.files_done or 0, 0), total)
    try:
        return EvaluationInfo(
            id=row.id,
            name=shown(row.name or "", what=what),
            service_name=shown(row.service_name, what=what),
            config=shown(row.config if isinstance(row.config, dict) else {}, what=what),
            sweep=shown(row.sweep, what=what),
            goal=shown(row.goal, what=what),
            dataset=shown(row.dataset if isinstance(row.dataset, dict) else {}, what=what),
            state=state,
            reason=shown(reason, what=what),
            files_done=done,
            files_total=total,
            progress=100 * done // total if total else (100 if state == "SUCCEEDED" else 0),
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )
    except ValueError:
        log.exception("%s cannot be shown as stored; shown without its details", what)
        return EvaluationInfo(
            id=row.id,
            name="",
            service_name="",
            config={},
            goal="",
            dataset={},
            state=FAILED,
            reason="this evaluation's stored details cannot be shown",
            files_done=0,
            files_total=0,
            progress=0,
            created_at=row.created_at or 0,
        )
