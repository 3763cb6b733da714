"""Incidents, their field and statutory reports, CAP and GeoJSON feeds, photos (``relief/web/api_incidents.py``,
``relief/web/incident_pages.py``, ``relief/web/report_pages.py``)."""
from __future__ import annotations

from relief.domain import limits
from relief.domain.vocabulary import INCIDENT_KINDS, INCIDENT_STATUSES, REPORT_KINDS
from relief.web.openapi.parts import (
    BBOX,
    FEATURE_COLLECTION,
    LAYER,
    PAGING,
    array,
    body,
    code,
    download,
    enum,
    html,
    json,
    keys,
    moment,
    number,
    obj,
    once,
    op,
    query,
    ref,
    text,
    time_filters,
    words,
)

TAG = "incidents"

FILTERS = [BBOX, query("kind", words(INCIDENT_KINDS)), query("status", words(INCIDENT_STATUSES)),
           *time_filters("since", "until")]

PHOTO_PARTS = {"multipart/form-data": {"schema": obj({
    "report": {"type": "string", "description": "the same JSON object as the JSON body"},
    "photos": {"type": "array", "items": {"type": "string", "format": "binary"}}})}}

FIELD_REPORT = obj({
    "kind": enum(INCIDENT_KINDS), "title": text(200), "description": text(), "lat": number(limits.LATITUDE),
    "lon": number(limits.LONGITUDE), "occurred_at": moment(), "reported_at": moment(),
    "photos": array({"type": "string", "contentEncoding": "base64"}, description="JPEG/PNG photos, base64"),
}, description="A field report (incident fields: kind, lat/lon, description, occurred_at …).")

REPORT = obj({
    "type": enum(("field", "statutory")),
    "kind": enum(REPORT_KINDS), "township_code": code(24), "figures_to": moment(),
    "indicators": obj(description="the statutory indicators by name (numbers)"),
    "description": text(), "lat": number(limits.LATITUDE), "lon": number(limits.LONGITUDE),
    "photos": array({"type": "string", "contentEncoding": "base64"}),
}, required=["type"])

SCHEMAS = {
    "Incident": obj({"id": {"type": "integer"}, "kind": enum(INCIDENT_KINDS), "status": enum(INCIDENT_STATUSES)},
                    description="An incident with its reports, as the API shows it."),
}

OPERATIONS = {
    "api_incidents.create_incident": op(
        "Report an incident (a field report, JSON or multipart with photos)", tag=TAG,
        request=body(FIELD_REPORT, extra_types=PHOTO_PARTS), responses=once(ref("Incident"), "the new incident"),
        errors=[415]),
    "api_incidents.add_report": op(
        "Add a field report, or a statutory report (initial/continued/verified) to an incident", tag=TAG,
        description="``type: statutory`` also needs the report.statutory permission.",
        request=body(REPORT, extra_types=PHOTO_PARTS), responses=once(obj(), "the report"), errors=[415]),
    "api_incidents.transition": op(
        "Move an incident through its lifecycle (verify, respond, stabilise, close, reject, duplicate …)", tag=TAG,
        request=body(obj({"action": text(40), "reason": text(), "duplicate_of": {"type": "integer", "minimum": 1}},
                         required=["action"])),
        responses=once(obj(), "the incident after the step")),
    "api_incidents.incident": op("One incident with its reports", tag=TAG,
                                  responses=json(keys("id", "incident", "field_reports", "statutory_reports",
                                                      "transitions", "allowed_actions", "response_level"))),
    "api_incidents.cap": op("One incident as a CAP 1.2 alert", tag=TAG,
                            responses=download("application/cap+xml", "the CAP alert")),
    "api_incidents.export": op("Incidents as a GeoJSON file", tag=TAG, params=FILTERS,
                               responses=json(FEATURE_COLLECTION, "the incidents", media="application/geo+json")),
    "api_incidents.overdue": op("Statutory reports overdue (or due) as of a moment", tag=TAG,
                                params=time_filters("as_of"), responses=json(keys("as_of", "items", "by_county"))),
    "api_incidents.summary": op("Statutory reporting per incident: latest report, response level", tag=TAG,
                                responses=json(keys("total", "by_incident", "by_county", "by_township"))),
    "api_incidents.response_table": op(
        "Replace the response-level table (thresholds per level)", tag=TAG,
        request=body(obj({"response_levels": obj(), "reason": text(), "version": text(40)}), once=False),
        responses=json(obj(), "the table now in force", status=201), errors=[409]),
    "api_incidents.photo": op(
        "A report photo: public (GPS stripped) or thumb for anyone, the original for staff", tag=TAG,
        params=[], responses={"200": {"description": "the photo", "content": {
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/png": {"schema": {"type": "string", "format": "binary"}}}}},
        errors=[401, 403]),
    "api_layers.incidents": op("Incidents as GeoJSON, filtered and paged", tag=TAG, params=[*FILTERS, PAGING],
                               responses=json(LAYER)),
    "incident_pages.incident_page": op("The incident page", tag="pages", responses=html()),
    "report_pages.report_form": op("The field report form (works offline)", tag="pages", responses=html()),
    "report_pages.report_service_worker": op("The report form's service worker", tag="pages",
                                             responses=download("text/javascript", "the script")),
    "report_pages.overdue_page": op("Statutory reports overdue", tag="pages", params=time_filters("as_of"),
                                    responses=html()),
}
