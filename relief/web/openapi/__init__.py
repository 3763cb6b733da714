"""The OpenAPI 3.1 description of every route, built from the app itself (``GET /api/openapi.json``).

Where a route's description lives: the module of its area in this package (``incidents.py`` for
``relief/web/api_incidents.py`` and the incident pages, ``pages.py`` for the other HTML pages …),
in its ``OPERATIONS`` dict keyed by the route's endpoint (``"api_incidents.create_incident"``), the
value an operation made with :func:`relief.web.openapi.parts.op` (or ``{"GET": op(...), "POST": op(...)}``
for an endpoint answering several methods). ``docs/architecture.md`` ("Describing a route") says how.

:func:`build` walks ``app.url_map`` with apispec and its Flask plugin, so the paths are the app's own;
from the route it adds what need not be written twice: path parameters (from the URL converters),
security and 401/403 (from ``@requires``), and the usual error answers (one shared ``Error`` schema,
the shape ``relief/web/errors.py`` renders). A route without a description is left out of the spec
and named by :func:`undescribed` (``tests/web/test_openapi_contract.py`` fails on it).
"""
from __future__ import annotations

import copy
import re
from typing import Any

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from werkzeug.routing import PathConverter, UnicodeConverter

from relief.domain import limits
from relief.services.resend import CLIENT_ID
from relief.web.openapi import (
    admin,
    assistance,
    docs,
    feeds,
    flags,
    incidents,
    maps,
    pages,
    reconstruction,
    relocation,
    stock,
    texts,
)
from relief.web.openapi.parts import ERROR_REF, PAGING, paging
from relief.web.params import MAX_URL, IdConverter

#: Every area's descriptions; a new area module goes here.
AREAS = (admin, assistance, docs, feeds, flags, incidents, maps, pages, reconstruction, relocation, stock, texts)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SKIPPED_ENDPOINTS = frozenset({"static"})  # Flask's own static files: not an interface of the app

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the app answers in JSON (relief/web/errors.py, relief/errors.py).",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "field"],
        "properties": {
            "code": {"type": "string", "description": "stable machine code: invalid, not_authenticated, "
                                                      "forbidden, not_found, conflict, client_id_reused, "
                                                      "too_large, unsupported_media, throttled, busy …"},
            "message": {"type": "string", "description": "what is wrong, for a person"},
            "field": {"type": ["string", "null"], "description": "the parameter or body field at fault"},
            "detail": {"description": "more, by code (e.g. insufficient_stock: item, holder, requested, "
                                      "available; throttled: retry_after)"},
        },
    }},
}

ERRORS = {
    400: "a parameter or body field is missing or wrong; `field` names it",
    401: "no credentials: log in or send `Authorization: Bearer <token>`",
    403: "the caller's role lacks the permission (or a cookie session sent no CSRF token)",
    404: "no such record (`field` names the path parameter)",
    409: "the current state refuses it, or `client_id` was used before for another body (`client_id_reused`)",
    413: "the body is larger than RELIEF_MAX_UPLOAD_BYTES",
    414: f"the URL is longer than {MAX_URL} characters",
    415: "a photo of a type that is not accepted",
    429: "too many attempts from this address or for this account (bad bearer tokens, logins, objections); "
         "see Retry-After",
    503: "the store was busy; nothing was written, retry after Retry-After seconds",
}


def undescribed(app) -> list[tuple[str, str, str]]:
    """``(method, rule, endpoint)`` of every route no area describes."""
    described = _descriptions()
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in _methods(rule):
            if _operation(described.get(rule.endpoint), method) is None:
                missing.append((method, rule.rule, rule.endpoint))
    return sorted(missing, key=lambda m: (m[1], m[0]))


def spec_of(app) -> dict[str, Any]:
    """The spec of ``app``, built once."""
    cached = app.extensions.get("relief.openapi")
    if cached is None:
        cached = app.extensions["relief.openapi"] = build(app)
    return cached


def build(app) -> dict[str, Any]:
    spec = APISpec(title="relief", version=_version(), openapi_version="3.1.0", plugins=[FlaskPlugin()],
                   info={"description": _INFO, "license": {"name": "AGPL-3.0-or-later",
                                                           "identifier": "AGPL-3.0-or-later"}})
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "an API token (relief users create … / POST /api/users)"})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session",
                                                "description": "a browser session from POST /login; its writes "
                                                               "also send X-CSRFToken"})
    for area in AREAS:
        for name, schema in getattr(area, "SCHEMAS", {}).items():
            spec.components.schema(name, schema)
    described = _descriptions()
    with app.app_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint in SKIPPED_ENDPOINTS:
                continue
            view = app.view_functions[rule.endpoint]
            operations = {}
            for method in _methods(rule):
                written = _operation(described.get(rule.endpoint), method)
                if written is not None:
                    operations[method.lower()] = _complete(app, rule, view, method, written)
            if operations:
                spec.path(view=view, app=app, operations=operations)
    return spec.to_dict()


_INFO = """The HTTP interface of relief: the JSON API under `/api`, and the pages, feeds and downloads.

Errors are JSON `{"error": {"code", "message", "field"}}` (schema `Error`) under `/api` and for clients that
accept JSON; pages answer browsers in HTML. Bad input is a 400 naming the field (the app does not use 422).
Writes carry a client-made `client_id` (or the `Idempotency-Key` header): resending one answers the first
answer again. Live events are described by the AsyncAPI document at `/api/asyncapi.json`."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("relief")
    except PackageNotFoundError:
        return "0"


def _descriptions() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for area in AREAS:
        for endpoint, entry in area.OPERATIONS.items():
            if endpoint in found:
                raise LookupError(f"{endpoint} is described twice (in {area.__name__})")
            found[endpoint] = entry
    return found


def _methods(rule) -> list[str]:
    return [m for m in METHODS if m in (rule.methods or ())]


def _operation(entry: Any, method: str) -> dict[str, Any] | None:
    if entry is None:
        return None
    if "responses" in entry:
        return entry
    return entry.get(method)


def _path_parameters(rule) -> list[dict[str, Any]]:
    found = []
    for name, converter in rule._converters.items():
        if isinstance(converter, IdConverter):
            schema = {"type": "integer", "minimum": 0, "maximum": limits.INT4_MAX}
        elif isinstance(converter, PathConverter):
            schema = {"type": "string", "minLength": 1}
        elif isinstance(converter, UnicodeConverter):
            schema = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
            most = re.search(r"\{\d+,(\d+)\}", getattr(converter, "regex", ""))
            if most:
                schema["maxLength"] = int(most.group(1))
        else:
            schema = {"type": "string"}
        found.append({"in": "path", "name": name, "required": True, "schema": schema})
    return found


def _complete(app, rule, view, method: str, written: dict[str, Any]) -> dict[str, Any]:
    operation = copy.deepcopy(written)
    operation.pop("x-once", None)
    extra_errors = set(operation.pop("x-errors", ()))
    parameters = _path_parameters(rule)
    for parameter in operation.pop("x-params", ()):
        if parameter == PAGING:
            parameters += paging(app.config["PAGE_SIZE"], app.config["MAX_PAGE_SIZE"])
        else:
            parameters.append(parameter)
    if written.get("x-once"):
        parameters.append({"in": "header", "name": "Idempotency-Key", "required": False,
                           "schema": {"type": "string", "pattern": CLIENT_ID.pattern},
                           "description": "the client_id of this write, when the body does not carry it"})
    if parameters:
        operation["parameters"] = parameters
    operation.setdefault("tags", [rule.endpoint.split(".")[0]])
    operation["operationId"] = rule.endpoint if len(_methods(rule)) == 1 else f"{rule.endpoint}.{method.lower()}"
    api = rule.rule.startswith("/api/")
    errors = set(extra_errors) | {429}  # any bearer call, once too many bad tokens came from its address
    permission = getattr(view, "permission", None)
    if permission:
        operation["security"] = [{"bearer": []}, {"session": []}]
        operation["x-permission"] = permission
        errors |= {401, 403, 429}
    else:
        operation["security"] = [{}, {"bearer": []}, {"session": []}]
    if api:
        errors |= {400, 414}  # the request screen (relief.web.params): a NUL in a value, an overlong URL
    if parameters or "requestBody" in operation:
        errors.add(400)
    if any(p["in"] == "path" for p in parameters) or (api and "requestBody" in operation):
        errors.add(404)  # a path id, or a body's reference to another record, that names nothing
    if method in WRITES:
        errors |= {413, 503}
        if written.get("x-once") or (written.get("requestBody") and method != "GET"):
            errors.add(409)
    responses = operation["responses"]
    for status in sorted(errors):
        if str(status) in responses:
            continue
        content = {"application/json": {"schema": ERROR_REF}}
        if not api:
            content["text/html"] = {"schema": {"type": "string"}}
        answer = {"description": ERRORS.get(status, "an error"), "content": content}
        if status in (429, 503):
            answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        responses[str(status)] = answer
    return operation
