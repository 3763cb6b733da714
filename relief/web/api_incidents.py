"""Incident API: report, add reports, transition, read, CAP, export, overdue list, photos.

Report bodies come as JSON (photos as base64 in ``photos``) or as
``multipart/form-data`` with a ``report`` part holding the same JSON and one
file part ``photos`` per photo. ``POST /api/incidents/<id>/reports`` takes
``"type": "field"`` (description, lat/lon, photos) or ``"type": "statutory"``
(kind initial|continued|verified, township_code, figures_to, indicators).
Every report carries a client-made ``client_id``: 201 the first time, 200
with the same record on any resend.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file

from relief.domain.vocabulary import INCIDENT_KINDS, INCIDENT_STATUSES
from relief.errors import ValidationFailed
from relief.services import fields, incident_lookup, incidents, photos, statutory
from relief.services.resend import Submission
from relief.web import json as strict_json
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import check, public, requires
from relief.web.resend import answer_once

bp = Blueprint("api_incidents", __name__, url_prefix="/api")

REPORT_TYPES = ("field", "statutory")


def _body_and_photos() -> tuple[dict[str, Any], list[photos.Upload]]:
    """The report as a dict, and its photos, from JSON or multipart."""
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("report")
        if raw:
            try:
                body = current_app.json.loads(raw)  # strict, as a JSON body is (relief.web.json)
            except ValueError as error:
                raise ValidationFailed(f"the report part must be strict JSON: {error}", field="report") from None
            if not isinstance(body, dict):
                raise ValidationFailed("the report part must be a JSON object", field="report")
        else:
            body = request.form.to_dict()
        files = request.files.getlist("photos")
        return body, [photos.Upload(f"photos[{i}]", f.filename, f.read()) for i, f in enumerate(files)]
    body = params.json_body()
    return body, photos.decode_base64(body.pop("photos", None))


def _answer(submission: Submission):
    return jsonify(submission.body), 201 if submission.created else 200


@bp.post("/incidents")
@requires("incident.report")
def create_incident():
    body, uploads = _body_and_photos()
    return _answer(incidents.create_incident(request_context(), body, uploads))


@bp.post("/incidents/<int:incident_id>/reports")
@requires("incident.report")
def add_report(incident_id: int):
    """A statutory report (chosen by the body's ``type``) needs ``report.statutory`` as well."""
    body, uploads = _body_and_photos()
    kind = body.get("type")
    if kind not in REPORT_TYPES:
        raise ValidationFailed(f"type must be one of {', '.join(REPORT_TYPES)}", field="type")
    if kind == "statutory":
        check("report.statutory")
        if uploads:
            raise ValidationFailed("photos belong to field reports", field="photos")
        return answer_once("incident.statutory_report", body,
                           lambda ctx: statutory.add_report(ctx, incident_id, body).body, scope=incident_id)
    return _answer(incidents.add_field_report(request_context(), incident_id, body, uploads))


@bp.post("/incidents/<int:incident_id>/transitions")
@requires("incident.transition")
def transition(incident_id: int):
    body = params.json_body()
    action = fields.text(body, "action", required=True, limit=40)
    duplicate_of = fields.record_id(body, "duplicate_of", required=False)
    return answer_once("incident.transition", body, lambda ctx: incidents.transition(
        ctx, incident_id, action, body.get("reason"), duplicate_of), scope=incident_id)


@bp.get("/incidents/<int:incident_id>")
@public
def incident(incident_id: int):
    return jsonify(incident_lookup.detail(request_context(), incident_id))


@bp.get("/incidents/<int:incident_id>/cap")
@public
def cap(incident_id: int):
    xml = incident_lookup.cap_xml(request_context(), incident_id)
    return Response(xml, mimetype="application/cap+xml",
                    headers={"Content-Disposition": f'inline; filename="incident-{incident_id}.cap.xml"'})


@bp.get("/incidents.geojson")
@public
def export():
    collection = incident_lookup.export_geojson(
        request_context(), bbox=params.bbox(), kinds=params.words("kind", INCIDENT_KINDS),
        statuses=params.words("status", INCIDENT_STATUSES), since=params.query_time("since"),
        until=params.query_time("until"))
    return Response(strict_json.text(collection, compact=False), mimetype="application/geo+json",
                    headers={"Content-Disposition": 'attachment; filename="incidents.geojson"'})


@bp.get("/reports/overdue")
@public
def overdue():
    return jsonify(statutory.overdue(request_context(), params.query_time("as_of")))


@bp.get("/reports/summary")
@public
def summary():
    return jsonify(statutory.summary(request_context()))


@bp.put("/response-table")
@requires("standards.edit")
def response_table():
    body = params.json_body()
    table = body["response_levels"] if "response_levels" in body else \
        {k: v for k, v in body.items() if k not in ("reason", "version")}
    return jsonify(statutory.set_response_table(request_context(), table, reason=fields.text(body, "reason"),
                                                version=fields.text(body, "version", limit=40))), 201


@bp.get("/photos/<int:photo_id>/<variant>")
@public
def photo(photo_id: int, variant: str):
    """The public and thumbnail variants for anyone; the original (with its GPS) the service gives staff only."""
    path, mimetype = photos.photo_file(request_context(), photo_id, variant)
    response = send_file(path, mimetype=mimetype, max_age=86400 if variant != "original" else 0)
    if variant == "original":
        response.headers["Cache-Control"] = "private, no-store"
    return response
