"""Evaluation jobs (openvias extension): score an algorithm service on a labelled data set
with the engine's workers; the report is the one ``openvias evaluate`` writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from openvias.api.deps import CurrentProject, Session, State
from openvias.api.handlers import PROJECT_ERRORS
from openvias.schemas.evaluations import (
    EVALUATION_ID_PATTERN,
    EvaluationCreate,
    EvaluationCreated,
    EvaluationInfo,
    EvaluationList,
)
from openvias.services.evaluations import EvaluationService

router = APIRouter(
    prefix="/v2/{project_id}/evaluations",
    tags=["Evaluations (openvias)"],
    responses=PROJECT_ERRORS,
)

EvaluationIdPath = Annotated[str, Path(pattern=EVALUATION_ID_PATTERN)]


def _service(session: Session, project: CurrentProject, state: State) -> EvaluationService:
    return EvaluationService(session, project.project_id, state.settings)


Evaluations = Annotated[EvaluationService, Depends(_service)]


@router.post("", status_code=201, response_model=EvaluationCreated, operation_id="CreateEvaluation")
async def create_evaluation(body: EvaluationCreate, evaluations: Evaluations) -> EvaluationCreated:
    return EvaluationCreated(id=await evaluations.create(body))


@router.get(
    "",
    response_model=EvaluationList,
    response_model_exclude_none=True,
    operation_id="ListEvaluations",
)
async def list_evaluations(
    evaluations: Evaluations,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> EvaluationList:
    return await evaluations.list_page(limit=limit, offset=offset)


@router.get(
    "/{evaluation_id}",
    response_model=EvaluationInfo,
    response_model_exclude_none=True,
    operation_id="ShowEvaluation",
)
async def show_evaluation(
    evaluation_id: EvaluationIdPath, evaluations: Evaluations
) -> EvaluationInfo:
    return await evaluations.show(evaluation_id)


@router.get(
    "/{evaluation_id}/report", response_model=dict[str, Any], operation_id="ShowEvaluationReport"
)
async def show_evaluation_report(
    evaluation_id: EvaluationIdPath, evaluations: Evaluations
) -> dict[str, Any]:
    return await evaluations.report(evaluation_id)


@router.delete(
    "/{evaluation_id}", status_code=204, response_class=Response, operation_id="DeleteEvaluation"
)
async def delete_evaluation(evaluation_id: EvaluationIdPath, evaluations: Evaluations) -> Response:
    await evaluations.delete(evaluation_id)
    return Response(status_code=204)
