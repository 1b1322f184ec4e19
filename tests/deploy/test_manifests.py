"""The Kubernetes manifests of ``deploy/kubernetes`` and the image definition.

Every core manifest validates, offline, against the schemas of a pinned Kubernetes version
bundled in ``kubernetes-validate`` (strict: an unknown field is an error). KEDA's resources
are custom: their CRD schemas are not bundled, so they are checked structurally here (the
fields KEDA reads, and that they name what exists). Their PostgreSQL queries run on a
migrated database and count the streams that want running in their pool.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from sqlalchemy import insert, text

from openvias.store.models import EdgePool, Task
from openvias.store.repositories.stream_leases import WANTS_RUNNING
from tests.db_support import ensure_project, migrated

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33"
Resource = dict[str, Any]


def _documents(paths: list[Path]) -> list[tuple[str, Resource]]:
    found = []
    for path in paths:
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                found.append(
                    (f"{path.name}:{document['kind']}/{document['metadata']['name']}", document)
                )
    return found


CORE = _documents(sorted(MANIFESTS.glob("*.yaml")))
KEDA = _documents(sorted((MANIFESTS / "keda").glob("*.yaml")))


def of_kind(kind: str, documents: list[tuple[str, Resource]] = CORE) -> list[Resource]:
    return [d for _, d in documents if d["kind"] == kind]


def deployment(name: str) -> Resource:
    (found,) = [d for d in of_kind("Deployment") if d["metadata"]["name"] == name]
    return found


def container(resource: Resource) -> Resource:
    (only,) = resource["spec"]["template"]["spec"]["containers"]
    return dict(only)


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the network fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access during validation: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(("where", "resource"), CORE, ids=[w for w, _ in CORE])
def test_manifest_validates_against_kubernetes(
    offline: None, where: str, resource: Resource
) -> None:
    assert kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_a_broken_manifest(offline: None) -> None:
    broken = yaml.safe_load(yaml.safe_dump(deployment("openvias-api")))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment("openvias-api")))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _help(command: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "openvias", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def test_the_api_runs_serve_without_an_engine() -> None:
    api = deployment("openvias-api")
    spec = container(api)
    args = spec["args"]
    assert args[0] == "serve"
    flags = {a for a in args if a.startswith("--")}
    assert flags <= set(re.findall(r"--[a-z-]+", _help("serve")))
    env = {e["name"]: e.get("value") for e in spec["env"]}
    assert env["OPENVIAS_ENGINE_SLOTS"] == "0"
    port = int(option(args, "--port"))
    (declared,) = spec["ports"]
    assert declared["containerPort"] == port
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": declared["name"]}
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": declared["name"]}
    (service,) = of_kind("Service")
    labels = api["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == declared["name"]


def test_every_worker_deployment_runs_one_pool_with_probes_and_grace() -> None:
    workers = [d for d in of_kind("Deployment") if container(d)["args"][0] == "worker"]
    pools = [option(container(d)["args"], "--pool") for d in workers]
    assert "default" in pools
    assert len(set(pools)) == len(pools) > 1
    known = set(re.findall(r"--[a-z-]+", _help("worker")))
    for worker, pool in zip(workers, pools, strict=True):
        spec = container(worker)
        args = spec["args"]
        assert {a for a in args if a.startswith("--")} <= known, args
        assert re.fullmatch(r"default|[a-z][a-z0-9-]{2,30}[a-z0-9]", pool)
        assert worker["metadata"]["name"] == f"openvias-worker-{pool}"
        assert option(args, "--health-host") == "0.0.0.0"
        (declared,) = spec["ports"]
        assert declared["containerPort"] == int(option(args, "--health-port"))
        assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": declared["name"]}
        assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": declared["name"]}
        grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace >= 15  # the drain hands streams over within seconds; margin on top
        node_id = next(e for e in spec["env"] if e["name"] == "OPENVIAS_NODE_ID")
        assert node_id["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
        assert worker["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_every_deployment_has_a_disruption_budget() -> None:
    budgets = of_kind("PodDisruptionBudget")
    for d in of_kind("Deployment"):
        labels = d["spec"]["template"]["metadata"]["labels"]
        matching = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(matching) == 1, d["metadata"]["name"]
        assert d["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_settings_come_from_the_secret_and_config_map() -> None:
    (secret,) = of_kind("Secret")
    (config,) = of_kind("ConfigMap")
    assert {"OPENVIAS_DATABASE_URL", "OPENVIAS_SECRET_KEY"} <= set(secret["stringData"])
    assert secret["stringData"]["OPENVIAS_DATABASE_URL"].startswith("postgresql+asyncpg://")
    names = {secret["metadata"]["name"], config["metadata"]["name"]}
    for resource in [*of_kind("Deployment"), *of_kind("Job")]:
        sources = container(resource)["envFrom"]
        refs = {s.get("secretRef", s.get("configMapRef"))["name"] for s in sources}
        assert refs == names, resource["metadata"]["name"]
    (job,) = of_kind("Job")
    assert container(job)["args"] == ["migrate"]
    namespaces = {
        d["metadata"].get("namespace") for _, d in CORE + KEDA if d["kind"] != "Namespace"
    }
    assert namespaces == {of_kind("Namespace")[0]["metadata"]["name"]}
    images = {container(d)["image"] for d in [*of_kind("Deployment"), *of_kind("Job")]}
    assert len(images) == 1


# -- KEDA (custom resources: structural checks) ------------------------------------------


def scaled_objects() -> list[Resource]:
    return of_kind("ScaledObject", KEDA)


def test_keda_resources_name_what_exists() -> None:
    (auth,) = of_kind("TriggerAuthentication", KEDA)
    assert all(d["apiVersion"] == "keda.sh/v1alpha1" for _, d in KEDA)
    (secret,) = of_kind("Secret")
    for ref in auth["spec"]["secretTargetRef"]:
        assert ref["parameter"] == "connection"
        assert ref["name"] == secret["metadata"]["name"]
        assert secret["stringData"][ref["key"]].startswith("postgresql://")
    worker_names = {
        d["metadata"]["name"] for d in of_kind("Deployment") if container(d)["args"][0] == "worker"
    }
    targets = [s["spec"]["scaleTargetRef"]["name"] for s in scaled_objects()]
    assert sorted(targets) == sorted(worker_names)
    for scaled in scaled_objects():
        spec = scaled["spec"]
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "postgresql"
        assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
        slots = option(container(deployment(spec["scaleTargetRef"]["name"]))["args"], "--slots")
        assert trigger["metadata"]["targetQueryValue"] == slots
        assert set(trigger["metadata"]) == {
            "query",
            "targetQueryValue",
            "activationTargetQueryValue",
        }


def _query_of(deployment_name: str) -> str:
    (scaled,) = [
        s for s in scaled_objects() if s["spec"]["scaleTargetRef"]["name"] == deployment_name
    ]
    return str(scaled["spec"]["triggers"][0]["metadata"]["query"])


@pytest.mark.only_backend("postgresql")
async def test_keda_queries_count_the_wanted_streams_of_their_pool(database_url: str) -> None:
    project_id = uuid.uuid4().hex
    pool_id = uuid.uuid4().hex
    async with migrated(database_url) as (engine, maker):
        await ensure_project(maker, project_id, f"keda-{project_id[:8]}")
        rows: list[dict[str, Any]] = []
        wanted = {None: 0, pool_id: 0}
        states = [*WANTS_RUNNING, "LACK_OF_RESOURCES", "SCHEDULING", "STOPPED", "FAILED"]
        stray = uuid.uuid4().hex  # a pool that does not exist: the default pool runs it
        rows.append(_task(project_id, stray, "RUNNING", "running"))
        for pool in (None, pool_id):
            for state in states:
                for desired in ("running", "stopped"):
                    rows.append(_task(project_id, pool, state, desired))
                    if desired == "running" and state not in ("SCHEDULING", "STOPPED", "FAILED"):
                        wanted[pool] += 1
        async with maker() as session, session.begin():
            await session.execute(
                insert(EdgePool).values(
                    id=pool_id,
                    project_id=project_id,
                    name="cameras",
                    description="",
                    nodes=[],
                    created_at=0,
                    updated_at=0,
                )
            )
            await session.execute(insert(Task), rows)
        async with engine.connect() as connection:
            default = await connection.scalar(text(_query_of("openvias-worker-default")))
            cameras = await connection.scalar(text(_query_of("openvias-worker-cameras")))
    assert (default, cameras) == (wanted[None] + 1, wanted[pool_id]) == (7, 6)


def _task(project_id: str, pool: str | None, state: str, desired: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex, "project_id": project_id, "batch_id": None, "group_id": None,
        "name": "t", "description": "", "service_name": "c-smoke-and-fire-cloud",
        "service_version": "3.0", "input_type": "url", "input": {"type": "url"},
        "video_source_id": None, "target_roi": None, "config": None, "output": None,
        "schedule": None, "resource_order_id": None, "edge_pool_id": pool, "state": state,
        "desired_state": desired, "status": "", "api_flavor": "vas", "creator": "",
        "created_at": 0, "updated_at": 0,
    }  # fmt: skip


# -- the image ---------------------------------------------------------------------------


def test_the_containerfile_builds_what_the_repository_has() -> None:
    """Docker cannot run here: the file is checked against the repository instead."""
    source = (ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8")
    lines = [line for line in source.splitlines() if not line.startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")  # continuation lines
    instructions = [line.strip().split(None, 1) for line in joined.splitlines() if line.strip()]
    copies = [
        rest.split()[:-1] for op, rest in instructions if op == "COPY" and "--from" not in rest
    ]
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    minimum = project["requires-python"].removeprefix(">=")
    for op, rest in instructions:
        if op == "FROM":
            version = re.search(r"python:(\d+\.\d+)", rest)
            assert version is not None
            assert tuple(map(int, version[1].split("."))) >= tuple(map(int, minimum.split(".")))
    entry = next(rest for op, rest in instructions if op == "ENTRYPOINT")
    assert entry == '["openvias"]'
    assert project["scripts"]["openvias"]
    users = [rest for op, rest in instructions if op == "USER"]
    assert users
    assert users[-1] != "root"
