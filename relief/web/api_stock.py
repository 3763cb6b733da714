"""Stock API: receipts, transfers, distributions, adjustments, balances, ledger, cover, donations.

A movement that would take a balance below zero is a 409
``insufficient_stock`` whose ``detail`` names the item, the holder, the
quantity requested and what is available.

``POST /api/stock/distributions``: ``{"household_id", "holder_kind", "holder_id", "item_code", "quantity",
"distributed_at"?, "override_reason"?, "client_id"?}``. A hand-out that would duplicate aid in the household's
chain (the same purpose from another holder, programme or agency while earlier aid still covers it) is a 409
``duplicate_aid`` whose ``detail`` names the earlier aid (``earlier_aid_ids``, ``sources``, ``findings`` with
the overlap) and whose message words it in the reader's language; nothing is written. The same request with an
``override_reason`` (text, at most 500 characters) goes through, audited and recorded as a justified top-up.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.errors import ValidationFailed
from relief.services import cover as cover_service
from relief.services import donations, stock
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import requires
from relief.web.resend import answer_once

bp = Blueprint("api_stock", __name__, url_prefix="/api")


def optional_body() -> dict:
    """A JSON object, or {} when the request has no body."""
    if not request.content_length:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("the request body must be a JSON object (or empty)", field="body")
    return body


@bp.post("/stock/receipts")
@requires("stock.move")
def receipt():
    body = params.json_body()
    return answer_once("stock.receipt", body, lambda ctx: stock.receive(ctx, body))


@bp.post("/stock/transfers")
@requires("stock.move")
def transfer():
    body = params.json_body()
    return answer_once("stock.transfer", body, lambda ctx: stock.transfer(ctx, body))


@bp.post("/stock/distributions")
@requires("stock.move")
def distribution():
    body = params.json_body()
    return answer_once("stock.distribution", body, lambda ctx: stock.distribute(ctx, body))


@bp.post("/stock/adjustments")
@requires("stock.move")
def adjustment():
    body = params.json_body()
    return answer_once("stock.adjustment", body, lambda ctx: stock.adjust(ctx, body))


@bp.get("/stock/balances")
@requires("staff.read")
def balances():
    return jsonify(stock.balances(request_context(), holder_kind=request.args.get("holder_kind"),
                                  holder_id=request.args.get("holder_id")))


@bp.get("/stock/ledger")
@requires("staff.read")
def ledger():
    before = params.integer("before_id", 0, minimum=1) if request.args.get("before_id") else None
    return jsonify(stock.ledger_lines(
        request_context(), holder_kind=request.args.get("holder_kind"), holder_id=request.args.get("holder_id"),
        item_code=request.args.get("item_code"), household_id=request.args.get("household_id"), before_id=before,
        limit=params.integer("limit", 200, minimum=1, maximum=stock.MAX_LEDGER_LINES)))


@bp.get("/cover")
@requires("staff.read")
def cover():
    """Days of cover per site; ``county_code`` and ``site_id`` narrow it (an unknown site is a 404)."""
    return jsonify(cover_service.sites_cover(request_context(), county_code=request.args.get("county_code") or None,
                                             site_id=request.args.get("site_id") or None))


@bp.post("/donations")
@requires("donation.record")
def record_donation():
    body = params.json_body()
    return answer_once("donation", body, lambda ctx: donations.record_donation(ctx, body))
