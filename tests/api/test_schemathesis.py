"""Schemathesis against the running server: every operation, every check, both backends.

The server's own OpenAPI document is the oracle: no 5xx, no undocumented status code, no
response that contradicts its schema, authentication that is really enforced.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import ADMIN_PASSWORD, Server

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
MAX_EXAMPLES = 25
# A loopback address: the snapshot route may try to read it, and tests talk to loopback only
# (the address policy refuses it before any packet is sent).
TYPE_CONFIG = "<type_config><url_address>http://127.0.0.1:9/a.mp4</url_address></type_config>"

# Rules the JSON Schema of a body cannot state, so schema-valid bodies may still get a 400
# from these operations; positive_data_acceptance keeps checking them, with 400 allowed:
# - CreateVideoSource, UpdateVideoSource: `type_config` is XML whose required elements
#   depend on `type` (the VIAS definitions type it as a plain string);
# - CreateVideoGroup, UpdateVideoGroup: `video_source_ids` must name existing sources;
# - POST /v3/auth/tokens: `scope.project` and `user.domain` need an id or a name, which the
#   generated schema does not express (both properties are optional there);
# - Task Center creates and updates: the fields `input.data[]` requires depend on
#   `input.type`, `output` needs at least one enabled output, `config.common` is checked
#   against the algorithm's own config model, the service must exist in the catalogue, and
#   sources, groups and resource orders must exist (all are 400 with the field named);
# - ReviewEvent: its two fields are fully stated, but a generated unknown property may hold
#   a NUL character, which RequestGuard refuses in any JSON string (400) although the
#   schema lets unknown properties be anything (every body may meet it; this one does
#   with the seed below);
# - ShowOverview: `tz` must name an IANA time zone, which no JSON Schema pattern can state.
# - CreateEvaluation: the service must be one evaluate can score, `config` is checked
#   against its config model, and the data set folder must exist, be allowed and hold a
#   labels file (all are 400 with the field named).
CONFIG = """
[parameters]
"path.project_id" = "{project_id}"
# Valid values half of the time, so creates and updates also reach their 200 paths.
"body.type_config" = {{ dictionary = "type_config", probability = 0.5 }}
"body.video_source_ids[*]" = {{ dictionary = "source_ids", probability = 0.5 }}

[dictionaries.type_config]
values = ["{type_config}"]

[dictionaries.source_ids]
values = ["{source_id}"]

[[operations]]
include-operation-id = [
  "CreateVideoSource", "UpdateVideoSource", "CreateVideoGroup", "UpdateVideoGroup"
]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409]

[[operations]]
include-operation-id = [
  "CreateTask", "UpdateTask", "CreateBatchTask", "UpdateBatchTask",
  "CreateBatchTaskFromTemplate", "VasUpdateTask"
]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409]

[[operations]]
include-operation-id = ["ReviewEvent"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409]

[[operations]]
include-operation-id = ["CreateEvaluation"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404]

[[operations]]
include-operation-id = ["ShowOverview"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404]

# CreateEdgePool: pool names are unique in a project, so a valid body sent twice (its
# OpenAPI example is) is 409 the second time.
[[operations]]
include-operation-id = ["CreateEdgePool"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 404, 409, 429]

# ShowVideoSourceSnapshot (openvias extension) answers about the source's video: 422 when it
# cannot be read here (e.g. a type that is stored only, or the loopback address of the
# fixture source, which the address policy refuses), 502/504 when it cannot be reached or
# sends nothing in time, within its time limit (OPENVIAS_SNAPSHOT_TIMEOUT_SECONDS, 15 s).
# A 500 is still a failure.
[[operations]]
include-operation-id = ["ShowVideoSourceSnapshot"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 422, 429, 502, 504]
checks.not_a_server_error.expected-statuses = ["2xx", "4xx", 502, 504]
checks.max_response_time = 20

[[operations]]
include-path = "/v3/auth/tokens"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 404, 429]

# Existing objects, so the read and update operations get past 404 and their 200 bodies
# are checked against the schema too.
[[operations]]
include-operation-id = ["ShowVideoSourceDetail", "UpdateVideoSource"]
parameters = {{ "path.video_source_id" = "{source_id}" }}

[[operations]]
include-operation-id = ["ShowVideoGroupDetail", "UpdateVideoGroup"]
parameters = {{ "path.video_group_id" = "{group_id}" }}

[[operations]]
include-operation-id = [
  "CreateTask", "UpdateTask", "CreateBatchTask", "UpdateBatchTask",
  "CreateBatchTaskFromTemplate", "VasUpdateTask"
]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409]

[[operations]]
include-path = "/v3/auth/tokens"
include-method = "DELETE"
parameters = {{ "header.X-Subject-Token" = "{spare_token}" }}
"""


def _fixtures(server: Server) -> dict[str, str]:
    """A source, a group and a spare token for the pinned parameters."""
    with server.client() as client:
        pid = server.project_id
        source = client.post(
            f"/v2/{pid}/source",
            json={
                "access_type": "cloud",
                "type": "url",
                "type_config": TYPE_CONFIG,
                "video_source_name": "schemathesis-source",
            },
        )
        assert source.status_code == 200, source.text
        source_id = source.json()["video_source_id"]
        group = client.post(
            f"/v2/{pid}/video-group",
            json={
                "access_type": "cloud",
                "video_group_name": "st-group",
                "video_source_ids": [source_id],
            },
        )
        assert group.status_code == 200, group.text
    spare_token, _ = server.login("admin", ADMIN_PASSWORD, "openvias", "default")
    return {
        "project_id": pid,
        "source_id": source_id,
        "group_id": group.json()["video_group_id"],
        "spare_token": spare_token,
        "type_config": TYPE_CONFIG,
    }


def test_schemathesis_finds_nothing(server: Server) -> None:
    with tempfile.TemporaryDirectory(prefix="openvias-st-") as tmp:
        config = Path(tmp) / "schemathesis.toml"
        config.write_text(CONFIG.format(**_fixtures(server)))
        command = [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{server.base_url}/openapi.json",
            "--header",
            f"X-Auth-Token: {server.token}",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20240611",
            "--request-timeout",
            "30",
        ]
        result = subprocess.run(
            command, cwd=tmp, capture_output=True, text=True, timeout=600, check=False
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output
