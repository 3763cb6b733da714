"""Dispatch plans over JSON: propose, accept, dispatch (in transit), deliver (confirmed at the site), cancel.

Each step is a POST answered once per ``client_id`` (``web/resend.answer_once``, scoped to the plan);
who may take it is the gate's permission here and the domain's table (``domain.dispatch.STEPS``) in the
service. A step the plan's status does not allow is 409 ``transition_refused``; a dispatch the depots
can no longer meet is 409 ``insufficient_stock`` naming the item, and writes nothing.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.domain.vocabulary import DISPATCH_PLAN_STATUSES
from relief.errors import ValidationFailed
from relief.services import dispatch
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import requires
from relief.web.resend import answer_once

bp = Blueprint("api_dispatch", __name__, url_prefix="/api")


def optional_body() -> dict:
    """A JSON object, or {} when the request has no body."""
    if not request.content_length:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object (or empty)", field="body")
    return body


@bp.post("/dispatch/plans")
@requires("dispatch.plan")
def propose_plan():
    body = optional_body()
    return answer_once("dispatch.propose", body, lambda ctx: dispatch.propose_plan(ctx, body))


@bp.get("/dispatch/plans")
@requires("staff.read")
def list_plans():
    """Plans newest first; ``status`` (comma-separated) narrows them, ``offset``/``limit`` page them."""
    return jsonify(dispatch.list_plans(
        request_context(), statuses=params.words("status", DISPATCH_PLAN_STATUSES),
        offset=params.integer("offset", 0), limit=params.integer("limit", 50, minimum=1, maximum=dispatch.MAX_PAGE)))


@bp.get("/dispatch/plans/<int:plan_id>")
@requires("staff.read")
def get_plan(plan_id: int):
    return jsonify(dispatch.get_plan(request_context(), plan_id))


@bp.post("/dispatch/plans/<int:plan_id>/accept")
@requires("dispatch.plan")
def accept_plan(plan_id: int):
    body = optional_body()
    return answer_once("dispatch.accept", body, lambda ctx: dispatch.accept_plan(ctx, plan_id, body), scope=plan_id,
                       status=200)


@bp.post("/dispatch/plans/<int:plan_id>/dispatch")
@requires("stock.move")
def dispatch_plan(plan_id: int):
    body = optional_body()
    return answer_once("dispatch.dispatch", body, lambda ctx: dispatch.dispatch_plan(ctx, plan_id, body),
                       scope=plan_id, status=200)


@bp.post("/dispatch/plans/<int:plan_id>/deliver")
@requires("site.manage")
def deliver_plan(plan_id: int):
    body = optional_body()
    return answer_once("dispatch.deliver", body, lambda ctx: dispatch.deliver_plan(ctx, plan_id, body),
                       scope=plan_id, status=200)


@bp.post("/dispatch/plans/<int:plan_id>/cancel")
@requires("dispatch.plan")
def cancel_plan(plan_id: int):
    body = optional_body()
    return answer_once("dispatch.cancel", body, lambda ctx: dispatch.cancel_plan(ctx, plan_id, body),
                       scope=plan_id, status=200)
