"""The building blocks every area's description is made of: parameters, bodies, answers.

An operation is a plain OpenAPI dict; these helpers write the repetitive parts the same way
everywhere. What the builder (``relief.web.openapi``) adds by itself from the route and its gate:
path parameters (from the URL converter), security and 401/403 (from ``@requires``), 400 (when an
operation takes parameters or a body), 404 (when it has path parameters), 409/413/415/503 on writes,
and the shared ``Error`` answer for each.
"""
from __future__ import annotations

from typing import Any, Iterable

from relief.domain import limits
from relief.services.fields import MAX_ID, MAX_TEXT
from relief.services.resend import CLIENT_ID as CLIENT_ID_PATTERN

Schema = dict[str, Any]

ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: ``offset``/``limit`` on every paged list (``relief.web.params.paging``); the builder fills in the
#: app's ``PAGE_SIZE``/``MAX_PAGE_SIZE``. Use :func:`paging` for a list with its own page size.
PAGING = "paging"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def query(name: str, schema: Schema, description: str = "", *, required: bool = False) -> dict[str, Any]:
    parameter: dict[str, Any] = {"in": "query", "name": name, "schema": schema, "required": required}
    if description:
        parameter["description"] = description
    return parameter


def header(name: str, schema: Schema, description: str = "") -> dict[str, Any]:
    return {"in": "header", "name": name, "schema": schema, "required": False, "description": description}


def text(limit: int = MAX_TEXT, **extra: Any) -> Schema:
    return {"type": "string", "maxLength": limit, **extra}


def code(limit: int = MAX_ID) -> Schema:
    """A record id or code: text, at most ``MAX_ID`` characters (``relief.services.fields.identifier``)."""
    return {"type": "string", "minLength": 1, "maxLength": limit}


def enum(values: Iterable[str]) -> Schema:
    return {"type": "string", "enum": list(values)}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def words(values: Iterable[str]) -> Schema:
    """A comma-separated list of words from ``values`` (``relief.web.params.words``)."""
    values = list(values)
    alternatives = "|".join(values)
    return {"type": "string", "pattern": rf"^({alternatives})(,({alternatives}))*$",
            "description": "comma-separated: " + ", ".join(values)}


def integer(low: int = 0, high: int = limits.INT4_MAX, **extra: Any) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high, **extra}


def number(bounds: limits.Range = limits.ANY_NUMBER, **extra: Any) -> Schema:
    if bounds.whole:
        return {"type": "integer", "minimum": int(bounds.low), "maximum": int(bounds.high), **extra}
    return {"type": "number", "minimum": bounds.low, "maximum": bounds.high, **extra}


def moment(**extra: Any) -> Schema:
    """An ISO 8601 time with an offset (naive times are refused), 1900..2100 (``relief.domain.limits``)."""
    return {"type": "string", "format": "date-time", **extra}


def paging(default: int, most: int) -> list[dict[str, Any]]:
    return [query("offset", integer(0, limits.INT4_MAX, default=0), "rows to skip"),
            query("limit", integer(1, most, default=default), f"rows on this page (at most {most})")]


BBOX = query("bbox", {"type": "string", "pattern": r"^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$"},
             "minlon,minlat,maxlon,maxlat in WGS 84, min ≤ max")


def time_filters(*names: str) -> list[dict[str, Any]]:
    return [query(name, moment(), "ISO 8601 with an offset") for name in names]


def obj(properties: dict[str, Schema] | None = None, required: Iterable[str] = (), **extra: Any) -> Schema:
    schema: Schema = {"type": "object", **extra}
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = list(required)
    return schema


def keys(*names: str, **properties: Schema) -> Schema:
    """An object that always has ``names`` (any values), and ``properties`` typed where stated."""
    return obj({**{name: {} for name in names}, **properties}, required=[*names, *properties])


PAGE = obj({"offset": {"type": "integer"}, "limit": {"type": "integer"}, "next_offset": {"type": ["integer", "null"]}})


def array(items: Schema | None = None, **extra: Any) -> Schema:
    return {"type": "array", "items": items or {}, **extra}


#: The idempotency key of every resend-safe write (``relief.web.resend.answer_once``).
CLIENT_ID = {"type": "string", "pattern": CLIENT_ID_PATTERN.pattern,
             "description": "a client-made id: the first send answers 201 (or the route's status), a resend with "
                            "the same id and body answers 200 with the same body, the same id with another body is "
                            "409 client_id_reused. The Idempotency-Key header may carry it instead."}


def body(schema: Schema, *, required: bool = True, once: bool = True, description: str = "",
         extra_types: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON request body; ``once`` adds ``client_id`` (a resend-safe write through ``answer_once``)."""
    schema = dict(schema)
    if once:
        schema["properties"] = {**schema.get("properties", {}), "client_id": CLIENT_ID}
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    content.update(extra_types or {})
    answer: dict[str, Any] = {"required": required, "content": content}
    if description:
        answer["description"] = description
    return {"requestBody": answer, "x-once": once}


def json(schema: Schema | None = None, description: str = "the answer", *, status: int = 200,
         media: str = "application/json") -> dict[str, Any]:
    return {str(status): {"description": description, "content": {media: {"schema": schema or {"type": "object"}}}}}


def once(schema: Schema | None = None, description: str = "the record", *, status: int = 201) -> dict[str, Any]:
    """The answers of an ``answer_once`` write: ``status`` the first time, 200 for a resend."""
    answers = json(schema, description + " (first send)", status=status)
    if status != 200:
        answers.update(json(schema, description + " (a resend: the first answer again)"))
    return answers


def html(description: str = "the page") -> dict[str, Any]:
    return {"200": {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}}


def download(media: str, description: str, *, binary: bool = False) -> dict[str, Any]:
    schema = {"type": "string", "contentMediaType": media}
    if binary:
        schema["format"] = "binary"
    return {"200": {"description": description, "content": {media: {"schema": schema}}}}


def redirect(description: str, status: int = 302) -> dict[str, Any]:
    return {str(status): {"description": description,
                          "headers": {"Location": {"schema": {"type": "string"}}}}}


def op(summary: str, *, tag: str | None = None, params: Iterable[Any] = (), responses: dict[str, Any] | None = None,
       description: str = "", errors: Iterable[int] = (), **extra: Any) -> dict[str, Any]:
    """One operation: ``summary``, its query parameters, its answers; ``errors`` adds statuses to the usual ones."""
    operation: dict[str, Any] = {"summary": summary, "x-params": list(params),
                                 "responses": responses or json(), "x-errors": list(errors)}
    if tag:
        operation["tags"] = [tag]
    if description:
        operation["description"] = description
    for key, value in extra.items():
        if key == "request":
            operation.update(value)
        else:
            operation[key] = value
    return operation


FEATURE = obj({"type": {"const": "Feature"}, "geometry": nullable(obj({"type": {"type": "string"}})),
               "properties": nullable(obj())}, required=["type", "geometry", "properties"])
FEATURE_COLLECTION = obj({"type": {"const": "FeatureCollection"}, "features": array(FEATURE)},
                         required=["type", "features"])
#: A layer's page of features (``relief/services/map_layers.py``): ``page.next_offset`` is the next page.
LAYER = obj({**FEATURE_COLLECTION["properties"], "page": PAGE}, required=["type", "features", "page"])
