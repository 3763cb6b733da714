"""Parsing query parameters into domain values; a bad one is a 400 naming it.

Also what every request is screened for before a view runs (:func:`init_app`):
path ids are whole numbers within the id columns' range (else the route does
not match: 404), no path or query value holds a NUL (no database stores one)
and no URL under ``/api`` is longer than :data:`MAX_URL` (414, as JSON).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping

from flask import current_app, request
from werkzeug.exceptions import RequestURITooLarge
from werkzeug.routing import IntegerConverter

from relief.domain import limits
from relief.errors import ValidationFailed
from relief.services.fields import parse_time

#: Longest path plus query string under /api (gevent's own request line limit is 8 KiB).
MAX_URL = 4096
_WHOLE = re.compile(r"^[+]?[0-9]{1,19}$")


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits naming a possible id, else no match (a 404, not an overflow)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = limits.INT4_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


def init_app(app) -> None:
    """Bounded path ids (before any blueprint is registered) and the request screen."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(screen_request)


def screen_request() -> None:
    """Refuse what no view could use: an overlong /api URL, a NUL in a path or query value."""
    if not request.path.startswith("/api/"):
        return
    if len(request.full_path) > MAX_URL:
        raise RequestURITooLarge(f"the URL is longer than {MAX_URL} characters; send large filters in a body")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed(f"{name} must not contain a NUL character", field=name)
    for name, value in request.args.items(multi=True):
        if "\x00" in name + value:
            clean = name.replace("\x00", "")
            raise ValidationFailed(f"{clean} must not contain a NUL character", field=clean)


def bbox(args: Mapping[str, str] | None = None) -> tuple[float, float, float, float] | None:
    raw = (args or request.args).get("bbox")
    if not raw:
        return None
    try:
        values = tuple(float(v) for v in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise ValidationFailed("bbox must be minlon,minlat,maxlon,maxlat", field="bbox")
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationFailed("bbox must be minlon,minlat,maxlon,maxlat in WGS 84 with min ≤ max", field="bbox")
    return values  # type: ignore[return-value]


def integer(name: str, default: int, *, minimum: int = 0, maximum: int = limits.INT4_MAX) -> int:
    """A whole number in ASCII digits; the default ceiling is the id columns' (offsets, ``before_id``)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _WHOLE.match(raw.strip()):
        raise ValidationFailed(f"{name} must be a whole number from {minimum} to {maximum}", field=name)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ValidationFailed(f"{name} must be a whole number from {minimum} to {maximum}", field=name)
    return value


def paging() -> dict[str, int]:
    config = current_app.config
    return {"offset": integer("offset", 0),
            "limit": integer("limit", config["PAGE_SIZE"], minimum=1, maximum=config["MAX_PAGE_SIZE"])}


def words(name: str, allowed: tuple[str, ...] | None = None) -> list[str] | None:
    raw = request.args.get(name)
    if not raw:
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValidationFailed(f"unknown {name}: {', '.join(bad)}; expected one of {', '.join(allowed)}",
                                   field=name)
    return values


def timestamp(value: Any, name: str, *, required: bool = True) -> datetime | None:
    """An ISO 8601 time with an offset (naive times are ambiguous across time zones)."""
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"{name} is required (ISO 8601 with offset)", field=name)
        return None
    return parse_time(value, name)


def query_time(name: str) -> datetime | None:
    return timestamp(request.args.get(name), name, required=False)


def json_body() -> dict[str, Any]:
    """The body as a JSON object; not JSON, not strict JSON or not an object is a 400 naming ``body``."""
    body = parsed_body()
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object", field="body")
    return body


def parsed_body() -> Any:
    """The body parsed as strict JSON (``relief.web.json``), its failure a 400 saying why."""
    if not request.is_json:
        raise ValidationFailed("the request body must be a JSON object (Content-Type: application/json)",
                               field="body")
    try:
        return current_app.json.loads(request.get_data(cache=True))
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, and the strict parser's own refusals
        raise ValidationFailed(f"the request body is not strict JSON: {error}", field="body") from None
