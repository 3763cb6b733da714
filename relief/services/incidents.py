"""Reporting incidents, adding field reports, and moving incidents through their lifecycle.

A report from a phone may arrive twice (a retry after a timeout, a queue
flushed from two tabs): its client-made id makes the second arrival return
the first one's record. Photos are checked and written before the
transaction opens, so the write lock is held only for the rows.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from relief.domain import incidents as domain
from relief.domain.audience import Audience
from relief.domain.vocabulary import DISCARDED_STATUSES, TERMINAL_STATUSES, IncidentStatus, Topic
from relief.errors import Conflict, NotFound, ValidationFailed
from relief.services import incident_input as parse
from relief.services import photos as photo_service
from relief.services import statutory
from relief.services.context import Context, Unit
from relief.services.incident_json import creation_view, event_payload, field_answer, field_summary, transition_answer
from relief.services.resend import Submission
from relief.store import areas as area_store
from relief.store import incidents as store

if TYPE_CHECKING:
    from relief.store.tables import FieldReport, Incident

MAX_REASON = 2000


# --- a new incident ---------------------------------------------------------------

def _duplicates(session, new: parse.NewIncident, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    distance, hours = float(settings["distance_m"]), float(settings["window_hours"])
    nearby = store.open_incidents_near(session, new.kind, new.geom, new.occurred_at, distance_m=distance,
                                       window_hours=hours, closed_statuses=TERMINAL_STATUSES)
    return domain.duplicate_candidates(new.kind, new.geom, new.occurred_at, nearby, distance, hours)


def _creation_view(session, incident: Incident, created: bool, *, staff: bool,
                   first: tuple | None = None) -> dict[str, Any]:
    """The answer to POST /api/incidents, the same for the first submission and any resend.

    ``first`` is ``(field report, photos, initial report)`` when they were just made; a resend reads them.
    """
    if first is None:
        report = store.field_report_by_client_id(session, incident.client_id)
        initial = store.statutory_report_by_client_id(session, incident.client_id)
        photos = store.photos(session, field_report_id=report.id) if report else []
    else:
        report, photos, initial = first
    return creation_view(incident, created, report, photos, initial, staff=staff)


def _seen_incident(ctx: Context, client_id: str) -> Submission | None:
    """A cheap read before any photo work: a resend is answered without re-processing its photos."""
    with ctx.reading() as session:
        incident = store.incident_by_client_id(session, client_id)
        if incident is None:
            return None
        return Submission(False, _creation_view(session, incident, False, staff=ctx.may("staff.read")))


def create_incident(ctx: Context, body: Mapping[str, Any], uploads: Iterable[photo_service.Upload] = ()) -> Submission:
    """Report a new incident with its first field report (and optionally its initial statutory report)."""
    now = ctx.now()
    new = parse.new_incident(body, now=now, max_vertices=parse.vertex_limit(ctx.standards))
    initial = None
    if body.get("indicators") not in (None, "", {}):
        initial = parse.new_statutory_report(body, now=now, kind_default="initial", ident=new.client_id)
    uploads = list(uploads)
    if uploads:  # a resend is answered before its photos are processed again
        seen = _seen_incident(ctx, new.client_id)
        if seen:
            return seen
    stored = photo_service.store_files(ctx, uploads)
    with ctx.transaction() as unit:
        session = unit.session
        codes = area_store.codes_at(session, new.geom)
        incident, created = store.insert_incident(
            session, client_id=new.client_id, kind=new.kind, title=new.title, description=new.description,
            status=domain.INITIAL_STATUS, county_code=codes.get("county"), township_code=codes.get("township"),
            evacuate=new.evacuate, occurred_at=new.occurred_at, reported_at=unit.now, updated_at=unit.now,
            reported_by=unit.actor.id, geom=new.geom,
            possible_duplicates=_duplicates(session, new, ctx.standards.duplicates) or None)
        first = _first_reports(ctx, unit, incident, new, initial, stored) if created else None
        return Submission(created, _creation_view(session, incident, created, staff=ctx.may("staff.read"), first=first))


def _first_reports(ctx: Context, unit: Unit, incident: Incident, new: parse.NewIncident,
                   initial: parse.NewStatutoryReport | None, stored: list[photo_service.StoredPhoto]) -> tuple:
    """The new incident's field report (and initial statutory report), audit and events."""
    report, photos = _add_field_report(unit, incident,
                                       parse.NewFieldReport(new.client_id, new.description, new.position,
                                                            new.occurred_at), stored)
    unit.audit("incident.create", "incident", incident.id,
               detail={"kind": incident.kind, "client_id": incident.client_id, "field_report_id": report.id,
                       "photos": len(stored), "possible_duplicates": incident.possible_duplicates})
    unit.emit("incident.created", Topic.INCIDENTS,
              event_payload(incident, {"created": True, "possible_duplicates": incident.possible_duplicates or []}),
              area_code=incident.county_code, audience=Audience.PUBLIC)
    filed = None
    if initial is not None:
        filed, _ = statutory.record(unit, incident, initial)
        statutory.announce(unit, incident, filed)
        statutory.refresh_level(unit, incident, ctx.standards)
    return report, photos, filed


def _add_field_report(unit: Unit, incident: Incident, new: parse.NewFieldReport,
                      stored: list[photo_service.StoredPhoto]) -> tuple[FieldReport, list]:
    """Insert a field report, or find the one its client id already made (refused if that is on another incident)."""
    point = new.position
    report, created = store.insert_field_report(
        unit.session, client_id=new.client_id, incident_id=incident.id, description=new.description,
        observed_at=new.observed_at or unit.now, received_at=unit.now, reporter_id=unit.actor.id, geom=point)
    if not created and report.incident_id != incident.id:
        raise Conflict(f"client_id {new.client_id} was already used for a report on incident {report.incident_id}",
                       field="client_id")
    photos = []
    if created:
        photos = photo_service.add_rows(unit.session, stored, incident_id=incident.id, field_report_id=report.id,
                                        fallback=(point.y, point.x) if point is not None else None, at=unit.now)
    return report, photos


# --- a field report on an existing incident ---------------------------------------

def add_field_report(ctx: Context, incident_id: int, body: Mapping[str, Any],
                     uploads: Iterable[photo_service.Upload] = ()) -> Submission:
    """What a team sees on an existing incident; resending its client id returns the original."""
    new = parse.new_field_report(body, now=ctx.now())
    with ctx.reading() as session:
        seen = store.field_report_by_client_id(session, new.client_id)
        if seen is not None:
            return _field_answer(ctx, session, incident_id, seen, created=False)
    stored = photo_service.store_files(ctx, uploads)
    with ctx.transaction() as unit:
        incident = store.incident(unit.session, incident_id, for_update=True)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        report = store.field_report_by_client_id(unit.session, new.client_id)
        if report is None:
            if incident.status in TERMINAL_STATUSES:
                raise Conflict(f"incident {incident_id} is {incident.status}; report a new incident instead",
                               field="incident")
            report, _ = _add_field_report(unit, incident, new, stored)
            incident.updated_at = unit.now
            unit.audit("field_report.add", "incident", incident.id, detail={"field_report_id": report.id,
                                                                             "photos": len(stored)})
            summary = field_summary(report, len(stored))
            unit.emit("report.added", Topic.REPORTS, event_payload(incident, {"report": summary}),
                      area_code=incident.county_code, audience=Audience.PUBLIC)
            unit.emit("incident.updated", Topic.INCIDENTS, event_payload(incident, {"field_reports": 1}),
                      area_code=incident.county_code, audience=Audience.PUBLIC)
            return _field_answer(ctx, unit.session, incident_id, report, created=True)
        return _field_answer(ctx, unit.session, incident_id, report, created=False)


def _field_answer(ctx: Context, session, incident_id: int, report: FieldReport, *, created: bool) -> Submission:
    if report.incident_id != incident_id:
        raise Conflict(f"client_id {report.client_id} was already used for a report on incident {report.incident_id}",
                       field="client_id")
    photos = store.photos(session, field_report_id=report.id)
    return Submission(created, field_answer(report, photos, incident_id, created=created, staff=ctx.may("staff.read")))


# --- lifecycle ------------------------------------------------------------------------

def _original(session, incident: Incident, duplicate_of: Any) -> Incident:
    try:
        original_id = int(duplicate_of)
    except (TypeError, ValueError):
        raise ValidationFailed("duplicate_of must be an incident id", field="duplicate_of") from None
    original = store.incident(session, original_id)
    if original is None:
        raise ValidationFailed(f"no incident {original_id} to be the original", field="duplicate_of")
    if original.status in DISCARDED_STATUSES:
        hint = f"; mark it a duplicate of {original.duplicate_of_id}" if original.duplicate_of_id else ""
        raise ValidationFailed(f"incident {original_id} is {original.status} and cannot be an original{hint}",
                               field="duplicate_of")
    return original


def transition(ctx: Context, incident_id: int, action: Any, reason: Any, duplicate_of: Any = None) -> dict[str, Any]:
    """Apply one lifecycle action; who, when and why go to the history and the audit trail."""
    with ctx.transaction() as unit:
        session = unit.session
        incident = store.incident(session, incident_id, for_update=True)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        if duplicate_of in ("",):
            duplicate_of = None
        target = domain.transition(incident.status, action, ctx.actor.role, duplicate_of=duplicate_of,
                                   incident_id=incident.id)
        why = parse.text({"reason": reason}, "reason", limit=MAX_REASON, required=True)
        original = _original(session, incident, duplicate_of) if action in domain.NEEDS_ORIGINAL else None
        before = incident.status
        changes: dict[str, Any] = {"status": target, "updated_at": unit.now}
        if original is not None:
            changes["duplicate_of_id"] = original.id
        if target == IncidentStatus.STABILISED:
            changes["stabilised_at"] = unit.now
        if target == IncidentStatus.CLOSED:
            changes["closed_at"] = unit.now
        store.update_incident(session, incident, changes)
        row = store.add_transition(session, incident, action=action, from_status=before, to_status=target,
                                   actor_id=unit.actor.id, at=unit.now, reason=why)
        unit.audit("incident.transition", "incident", incident.id, reason=why,
                   detail={"action": action, "from": before, "to": target, "duplicate_of": incident.duplicate_of_id})
        changed = {"status": {"from": before, "to": target}, "action": action, "reason": why}
        if original is not None:
            changed["duplicate_of"] = original.id
        unit.emit("incident.transitioned", Topic.INCIDENTS, event_payload(incident, changed),
                  area_code=incident.county_code, audience=Audience.PUBLIC)
        statutory.refresh_level(unit, incident, ctx.standards)
        return transition_answer(incident, row, domain.allowed_actions(target, ctx.actor.role))
