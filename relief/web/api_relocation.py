"""Relocation API: check-in/out, medical visits, assignment proposals, displacement, one site.

Write endpoints take JSON bodies and answer with the changed household and
the touched sites as map features; refusals are 4xx JSON naming the field
(``capacity_exceeded`` and closed sites are 409).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.errors import ValidationFailed
from relief.services import medical_visits, relocation, sites
from relief.web import params
from relief.web.api_stock import optional_body
from relief.web.context import request_context
from relief.web.gate import public, requires
from relief.web.resend import answer_once

bp = Blueprint("api_relocation", __name__, url_prefix="/api")


@bp.post("/households/<household_id>/checkin")
@requires("household.manage")
def check_in(household_id: str):
    body = params.json_body()
    return answer_once("household.checkin", body, lambda ctx: relocation.check_in(ctx, household_id, body),
                       scope=household_id, status=200)


@bp.post("/households/<household_id>/checkout")
@requires("household.manage")
def check_out(household_id: str):
    body = params.json_body()
    return answer_once("household.checkout", body, lambda ctx: relocation.check_out(ctx, household_id, body),
                       scope=household_id, status=200)


@bp.post("/households/<household_id>/medical-visits")
@requires("household.manage")
def medical_visit(household_id: str):
    body = params.json_body()
    return answer_once("household.medical_visit", body,
                       lambda ctx: medical_visits.record_visit(ctx, household_id, body), scope=household_id)


@bp.post("/assignments/proposals")
@requires("assignment.accept")
def propose_assignments():
    return jsonify(relocation.propose_assignments(request_context(), optional_body()))


@bp.post("/assignments/accept")
@requires("assignment.accept")
def accept_assignments():
    body = params.json_body()
    return answer_once("assignments.accept", body, lambda ctx: relocation.accept_assignments(ctx, body), status=200)


@bp.get("/displacement")
@requires("staff.read")
def displacement():
    raw = request.args.get("reach_km")
    try:
        reach_km = float(raw) if raw not in (None, "") else relocation.DEFAULT_REACH_KM
    except ValueError:
        raise ValidationFailed("reach_km must be a number of kilometres", field="reach_km") from None
    if not 0 <= reach_km <= 500:
        raise ValidationFailed("reach_km must be between 0 and 500", field="reach_km")
    return jsonify(relocation.expected_displacement(request_context(), reach_km=reach_km,
                                                    county_code=request.args.get("county_code") or None))


@bp.get("/sites/<site_id>")
@public
def site(site_id: str):
    return jsonify(sites.site_detail(request_context(), site_id))


@bp.post("/sites/<site_id>/status")
@requires("site.manage")
def site_status(site_id: str):
    body = params.json_body()
    return answer_once("site.status", body, lambda ctx: sites.set_site_status(ctx, site_id, body), scope=site_id,
                       status=200)
