"""CAP 1.2 alerts for incidents, and a structural check of CAP text.

Other warning systems (the national emergency broadcast, county platforms)
take CAP; every word relief puts in one comes from the tables below, so the
mapping from our kinds, statuses and levels to CAP's vocabulary is reviewable
in one place. :func:`validate_cap` checks the rules of OASIS CAP 1.2 that a
consumer would reject us for, without needing the XML schema.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from relief.domain.incidents import KIND_LABELS
from relief.domain.standards import Standards
from relief.domain.vocabulary import IncidentStatus
from relief.errors import ValidationFailed

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
#: CAP times carry an offset; relief speaks China Standard Time.
CAP_TZ = timezone(timedelta(hours=8))
LANGUAGE = "zh-CN"
#: A point incident is sent as a circle of this radius unless the standards
#: document sets ``cap.point_radius_km``.
POINT_RADIUS_KM = 1.0


def point_radius_km(standards: Standards) -> float:
    """The circle radius for point incidents in ``standards`` (the version in force, not the bundled one)."""
    return float((standards.document.get("cap") or {}).get("point_radius_km", POINT_RADIUS_KM))

# CAP 1.2 enumerations (OASIS CAP 1.2 §3.2).
STATUS_VALUES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPE_VALUES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPE_VALUES = ("Public", "Restricted", "Private")
CATEGORY_VALUES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
                   "Transport", "Infra", "CBRNE", "Other")
URGENCY_VALUES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY_VALUES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY_VALUES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

# relief → CAP vocabulary.
CATEGORY_BY_KIND: dict[str, str] = {
    "landslide": "Geo", "collapse": "Geo", "debris_flow": "Geo", "earthquake": "Geo",
    "flood": "Met", "snow_ice": "Met", "hail": "Met", "drought": "Met",
    "other": "Other",
}
_S = IncidentStatus  # short, for the tables below

#: A withdrawn incident cancels its alert; everything else alerts.
MSG_TYPE_BY_STATUS: dict[str, str] = {_S.CLOSED: "Cancel", _S.REJECTED: "Cancel", _S.DUPLICATE: "Cancel"}
URGENCY_BY_STATUS: dict[str, str] = {
    _S.REPORTED: "Immediate", _S.VERIFYING: "Immediate", _S.VERIFIED: "Immediate", _S.RESPONDING: "Immediate",
    _S.STABILISED: "Past", _S.CLOSED: "Past", _S.REJECTED: "Past", _S.DUPLICATE: "Past",
}
CERTAINTY_BY_STATUS: dict[str, str] = {
    _S.REPORTED: "Likely", _S.VERIFYING: "Likely",
    _S.VERIFIED: "Observed", _S.RESPONDING: "Observed", _S.STABILISED: "Observed", _S.CLOSED: "Observed",
    _S.REJECTED: "Unlikely", _S.DUPLICATE: "Unknown",
}
#: National response level → severity; no level (or a local level name) is Unknown.
SEVERITY_BY_LEVEL: dict[str, str] = {"I": "Extreme", "II": "Severe", "III": "Severe", "IV": "Moderate"}

_FORBIDDEN = re.compile(r"[\s,<&]")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
_TIME_ELEMENTS = ("sent", "effective", "onset", "expires")


def cap_time(moment: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ss+08:00``; naive times are taken as UTC (as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CAP_TZ).replace(microsecond=0).isoformat()


def _token(value: Any, name: str) -> str:
    text = str(value or "")
    if not text or _FORBIDDEN.search(text):
        raise ValidationFailed(f"{name} must be non-empty with no spaces, commas, '<' or '&'", field=name)
    return text


def _pairs(coords: Iterable[tuple[float, ...]]) -> str:
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat, *_ in coords)


def area_shapes(geometry: BaseGeometry | None, radius_km: float = POINT_RADIUS_KM) -> list[tuple[str, str]]:
    """``[("polygon" | "circle", text)]`` for a WGS 84 geometry.

    Polygons give their exterior ring (holes cannot be said in CAP); a
    multipolygon gives one polygon each; a point gives a circle. Lines and
    other shapes are sent as their convex hull, or a circle when that has no area.
    """
    if geometry is None or geometry.is_empty:
        return []
    if isinstance(geometry, Polygon):
        return [("polygon", _pairs(geometry.exterior.coords))]
    if isinstance(geometry, MultiPolygon):
        return [shape for part in geometry.geoms for shape in area_shapes(part, radius_km)]
    if isinstance(geometry, Point):
        return [("circle", f"{geometry.y:.6f},{geometry.x:.6f} {radius_km:g}")]
    if hasattr(geometry, "geoms") and not hasattr(geometry, "coords"):
        parts = [shape for part in geometry.geoms for shape in area_shapes(part, radius_km)]
        if parts:
            return parts
    hull = geometry.convex_hull
    if isinstance(hull, Polygon) and not hull.is_empty:
        return [("polygon", _pairs(hull.exterior.coords))]
    return area_shapes(geometry.centroid, radius_km)


def _sub(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def cap_alert(
    incident: Mapping[str, Any],
    *,
    sender: str,
    area_desc: str,
    sent: datetime,
    identifier: str,
    standards: Standards,
    response_level: str | None = None,
    sender_name: str | None = None,
    references: str | None = None,
    radius_km: float | None = None,
) -> str:
    """A CAP 1.2 alert (XML text) describing one incident.

    ``incident`` needs ``kind, status, title`` and may have ``id`` (sent as
    CAP ``incidents``, grouping all messages about it), ``description,
    geometry`` (shapely, WGS 84), ``occurred_at`` (sent as ``onset``) and
    ``response_level`` (used when the argument is not given). ``msgType`` is
    Alert, or Cancel for a closed/rejected/duplicate incident; ``references``
    (CAP's ``sender,identifier,sent`` of the alert being cancelled) is passed
    through. A point is sent as a circle of ``radius_km`` (default
    :func:`point_radius_km` of ``standards``). ``identifier`` and ``sender`` are refused if
    they hold spaces, commas, ``<`` or ``&``.
    """
    identifier = _token(identifier, "identifier")
    sender = _token(sender, "sender")
    if not area_desc or not str(area_desc).strip():
        raise ValidationFailed("areaDesc must not be empty", field="area_desc")
    kind, status = incident.get("kind"), incident.get("status")
    if kind not in CATEGORY_BY_KIND:
        raise ValidationFailed(f"no CAP category for incident kind {kind!r}", field="kind")
    if status not in URGENCY_BY_STATUS:
        raise ValidationFailed(f"unknown incident status {status!r}", field="status")
    level = response_level if response_level is not None else incident.get("response_level")
    event = KIND_LABELS.get(kind, kind)
    title = str(incident.get("title") or event)

    ET.register_namespace("", CAP_NS)
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(alert, "identifier", identifier)
    _sub(alert, "sender", sender)
    _sub(alert, "sent", cap_time(sent))
    _sub(alert, "status", "Actual")
    _sub(alert, "msgType", MSG_TYPE_BY_STATUS.get(status, "Alert"))
    _sub(alert, "scope", "Public")
    if references:
        _sub(alert, "references", references)
    if incident.get("id") is not None:  # lets consumers group every message about one incident
        _sub(alert, "incidents", _token(incident["id"], "id"))

    info = _sub(alert, "info")
    _sub(info, "language", LANGUAGE)
    _sub(info, "category", CATEGORY_BY_KIND[kind])
    _sub(info, "event", event)
    _sub(info, "urgency", URGENCY_BY_STATUS[status])
    _sub(info, "severity", SEVERITY_BY_LEVEL.get(level or "", "Unknown"))
    _sub(info, "certainty", CERTAINTY_BY_STATUS[status])
    if incident.get("occurred_at"):
        _sub(info, "onset", cap_time(incident["occurred_at"]))
    _sub(info, "senderName", sender_name or sender)
    _sub(info, "headline", f"{event}：{title}"[:160])
    _sub(info, "description", incident.get("description") or title)
    if level:
        parameter = _sub(info, "parameter")
        _sub(parameter, "valueName", "responseLevel")
        _sub(parameter, "value", level)

    area = _sub(info, "area")
    _sub(area, "areaDesc", str(area_desc).strip())
    radius = point_radius_km(standards) if radius_km is None else radius_km
    if radius < 0:
        raise ValidationFailed("radius_km must not be negative", field="radius_km")
    shapes = area_shapes(incident.get("geometry"), radius)
    for tag in ("polygon", "circle"):  # CAP orders polygons before circles
        for shape_tag, text in shapes:
            if shape_tag == tag:
                _sub(area, tag, text)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alert, encoding="unicode")


# --- structural check -----------------------------------------------------------

_ALERT_REQUIRED = ("identifier", "sender", "sent", "status", "msgType", "scope")
_INFO_REQUIRED = ("category", "event", "urgency", "severity", "certainty")
_ENUMS = {
    "status": STATUS_VALUES, "msgType": MSG_TYPE_VALUES, "scope": SCOPE_VALUES,
    "category": CATEGORY_VALUES, "urgency": URGENCY_VALUES, "severity": SEVERITY_VALUES,
    "certainty": CERTAINTY_VALUES,
}


def _q(tag: str) -> str:
    return f"{{{CAP_NS}}}{tag}"


def _point(text: str) -> tuple[float, float] | None:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _polygon_problems(text: str, where: str) -> list[str]:
    pairs = (text or "").split()
    points = [_point(p) for p in pairs]
    if any(p is None for p in points):
        return [f"{where}: polygon holds a pair that is not 'lat,lon' in range"]
    problems = []
    if len(points) < 4:
        problems.append(f"{where}: polygon needs at least 4 pairs, has {len(points)}")
    if points and points[0] != points[-1]:
        problems.append(f"{where}: polygon is not closed (first pair differs from last)")
    return problems


def _circle_problems(text: str, where: str) -> list[str]:
    parts = (text or "").split()
    if len(parts) != 2 or _point(parts[0]) is None:
        return [f"{where}: circle must be 'lat,lon radius_km'"]
    try:
        radius = float(parts[1])
    except ValueError:
        return [f"{where}: circle radius is not a number"]
    return [] if radius >= 0 else [f"{where}: circle radius is negative"]


def _enum_problems(parent: ET.Element, where: str) -> list[str]:
    problems = []
    for tag, allowed in _ENUMS.items():
        for element in parent.findall(_q(tag)):
            if (element.text or "").strip() not in allowed:
                problems.append(f"{where}/{tag}: {element.text!r} is not one of {', '.join(allowed)}")
    return problems


def validate_cap(xml: str) -> list[str]:
    """Structural problems in a CAP 1.2 alert; an empty list means none found.

    Checks the namespace, required elements, enumerations, time format
    (offset, never ``Z``), identifier/sender characters, and that polygons are
    closed with at least four pairs. Not a full schema validation.
    """
    try:
        root = ET.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except ET.ParseError as error:
        return [f"not well-formed XML: {error}"]
    if root.tag != _q("alert"):
        return [f"root element must be alert in {CAP_NS}, found {root.tag}"]
    problems: list[str] = []
    for tag in _ALERT_REQUIRED:
        if root.find(_q(tag)) is None or not (root.findtext(_q(tag)) or "").strip():
            problems.append(f"alert lacks {tag}")
    for tag in ("identifier", "sender"):
        text = root.findtext(_q(tag))
        if text and _FORBIDDEN.search(text):
            problems.append(f"alert/{tag} holds a space, comma, '<' or '&'")
    problems += _enum_problems(root, "alert")
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in _TIME_ELEMENTS and not _TIME.match((element.text or "").strip()):
            problems.append(f"{local}: {element.text!r} is not YYYY-MM-DDThh:mm:ss±hh:mm")
    infos = root.findall(_q("info"))
    if not infos and root.findtext(_q("msgType")) not in ("Ack", "Error"):
        problems.append("alert has no info")
    for i, info in enumerate(infos):
        where = f"info[{i}]"
        for tag in _INFO_REQUIRED:
            if info.find(_q(tag)) is None:
                problems.append(f"{where} lacks {tag}")
        problems += _enum_problems(info, where)
        for j, area in enumerate(info.findall(_q("area"))):
            spot = f"{where}/area[{j}]"
            if not (area.findtext(_q("areaDesc")) or "").strip():
                problems.append(f"{spot} lacks areaDesc")
            for polygon in area.findall(_q("polygon")):
                problems += _polygon_problems(polygon.text, spot)
            for circle in area.findall(_q("circle")):
                problems += _circle_problems(circle.text, spot)
    return problems
