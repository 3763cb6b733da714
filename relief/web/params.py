"""Parsing query parameters into domain values; a bad one is a 400 naming it."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from flask import current_app, request

from relief.errors import ValidationFailed
from relief.services.fields import parse_time


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


def integer(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from None
    if value < minimum or (maximum is not None and value > maximum):
        raise ValidationFailed(f"{name} must be between {minimum} and {maximum}", field=name)
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
            raise ValidationFailed(f"unknown {name}: {', '.join(bad)}; expected one of {', '.join(allowed)}", field=name)
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
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object", field="body")
    return body
