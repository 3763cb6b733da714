"""Turning a submitted report (JSON from a phone or another system) into checked values.

Each function refuses a bad value with :class:`ValidationFailed` naming the
field, so a phone can show the reason next to its queued report. Services
call these (not the web layer) so the CLI, the benchmark and the API accept
exactly the same input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from relief.domain.incidents import KIND_LABELS, check_kind
from relief.domain.indicators import validate_indicators
from relief.errors import ValidationFailed
from relief.services import fields
from relief.services.fields import text

_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
GEOMETRY_TYPES = ("Point", "Polygon")
MAX_TEXT = 5000
#: Default titles are written in China Standard Time, as the field teams read them.
LOCAL_TZ = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class NewIncident:
    client_id: str
    kind: str
    title: str
    description: str | None
    geom: BaseGeometry
    occurred_at: datetime
    evacuate: bool
    position: Point


@dataclass(frozen=True)
class NewFieldReport:
    client_id: str
    description: str | None
    position: Point | None
    observed_at: datetime | None


@dataclass(frozen=True)
class NewStatutoryReport:
    client_id: str | None
    kind: str
    township_code: str | None
    figures_to: datetime
    indicators: dict[str, int | float]
    note: str | None


def client_id(body: Mapping[str, Any]) -> str:
    value = body.get("client_id")
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise ValidationFailed("client_id is required: 8-64 letters, digits or . _ : - made by the client "
                               "(e.g. crypto.randomUUID())", field="client_id")
    return value


def moment(value: Any, name: str, *, now: datetime, required: bool = True) -> datetime | None:
    """An ISO 8601 time with a UTC offset, not in the future, in UTC."""
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"{name} is required (ISO 8601 with offset, e.g. 2026-11-20T09:00:00+08:00)", field=name)
        return None
    return fields.not_future(fields.parse_time(value, name), name, now).astimezone(timezone.utc)


def _number(body: Mapping[str, Any], name: str, low: float, high: float) -> float:
    value = body.get(name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name} must be a number", field=name) from None
    if isinstance(value, bool) or not (low <= number <= high):
        raise ValidationFailed(f"{name} must be between {low:g} and {high:g}", field=name)
    return number


def position(body: Mapping[str, Any], *, required: bool) -> Point | None:
    """``lat``/``lon`` in WGS 84 as a point."""
    if body.get("lat") in (None, "") and body.get("lon") in (None, ""):
        if required:
            raise ValidationFailed("a position is required: geometry, or lat and lon", field="geometry")
        return None
    return Point(_number(body, "lon", -180, 180), _number(body, "lat", -90, 90))


def geometry(body: Mapping[str, Any]) -> BaseGeometry:
    """A GeoJSON Point or Polygon (WGS 84, lon/lat order), else ``lat``/``lon``."""
    raw = body.get("geometry")
    if raw in (None, ""):
        return position(body, required=True)
    if not isinstance(raw, Mapping) or raw.get("type") not in GEOMETRY_TYPES:
        raise ValidationFailed(f"geometry must be a GeoJSON {' or '.join(GEOMETRY_TYPES)}", field="geometry")
    try:
        geom = shape(raw)
    except Exception:  # shapely raises several kinds on malformed coordinates
        raise ValidationFailed("geometry has malformed coordinates", field="geometry") from None
    if geom.is_empty or not geom.is_valid:
        raise ValidationFailed("geometry is empty or invalid (e.g. a self-crossing polygon)", field="geometry")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationFailed("geometry must be WGS 84 longitude, latitude", field="geometry")
    return geom


def flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if isinstance(value, str):
        value = value.strip().lower()
        if value in ("", "0", "false", "no", "off"):
            return False
        if value in ("1", "true", "yes", "on"):
            return True
    if not isinstance(value, bool):
        raise ValidationFailed(f"{name} must be true or false", field=name)
    return value


def new_incident(body: Mapping[str, Any], *, now: datetime) -> NewIncident:
    ident = client_id(body)
    kind = check_kind(body.get("kind"))
    geom = geometry(body)
    evacuate = flag(body, "evacuate")
    if evacuate and geom.geom_type != "Polygon":
        raise ValidationFailed("evacuate marks an area: give a Polygon geometry", field="evacuate")
    occurred_at = moment(body.get("occurred_at"), "occurred_at", now=now)
    title = text(body, "title", limit=200) or f"{KIND_LABELS[kind]} {occurred_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"
    own_position = position(body, required=False)
    return NewIncident(ident, kind, title, text(body, "description", limit=MAX_TEXT), geom, occurred_at, evacuate,
                       own_position or (geom if geom.geom_type == "Point" else geom.representative_point()))


def new_field_report(body: Mapping[str, Any], *, now: datetime) -> NewFieldReport:
    return NewFieldReport(client_id(body), text(body, "description", limit=MAX_TEXT), position(body, required=False),
                          moment(body.get("observed_at"), "observed_at", now=now, required=False))


def new_statutory_report(body: Mapping[str, Any], *, now: datetime, kind_default: str | None = None,
                         ident: str | None = None) -> NewStatutoryReport:
    """The figures of one 初报/续报/核报; ``indicators`` must name only known indicators."""
    kind = kind_default or body.get("kind")
    township = text(body, "township_code", limit=24)
    figures_to = moment(body.get("figures_to"), "figures_to", now=now, required=False) or now
    indicators = body.get("indicators")
    if indicators is None:
        raise ValidationFailed("indicators is required: an object of named figures", field="indicators")
    clean = _prefixed(lambda: validate_indicators(indicators, strict=True))
    return NewStatutoryReport(ident, str(kind or ""), township, figures_to, clean, text(body, "note", limit=MAX_TEXT))


def _prefixed(check):
    """Run an indicator check, naming fields as ``indicators.<name>`` so a form can point at them."""
    try:
        return check()
    except ValidationFailed as error:
        field = error.field if (error.field or "").startswith("indicators") else f"indicators.{error.field}"
        raise ValidationFailed(error.message, field=field, detail=error.detail) from None
