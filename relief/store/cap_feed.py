"""What the CAP feed reads: the incidents it may speak of, their lifecycle lines and their recorded changes.

Reads only; nothing here commits.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from relief.store.tables import Event, Incident, IncidentTransition


def feed_incidents(session: Session, *, live: Iterable[str], ended: Iterable[str],
                   ended_since: datetime) -> list[Incident]:
    """Incidents in a ``live`` status, and those in an ``ended`` status changed at or after ``ended_since``."""
    query = (select(Incident)
             .where(or_(Incident.status.in_(list(live)),
                        and_(Incident.status.in_(list(ended)), Incident.updated_at >= ended_since)))
             .order_by(Incident.id))
    return list(session.scalars(query))


def transitions_of(session: Session, incident_ids: Iterable[int]) -> list[dict[str, Any]]:
    """``{"incident_id", "at", "to_status"}`` for every lifecycle line of these incidents, oldest first."""
    ids = list(incident_ids)
    if not ids:
        return []
    t = IncidentTransition
    query = (select(t.incident_id, t.at, t.to_status).where(t.incident_id.in_(ids))
             .order_by(t.incident_id, t.at, t.id))
    return [dict(row._mapping) for row in session.execute(query)]


def incident_events(session: Session, kinds: Iterable[str], incident_ids: Iterable[int], *,
                    since: datetime) -> list[dict[str, Any]]:
    """Public outbox events of these ``kinds`` at or after ``since`` about these incidents (the payload's
    Feature ``id``), oldest first, as ``{"seq", "at", "kind", "incident_id", "payload"}``."""
    wanted = set(incident_ids)
    if not wanted:
        return []
    query = (select(Event.seq, Event.at, Event.kind, Event.payload)
             .where(Event.kind.in_(list(kinds)), Event.public.is_(True), Event.at >= since).order_by(Event.seq))
    out = []
    for seq, at, kind, payload in session.execute(query):
        ident = payload.get("id") if isinstance(payload, dict) else None
        if isinstance(ident, int) and ident in wanted:
            out.append({"seq": seq, "at": at, "kind": kind, "incident_id": ident, "payload": payload})
    return out
