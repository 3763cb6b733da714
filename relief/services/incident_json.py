"""How incidents and their reports look in API answers and event payloads: the one home of these shapes.

An incident is always the same GeoJSON Feature as in ``GET /api/incidents``
(built by ``services.geojson``), so a map can patch an event's payload
straight into its layer. Use cases read rows and decide; the dicts they
answer and emit about incidents are built here, with :mod:`relief.jsonable`
rules (moments UTC ISO 8601, NaN and ∞ null).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

from relief.domain.indicators import INDICATORS
from relief.jsonable import jsonable, moment
from relief.services import geojson
from relief.services import photos as photo_service

if TYPE_CHECKING:
    from relief.store.tables import FieldReport, Incident, IncidentTransition, Photo, StatutoryReport


def incident_feature(incident: Incident) -> dict[str, Any]:
    """The incident as a Feature: its columns (not its ``client_id``) as properties."""
    return geojson.row_feature(incident, geojson.properties(incident, exclude=("client_id",)))


def event_payload(incident: Incident, changed: Mapping[str, Any]) -> dict[str, Any]:
    """The incident Feature plus what changed (a foreign member, allowed by RFC 7946)."""
    return {**incident_feature(incident), "changed": dict(changed)}


def records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    """The frame's rows (those of ``columns`` it has) as JSON objects."""
    present = [c for c in columns if c in frame.columns]
    return [{k: jsonable(v) for k, v in row.items()} for row in frame[present].to_dict("records")]


def indicators_of(row: Any) -> dict[str, int | float]:
    return {name: getattr(row, name) for name in INDICATORS}


def field_report_view(report: FieldReport, photos: Iterable[Photo], *, staff: bool) -> dict[str, Any]:
    point = report.geom
    out: dict[str, Any] = {
        "id": report.id, "type": "field", "client_id": report.client_id, "incident_id": report.incident_id,
        "observed_at": moment(report.observed_at), "received_at": moment(report.received_at),
        "lat": point.y if point is not None else None, "lon": point.x if point is not None else None,
        "photos": [photo_service.view(p, staff=staff) for p in photos],
    }
    if staff:
        out.update(description=report.description, reporter_id=report.reporter_id)
    return out


def statutory_view(report: StatutoryReport) -> dict[str, Any]:
    return {
        "id": report.id, "type": "statutory", "client_id": report.client_id, "incident_id": report.incident_id,
        "kind": report.kind, "township_code": report.township_code, "county_code": report.county_code,
        "figures_to": moment(report.figures_to), "submitted_at": moment(report.submitted_at),
        "submitted_by": report.submitted_by, "note": report.note, "indicators": indicators_of(report),
    }


def transition_view(row: IncidentTransition, actor_name: str | None, *, staff: bool) -> dict[str, Any]:
    out = {"id": row.id, "action": row.action, "from": row.from_status, "to": row.to_status,
           "at": moment(row.at), "reason": row.reason}
    if staff:
        out.update(actor_id=row.actor_id, actor=actor_name)
    return out


def candidate_view(candidate: Mapping[str, Any], other: Incident) -> dict[str, Any]:
    """A possible duplicate (id and distance as the check found it) with what the other incident is now."""
    return {**candidate, "title": other.title, "status": other.status, "kind": other.kind,
            "occurred_at": moment(other.occurred_at)}


def field_summary(report: FieldReport, photos: int) -> dict[str, Any]:
    """A new field report as ``report.added`` names it."""
    return {"type": "field", "id": report.id, "photos": photos}


def statutory_summary(report: StatutoryReport) -> dict[str, Any]:
    """A new statutory report as ``report.added`` names it."""
    return {"type": "statutory", "id": report.id, "kind": report.kind, "township_code": report.township_code}


def creation_view(incident: Incident, created: bool, report: FieldReport | None, photos: Iterable[Photo],
                  initial: StatutoryReport | None, *, staff: bool) -> dict[str, Any]:
    """The answer to ``POST /api/incidents``: the incident, its first field report and initial statutory report."""
    return {
        "id": incident.id, "client_id": incident.client_id, "created": created,
        "incident": incident_feature(incident),
        "possible_duplicates": incident.possible_duplicates or [],
        "field_report": field_report_view(report, photos, staff=staff) if report else None,
        "statutory_report": statutory_view(initial) if initial else None,
    }


def field_answer(report: FieldReport, photos: Iterable[Photo], incident_id: int, *, created: bool,
                 staff: bool) -> dict[str, Any]:
    """The answer to ``POST /api/incidents/<id>/reports`` for a field report."""
    return {"id": report.id, "type": "field", "created": created, "incident_id": incident_id,
            "report": field_report_view(report, photos, staff=staff)}


def statutory_answer(report: StatutoryReport, incident: Incident, *, created: bool) -> dict[str, Any]:
    """The answer to filing a statutory report: the report and the incident's level after it."""
    return {"id": report.id, "type": "statutory", "created": created, "incident_id": incident.id,
            "report": statutory_view(report), "response_level": incident.response_level,
            "response_reason": incident.response_reason or []}


def transition_answer(incident: Incident, transition: IncidentTransition, allowed_actions: list[str]) -> dict[str, Any]:
    """The answer to a lifecycle action: the new status, the incident and what may follow."""
    return {"id": incident.id, "transition_id": transition.id, "status": transition.to_status,
            "from": transition.from_status, "action": transition.action, "incident": incident_feature(incident),
            "allowed_actions": allowed_actions}


def detail_view(incident: Incident, *, names: Mapping[str, Mapping[str, str]], figures: dict[str, Any],
                statutory_reports: Iterable[StatutoryReport],
                transitions: Iterable[tuple[IncidentTransition, str | None]], field_reports: Iterable[FieldReport],
                photos: list[Photo], candidates: list[dict[str, Any]],
                allowed_actions: list[str], staff: bool, townships: Iterable[Mapping[str, str]] = (),
                actions: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Everything about one incident, as ``GET /api/incidents/<id>`` answers it.

    ``area_names`` names every area code the answer holds (``{code: {"zh", "en"}}``); ``townships``
    lists the townships of the incident's county (where its statutory figures are reported);
    ``actions`` are the lifecycle actions the caller may take now (``domain.incidents.action_choices``).
    """
    by_report: dict[int | None, list[Photo]] = {}
    for photo in photos:
        by_report.setdefault(photo.field_report_id, []).append(photo)
    return {
        "id": incident.id,
        "incident": incident_feature(incident),
        "areas": {"county": names.get(incident.county_code or ""), "township": names.get(incident.township_code or "")},
        "response_level": incident.response_level,
        "response_reason": incident.response_reason or [],
        "figures": figures,
        "statutory_reports": [statutory_view(r) for r in statutory_reports],
        "transitions": [transition_view(t, name, staff=staff) for t, name in transitions],
        "field_reports": [field_report_view(r, by_report.get(r.id, []), staff=staff) for r in field_reports],
        "photos": [photo_service.view(p, staff=staff) for p in photos],
        "possible_duplicates": candidates,
        "duplicate_of": incident.duplicate_of_id,
        "allowed_actions": allowed_actions,
        "actions": [dict(a) for a in actions],
        "townships": [dict(t) for t in townships],
        "area_names": {**{t["code"]: {"zh": t["name_zh"], "en": t["name_en"]} for t in townships},
                       **{code: dict(name) for code, name in names.items()}},
    }
