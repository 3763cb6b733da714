"""The public CAP feed (``GET /cap/feed.atom``): one Atom entry per current alert, each carrying its CAP 1.2 message.

Loads the incidents the feed may speak of (live ones, and ended ones within the Cancel retention), their
lifecycle lines and their recorded level and shape changes; the domain (:mod:`relief.domain.cap_feed`)
works out each incident's chain of messages and which one the feed shows. Nothing personal is read: an
incident's kind, title, description, level, place and shape are what the public map already shows.

The Atom document is written with ElementTree: it has a dozen elements, and the Atom library at hand
(``feedgen`` 1.0) drops the ``rel`` and ``type`` of an entry's links, which aggregators use to find the CAP
message. Each entry links to its message (``rel="alternate"``, ``type="application/cap+xml"``) and embeds
it as the XML child of ``atom:content`` (RFC 4287 §4.1.3.3).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from shapely.geometry import shape

from relief.domain import cap_feed as domain
from relief.domain.cap import CAP_NS, cap_time
from relief.domain.incidents import KIND_LABELS
from relief.domain.vocabulary import COUNTED_STATUSES, TERMINAL_STATUSES
from relief.errors import NotFound
from relief.services.context import Context
from relief.services.incident_lookup import DEFAULT_CAP_SENDER, PREFECTURE_NAME
from relief.store import areas as area_store
from relief.store import cap_feed as store

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
LEVEL_KIND = "incident.level_changed"
#: Events whose Feature records the incident's shape at that moment.
SHAPE_KINDS = ("incident.created", "incident.transitioned", LEVEL_KIND)
#: Ended incidents changed longer ago than the Cancel retention plus this are not even loaded.
_SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class Entry:
    """One alert in the feed: its current message and that message's CAP text."""

    incident_id: int
    message: domain.Message
    title: str
    summary: str
    xml: str


def _sender(ctx: Context) -> tuple[str, str]:
    sender = str(ctx.settings.get("CAP_SENDER") or DEFAULT_CAP_SENDER)
    return sender, str(ctx.settings.get("CAP_SENDER_NAME") or sender)


def _shape(payload: Any):
    geometry = payload.get("geometry") if isinstance(payload, dict) else None
    try:
        return shape(geometry) if geometry else None
    except (ValueError, TypeError, AttributeError):
        return None


def entries(ctx: Context) -> list[Entry]:
    """The feed's alerts, most recently sent first."""
    figures = domain.feed_figures(ctx.standards)
    sender, sender_name = _sender(ctx)
    now = ctx.now()
    with ctx.reading() as session:
        rows = store.feed_incidents(session, live=COUNTED_STATUSES, ended=TERMINAL_STATUSES,
                                    ended_since=now - figures.cancel_retention - _SLACK)
        ids = [row.id for row in rows]
        lines: dict[int, list[tuple[datetime, str]]] = {}
        for line in store.transitions_of(session, ids):
            lines.setdefault(line["incident_id"], []).append((line["at"], line["to_status"]))
        levels: dict[int, list[tuple[datetime, Any, Any]]] = {}
        shapes: dict[int, list[tuple[datetime, Any]]] = {}
        since = min((row.reported_at for row in rows), default=now)
        for event in store.incident_events(session, SHAPE_KINDS, ids, since=since):
            at, payload = event["at"], event["payload"]
            if event["kind"] == LEVEL_KIND:
                change = ((payload.get("changed") or {}).get("response_level") or {})
                levels.setdefault(event["incident_id"], []).append((at, change.get("from"), change.get("to")))
            shapes.setdefault(event["incident_id"], []).append((at, _shape(payload)))
        names = area_store.names(session, [c for row in rows for c in (row.county_code, row.township_code) if c])
        facts = [{"id": row.id, "kind": row.kind, "status": row.status, "title": row.title,
                  "description": row.description, "geometry": row.geom, "occurred_at": row.occurred_at,
                  "reported_at": row.reported_at, "updated_at": row.updated_at,
                  "response_level": row.response_level,
                  "places": [names[c]["zh"] for c in (row.county_code, row.township_code) if c and c in names]}
                 for row in rows]
    out = []
    for incident in facts:
        history = domain.moments(
            reported_at=incident["reported_at"], status=incident["status"], level=incident["response_level"],
            extent=incident["geometry"], updated_at=incident["updated_at"], statuses=lines.get(incident["id"], ()),
            levels=levels.get(incident["id"], ()), extents=shapes.get(incident["id"], ()))
        chain = domain.messages(incident["id"], history, now=now, sender=sender, figures=figures)
        message = domain.current_message(chain, now=now, figures=figures)
        if message is None:
            continue
        area = domain.area_desc(incident["places"], fallback=PREFECTURE_NAME, max_chars=figures.area_desc_max_chars)
        xml = domain.message_xml(message, incident, sender=sender, sender_name=sender_name, area=area,
                                 standards=ctx.standards)
        event = KIND_LABELS.get(incident["kind"], incident["kind"])
        out.append(Entry(incident["id"], message, f"{event}：{incident['title']}"[:160],
                         incident["description"] or incident["title"], xml))
    out.sort(key=lambda e: (e.message.sent, e.incident_id), reverse=True)
    return out


def message(ctx: Context, identifier: str) -> str:
    """The CAP text of a message the feed shows now; 404 for one superseded, dropped or never sent."""
    for entry in entries(ctx):
        if entry.message.identifier == identifier:
            return entry.xml
    raise NotFound(f"no current CAP message {identifier}", field="identifier")


def atom(ctx: Context, *, feed_url: str, message_url: str) -> bytes:
    """The Atom document; ``message_url`` is a template with ``{identifier}`` for each message's own URL."""
    alerts = entries(ctx)
    sender, sender_name = _sender(ctx)
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("cap", CAP_NS)
    feed = ET.Element(_atom("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    _text(feed, "id", feed_url)
    _text(feed, "title", f"{sender_name} CAP alerts")
    _text(feed, "subtitle", "Verified incidents that are not closed, as CAP 1.2 messages (Alert, Update, Cancel)")
    _text(feed, "updated", _atom_time(alerts[0].message.sent if alerts else ctx.now()))
    ET.SubElement(_sub(feed, "author"), _atom("name")).text = sender_name
    ET.SubElement(feed, _atom("link"), {"rel": "self", "href": feed_url, "type": "application/atom+xml"})
    _text(feed, "generator", "relief")
    for alert in alerts:
        url = message_url.format(identifier=alert.message.identifier)
        entry = _sub(feed, "entry")
        _text(entry, "id", url)
        _text(entry, "title", alert.title)
        _text(entry, "updated", _atom_time(alert.message.sent))
        _text(entry, "published", _atom_time(alert.message.sent))
        ET.SubElement(entry, _atom("link"), {"rel": "alternate", "href": url, "type": CAP_MEDIA_TYPE})
        _text(entry, "summary", f"{alert.message.msg_type} · {cap_time(alert.message.sent)} · {alert.summary}"[:500])
        content = ET.SubElement(entry, _atom("content"), {"type": CAP_MEDIA_TYPE})
        content.append(ET.fromstring(alert.xml.encode("utf-8")))
    ET.indent(feed)
    return ET.tostring(feed, encoding="UTF-8", xml_declaration=True)


def _atom(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str) -> ET.Element:
    return ET.SubElement(parent, _atom(tag))


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = _sub(parent, tag)
    element.text = text
    return element


def _atom_time(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom dates are given."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
