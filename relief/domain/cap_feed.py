"""The CAP feed: which CAP 1.2 messages describe each verified incident, and when.

An incident's alert is a chain of messages, worked out from its history alone, so every reader at
any moment sees the same identifiers:

- **Alert** when the incident is first verified (enters a counted status);
- **Update** whenever, while it is live, its status moves (responding, stabilised), its response level
  changes or its extent changes; and, with nothing changing, every ``renew_hours`` so that a live alert
  never reaches its ``expires`` (``expires_hours`` after it was sent);
- **Cancel** when it is closed (or found to be a duplicate), kept in the feed for
  ``cancel_retention_hours`` and then dropped.

Each message's identifier is ``<sender>.incident.<id>.<unix seconds of sent>``; changes within one second
are one message. An Update or a Cancel names the message it supersedes in ``references``
(``sender,identifier,sent``). The feed shows each incident's latest message.

The rules of the public-alert aggregators (Google Public Alerts, the WMO register of alerting
authorities) that a message is checked against are :func:`feed_problems`: ``expires`` and
``description`` present, ``areaDesc`` shorter than ``area_desc_max_chars`` + 1, polygons closed with at
least four pairs, the areas of one alert not overlapping, ``references`` on an Update or a Cancel.
Figures come from the ``cap.feed`` section of the standards document.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

import shapely
from shapely.affinity import scale
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from relief.domain.cap import CAP_NS, cap_alert, cap_time, validate_cap
from relief.domain.standards import Standards
from relief.domain.vocabulary import COUNTED_STATUSES, TERMINAL_STATUSES, IncidentStatus

__all__ = ["ALERT", "UPDATE", "CANCEL", "FeedFigures", "feed_figures", "Moment", "moments", "Message", "messages",
           "current_message", "area_desc", "alert_geometry", "message_xml", "feed_problems"]

#: CAP's own words for the three messages a feed sends (OASIS CAP 1.2 §3.2.1 ``msgType``).
ALERT, UPDATE, CANCEL = "Alert", "Update", "Cancel"
#: Defaults for a standards document whose ``cap`` section predates the feed.
DEFAULT_FIGURES = {"expires_hours": 48.0, "renew_hours": 24.0, "cancel_retention_hours": 24.0,
                   "area_desc_max_chars": 49}
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class FeedFigures:
    expires_hours: float
    renew_hours: float
    cancel_retention_hours: float
    area_desc_max_chars: int

    @property
    def expires(self) -> timedelta:
        return timedelta(hours=self.expires_hours)

    @property
    def renew(self) -> timedelta:
        return timedelta(hours=self.renew_hours)

    @property
    def cancel_retention(self) -> timedelta:
        return timedelta(hours=self.cancel_retention_hours)


def feed_figures(standards: Standards) -> FeedFigures:
    """The feed's figures from ``standards`` (``cap.feed``); renewal must come before expiry."""
    given = ((standards.document.get("cap") or {}).get("feed") or {})
    values = {name: given.get(name, default) for name, default in DEFAULT_FIGURES.items()}
    figures = FeedFigures(float(values["expires_hours"]), float(values["renew_hours"]),
                          float(values["cancel_retention_hours"]), int(values["area_desc_max_chars"]))
    if not 0 < figures.renew_hours < figures.expires_hours:
        raise ValueError("cap.feed.renew_hours must be above 0 and below expires_hours")
    if figures.cancel_retention_hours <= 0 or figures.area_desc_max_chars < 1:
        raise ValueError("cap.feed.cancel_retention_hours and area_desc_max_chars must be positive")
    return figures


# --- history ---------------------------------------------------------------------

def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _second(moment: datetime) -> datetime:
    return _utc(moment).replace(microsecond=0)


@dataclass(frozen=True)
class Moment:
    """The incident as it stood from ``at`` (whole seconds, UTC) until the next moment."""

    at: datetime
    status: str
    level: str | None
    extent: BaseGeometry | None


#: Two extents closer than this everywhere (degrees, about a metre) are the same extent.
EXTENT_TOLERANCE_DEGREES = 1e-5


def same_extent(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    """Whether two shapes of an incident are one extent (vertex by vertex within the tolerance)."""
    if a is None or b is None or a.is_empty or b.is_empty:
        return (a is None or a.is_empty) and (b is None or b.is_empty)
    return a.equals_exact(b, EXTENT_TOLERANCE_DEGREES) or a.normalize().equals_exact(b.normalize(),
                                                                                      EXTENT_TOLERANCE_DEGREES)


def moments(
    *,
    reported_at: datetime,
    status: str,
    level: str | None,
    extent: BaseGeometry | None,
    updated_at: datetime | None = None,
    statuses: Iterable[tuple[datetime, str]] = (),
    levels: Iterable[tuple[datetime, str | None, str | None]] = (),
    extents: Iterable[tuple[datetime, BaseGeometry | None]] = (),
) -> list[Moment]:
    """The incident's history as moments, oldest first, one per second in which something changed.

    ``statuses`` are lifecycle transitions ``(at, to_status)``; ``levels`` are level changes
    ``(at, from, to)``; ``extents`` are ``(at, shape)``, the shape the incident had from then on.
    ``status``, ``level`` and ``extent`` are what the incident holds now: the level before the first
    recorded change is that change's ``from`` (or the current level when none was recorded), and a
    current status the transitions never reached (a row written without its history) is taken as
    reached at ``updated_at``.
    """
    changes: list[tuple[datetime, int, str, Any]] = []
    for order, (at, to) in enumerate(statuses):
        changes.append((_second(at), order, "status", to))
    level_list = sorted(levels, key=lambda change: _utc(change[0]))
    for order, (at, _before, to) in enumerate(level_list):
        changes.append((_second(at), order, "level", to))
    extent_list = sorted(extents, key=lambda change: _utc(change[0]))
    for order, (at, key) in enumerate(extent_list):
        changes.append((_second(at), order, "extent", key))
    changes.sort(key=lambda change: (change[0], change[1]))
    # Before the first recorded change of level or extent: that change's "from", or the first one known.
    state = {"status": IncidentStatus.REPORTED.value, "level": level_list[0][1] if level_list else level,
             "extent": extent_list[0][1] if extent_list else extent}
    out = [Moment(_second(reported_at), state["status"], state["level"], state["extent"])]
    for at, _order, what, value in changes:
        state[what] = value
        here = Moment(max(at, out[-1].at), state["status"], state["level"], state["extent"])
        if here.at == out[-1].at:
            out[-1] = here
        else:
            out.append(here)
    if out[-1].status != status and updated_at is not None:
        at = max(_second(updated_at), out[-1].at)
        last = replace(out[-1], at=at, status=status)
        out[-1:] = [last] if at == out[-1].at else [out[-1], last]
    return out


# --- messages ----------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """One CAP message of an incident's alert."""

    incident_id: int
    msg_type: str
    sent: datetime
    expires: datetime
    status: str
    level: str | None
    identifier: str
    references: str | None

    def reference(self, sender: str) -> str:
        """How a later message names this one: ``sender,identifier,sent``."""
        return f"{sender},{self.identifier},{cap_time(self.sent)}"


def identifier_of(sender: str, incident_id: int, sent: datetime) -> str:
    return f"{sender}.incident.{incident_id}.{int(_utc(sent).timestamp())}"


def messages(incident_id: int, history: Sequence[Moment], *, now: datetime, sender: str,
             figures: FeedFigures) -> list[Message]:
    """Every message of the incident's alert up to ``now``, oldest first (empty if never verified)."""
    now = _utc(now)
    out: list[Message] = []

    def send(msg_type: str, at: datetime, moment: Moment) -> None:
        previous = out[-1].reference(sender) if out else None
        expires = at + (figures.cancel_retention if msg_type == CANCEL else figures.expires)
        out.append(Message(incident_id, msg_type, at, expires, moment.status, moment.level,
                           identifier_of(sender, incident_id, at), previous))

    def renew_until(until: datetime) -> None:
        while out and out[-1].msg_type != CANCEL and out[-1].sent + figures.renew < until:
            last = out[-1]
            send(UPDATE, last.sent + figures.renew,
                 Moment(last.sent + figures.renew, last.status, last.level, shown[-1].extent))

    shown: list[Moment] = []  # the moment each message described
    for moment in history:
        if moment.at > now:
            break
        renew_until(moment.at)
        if not out:
            if moment.status in COUNTED_STATUSES:
                send(ALERT, moment.at, moment)
                shown.append(moment)
            elif moment.status in TERMINAL_STATUSES:
                return []
            continue
        if out[-1].msg_type == CANCEL:
            break
        if moment.status in TERMINAL_STATUSES:
            send(CANCEL, moment.at, moment)
            shown.append(moment)
        elif ((moment.status, moment.level) != (shown[-1].status, shown[-1].level)
              or not same_extent(moment.extent, shown[-1].extent)):
            send(UPDATE, moment.at, moment)
            shown.append(moment)
    renew_until(now + timedelta(microseconds=1))
    return out


def current_message(chain: Sequence[Message], *, now: datetime, figures: FeedFigures) -> Message | None:
    """The message the feed shows for one incident: its latest, unless that is a Cancel kept long enough."""
    if not chain:
        return None
    last = chain[-1]
    if last.msg_type == CANCEL and _utc(now) >= last.sent + figures.cancel_retention:
        return None
    return last


# --- the message itself ------------------------------------------------------------------

def area_desc(places: Sequence[str], *, fallback: str, max_chars: int) -> str:
    """The places joined by spaces, at most ``max_chars`` characters: trailing places are dropped, then
    one name too long by itself is cut with an ellipsis."""
    names = [p.strip() for p in places if p and p.strip()] or [fallback]
    while len(names) > 1 and len(" ".join(names)) > max_chars:
        names.pop()
    text = " ".join(names)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def alert_geometry(geometry: BaseGeometry | None) -> BaseGeometry | None:
    """The incident's shape as areas that do not overlap one another.

    Polygonal parts are merged into one (multi)polygon; several points or lines become their convex
    hull (or, without area, one point at their centre): CAP would otherwise send one circle or hull per
    part, and those may overlap.
    """
    if geometry is None or geometry.is_empty:
        return geometry
    if isinstance(geometry, (Polygon, Point)) and geometry.is_valid:
        return geometry
    parts = list(getattr(geometry, "geoms", [geometry]))
    polygons = [p for p in parts if isinstance(p, (Polygon, MultiPolygon))]
    if polygons and len(polygons) == len(parts):
        merged = shapely.union_all([shapely.make_valid(p) for p in polygons])
        merged = _polygonal(merged)
        if merged is not None:
            return merged
    hull = geometry.convex_hull
    return hull if isinstance(hull, Polygon) and not hull.is_empty else geometry.centroid


def _polygonal(geometry: BaseGeometry) -> BaseGeometry | None:
    if isinstance(geometry, (Polygon, MultiPolygon)):
        return geometry
    if isinstance(geometry, GeometryCollection):
        polygons = [p for p in geometry.geoms if isinstance(p, (Polygon, MultiPolygon))]
        return shapely.union_all(polygons) if polygons else None
    return None


def _q(tag: str) -> str:
    return f"{{{CAP_NS}}}{tag}"


def message_xml(message: Message, incident: Mapping[str, Any], *, sender: str, sender_name: str, area: str,
                standards: Standards, web: str | None = None) -> str:
    """The CAP 1.2 text of ``message`` for ``incident`` (the facts :func:`relief.domain.cap.cap_alert` takes).

    The status and level are the message's; ``msgType``, ``expires`` and (when given) ``web`` are set here,
    in the places CAP's element order gives them.
    """
    facts = {**incident, "status": message.status, "response_level": message.level,
             "geometry": alert_geometry(incident.get("geometry"))}
    text = cap_alert(facts, sender=sender, area_desc=area, sent=message.sent, identifier=message.identifier,
                     standards=standards, response_level=message.level, sender_name=sender_name,
                     references=message.references)
    ET.register_namespace("", CAP_NS)
    root = ET.fromstring(text.encode("utf-8"))
    root.find(_q("msgType")).text = message.msg_type
    info = root.find(_q("info"))
    tags = [child.tag for child in info]
    expires = ET.Element(_q("expires"))
    expires.text = cap_time(message.expires)
    info.insert(tags.index(_q("senderName")), expires)
    if web:
        link = ET.Element(_q("web"))
        link.text = web
        tags = [child.tag for child in info]
        after = max(tags.index(_q(t)) for t in ("headline", "description") if _q(t) in tags)
        info.insert(after + 1, link)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --- the aggregators' rules ---------------------------------------------------------------------

def _shape_of(tag: str, text: str) -> BaseGeometry | None:
    try:
        if tag == "polygon":
            pairs = [tuple(float(v) for v in pair.split(",")) for pair in text.split()]
            return Polygon([(lon, lat) for lat, lon in pairs])
        centre, radius = text.split()
        lat, lon = (float(v) for v in centre.split(","))
        km = float(radius)
    except ValueError:
        return None
    if km <= 0:
        return None
    across = max(math.cos(math.radians(lat)), 1e-6)
    return scale(Point(lon, lat).buffer(1.0, 32), xfact=km / (_KM_PER_DEGREE * across), yfact=km / _KM_PER_DEGREE)


def feed_problems(xml: str, figures: FeedFigures) -> list[str]:
    """What a public-alert aggregator would refuse in one feed message; empty when none.

    :func:`relief.domain.cap.validate_cap`'s structural checks, and: every ``info`` has ``expires`` and
    ``description``; every ``areaDesc`` is at most ``area_desc_max_chars``; polygons are closed with at
    least four pairs (``validate_cap``); the areas of one alert do not overlap; an Update or a Cancel has
    ``references``.
    """
    problems = validate_cap(xml)
    try:
        root = ET.fromstring(xml.encode("utf-8"))
    except ET.ParseError:
        return problems
    msg_type = root.findtext(_q("msgType"))
    if msg_type in (UPDATE, CANCEL) and not (root.findtext(_q("references")) or "").strip():
        problems.append(f"an {msg_type} lacks references")
    shapes: list[BaseGeometry] = []
    for i, info in enumerate(root.findall(_q("info"))):
        for tag in ("expires", "description"):
            if not (info.findtext(_q(tag)) or "").strip():
                problems.append(f"info[{i}] lacks {tag}")
        for j, area in enumerate(info.findall(_q("area"))):
            desc = (area.findtext(_q("areaDesc")) or "").strip()
            if len(desc) > figures.area_desc_max_chars:
                problems.append(f"info[{i}]/area[{j}]: areaDesc has {len(desc)} characters, more than "
                                f"{figures.area_desc_max_chars}")
            for tag in ("polygon", "circle"):
                for element in area.findall(_q(tag)):
                    shape = _shape_of(tag, element.text or "")
                    if shape is not None and shape.is_valid:
                        shapes.append(shape)
    for a in range(len(shapes)):
        for b in range(a + 1, len(shapes)):
            if shapes[a].intersection(shapes[b]).area > 0:
                problems.append(f"areas {a} and {b} of one alert overlap")
    return problems
