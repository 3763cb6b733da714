"""``GET /api/openapi.json`` describes every route of the app, method by method, as valid OpenAPI 3.1.

A route added without a description fails here, naming it; ``docs/architecture.md`` ("Describing a
route") says where the description goes. What schemathesis checks against the running app is in
``tests/web/test_openapi_schemathesis.py``.
"""
from __future__ import annotations

import inspect

import pytest
from openapi_spec_validator import validate

from relief.web import openapi

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def spec(client):
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    return answer.get_json()


def _openapi_path(rule) -> str:
    from apispec_webframeworks.flask import FlaskPlugin

    return FlaskPlugin.flaskpath2openapi(rule.rule)


def test_every_route_and_method_is_in_the_spec(app, spec):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        described = spec["paths"].get(_openapi_path(rule), {})
        missing += [f"{method} {rule.rule} ({rule.endpoint})" for method in METHODS
                    if method in rule.methods and method.lower() not in described]
    assert missing == [], ("routes without a description (see docs/architecture.md, 'Describing a route'):\n"
                           + "\n".join(sorted(missing)))
    assert openapi.undescribed(app) == []


def test_the_spec_names_no_route_the_app_lacks(app, spec):
    served = {(_openapi_path(r), m.lower()) for r in app.url_map.iter_rules() for m in METHODS if m in r.methods}
    described = {(path, method) for path, item in spec["paths"].items() for method in item
                 if method.upper() in METHODS}
    assert described - served == set()


def test_the_spec_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method.upper() in METHODS:
                yield path, method, operation


def test_guarded_routes_name_their_permission_and_its_refusals(app, spec):
    for path, method, operation in _operations(spec):
        view = app.view_functions[operation["operationId"].removesuffix(f".{method}")]
        if getattr(view, "permission", None):
            assert operation["x-permission"] == view.permission, path
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"
            assert {"bearer": []} in operation["security"], f"{method} {path}"
        else:
            assert {} in operation["security"], f"{method} {path} is public: security must allow anonymous"


def test_resend_safe_writes_document_client_id(app, spec):
    """A write answered through ``answer_once`` takes ``client_id`` in its JSON body and may answer 409."""
    for path, method, operation in _operations(spec):
        view = app.view_functions[operation["operationId"].removesuffix(f".{method}")]
        if "answer_once(" not in inspect.getsource(inspect.unwrap(view)):
            continue
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert "client_id" in body["properties"], f"{method} {path}"
        assert "409" in operation["responses"], f"{method} {path}"


def test_errors_share_one_schema_and_paging_has_its_ranges(app, spec):
    error = {"$ref": "#/components/schemas/Error"}
    assert spec["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message", "field"]
    for path, method, operation in _operations(spec):
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")) and "application/json" in answer.get("content", {}):
                if status in ("401", "429") and path == "/login":
                    continue
                assert answer["content"]["application/json"]["schema"] == error, f"{method} {path} {status}"
    incidents = {p["name"]: p["schema"] for p in spec["paths"]["/api/incidents"]["get"]["parameters"]}
    assert incidents["offset"]["minimum"] == 0
    assert incidents["limit"] == {"type": "integer", "minimum": 1, "maximum": app.config["MAX_PAGE_SIZE"],
                                  "default": app.config["PAGE_SIZE"]}
    plan = {p["name"]: p for p in spec["paths"]["/api/dispatch/plans/{plan_id}"]["get"]["parameters"]}
    assert plan["plan_id"]["in"] == "path" and plan["plan_id"]["schema"]["type"] == "integer"


def test_downloads_and_pages_state_their_content_types(spec):
    def types(path, method="get", status="200"):
        return set(spec["paths"][path][method]["responses"][status]["content"])

    assert types("/") == {"text/html"}
    assert types("/api/incidents/{incident_id}/cap") == {"application/cap+xml"}
    assert types("/api/incidents.geojson") == {"application/geo+json"}
    assert types("/sitrep/{number}.pdf") == {"application/pdf"}
    assert "text/csv" in types("/api/export/{name}")
