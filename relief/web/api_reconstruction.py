"""Reconstruction over JSON: houses, stage transitions, inspections, subsidy payments, summaries.

- ``GET /api/houses``: GeoJSON; filters ``stage`` (comma list), ``county``, ``township``, ``stalled``
  (true|false), ``bbox``; paged (``offset``, ``limit``).
- ``GET /api/houses/<id>``: the house with its history, inspections (photos), payments and tranches.
- ``POST /api/houses/<id>/transitions``: ``{"stage", "reason"?, "rebuild_mode"?, "client_id"?}``.
- ``POST /api/houses/<id>/inspections``: ``{"client_id", "milestone", "result": "pass"|"fail",
  "inspected_at"?, "note"?, "lat"?, "lon"?, "photos"?: [base64…]}`` as JSON, or multipart with an
  ``inspection`` part holding that JSON and one ``photos`` file part per photo. 201 the first time,
  200 with the same record on a resend.
- ``POST /api/houses/<id>/payments``: ``{"tranche", "amount"?, "paid_at"?, "override_reason"?, "client_id"?}``;
  409 unless the tranche's milestone passed (its inspection, for an inspected milestone); nothing is written.
  A tranche that would duplicate aid in the household's chain (reconstruction aid from a partner, or past the
  entitlement) is a 409 ``duplicate_aid`` naming the earlier aid, unless ``override_reason`` (≤ 500) says why.
- ``GET /api/reconstruction/summary?by=township|county``: counts, rates and subsidy sums per area
  (for any staff, a viewer included: no names).

Templates get ``reconstruction_map_settings()``: what the live map's reconstruction layer
(``static/js/reconstruction_layer.js``) needs from the server: its words and whether the viewer sees houses.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, send_file
from flask_babel import gettext as _

from relief.domain.vocabulary import HOUSE_STAGES
from relief.errors import ValidationFailed
from relief.services import photos
from relief.services import reconstruction as service
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import actor_may, requires
from relief.web.resend import answer_once

bp = Blueprint("api_reconstruction", __name__, url_prefix="/api")

#: House ids as the ledger writes them: letters, digits and ``_ . -``.
_HOUSE_ID = r"<string(maxlength=40):house_id>"
TRUE_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _flag(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in TRUE_WORDS:
        raise ValidationFailed(f"{name} must be true or false", field=name)
    return TRUE_WORDS[raw.lower()]


def _code(name: str) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > 24 or not raw.isalnum():
        raise ValidationFailed(f"{name} must be an area code", field=name)
    return raw


def _body_and_photos() -> tuple[dict[str, Any], list[photos.Upload]]:
    """The inspection as a dict, and its photos, from JSON or multipart."""
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("inspection")
        if raw:
            try:
                body = current_app.json.loads(raw)
            except ValueError as error:
                raise ValidationFailed(f"the inspection part must be strict JSON: {error}",
                                       field="inspection") from None
            if not isinstance(body, dict):
                raise ValidationFailed("the inspection part must be a JSON object", field="inspection")
        else:
            body = request.form.to_dict()
        files = request.files.getlist("photos")
        return body, [photos.Upload(f"photos[{i}]", f.filename, f.read()) for i, f in enumerate(files)]
    body = params.json_body()
    return body, photos.decode_base64(body.pop("photos", None))


@bp.get("/houses")
@requires("reconstruction.read")
def houses():
    paging = params.paging()
    return jsonify(service.list_houses(
        request_context(), stages=params.words("stage", HOUSE_STAGES), county_code=_code("county"),
        township_code=_code("township"), stalled=_flag("stalled"), bbox=params.bbox(), **paging))


@bp.get(f"/houses/{_HOUSE_ID}")
@requires("reconstruction.read")
def house(house_id: str):
    return jsonify(service.house_detail(request_context(), house_id))


@bp.post(f"/houses/{_HOUSE_ID}/transitions")
@requires("reconstruction.update")
def transition(house_id: str):
    body = params.json_body()
    return answer_once("house.transition", body, lambda ctx: service.transition(ctx, house_id, body),
                       scope=house_id)


@bp.post(f"/houses/{_HOUSE_ID}/inspections")
@requires("reconstruction.inspect")
def inspection(house_id: str):
    body, uploads = _body_and_photos()
    submission = service.add_inspection(request_context(), house_id, body, uploads)
    return jsonify(submission.body), 201 if submission.created else 200


@bp.post(f"/houses/{_HOUSE_ID}/payments")
@requires("reconstruction.pay")
def payment(house_id: str):
    body = params.json_body()
    return answer_once("house.payment", body, lambda ctx: service.pay(ctx, house_id, body), scope=house_id)


@bp.get("/reconstruction/summary")
@requires("staff.read")
def summary():
    by = request.args.get("by") or "township"
    return jsonify(service.summary(request_context(), by, params.query_time("as_of"), county_code=_code("county")))


@bp.get("/inspection-photos/<int:photo_id>/<variant>")
@requires("reconstruction.read")
def inspection_photo(photo_id: int, variant: str):
    path, mimetype = service.photo_file(request_context(), photo_id, variant)
    response = send_file(path, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_context_processor
def reconstruction_map_globals() -> dict:
    return {"reconstruction_map_settings": reconstruction_map_settings}


def reconstruction_map_settings() -> dict[str, Any]:
    """The map layer's settings: translated words (stages as the reconstruction pages name them) and who sees what.

    ``staff``: the township progress (any staff); ``seesHouses``: the house points (``reconstruction.read``).
    """
    from relief.web.reconstruction_pages import stage_labels  # the one wording of the stages

    return {
        "staff": actor_may("staff.read"), "seesHouses": actor_may("reconstruction.read"),
        "words": {
            "layer": _("Reconstruction"), "stages": stage_labels(),
            "hint": _("Zoomed out: share of enrolled houses completed per township; zoomed in: houses by stage"),
            "completed_rate": _("Completed"), "started_rate": _("Started"), "moved_in_rate": _("Moved in"),
            "houses": _("Houses"), "enrolled": _("Enrolled"), "stalled": _("Stalled"),
            "correction_required": _("Correction required"), "days_in_stage": _("Days in stage"),
            "stage": _("Stage"), "house": _("House"), "open_house": _("Open the house page"),
            "no_houses": _("no enrolled house"), "yes": _("yes"),
            "events": {"house.changed": _("house changed"), "house.stalled": _("house stalled")},
        },
    }
