"""The summary, description and request example of every operation in ``/openapi.json``,
keyed by operation id, kept here rather than in each router's decorator so that the
reference reads as one document. ``install_openapi`` applies it; a router's own
description, where it has one, is kept and this text goes before it.

Example ids are fixed placeholders (``EXAMPLE_*``): ``tests/docs/test_openapi_docs.py``
swaps them for real ones and sends every create example to a real server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXAMPLE_SOURCE_ID = "5f1c1b7e-2f4e-4c1a-9d1e-0e2b7a9c1d11"
EXAMPLE_GROUP_ID = "8a3d2c4b-6e5f-4a7b-8c9d-1e2f3a4b5c6d"
EXAMPLE_TEMPLATE_ID = "0f0e0d0c0b0a09080706050403020100"
_WEBHOOK = {"webhook": {"url": "https://alarms.example.com/vias", "headers": {"X-Site": "7"}}}
_FIRE = {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 1, "render_result_sw": 1}}
_URL = "<type_config><url_address>rtsp://192.0.2.10:554/live</url_address></type_config>"
_SCHEDULE = {
    "type": "weekly",
    "timezone": "+08:00",
    "days_of_week": [1, 2, 3, 4, 5],
    "periods": [[{"begin_at": "08:00:00", "end_at": "18:00:00"}]] * 5,
}
_BATCH_INPUT = {
    "video_source_group": [
        {
            "video_source_group_id": EXAMPLE_GROUP_ID,
            "video_source_list": [{"video_source_id": EXAMPLE_SOURCE_ID}],
        }
    ]
}
_OWN = " (openvias extension)"


@dataclass(frozen=True)
class OperationDoc:
    summary: str
    description: str
    example: Any = None


OPERATIONS: dict[str, OperationDoc] = {
    # -- health and identity -------------------------------------------------------------
    "healthz_healthz_get": OperationDoc(
        "Liveness", "200 while the process answers; no database call, no authentication."
    ),
    "readyz_readyz_get": OperationDoc(
        "Readiness",
        "200 when the database answers, 503 ``VIAS.00010009`` when it does not. For load "
        "balancers; no authentication.",
    ),
    "metrics_metrics_get": OperationDoc(
        "Prometheus metrics", "The metrics in Prometheus' text exposition format."
    ),
    "create_token_v3_auth_tokens_post": OperationDoc(
        "Get a token (IAM v3 password)",
        "A project-scoped token for a user name and password, as Huawei IAM issues one: "
        "201 with the token in the ``X-Subject-Token`` header (valid 24 hours) and its "
        "project, user and roles in the body. Wrong credentials are 401; repeated failures "
        "lock the user and the client address for a while (``VIAS.00090429``).",
        {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "alice",
                            "password": "your-password",
                            "domain": {"name": "openvias"},
                        }
                    },
                },
                "scope": {"project": {"name": "default"}},
            }
        },
    ),
    "revoke_token_v3_auth_tokens_delete": OperationDoc(
        "Revoke a token",
        "Revokes the token in ``X-Subject-Token`` (the caller's own, in ``X-Auth-Token``, "
        "authorises the call). 204.",
    ),
    "list_projects_v3_projects_get": OperationDoc(
        "List the caller's projects",
        "The projects the caller has a role in, for finding a ``project_id``.",
    ),
    # -- Video Center ----------------------------------------------------------------------
    "CreateVideoSource": OperationDoc(
        "Create a video source",
        "Registers a camera or a video: ``type`` ``url`` (RTSP, HTTP(S), HLS or ``file://`` "
        "under ``OPENVIAS_FILE_ROOTS``) or ``obs`` with an XML ``type_config``. Answers "
        "the new ``video_source_id``. Nothing is read until a task uses the source.",
        {
            "video_source_name": "loading-bay",
            "type": "url",
            "type_config": _URL,
            "access_type": "cloud",
            "latitude": "",
            "longitude": "",
            "tag": ["dock"],
            "video_group_ids": [],
        },
    ),
    "UpdateVideoSource": OperationDoc(
        "Update a video source",
        "Replaces the name, ``type_config``, position and tags; a running task picks the "
        "new address up at its next start.",
        {"video_source_name": "loading-bay-2", "type_config": _URL, "tag": ["dock"]},
    ),
    "DeleteVideoSource": OperationDoc(
        "Delete a video source",
        "Deletes the source and takes it out of its groups; refused (409) while a task uses it.",
    ),
    "ShowVideoSourceDetail": OperationDoc(
        "Show a video source", "One source with its groups, status and ``type_config``."
    ),
    "ShowVideoSourceSnapshot": OperationDoc("A picture of a video source" + _OWN, ""),
    "ListVideoSources": OperationDoc(
        "List video sources",
        "Sources of the project, filtered by ``scope``/``scope_name``, ``status``, ``type``, "
        "``video_group_id``, ``tag`` and ``access_type``; paged with ``page_num`` and "
        "``page_size`` when ``is_paged`` is true.",
    ),
    "CreateVideoGroup": OperationDoc(
        "Create a video group",
        "A named group of sources; batch tasks run over groups. ``video_source_ids`` must "
        "name existing sources.",
        {
            "video_group_name": "site-7",
            "access_type": "cloud",
            "description": "the loading bays",
            "video_source_ids": [EXAMPLE_SOURCE_ID],
        },
    ),
    "UpdateVideoGroup": OperationDoc(
        "Update a video group",
        "Replaces the group's sources (and optionally its name and description).",
        {"video_source_ids": [EXAMPLE_SOURCE_ID], "description": "the loading bays"},
    ),
    "DeleteVideoGroup": OperationDoc(
        "Delete a video group", "Deletes the group; its sources stay."
    ),
    "ShowVideoGroupDetail": OperationDoc(
        "Show a video group", "One group with its sources and online/offline counts."
    ),
    "ListVideoGroups": OperationDoc(
        "List video groups",
        "Groups of the project, filtered by ``name``, ``status``, ``has_task`` and "
        "``access_type``; paged with ``page_num`` and ``page_size`` when ``is_paged`` is true.",
    ),
    # -- Task Center -----------------------------------------------------------------------
    "CreateTask": OperationDoc(
        "Create tasks (VIAS CreateTask and VAS CreateTasks)",
        "Creates one task per input; each is queued to run at once (or at its schedule's "
        "next window): there is no separate start. The example is a VIAS CreateTask body.",
        {
            "name": "dock-fire",
            "service_version": "3.0",
            "input": {"type": "video_source", "data": [{"video_source_id": EXAMPLE_SOURCE_ID}]},
            "output": _WEBHOOK,
            "config": _FIRE,
        },
    ),
    "StartStopTask": OperationDoc(
        "Start or stop a task",
        "``command`` is ``start`` or ``stop``. Stop takes effect within 2 s; a start after "
        "a stop or an end begins a new run (a file is analysed again from its beginning).",
    ),
    "UpdateTask": OperationDoc(
        "Update a task",
        "Replaces the task's name, input, output, configuration and schedule (VIAS "
        "UpdateTask: exactly one input entry); 409 ``VIAS.00010004`` while the task is busy.",
        {
            "name": "dock-fire",
            "input": {"type": "video_source", "data": [{"video_source_id": EXAMPLE_SOURCE_ID}]},
            "output": _WEBHOOK,
            "config": _FIRE,
            "schedule": _SCHEDULE,
        },
    ),
    "DeleteTask": OperationDoc(
        "Delete a task", "Deletes the task, stopping it first if it is active."
    ),
    "ShowTaskInfo": OperationDoc(
        "Show a task", "One task with its state (upper case: ``RUNNING``, ``SUCCEEDED`` …)."
    ),
    "ListTasks": OperationDoc(
        "List tasks",
        "Tasks of the project, filtered by state, name, batch, group or algorithm; paged "
        "with ``page`` and ``page_size``.",
    ),
    "ShowTaskStream": OperationDoc(
        "Show a task's stream health" + _OWN,
        "The running stream of the task: frames decoded and analysed, reconnects, last error.",
    ),
    "ListStreams": OperationDoc(
        "List stream health" + _OWN, "Every running stream of the project with its health."
    ),
    "CreateBatchTask": OperationDoc(
        "Create a batch task",
        "One configuration over groups of sources: one task per source of each group, all "
        "queued to run at once. Answers the batch id and how many tasks were created.",
        {
            "name": "fire-site-7",
            "description": "",
            "service_name": "c-smoke-and-fire-cloud",
            "service_version": "3.0",
            "is_saved_as_template": False,
            "batch_input": _BATCH_INPUT,
            "config": _FIRE,
            "output": _WEBHOOK,
        },
    ),
    "ListBatchTasks": OperationDoc(
        "List batch tasks",
        "Batch tasks with the count of their tasks per state (lower case); paged with "
        "``page_num`` and ``page_size`` when ``is_paged`` is true.",
    ),
    "BatchStartStopTask": OperationDoc(
        "Start or stop a batch task", "``command`` ``start`` or ``stop`` for every task of it."
    ),
    "UpdateBatchTask": OperationDoc(
        "Update a batch task",
        "A partial update: absent fields stay. A new ``batch_input`` is the new membership: "
        "added sources get tasks, removed sources have theirs stopped and deleted, kept "
        "sources get their new ROI. Unlisted fields (``manufacturer``, ``priority``) are ignored.",
        {
            "name": "fire-site-7",
            "description": "",
            "service_name": "c-smoke-and-fire-cloud",
            "service_version": "3.0",
            "manufacturer": "VIAS",
            "priority": "low",
            "is_saved_as_template": False,
            "batch_input": _BATCH_INPUT,
            "config": _FIRE,
            "output": _WEBHOOK,
        },
    ),
    "DeleteBatchTask": OperationDoc(
        "Delete a batch task", "Stops and deletes every task of the batch."
    ),
    # -- templates (openvias) --------------------------------------------------------------
    "ListTemplates": OperationDoc(
        "List templates" + _OWN,
        "Configurations saved with ``is_saved_as_template: true`` on a batch task.",
    ),
    "ShowTemplate": OperationDoc("Show a template" + _OWN, "One saved configuration."),
    "DeleteTemplate": OperationDoc("Delete a template" + _OWN, "Deletes a saved configuration."),
    "CreateBatchTaskFromTemplate": OperationDoc(
        "Create a batch task from a template" + _OWN,
        "A batch task with the template's algorithm, configuration and outputs over new "
        "groups; ``config``, ``output`` and ``schedule`` given here replace the template's.",
        {"name": "fire-site-8", "batch_input": _BATCH_INPUT},
    ),
    # -- Event Center (openvias) -----------------------------------------------------------
    "ShowEventRules": OperationDoc("Show the event aggregation rules" + _OWN, ""),
    "UpdateEventRules": OperationDoc(
        "Update the event aggregation rules" + _OWN,
        "",
        {"aggregation_enabled": True, "aggregation_minutes": 10},
    ),
    "ListEvents": OperationDoc("List events" + _OWN, ""),
    "ShowEvent": OperationDoc("Show an event" + _OWN, ""),
    "DeleteEvent": OperationDoc("Delete an event" + _OWN, ""),
    "ListSecondaryEvents": OperationDoc("List the events aggregated into one" + _OWN, ""),
    "ReviewEvent": OperationDoc(
        "Review an event" + _OWN, "", {"result": "rejected", "comment": "a welding torch"}
    ),
    # -- deliveries (openvias) -------------------------------------------------------------
    "ListDeliveries": OperationDoc("List alarm deliveries" + _OWN, ""),
    "ShowDelivery": OperationDoc("Show an alarm delivery" + _OWN, ""),
    "RetryDelivery": OperationDoc("Retry a dead delivery" + _OWN, ""),
    # -- Algorithm Center ------------------------------------------------------------------
    "ListUserServices": OperationDoc(
        "List algorithm services",
        "The algorithm catalogue as the project sees it (smoke and fire, intrusion "
        "detection, flow count; cloud and edge), with deployment state.",
    ),
    "ShowServiceDetail": OperationDoc(
        "Show an algorithm service",
        "One algorithm with its versions and the JSON Schema of its ``config``.",
    ),
    "DeployAlgorithm": OperationDoc(
        "Deploy an algorithm (resource order)",
        "Records a resource order of ``stream_count`` streams for the algorithm; tasks may "
        "name it in ``resource_order_id``.",
        {"stream_count": 4, "deploy_config": {"sub_scene": "common"}},
    ),
    "StopDeployAlgorithm": OperationDoc(
        "Stop an algorithm deployment", "Ends the algorithm's resource order."
    ),
    # -- O&M Center ------------------------------------------------------------------------
    "CreateEdgePool": OperationDoc(
        "Create an edge pool",
        "A named pool of ``openvias worker --pool NAME`` processes; ``nodes`` are the "
        "worker names that belong to it. 201 with the pool id.",
        {"name": "site-7-edge", "nodes": ["edge-box-1"], "description": "the loading bays"},
    ),
    "ListEdgePools": OperationDoc(
        "List edge pools", "Pools of the project with their state, filtered by name."
    ),
    "ShowEdgePoolInfo": OperationDoc(
        "Show an edge pool", "One pool with its nodes (slots, heartbeat, draining)."
    ),
    "DeleteEdgePool": OperationDoc(
        "Delete an edge pool", "Deletes the pool; 409 ``VIAS.00010051`` while a task uses it."
    ),
    "ListWorkers": OperationDoc(
        "List engine workers" + _OWN,
        "Every engine worker (embedded and ``openvias worker``) with its slots and "
        "heartbeat, and the caller's project's tasks among those it runs.",
    ),
    # -- evaluations -----------------------------------------------------------------------
    "CreateEvaluation": OperationDoc(
        "Evaluate a service on a labelled data set" + _OWN,
        "Queues a job that an engine worker runs as ``openvias evaluate`` does: every clip "
        "and picture of the data set (``docs/evaluate.md``: a folder with ``dataset.json``) "
        "through the service with ``config``, scored against the labels; with ``sweep`` one "
        "run per value and the value ``goal`` picks. The folder is ``obs`` (``bucket`` and "
        "``prefix`` of the operator's ``OPENVIAS_OBS_ENDPOINT``) or ``file`` (a "
        "``file://`` folder under ``OPENVIAS_FILE_ROOTS``). 400 naming the field, nothing "
        "written, for a service that cannot be scored, a bad configuration or sweep, a "
        "folder not allowed, or a folder without a labels file.",
        {
            "name": "lobby-fire",
            "service_name": "c-smoke-and-fire-cloud",
            "config": {"common": {"openvias_fire_confirm_samples": 3}},
            "dataset": {"type": "obs", "bucket": "eval-sets", "prefix": "lobby/2024-03"},
        },
    ),
    "ListEvaluations": OperationDoc(
        "List evaluations" + _OWN,
        "The project's evaluation jobs, newest first, with their state and progress.",
    ),
    "ShowEvaluation": OperationDoc(
        "Show an evaluation" + _OWN,
        "State (WAITING, RUNNING, SUCCEEDED, FAILED with ``reason``) and progress in files.",
    ),
    "ShowEvaluationReport": OperationDoc(
        "Show an evaluation's report" + _OWN,
        "The JSON report ``openvias evaluate`` writes (``report.json``; with a sweep, "
        "``sweep.json`` plus one report per value); no thumbnails. 404 until SUCCEEDED.",
    ),
    "DeleteEvaluation": OperationDoc(
        "Delete an evaluation" + _OWN,
        "Deletes the job and its report; a running job stops at its next lease renewal.",
    ),
    # -- VAS legacy ------------------------------------------------------------------------
    "ListTasksDetails": OperationDoc(
        "List tasks (VAS)",
        "The legacy VAS ListTasksDetails that ``huaweicloudsdkvas`` calls, per service.",
    ),
    "ShowTask": OperationDoc("Show a task (VAS)", "The legacy VAS ShowTask."),
    "VasUpdateTask": OperationDoc(
        "Update a task (VAS)",
        "The legacy VAS UpdateTask: fields given replace the task's.",
        {
            "description": "dock camera, evenings",
            "service_config": {"common": {"fire_detection_sw": 1, "smoke_detection_sw": 0}},
        },
    ),
    "VasDeleteTask": OperationDoc("Delete a task (VAS)", "The legacy VAS DeleteTask."),
    "StartTask": OperationDoc("Start a task (VAS)", "The legacy VAS StartTask."),
    "StopTask": OperationDoc("Stop a task (VAS)", "The legacy VAS StopTask."),
}


def apply_operation_docs(paths: dict[str, Any]) -> None:
    """Give every documented operation its summary, description and request example."""
    for operations in paths.values():
        for operation in operations.values():
            doc = OPERATIONS.get(operation.get("operationId", ""))
            if doc is None:
                continue
            operation["summary"] = doc.summary
            own = operation.get("description", "")
            operation["description"] = "\n\n".join(part for part in (doc.description, own) if part)
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if doc.example is not None and content is not None:
                content["example"] = doc.example
