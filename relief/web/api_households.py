"""Households over JSON: search, one household with its guarantees and aid, audited edits.

Names, ID numbers and phones are personal data: every route here is for staff (``staff.read``),
and an anonymous caller gets 401. ``PATCH`` needs ``household.manage`` and is resend-safe
(``client_id`` or ``Idempotency-Key``).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.services import households
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import requires
from relief.web.resend import answer_once

bp = Blueprint("api_households", __name__, url_prefix="/api")

#: Rows per page of a search unless ``limit`` says otherwise, and the most a page may hold.
PAGE = 50
MAX_PAGE = 500


@bp.get("/households")
@requires("staff.read", hint="household names are personal data")
def search():
    return jsonify(households.search(
        request_context(), q=request.args.get("q"), village=request.args.get("village"),
        offset=params.integer("offset", 0), limit=params.integer("limit", PAGE, minimum=1, maximum=MAX_PAGE)))


@bp.get("/households/<household_id>")
@requires("staff.read", hint="household details are personal data")
def household(household_id: str):
    return jsonify(households.household_detail(request_context(), household_id))


@bp.patch("/households/<household_id>")
@requires("household.manage")
def edit(household_id: str):
    body = params.json_body()
    return answer_once("household.edit", body, lambda ctx: households.edit_household(ctx, household_id, body),
                       scope=household_id, status=200)
