"""Living assistance over JSON: programmes, cases and their steps, objections during the public notice.

- ``GET /api/programmes``: the programmes in force, with money approved and paid against each budget.
- ``GET /api/cases?stage=&programme=&township=``: cases (staff; paged by ``offset``, ``limit``).
- ``GET /api/cases/<id>``: one case with its history, objections and the actions the caller may take.
- ``POST /api/cases``: ``{"household_id", "programme", "period_start", "period_end"?, "amount"?, "id_number"?,
  "case_id"?, "account"?: {"bank", "account_no", "holder_name"}, "client_id"?}`` → 201.
- ``POST /api/cases/<id>/transitions``: ``{"action": review|publish|check|approve|reject|uphold|dismiss,
  "reason"?, "override_reason"?, "client_id"?}``. An approval that would duplicate aid in the household's chain
  is a 409 ``duplicate_aid`` naming the earlier aid, unless ``override_reason`` (≤ 500 characters) says why.
- ``POST /api/cases/<id>/objections``: ``{"text", "contact"?}``, **public** (no login), limited per client
  address (the app setting ``OBJECTION_LIMIT``, default 5 per hour); the answer shows the case masked.
- ``GET /api/assistance/dashboard``: cases by stage per township, money per programme, oldest waiting.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from relief.domain.vocabulary import CASE_STAGES
from relief.errors import ValidationFailed
from relief.services import assistance as service
from relief.web import params, security
from relief.web.context import request_context
from relief.web.gate import public, requires
from relief.web.resend import answer_once

bp = Blueprint("api_assistance", __name__, url_prefix="/api")

_CASE_ID = r"<string(maxlength=40):case_id>"
#: Objections one client address may send, unless ``OBJECTION_LIMIT`` says otherwise.
OBJECTION_LIMIT = "5 per hour"


def _code(name: str) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > 40 or not raw.replace("_", "").isalnum():
        raise ValidationFailed(f"{name} must be a code (letters, digits, _)", field=name)
    return raw


@bp.get("/programmes")
@public
def programmes():
    return jsonify(service.list_programmes(request_context()))


@bp.get("/cases")
@requires("assistance.read")
def cases():
    return jsonify(service.list_cases(request_context(), stages=params.words("stage", CASE_STAGES),
                                      programme=_code("programme"), township_code=_code("township"),
                                      **params.paging()))


@bp.get(f"/cases/{_CASE_ID}")
@requires("assistance.read")
def case(case_id: str):
    return jsonify(service.case_detail(request_context(), case_id))


@bp.post("/cases")
@requires("assistance.apply")
def create_case():
    body = params.json_body()
    return answer_once("assistance.apply", body, lambda ctx: service.create_case(ctx, body))


@bp.post(f"/cases/{_CASE_ID}/transitions")
@requires("assistance.read")
def transition(case_id: str):
    body = params.json_body()
    return answer_once("assistance.transition", body, lambda ctx: service.transition(ctx, case_id, body),
                       scope=case_id, status=200)


@bp.post(f"/cases/{_CASE_ID}/objections")
@public
def objection(case_id: str):
    security.spend("objection", current_app.config.get("OBJECTION_LIMIT") or OBJECTION_LIMIT)
    body = params.json_body()
    return answer_once("assistance.objection", body, lambda ctx: service.object_to(ctx, case_id, body),
                       scope=case_id)


@bp.get("/assistance/dashboard")
@requires("assistance.read")
def dashboard():
    return jsonify(service.dashboard(request_context()))
