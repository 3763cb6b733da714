"""Reading incidents: the full record for the command centre, CAP alerts, GeoJSON export.

Anyone may read an incident (the map is public); staff also see field report
texts, who reported and acted, and where each photo was taken.
"""
from __future__ import annotations

from typing import Any

from relief.domain import incidents as domain
from relief.domain.cap import cap_alert
from relief.domain.vocabulary import CONFIRMED_STATUSES
from relief.errors import Conflict, NotFound
from relief.services import geojson
from relief.services.context import Context
from relief.services.incident_json import candidate_view, detail_view, incident_feature
from relief.services.statutory import figures_view
from relief.store import areas as area_store
from relief.store import incidents as store
from relief.store import layer_queries

DEFAULT_CAP_SENDER = "relief-enshi"
PREFECTURE_NAME = "恩施土家族苗族自治州"
EXPORT_LIMIT = 1_000_000


def _candidates(session, listed: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for candidate in listed or []:
        other = store.incident(session, int(candidate["id"]))
        if other is not None:
            out.append(candidate_view(candidate, other))
    return out


def detail(ctx: Context, incident_id: int) -> dict[str, Any]:
    """Everything about one incident: figures by township and county, level and why, history, reports, photos."""
    staff = ctx.may("staff.read")
    with ctx.reading() as session:
        incident = store.incident(session, incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        frame = store.reports_frame(session, [incident.id])
        codes = [incident.county_code, incident.township_code, *frame["county_code"].dropna().unique(),
                 *frame["township_code"].dropna().unique()]
        names = area_store.names(session, [c for c in codes if c])
        townships = area_store.children(session, incident.county_code) if incident.county_code else []
        return detail_view(
            incident, names=names, figures=figures_view(frame, names),
            statutory_reports=store.statutory_reports(session, incident.id),
            transitions=store.transitions(session, incident.id),
            field_reports=store.field_reports(session, incident.id),
            photos=store.photos(session, incident_id=incident.id),
            candidates=_candidates(session, incident.possible_duplicates),
            allowed_actions=domain.allowed_actions(incident.status, ctx.actor.role) if ctx.actor.id else [],
            staff=staff, townships=townships,
            actions=domain.action_choices(incident.status, ctx.actor.role) if ctx.may("incident.transition") else [])


def cap_xml(ctx: Context, incident_id: int) -> str:
    """A CAP 1.2 alert for a verified (or later) incident; 409 before verification or after rejection."""
    with ctx.reading() as session:
        incident = store.incident(session, incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        names = area_store.names(session, [c for c in (incident.county_code, incident.township_code) if c])
        facts = {"id": incident.id, "kind": incident.kind, "status": incident.status, "title": incident.title,
                 "description": incident.description, "geometry": incident.geom, "occurred_at": incident.occurred_at,
                 "response_level": incident.response_level}
        places = [names[c]["zh"] for c in (incident.county_code, incident.township_code) if c and c in names]
        stamp = int(incident.updated_at.timestamp())
    if facts["status"] not in CONFIRMED_STATUSES:  # a CAP alert speaks for a confirmed incident only
        raise Conflict(f"incident {incident_id} is {facts['status']}; a CAP alert is issued only for a verified "
                       f"incident (verified, responding, stabilised or closed)", field="status",
                       detail={"status": facts["status"]})
    sender = str(ctx.settings.get("CAP_SENDER") or DEFAULT_CAP_SENDER)
    return cap_alert(facts, sender=sender, area_desc=" ".join(places) or PREFECTURE_NAME, sent=ctx.now(),
                     identifier=f"{sender}.incident.{incident_id}.{stamp}", standards=ctx.standards,
                     sender_name=str(ctx.settings.get("CAP_SENDER_NAME") or sender))


def export_geojson(ctx: Context, **filters: Any) -> dict[str, Any]:
    """Every matching incident as one FeatureCollection (the list endpoint's features, unpaged)."""
    with ctx.reading() as session:
        page = layer_queries.incidents(session, offset=0, limit=EXPORT_LIMIT, **filters)
        return geojson.collection(incident_feature(i) for i in page.rows)


def area_names(ctx: Context, codes) -> dict[str, dict[str, str]]:
    """``{code: {"zh", "en"}}`` for the area codes a page shows (lists name places, never code them)."""
    with ctx.reading() as session:
        return area_store.names(session, [c for c in codes if c])
