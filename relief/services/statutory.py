"""Statutory reports (初报/续报/核报), the figures they add up to, and the response level.

The response level is derived data: every change to its inputs (a report, a
transition, a new thresholds table) recomputes it in the same transaction,
so no map or list ever shows a stale level. A change of level is an event.
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from relief.domain.audience import Audience
from relief.domain.indicators import INDICATORS
from relief.domain.reports import NO_REPORTS_STATUSES, aggregate, check_report_kind, overdue_by_county
from relief.domain.reports import overdue as overdue_items
from relief.domain.response import response_level, validate_table
from relief.domain.standards import Standards
from relief.domain.vocabulary import REPORT_KINDS, AreaLevel, IncidentStatus, Topic
from relief.errors import Conflict, NotFound, ValidationFailed
from relief.jsonable import moment
from relief.services import incident_input as parse
from relief.services import standards as standards_service
from relief.services.context import Context, Unit
from relief.services.incident_json import event_payload, records, statutory_answer, statutory_summary
from relief.services.resend import Submission
from relief.store import areas as area_store
from relief.store import incidents as store
from relief.store import live_map_queries

if TYPE_CHECKING:
    from relief.store.tables import Incident, StatutoryReport

#: Incidents whose figures count towards nothing and which get no level.
NO_LEVEL_STATUSES = NO_REPORTS_STATUSES
#: ``incidents.response_level`` holds this many characters.
LEVEL_NAME_LENGTH = 4


# --- figures -----------------------------------------------------------------

def figures_view(reports: pd.DataFrame, names: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """Figures that count (latest report per township) by township and county, and their total."""
    names = names or {}
    agg = aggregate(reports)
    by_township = records(agg.counted.rename(columns={"id": "report_id"}),
                          ["township_code", "county_code", "report_id", "kind", "figures_to", *INDICATORS])
    by_county = records(agg.by_county, ["county_code", "townships", *INDICATORS])
    for row in by_county:
        row["county_name"] = names.get(row["county_code"] or "", {}).get("zh")
    for row in by_township:
        row["township_name"] = names.get(row["township_code"] or "", {}).get("zh")
    return {"total": agg.total, "by_county": by_county, "by_township": by_township}


def _totals_by_incident(session, incident_ids: list[int]) -> dict[int, dict[str, Any]]:
    frame = store.reports_frame(session, incident_ids)
    if frame.empty:
        return {}
    by_incident = aggregate(frame).by_incident
    return {int(row["incident_id"]): row for row in by_incident.to_dict("records")}


def _level_for(incident: Incident, totals: Mapping[str, Any] | None, standards: Standards) -> tuple[str | None, list]:
    if incident.status in NO_LEVEL_STATUSES or not totals:
        return None, []
    table = standards.response_levels
    decided = response_level(totals, table)
    reasons = [{**reason, "table": table.get("name"), "standards_version": standards.version}
               for reason in decided.reasons]
    return decided.level, reasons


def apply_level(unit: Unit, incident: Incident, totals: Mapping[str, Any] | None, standards: Standards) -> bool:
    """Store the incident's level and reasons; emit ``incident.level_changed`` when the level moved."""
    level, reasons = _level_for(incident, totals, standards)
    before = incident.response_level
    incident.response_reason = reasons or None
    if level == before:
        return False
    incident.response_level = level
    incident.updated_at = unit.now
    unit.emit("incident.level_changed", Topic.INCIDENTS,
              event_payload(incident, {"response_level": {"from": before, "to": level}, "reasons": reasons}),
              area_code=incident.county_code, audience=Audience.PUBLIC)
    return True


def refresh_level(unit: Unit, incident: Incident, standards: Standards) -> bool:
    """Recompute one incident's level from its reports (after a report or a transition)."""
    totals = _totals_by_incident(unit.session, [incident.id]).get(incident.id)
    return apply_level(unit, incident, totals, standards)


# --- adding a report ------------------------------------------------------------

def record(unit: Unit, incident: Incident, new: parse.NewStatutoryReport) -> tuple[StatutoryReport, bool]:
    """Insert one statutory report (idempotent on its client id), checking the series rule.

    Without a ``township_code`` the incident's own township (from its position) is used.
    """
    session = unit.session
    if new.client_id:
        existing = store.statutory_report_by_client_id(session, new.client_id)
        if existing is not None:
            return existing, False
    township = new.township_code or incident.township_code
    if not township:
        raise ValidationFailed("township_code is required: statutory figures are reported per township",
                               field="township_code")
    if incident.status in NO_REPORTS_STATUSES:
        raise Conflict(f"incident {incident.id} is {incident.status}; its figures belong to "
                       f"{'the original incident' if incident.status == IncidentStatus.DUPLICATE else 'no incident'}",
                       field="incident")
    county = _county_of(session, township, incident)
    check_report_kind(store.report_kinds(session, incident.id, township), new.kind)
    return store.insert_statutory_report(
        session, client_id=new.client_id, incident_id=incident.id, township_code=township, county_code=county,
        kind=new.kind, figures_to=new.figures_to, submitted_at=unit.now, submitted_by=unit.actor.id, note=new.note,
        indicators=new.indicators)


def _county_of(session, township: str, incident: Incident) -> str:
    """The county of a township the incident's figures may be reported for, else a 400 naming ``township_code``.

    Figures add up by township and county into the response level, so a
    code that names no township, or a township the incident does not reach,
    would be counted where nothing happened. An incident reaches the
    townships of its own county and, when it is an area crossing a county
    line, the townships of other counties whose outline it overlaps.
    """
    county = area_store.parent_code(session, township)
    if county is None:
        raise ValidationFailed(f"unknown township {township!r}", field="township_code")
    if incident.county_code and county != incident.county_code and not _zone_overlaps(session, township, incident):
        raise ValidationFailed(f"{township} is a township of county {county}; incident {incident.id} lies in county "
                               f"{incident.county_code} and does not reach it", field="township_code")
    return county


def _zone_overlaps(session, township: str, incident: Incident) -> bool:
    """Whether the incident's area overlaps the township's outline (a point incident overlaps none but its own)."""
    zone = incident.geom
    if zone is None or zone.geom_type not in ("Polygon", "MultiPolygon"):
        return False
    townships = live_map_queries.area_shapes(session, AreaLevel.TOWNSHIP)
    outline = next((row[-1] for row in townships if row[0] == township), None)
    return outline is not None and not outline.is_empty and outline.intersection(zone).area > 0


def announce(unit: Unit, incident: Incident, report: StatutoryReport) -> None:
    """Audit and events for a newly filed report (the level follows in ``refresh_level``)."""
    unit.audit("report.statutory", "incident", incident.id, detail={"report_id": report.id, "kind": report.kind,
                                                                     "township_code": report.township_code})
    unit.emit("report.added", Topic.REPORTS, event_payload(incident, {"report": statutory_summary(report)}),
              area_code=incident.county_code, audience=Audience.PUBLIC)


def add_report(ctx: Context, incident_id: int, body: Mapping[str, Any]) -> Submission:
    """File a 初报/续报/核报 for one township of an incident; resending its client id returns the original."""
    new = parse.new_statutory_report(body, now=ctx.now(), ident=parse.client_id(body))
    if new.kind not in REPORT_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(REPORT_KINDS)}", field="kind")
    with ctx.transaction() as unit:
        incident = store.incident(unit.session, incident_id, for_update=True)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        row, created = record(unit, incident, new)
        if row.incident_id != incident.id:
            raise Conflict(f"client_id {new.client_id} was already used for incident {row.incident_id}",
                           field="client_id")
        if created:
            announce(unit, incident, row)
            refresh_level(unit, incident, ctx.standards)
        body_out = statutory_answer(row, incident, created=created)
    return Submission(created, body_out)


# --- reading -----------------------------------------------------------------------

def summary(ctx: Context) -> dict[str, Any]:
    """Prefecture, county and incident figures over every incident still counted."""
    with ctx.reading() as session:
        counted = [i.id for i in store.all_incidents(session) if i.status not in NO_REPORTS_STATUSES]
        frame = store.reports_frame(session, counted)
        codes = [*frame["county_code"].dropna().unique(), *frame["township_code"].dropna().unique()]
        names = area_store.names(session, codes)
    view = figures_view(frame, names)
    view["by_incident"] = records(aggregate(frame).by_incident, ["incident_id", "townships", *INDICATORS])
    return view


def overdue(ctx: Context, as_of: datetime | None = None) -> dict[str, Any]:
    """Missing reports at ``as_of`` (default now), one per incident, township and report kind, and by county.

    Reports are owed per township (``domain.reports.overdue`` says which
    townships an incident affects); each item names its ``township_code``
    and ``township_name`` (null for an incident outside every known township
    with no report yet) and the county of that township.
    """
    as_of = as_of or ctx.now()
    with ctx.reading() as session:
        incidents, reports = store.deadline_frames(session, exclude_statuses=NO_REPORTS_STATUSES)
        items = overdue_items(incidents, reports, as_of=as_of, rules=ctx.standards.report_deadlines)
        codes = {code for item in items for code in (item["county_code"], item["township_code"]) if code}
        names = area_store.names(session, sorted(codes))
    about = {int(r["id"]): r for r in incidents[["id", "title", "kind"]].to_dict("records")}
    listed = [{
        "incident_id": item["incident_id"], "incident_title": about[item["incident_id"]]["title"],
        "incident_kind": about[item["incident_id"]]["kind"], "county_code": item["county_code"],
        "township_code": item["township_code"], "township_name": names.get(item["township_code"] or "", {}).get("zh"),
        "report_kind": item["kind"], "due_at": item["due_at"].isoformat(), "overdue_seconds": item["overdue_seconds"],
    } for item in items]
    counties = [{"county_code": code, "county_name": names.get(code or "", {}).get("zh"), **counts}
                for code, counts in overdue_by_county(items).items()]
    counties.sort(key=lambda c: (-c["count"], str(c["county_code"])))
    return {"as_of": moment(as_of), "items": listed, "by_county": counties}


# --- a local thresholds table ----------------------------------------------------------

def set_response_table(ctx: Context, table: Any, *, reason: str | None = None,
                       version: str | None = None) -> dict[str, Any]:
    """Publish a standards version with an administrator's response table, then relevel every incident."""
    clean = validate_table(table)
    for i, entry in enumerate(clean["levels"]):
        if len(entry["level"]) > LEVEL_NAME_LENGTH:
            raise ValidationFailed(f"level names are at most {LEVEL_NAME_LENGTH} characters (e.g. I, II, IIIa)",
                                   field=f"levels[{i}].level")
    clean.setdefault("name", "local")
    document = copy.deepcopy(dict(ctx.standards.document))
    document["response_levels"] = clean
    base = str(document["version"]).split("+", 1)[0]
    document["version"] = version or f"{base}+local.{ctx.now():%Y%m%dT%H%M%S%f}"
    published = standards_service.publish(ctx, document, reason=reason or "local response table")
    changed = recompute_levels(ctx)
    return {"version": published, "response_levels": clean, "level_changes": changed}


def recompute_levels(ctx: Context) -> list[dict[str, Any]]:
    """Relevel every incident that can have a level, in one transaction; returns the changes."""
    standards = ctx.standards
    changes = []
    with ctx.transaction() as unit:
        incidents = [i for i in store.all_incidents(unit.session)
                     if i.status not in NO_LEVEL_STATUSES or i.response_level]
        totals = _totals_by_incident(unit.session, [i.id for i in incidents])
        for incident in incidents:
            before = incident.response_level
            if apply_level(unit, incident, totals.get(incident.id), standards):
                changes.append({"incident_id": incident.id, "from": before, "to": incident.response_level})
        if changes:
            unit.audit("incident.relevel", "standards", standards.version, detail={"changes": changes})
    return changes
