"""Fuzzing the writes: valid bodies of every write operation with random and hostile values
put in (lone surrogates, deep nesting, huge and non-finite numbers, control characters,
very long strings, any Unicode), then every read operation of the project: no 5xx, ever,
and no traceback in the server's log.

The operations are taken from the server's OpenAPI document (every POST and PUT, every
GET): a new one fails ``test_every_operation_is_covered`` until it gets a base body here.
Each write gets a systematic pass (each classic hostile value at each place of its base
body) and random examples (hypothesis). After each accepted write, every list and the
shows of the objects involved are read; at the end, every object every list shows is
shown. A server of its own per backend keeps the hostile rows away from the other tests
(and failed logins away from the shared admin).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.api.task_center import SMOKE, batch_body, batch_input, task_body
from tests.api.video_center import source_body, unique
from tests.sinks.delivery_support import make_alarm, seed
from tests.support import Server, running_server

EXAMPLES_PER_OPERATION = 20
HOOK = {"url": "http://127.0.0.1:9/hook", "headers": {"X-Tok": "abc"}}
STREAM_CONFIG = "<type_config><url_address>rtsp://127.0.0.1:9/live</url_address></type_config>"
COMMON = {"fire_detection_sw": 1, "smoke_detection_sw": 1}

# -- hostile values ----------------------------------------------------------------------


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


HOSTILE_TEXT = [
    "\ud800",
    "\udfff",
    "a\udc80b",
    "\ud83d",  # half of an emoji
    "\x01\x08\x1b\x7f",
    "line\r\nInjected: 1",
    "\u202e\u200b\ufeff",
    "\u0085\u2028\u2029",
    "Zoë 火焰 🔥",
    "",
    " ",
    "a" * 70_000,
    "../../etc/passwd",
    "a/../b",
    "<x>&amp;</x>",
    "%00%ff",
]
HOSTILE_NUMBERS: list[Any] = [
    2**63,
    -(2**63) - 1,
    10**30,
    10**4000,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    5e-324,
    -0.0,
]
#: Depths around the limit (32) and far beyond it; built fresh for each draw, as mutations
#: change what they are put into.
NESTING_DEPTHS = (31, 32, 33, 40, 300)

texts = st.sampled_from(HOSTILE_TEXT) | st.text(
    st.characters(codec=None, exclude_categories=()), max_size=40
)
leaves = (
    texts
    | st.sampled_from(HOSTILE_NUMBERS)
    | st.integers()
    | st.floats()
    | st.booleans()
    | st.none()
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
hostile = st.one_of(
    st.sampled_from([*HOSTILE_TEXT, *HOSTILE_NUMBERS]),
    st.sampled_from(NESTING_DEPTHS).map(nested),
    json_values,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _container(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        body = body[step]
    return body


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one or two hostile changes, mostly where a value can get stored: a new
    key in an object (``config.common``, ``headers``, or an ignored unknown field), a
    string replaced by hostile text; sometimes any value replaced by any hostile value."""
    body = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 2))):
        paths = list(_paths(body))
        objects = [p for p in paths if isinstance(_container(body, p), dict)]
        strings = [p for p in paths if isinstance(_container(body, p), str)]
        kind = draw(st.sampled_from(["add", "add", "text", "text", "any"]))
        if kind == "add" and objects:
            target = _container(body, draw(st.sampled_from(objects)))
            target[draw(texts)] = draw(hostile)
            continue
        path = draw(st.sampled_from(strings if kind == "text" and strings else paths))
        value = draw(texts if kind == "text" else hostile)
        if path:
            _container(body, path[:-1])[path[-1]] = value
        else:
            body = value
    return body


#: What the systematic pass puts at every place of every base body.
SYSTEMATIC_VALUES: list[Any] = ["\ud800", "Zoë\r\n", math.nan, 2**64]


def systematic(base: Any) -> Iterator[Any]:
    """``base`` with each classic hostile value at each place: as a new key of every object
    (and a lone surrogate as a key), and in place of every string. Random examples may
    miss the one place that stores a value; this pass does not."""
    for path in _paths(base):
        place = _container(base, path)
        if isinstance(place, dict):
            for value in [*SYSTEMATIC_VALUES, nested(300)]:
                body = json.loads(json.dumps(base))
                _container(body, path)["fuzz"] = value
                yield body
            body = json.loads(json.dumps(base))
            _container(body, path)["\udfff"] = 1
            yield body
        elif isinstance(place, str):
            for text in SYSTEMATIC_VALUES[:2]:
                body = json.loads(json.dumps(base))
                _container(body, path[:-1])[path[-1]] = text
                yield body


# -- the server and its objects ----------------------------------------------------------


@dataclass
class World:
    server: Server
    http: httpx.Client
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/v2/{self.server.project_id}"

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, self.base + path, json=body)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


def _build_world(server: Server, http: httpx.Client) -> World:
    world = World(server, http)
    ids = world.ids
    ids["video_source_id"] = world.ok("POST", "/source", source_body(type_config=STREAM_CONFIG))[
        "video_source_id"
    ]
    ids["spare_source_id"] = world.ok("POST", "/source", source_body(type_config=STREAM_CONFIG))[
        "video_source_id"
    ]
    group = {"access_type": "cloud", "video_group_name": unique("g"), "video_source_ids": []}
    group["video_source_ids"] = [ids["video_source_id"]]
    ids["video_group_id"] = world.ok("POST", "/video-group", group)["video_group_id"]
    body = task_body([ids["video_source_id"]], output={"webhook": HOOK}, is_saved_as_template=True)
    created = world.ok("POST", f"/services/{SMOKE}/tasks", body)
    ids["task_id"] = created["tasks"][0]["id"]
    batch = batch_body(
        [(ids["video_group_id"], [ids["video_source_id"]])], output={"webhook": HOOK}
    )
    ids["id"] = world.ok("POST", "/batch-tasks", batch)["id"]
    ids["template_id"] = world.ok("GET", "/templates")["templates"][0]["id"]
    services = world.ok("GET", "/algorithm/services/user")["service_list"]
    smoke = next(s for s in services if s["service_name"] == SMOKE)
    ids["service_id"] = ids["alg_id"] = smoke["service_id"]
    ids["service_name"] = SMOKE
    event = make_alarm(server.project_id, ids["task_id"], 1000)
    seed(server, [event], {"webhook": HOOK})
    ids["event_id"] = event.message_id
    ids["delivery_id"] = str(world.ok("GET", "/deliveries")["deliveries"][0]["id"])
    ids["dataset_url"] = "file://" + server.data_dir.joinpath("datasets-root").read_text()
    ids["evaluation_id"] = world.ok("POST", "/evaluations", evaluation_body(ids))["id"]
    return world


def evaluation_body(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "name": "fuzz",
        "service_name": SMOKE,
        "config": {"common": {"openvias_fire_confirm_samples": 2}},
        "dataset": {"type": "file", "url": ids["dataset_url"]},
    }


# -- the write operations ----------------------------------------------------------------

Base = Callable[[dict[str, str]], Any]

#: operationId (or method and path for the two IAM routes) -> base body (None: no body).
WRITES: dict[str, Base | None] = {
    "create_token_v3_auth_tokens_post": lambda ids: {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": "fuzz", "password": "x", "domain": {"name": "fuzz"}}},
            },
            "scope": {"project": {"name": "fuzz"}},
        }
    },
    "CreateVideoSource": lambda ids: source_body(type_config=STREAM_CONFIG),
    "UpdateVideoSource": lambda ids: {
        "type_config": STREAM_CONFIG,
        "video_source_name": unique("src"),
        "latitude": "1.5",
        "tag": ["a"],
    },
    "CreateVideoGroup": lambda ids: {
        "access_type": "cloud",
        "video_group_name": unique("g"),
        "description": "group",
        "video_source_ids": [ids["spare_source_id"]],
    },
    "UpdateVideoGroup": lambda ids: {
        "video_source_ids": [ids["video_source_id"]],
        "description": "group",
    },
    "StartStopTask": None,
    "UpdateTask": lambda ids: {
        key: value
        for key, value in task_body([ids["video_source_id"]], output={"webhook": HOOK}).items()
        if key != "service_version"
    },
    "CreateBatchTask": lambda ids: batch_body(
        [(ids["video_group_id"], [ids["spare_source_id"]])], output={"webhook": HOOK}
    ),
    "BatchStartStopTask": None,
    "UpdateBatchTask": lambda ids: {
        "description": "batch",
        "config": {"common": dict(COMMON)},
        "output": {"webhook": HOOK},
    },
    "CreateBatchTaskFromTemplate": lambda ids: {
        "name": unique("tpl"),
        "batch_input": batch_input([(ids["video_group_id"], [ids["spare_source_id"]])]),
        "description": "from template",
        "config": {"common": dict(COMMON)},
    },
    "UpdateEventRules": lambda ids: {"aggregation_enabled": True, "aggregation_minutes": 5},
    "ReviewEvent": lambda ids: {"result": "approved", "comment": "checked"},
    "RetryDelivery": None,
    "CreateEvaluation": evaluation_body,
    "DeployAlgorithm": lambda ids: {
        "stream_count": 2,
        "pool_id": "pool-1",
        "deploy_config": {"a": 1},
        "envs": {"A": "b"},
    },
    "StopDeployAlgorithm": None,
    "CreateTask": lambda ids: task_body(
        [ids["video_source_id"]],
        output={"webhook": HOOK},
        description="task",
        config={"common": dict(COMMON)},
    ),
    "VasCreateTasks": lambda ids: {
        "name": unique("vas"),
        "description": "legacy",
        "service_version": "3.0",
        "input": {"type": "url", "data": [{"url": "rtsp://127.0.0.1:9/cam"}]},
        "output": {"webhook": HOOK},
        "service_config": {"common": dict(COMMON)},
    },
    "VasUpdateTask": lambda ids: {
        "description": "legacy",
        "output": {"webhook": HOOK},
        "service_config": {"common": dict(COMMON)},
    },
    "StartTask": None,
    "StopTask": None,
    "CreateEdgePool": lambda ids: {
        "name": unique("pool"),
        "nodes": ["node-1", "node-2"],
        "description": "pool",
    },
}
#: Path parameters of commands, and the operations sharing another's path.
COMMANDS = {"StartStopTask": "stop", "BatchStartStopTask": "stop"}
SAME_PATH = {"VasCreateTasks": "CreateTask"}


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    params: tuple[str, ...]
    query: dict[str, int]


#: Reads of a source's video, not of stored state: the answer depends on the network
#: (``tests/engine/test_snapshots.py`` covers them).
VIDEO_READS = frozenset({"ShowVideoSourceSnapshot"})


def _operations(document: dict[str, Any]) -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            if op.get("operationId") in VIDEO_READS:
                continue
            params = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "path")
            query = {
                p["name"]: int(p["schema"]["maximum"])
                for p in op.get("parameters", [])
                if p["in"] == "query" and p["name"] in ("limit", "page_size")
            }
            name = op.get("operationId") or f"{method} {path}"
            found[name] = Operation(name, method.upper(), path, params, query)
    return found


def _url(op: Operation, ids: dict[str, str], project_id: str) -> str:
    values = {**ids, "project_id": project_id, "command": COMMANDS.get(op.name, "stop")}
    path = op.path
    for name in op.params:
        encoded = values[name].encode("utf-8", "surrogatepass")
        path = path.replace("{" + name + "}", quote(encoded, safe=""))
    return path


# -- the reads ---------------------------------------------------------------------------

#: Reads of one object: (its id parameter, the list naming those objects, the list's key
#: of items, the item's id field).
SHOWS = {
    "ShowVideoSourceDetail": (
        "video_source_id", "ListVideoSources", "video_source_list", "video_source_id"
    ),
    "ShowVideoGroupDetail": (
        "video_group_id", "ListVideoGroups", "video_group_list", "video_group_id"
    ),
    "ShowTaskInfo": ("task_id", "ListTasks", "tasks", "id"),
    "ShowTaskStream": ("task_id", "ListTasks", "tasks", "id"),
    "ShowTask": ("task_id", "ListTasksDetails", "tasks", "id"),
    "ShowTemplate": ("template_id", "ListTemplates", "templates", "id"),
    "ShowEvent": ("event_id", "ListEvents", "events", "message_id"),
    "ListSecondaryEvents": ("event_id", "ListEvents", "events", "message_id"),
    "ShowEventImage": ("event_id", "ListEvents", "events", "message_id"),
    "ShowDelivery": ("delivery_id", "ListDeliveries", "deliveries", "id"),
    "ShowServiceDetail": ("service_id", "ListUserServices", "service_list", "service_id"),
    "ShowEdgePoolInfo": ("id", "ListEdgePools", "edge_pools", "id"),
    "ShowEvaluation": ("evaluation_id", "ListEvaluations", "evaluations", "id"),
    "ShowEvaluationReport": ("evaluation_id", "ListEvaluations", "evaluations", "id"),
}  # fmt: skip
#: Shows that answer 404 while their object is not finished (a report of a waiting job).
NOT_YET = frozenset({"ShowEvaluationReport"})
#: Path parameters that do not name one object.
SCOPE_PARAMS = frozenset({"project_id", "service_name"})


class Reader:
    def __init__(self, world: World, operations: dict[str, Operation]) -> None:
        self.world = world
        self.reads = [op for op in operations.values() if op.method == "GET"]

    def get(self, op: Operation, ids: dict[str, str], context: str) -> httpx.Response:
        url = _url(op, ids, self.world.server.project_id)
        answer = self.world.http.get(url, params=op.query)
        assert answer.status_code < 500, f"{op.name} {url} after {context}: {answer.text}"
        return answer

    def sweep(self, ids: dict[str, str], context: str) -> None:
        """Every list (must answer 200) and the shows of ``ids``."""
        for op in self.reads:
            answer = self.get(op, ids, context)
            if not set(op.params) - SCOPE_PARAMS:
                assert answer.status_code == 200, f"{op.name} after {context}: {answer.text}"

    def full_sweep(self) -> None:
        """Every object every list shows, shown."""
        by_name = {op.name: op for op in self.reads}
        for show, (param, list_name, key, id_key) in SHOWS.items():
            listed = self.get(by_name[list_name], self.world.ids, "the fuzzing").json()
            for item in listed[key]:
                ids = {**self.world.ids, param: str(item[id_key])}
                answer = self.get(by_name[show], ids, "the fuzzing")
                allowed = (200, 404) if show in NOT_YET else (200,)
                assert answer.status_code in allowed, f"{show} {ids[param]}: {answer.text}"


# -- the tests ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A data set folder for evaluation jobs (no engine runs them here: they stay WAITING).
    datasets = tmp_path_factory.mktemp("datasets")
    (datasets / "labels.csv").write_text("path,label\n")
    with running_server(backend, OPENVIAS_FILE_ROOTS=str(datasets)) as running:
        running.data_dir.joinpath("datasets-root").write_text(str(datasets))
        yield running


@pytest.fixture(scope="module")
def openapi(fuzz_server: Server) -> dict[str, Any]:
    return dict(httpx.get(f"{fuzz_server.base_url}/openapi.json").json())


def test_every_operation_is_covered(openapi: dict[str, Any]) -> None:
    operations = _operations(openapi)
    writes = {name for name, op in operations.items() if op.method in ("POST", "PUT")}
    assert writes == set(WRITES) - set(SAME_PATH)
    shows = {
        name
        for name, op in operations.items()
        if op.method == "GET" and set(op.params) - SCOPE_PARAMS
    }
    assert shows == set(SHOWS)


def _send(world: World, op: Operation, ids: dict[str, str], body: Any) -> httpx.Response:
    url = _url(op, ids, world.server.project_id)
    if body is None:
        return world.http.request(op.method, url)
    # ensure_ascii ships lone surrogates as \\u escapes; allow_nan writes NaN and Infinity.
    raw = json.dumps(body, ensure_ascii=True, allow_nan=True)
    headers = {"Content-Type": "application/json"}
    return world.http.request(op.method, url, content=raw, headers=headers)


def test_hostile_writes_never_break_a_read(fuzz_server: Server, openapi: dict[str, Any]) -> None:
    operations = _operations(openapi)
    log = fuzz_server.data_dir / "server.log"
    log_start = log.stat().st_size
    failures: list[str] = []
    with fuzz_server.client() as http:
        world = _build_world(fuzz_server, http)
        reader = Reader(world, operations)
        reader.sweep(world.ids, "setting up")

        def attempt(name: str, ids: dict[str, str], body: Any) -> None:
            op = operations[SAME_PATH.get(name, name)]
            context = f"{name} {op.path} with {json.dumps(body, ensure_ascii=True)[:1000]}"
            try:
                answer = _send(world, op, ids, body)
                assert answer.status_code < 500, f"{context}: {answer.text}"
                if answer.status_code < 300:  # a refused write changes nothing
                    reader.sweep(_touched(world.ids, answer), context)
            except AssertionError as failure:
                failures.append(str(failure))

        # The server keeps what each example wrote, so an example cannot be replayed or
        # shrunk: failures are collected (generation only) and reported together.
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def fuzz(name: str, data: st.DataObject) -> None:
            op = operations[SAME_PATH.get(name, name)]
            ids = dict(world.ids)
            if op.params and data.draw(st.integers(0, 9), label="hostile id") == 0:
                ids[data.draw(st.sampled_from(op.params))] = data.draw(texts)
            base = WRITES[name]
            body = None if base is None else data.draw(mutated(base(world.ids)), label="body")
            attempt(name, ids, body)

        for name, base in sorted(WRITES.items()):
            for body in systematic(base(world.ids)) if base is not None else ():
                attempt(name, world.ids, body)
        for name in sorted(WRITES):
            fuzz(name)
        try:
            reader.full_sweep()
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:10])
    logged = log.read_bytes()[log_start:].decode("utf-8", "replace")
    assert "Traceback" not in logged, logged[-5000:]


def _touched(ids: dict[str, str], answer: httpx.Response) -> dict[str, str]:
    """``ids`` with the objects a successful create answered with."""
    touched = dict(ids)
    if answer.status_code >= 300 or not answer.content:
        return touched
    created = answer.json()
    if isinstance(created, dict):
        for key in ("video_source_id", "video_group_id", "id"):
            if isinstance(created.get(key), str):
                touched[key] = created[key]
        if created.get("tasks"):
            touched["task_id"] = str(created["tasks"][0]["id"])
    elif isinstance(created, list) and created and isinstance(created[0], dict):
        touched["task_id"] = str(created[0].get("id"))
    return touched
