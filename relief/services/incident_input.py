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

from relief.domain import limits
from relief.domain.incidents import KIND_LABELS, check_kind
from relief.domain.indicators import validate_indicators
from relief.domain.standards import Standards
from relief.errors import PayloadTooLarge, ValidationFailed
from relief.services import fields
from relief.services.fields import text

_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
#: A coordinate typed into a form: plain decimal notation ("30.28", "-0.5"), nothing float() also reads ("nan", "1_0").
_DECIMAL = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{0,20})?$")
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
            raise ValidationFailed(f"{name} is required (ISO 8601 with offset, e.g. 2026-11-20T09:00:00+08:00)",
                                   field=name)
        return None
    return fields.not_future(fields.parse_time(value, name), name, now).astimezone(timezone.utc)


def _coordinate(body: Mapping[str, Any], name: str) -> float:
    """A JSON number, or decimal text from a form, within ``name``'s range in :mod:`relief.domain.limits`."""
    value = body.get(name)
    bounds = limits.number_range(name)
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationFailed(f"{name} must be a number {bounds.describe()}", field=name)
    if value not in bounds:  # NaN is in no range; an int of any size compares without overflow
        raise ValidationFailed(f"{name} must be {bounds.describe()}", field=name)
    return float(value)


def position(body: Mapping[str, Any], *, required: bool) -> Point | None:
    """``lat``/``lon`` in WGS 84 as a point."""
    if body.get("lat") in (None, "") and body.get("lon") in (None, ""):
        if required:
            raise ValidationFailed("a position is required: geometry, or lat and lon", field="geometry")
        return None
    return Point(_coordinate(body, "lon"), _coordinate(body, "lat"))


def planar(geom: BaseGeometry) -> BaseGeometry:
    """Refuse a third coordinate (``[lon, lat, z]``): positions are WGS 84 longitude and latitude only."""
    if geom.has_z:
        raise ValidationFailed("geometry coordinates must be [longitude, latitude] (no height)", field="geometry")
    return geom


def vertex_limit(standards: Standards) -> int:
    """The most positions one submitted geometry may have (``geometry.max_vertices`` in the standards in force).

    A version published before that figure existed has it from the loader (``domain.standards.completed``).
    """
    return int(standards.geometry["max_vertices"])


def _rings(raw: Mapping[str, Any]) -> list[Any]:
    """A Polygon's rings as given (a Point's position as one "ring"), before shapely sees them."""
    coordinates = raw.get("coordinates")
    if not isinstance(coordinates, (list, tuple)) or not coordinates:
        raise ValidationFailed("geometry has no coordinates", field="geometry")
    if raw.get("type") == "Point":
        return [[coordinates]]
    if not all(isinstance(ring, (list, tuple)) for ring in coordinates):
        raise ValidationFailed("geometry has malformed coordinates: a Polygon is a list of rings",
                               field="geometry")
    return coordinates


def _check_shape(raw: Mapping[str, Any], max_vertices: int) -> None:
    """Refuse, before any geometry is built, more than ``max_vertices`` positions or an unclosed ring.

    Every later spatial join (displacement, assignment proposals) pays for
    each vertex of every open hazard zone, so one oversized polygon would
    slow them for everyone; and GeoJSON (RFC 7946 §3.1.6) requires each ring
    to end where it starts, with at least four positions — shapely would
    silently close it, recording an area nobody drew.
    """
    rings = _rings(raw)
    count = sum(len(ring) for ring in rings)
    if count > max_vertices:
        raise PayloadTooLarge(f"geometry has {count} positions; at most {max_vertices} are accepted "
                              f"(simplify the outline)", field="geometry")
    if raw.get("type") != "Polygon":
        return
    for i, ring in enumerate(rings):
        if not all(isinstance(position, (list, tuple)) for position in (ring[:1] + ring[-1:])):
            raise ValidationFailed("geometry has malformed coordinates: a position is [longitude, latitude]",
                                   field="geometry")
        if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
            raise ValidationFailed(f"ring {i} of the polygon is not closed: it needs at least 4 positions and its "
                                   f"last position must repeat its first (RFC 7946)", field="geometry")


def geometry(body: Mapping[str, Any], *, max_vertices: int) -> BaseGeometry:
    """A GeoJSON Point or Polygon (WGS 84, lon/lat order, closed rings), else ``lat``/``lon``.

    ``max_vertices`` is the limit in force (:func:`vertex_limit`).
    """
    raw = body.get("geometry")
    if raw in (None, ""):
        return position(body, required=True)
    if not isinstance(raw, Mapping) or raw.get("type") not in GEOMETRY_TYPES:
        raise ValidationFailed(f"geometry must be a GeoJSON {' or '.join(GEOMETRY_TYPES)}", field="geometry")
    _check_shape(raw, max_vertices)
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


def _word(value: Any) -> Any:
    """A value to look up in a table of names: text as it is, anything else as its repr (a list is unhashable)."""
    return value if value is None or isinstance(value, str) else repr(value)


def new_incident(body: Mapping[str, Any], *, now: datetime, max_vertices: int) -> NewIncident:
    """A new incident from its report body; ``max_vertices`` is the standards' limit in force (``vertex_limit``)."""
    ident = client_id(body)
    kind = check_kind(_word(body.get("kind")))
    geom = planar(geometry(body, max_vertices=max_vertices))
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
    _within_limits(clean)
    return NewStatutoryReport(ident, str(kind or ""), township, figures_to, clean, text(body, "note", limit=MAX_TEXT))


def _within_limits(figures: Mapping[str, int | float]) -> None:
    """Each figure within its range (:func:`relief.domain.limits.indicator_range`), named ``indicators.<name>``."""
    for name, value in figures.items():
        bounds = limits.indicator_range(name)
        if value not in bounds:
            raise ValidationFailed(f"indicators.{name} must be {bounds.describe()}", field=f"indicators.{name}")


def _prefixed(check):
    """Run an indicator check, naming fields as ``indicators.<name>`` so a form can point at them."""
    try:
        return check()
    except ValidationFailed as error:
        field = error.field if (error.field or "").startswith("indicators") else f"indicators.{error.field}"
        raise ValidationFailed(error.message, field=field, detail=error.detail) from None
