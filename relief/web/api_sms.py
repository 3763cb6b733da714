"""SMS subscriptions and the gateway's delivery receipts.

- ``GET /api/sms/subscriptions``: the caller's SMS subscriptions (an admin: all), numbers masked.
- ``POST /api/sms/subscriptions``: ``{phone, areas?, topics?, kinds?, hazards?, min_level?, mode?}``, resend-safe by
  ``client_id``; a bad field is a 400 naming it.
- ``DELETE /api/sms/subscriptions/<id>``: stop one.
- ``POST /api/sms/receipts``: the gateway's callback, ``{message_id, status, error?}`` or
  ``{"receipts": [...]}``; no login, the shared ``RELIEF_SMS_RECEIPT_TOKEN`` in the ``X-Receipt-Token``
  header or the ``token`` query parameter. Repeating a receipt changes nothing.

Sending is ``relief sms`` (``relief.sms_worker``).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.services import sms
from relief.web import params
from relief.web.api_stock import optional_body
from relief.web.context import request_context
from relief.web.gate import public, requires
from relief.web.resend import answer_once

bp = Blueprint("api_sms", __name__, url_prefix="/api/sms")


@bp.get("/subscriptions")
@requires("subscriptions.manage")
def list_subscriptions():
    return jsonify(sms.list_subscriptions(request_context()))


@bp.post("/subscriptions")
@requires("subscriptions.manage")
def create_subscription():
    body = params.json_body()
    return answer_once("sms_subscription.create", body, lambda ctx: sms.create_subscription(ctx, body))


@bp.delete("/subscriptions/<int:subscription_id>")
@requires("subscriptions.manage")
def delete_subscription(subscription_id: int):
    body = optional_body()
    return answer_once("sms_subscription.delete", body, lambda ctx: sms.delete_subscription(ctx, subscription_id),
                       scope=subscription_id, status=200)


@bp.post("/receipts")
@public
def receipts():
    ctx = request_context()
    sms.check_receipt_token(ctx, request.headers.get("X-Receipt-Token") or request.args.get("token"))
    return jsonify(sms.record_receipts(ctx, params.json_body()))
