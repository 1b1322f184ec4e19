"""Validation generated from Huawei's definitions.

For every request-body property of Create/UpdateVideoSource, Create/UpdateVideoGroup and
CreateEdgePool, and every query parameter of ListVideoSources, ListVideoGroups and
ListEdgePools, that carries a ``pattern``,
``minLength``/``maxLength``, ``minimum``/``maximum``, ``minItems``/``maxItems`` or ``enum``,
one test per violating value: the server answers 400 ``VIAS.00010001`` naming the field in
``params`` (the top-level field for array items), and writes nothing. The same holds for each
``required`` body field left out.

Enum-like patterns are unanchored in the definitions (``cloud|edge``); the server treats them
as exact enums on purpose, so ``xcloudx`` must be refused (``tests.spec.enum_values``).
Regular-expression patterns are read with ECMA-262 semantics, in which ``$`` is the end of
the input: ``"valid\\n"`` breaks ``^...$``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests import spec
from tests.api.video_center import URL_CONFIG, VideoCenter, source_body, unique, video_center
from tests.support import Server

BODY_OPERATIONS = (
    "CreateVideoSource",
    "UpdateVideoSource",
    "CreateVideoGroup",
    "UpdateVideoGroup",
    "CreateEdgePool",
)
QUERY_OPERATIONS = ("ListVideoSources", "ListVideoGroups", "ListEdgePools")
QUERY_PATHS = {
    "ListVideoSources": "/source/sources",
    "ListVideoGroups": "/video-group/groups",
    "ListEdgePools": "/edge-pools",
}
CONSTRAINTS = ("pattern", "minLength", "maxLength", "minimum", "maximum", "enum")
ARRAY_CONSTRAINTS = ("minItems", "maxItems")
#: Candidate strings that break most patterns; the first few a pattern refuses are used.
POOL = ("bad value!", " ", "", "١٢", "91.5", "-181.5", "x" * 37, "<b>")
PER_PATTERN = 4


@dataclass(frozen=True)
class Case:
    operation: str
    field: str
    rule: str
    value: Any

    @property
    def id(self) -> str:
        return f"{self.operation}-{self.field}-{self.rule}"


def _string_violations(schema: dict[str, Any], valid: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pattern = schema.get("pattern")
    if pattern is not None:
        values = spec.enum_values(pattern)
        if values is not None:
            word = next(v for v in values if v)
            bad = [f"x{word}x", word.upper(), word * 2, ""]
        else:
            bad = list(POOL)
        refused = [b for b in dict.fromkeys(bad) if not spec.pattern_accepts(pattern, b)]
        found += [(f"pattern{i}", b) for i, b in enumerate(refused[:PER_PATTERN])]
        assert found, f"no violation of {pattern!r} in the pool"
        if valid and not spec.pattern_accepts(pattern, valid + "\n"):
            found.append(("pattern-newline", valid + "\n"))
    if "maxLength" in schema:
        found.append(("maxLength", "a" * (schema["maxLength"] + 1)))
    if schema.get("minLength", 0) > 0:
        found.append(("minLength", "a" * (schema["minLength"] - 1)))
    if "enum" in schema:
        found.append(("enum", f"x{schema['enum'][0]}x"))
    return found


def _violations(schema: dict[str, Any], valid: Any) -> list[tuple[str, Any]]:
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        item = valid[0] if valid else ""
        found = [(f"items-{rule}", [bad]) for rule, bad in _string_violations(items, item)]
        if schema.get("minItems", 0) > 0:
            found.append(("minItems", valid[: schema["minItems"] - 1]))
        if "maxItems" in schema:
            many = [f"x{i:03d}" for i in range(schema["maxItems"] + 1)]
            assert all(spec.pattern_accepts(items.get("pattern", ""), m) for m in many)
            found.append(("maxItems", many))
        return found
    if kind == "integer":
        found = []
        if "minimum" in schema:
            found.append(("minimum", schema["minimum"] - 1))
        if "maximum" in schema:
            found.append(("maximum", schema["maximum"] + 1))
        return found
    if kind == "string":
        return _string_violations(schema, valid if isinstance(valid, str) else "")
    return []


def _constrained(schema: dict[str, Any]) -> bool:
    keys = set(schema) | set(schema.get("items", {}))
    return bool(keys & {*CONSTRAINTS, *ARRAY_CONSTRAINTS})


# -- valid requests, varied by the cases ---------------------------------------------------


def _source_update() -> dict[str, Any]:
    return {
        "type_config": URL_CONFIG.format(url="rtsp://10.1.1.1/changed"),
        "video_source_name": unique("changed"),
        "latitude": "-3.5",
        "longitude": "4.25",
        "tag": ["changed"],
    }


def _group_create(source_id: str) -> dict[str, Any]:
    return {
        "access_type": "edge",
        "video_group_name": unique("n")[:20],
        "description": "created",
        "video_source_ids": [source_id],
    }


def _group_update(source_id: str) -> dict[str, Any]:
    return {
        "video_source_ids": [source_id],
        "video_group_name": unique("m")[:20],
        "description": "changed",
    }


#: A valid body per operation, from ids of an existing source (the others use none).
BASES: dict[str, Callable[[str], dict[str, Any]]] = {
    "CreateVideoSource": lambda _: source_body(latitude="1.5", longitude="-2.5", tag=["t1"]),
    "UpdateVideoSource": lambda _: _source_update(),
    "CreateVideoGroup": _group_create,
    "UpdateVideoGroup": _group_update,
    "CreateEdgePool": lambda _: {
        "name": unique("pool"),
        "nodes": ["node-1"],
        "description": "pool",
        "ief_service_instance_id": "none",
    },
}
QUERY_VALID: dict[str, Any] = {"video_group_id": ["abcd"]}


def _first_value(schema: dict[str, Any]) -> str:
    values = spec.enum_values(schema.get("pattern", "")) or [""]
    return next((v for v in values if v), "")


def _cases() -> list[Case]:
    cases: list[Case] = []
    for operation in BODY_OPERATIONS:
        body = BASES[operation]("0000")
        for field, schema in spec.request_body(operation)["properties"].items():
            if _constrained(schema):
                for rule, value in _violations(schema, body.get(field)):
                    cases.append(Case(operation, field, rule, value))
    for operation in QUERY_OPERATIONS:
        for parameter in spec.query_parameters(operation):
            if _constrained(parameter):
                valid: Any = QUERY_VALID.get(parameter["name"], parameter.get("default"))
                if valid is None:
                    first = _first_value(parameter.get("items", parameter))
                    valid = [first] if parameter.get("type") == "array" else first
                for rule, value in _violations(parameter, valid):
                    cases.append(Case(operation, parameter["name"], rule, value))
    return cases


def _params() -> list[Any]:
    if reason := spec.missing_reason():
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(case, id=case.id) for case in _cases()]


@pytest.fixture
def vc(server: Server) -> Iterator[VideoCenter]:
    with video_center(server) as center:
        yield center


def _expect_refused(answer: dict[str, Any], field: str) -> None:
    assert answer["error_code"] == "VIAS.00010001", answer
    assert answer["params"] == [field], answer


@pytest.mark.parametrize("case", _params())
def test_violation_is_refused(vc: VideoCenter, case: Case) -> None:
    if case.operation in QUERY_OPERATIONS:
        path = QUERY_PATHS[case.operation]
        answer = vc.fail(case.operation, "GET", path, 400, params={case.field: case.value})
        _expect_refused(answer, case.field)
        return
    _refused_without_writing(vc, case.operation, case.field, {case.field: case.value})


def _required() -> list[Any]:
    if reason := spec.missing_reason():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=reason))]
    return [
        pytest.param(operation, field, id=f"{operation}-{field}")
        for operation in BODY_OPERATIONS
        for field in spec.request_body(operation).get("required", [])
    ]


@pytest.mark.parametrize(("operation", "field"), _required())
def test_missing_required_field_is_refused(vc: VideoCenter, operation: str, field: str) -> None:
    _refused_without_writing(vc, operation, field, {field: None})


def _refused_without_writing(
    vc: VideoCenter, operation: str, field: str, change: dict[str, Any]
) -> None:
    """Send the operation's valid body with ``change`` (``None``: leave the field out)."""
    member, other = vc.create_source(), vc.create_source()
    body = {**BASES[operation](other), **change}
    body = {key: value for key, value in body.items() if value is not None}
    if operation == "CreateVideoSource":
        before = vc.list_sources()["total_number"]
        _expect_refused(vc.fail(operation, "POST", "/source", 400, json=body), field)
        assert vc.list_sources()["total_number"] == before
        if isinstance(body.get("video_source_name"), str) and field != "video_source_name":
            assert vc.list_sources(scope=body["video_source_name"])["total_number"] == 0
    elif operation == "CreateVideoGroup":
        before = vc.list_groups()["total_number"]
        _expect_refused(vc.fail(operation, "POST", "/video-group", 400, json=body), field)
        assert vc.list_groups()["total_number"] == before
        assert vc.show_source(other)["video_packages"] == []
    elif operation == "CreateEdgePool":
        before = vc.call("ListEdgePools", "GET", "/edge-pools")["count"]
        _expect_refused(vc.fail(operation, "POST", "/edge-pools", 400, json=body), field)
        assert vc.call("ListEdgePools", "GET", "/edge-pools")["count"] == before
    elif operation == "UpdateVideoSource":
        stored = vc.show_source(member)
        path = f"/source/{member}"
        _expect_refused(vc.fail(operation, "PUT", path, 400, json=body), field)
        assert vc.show_source(member) == stored
    else:
        group = vc.create_group([member])
        stored = vc.show_group(group)
        path = f"/video-group/{group}"
        _expect_refused(vc.fail(operation, "PUT", path, 400, json=body), field)
        assert vc.show_group(group) == stored
        assert vc.source_ids(video_group_id=group) == [member]


@pytest.mark.parametrize("operation", BODY_OPERATIONS)
def test_valid_base_is_accepted(vc: VideoCenter, operation: str) -> None:
    """The bodies the violations start from are valid: each case breaks one field only."""
    member, other = vc.create_source(), vc.create_source()
    body = BASES[operation](other)
    schema = {**spec.request_body(operation), "definitions": spec.definitions(operation)}
    spec.assert_schema(schema, body, f"{operation} request")
    if operation == "CreateVideoSource":
        vc.create_source(**body)
    elif operation == "UpdateVideoSource":
        assert vc.update_source(member, body)["video_source_name"] == body["video_source_name"]
    elif operation == "CreateVideoGroup":
        vc.create_group(**body)
    elif operation == "CreateEdgePool":
        response = vc.client.post(f"{vc.base}/edge-pools", json=body)
        assert response.status_code == 201, response.text
        spec.assert_response(operation, response.json(), 201)
    else:
        group = vc.create_group([member])
        vc.update_group(group, body)
        assert vc.source_ids(video_group_id=group) == [other]


def test_every_constrained_field_has_cases() -> None:
    spec.require_spec()
    covered = {(c.operation, c.field) for c in _cases()}
    for operation in BODY_OPERATIONS:
        for field, schema in spec.request_body(operation)["properties"].items():
            assert (operation, field) in covered or not _constrained(schema), field
    for operation in QUERY_OPERATIONS:
        for parameter in spec.query_parameters(operation):
            assert (operation, parameter["name"]) in covered or not _constrained(parameter)
    assert ("CreateVideoSource", "access_type") in covered  # the unanchored `cloud|edge`
