"""How incidents and their reports look in API answers and event payloads.

An incident is always the same GeoJSON Feature as in ``GET /api/incidents``
(built by ``store.features``), so a map can patch an event's payload straight
into its layer.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

import pandas as pd

from relief.domain.indicators import INDICATORS
from relief.services import photos as photo_service
from relief.store.features import feature, properties
from relief.store.tables import FieldReport, Incident, IncidentTransition, Photo, StatutoryReport


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601, as rows read back from either store give it, also for rows made in this transaction."""
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def incident_feature(incident: Incident) -> dict[str, Any]:
    props = properties(incident, exclude=("client_id",))
    for column in incident.__table__.columns:
        value = getattr(incident, column.key)
        if isinstance(value, datetime) and column.key in props:
            props[column.key] = iso(value)
    return feature(incident, props, id_attr="id")


def event_payload(incident: Incident, changed: Mapping[str, Any]) -> dict[str, Any]:
    """The incident Feature plus what changed (a foreign member, allowed by RFC 7946)."""
    return {**incident_feature(incident), "changed": dict(changed)}


def plain(value: Any) -> Any:
    """JSON-ready scalars from pandas/numpy/datetime values."""
    if value is None:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    present = [c for c in columns if c in frame.columns]
    return [{k: plain(v) for k, v in row.items()} for row in frame[present].to_dict("records")]


def indicators_of(row: Any) -> dict[str, int | float]:
    return {name: getattr(row, name) for name in INDICATORS}


def field_report_view(report: FieldReport, photos: Iterable[Photo], *, staff: bool) -> dict[str, Any]:
    point = report.geom
    out: dict[str, Any] = {
        "id": report.id, "type": "field", "client_id": report.client_id, "incident_id": report.incident_id,
        "observed_at": iso(report.observed_at), "received_at": iso(report.received_at),
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
        "figures_to": iso(report.figures_to), "submitted_at": iso(report.submitted_at),
        "submitted_by": report.submitted_by, "note": report.note, "indicators": indicators_of(report),
    }


def transition_view(row: IncidentTransition, actor_name: str | None, *, staff: bool) -> dict[str, Any]:
    out = {"id": row.id, "action": row.action, "from": row.from_status, "to": row.to_status,
           "at": iso(row.at), "reason": row.reason}
    if staff:
        out.update(actor_id=row.actor_id, actor=actor_name)
    return out
