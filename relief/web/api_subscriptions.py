"""Subscriptions and webhook endpoints: who is told of which events, where deliveries go, and their log.

Writes are resend-safe by ``client_id``; a bad field is a 400 naming it. An endpoint's signing secret is in
the answer to its creation only. Delivery itself is ``relief webhooks`` (``relief.webhooks_worker``).
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from relief.domain.vocabulary import DELIVERY_STATUSES
from relief.errors import ValidationFailed
from relief.services import webhooks
from relief.web import params
from relief.web.api_stock import optional_body
from relief.web.context import request_context
from relief.web.gate import requires
from relief.web.resend import answer_once

bp = Blueprint("api_subscriptions", __name__, url_prefix="/api")


@bp.get("/subscriptions")
@requires("subscriptions.manage")
def list_subscriptions():
    return jsonify(webhooks.list_subscriptions(request_context()))


@bp.post("/subscriptions")
@requires("subscriptions.manage")
def create_subscription():
    body = params.json_body()
    return answer_once("subscription.create", body, lambda ctx: webhooks.create_subscription(ctx, body))


@bp.delete("/subscriptions/<int:subscription_id>")
@requires("subscriptions.manage")
def delete_subscription(subscription_id: int):
    body = optional_body()
    return answer_once("subscription.delete", body, lambda ctx: webhooks.delete_subscription(ctx, subscription_id),
                       scope=subscription_id, status=200)


@bp.get("/webhooks/endpoints")
@requires("subscriptions.manage")
def list_endpoints():
    return jsonify(webhooks.list_endpoints(request_context()))


@bp.post("/webhooks/endpoints")
@requires("subscriptions.manage")
def create_endpoint():
    body = params.json_body()
    ctx = request_context()
    return answer_once("webhook.endpoint_create", body, lambda ctx: webhooks.create_endpoint(ctx, body),
                       keep=webhooks.secret_keeping(ctx))


@bp.get("/webhooks/endpoints/<int:endpoint_id>/deliveries")
@requires("subscriptions.manage")
def endpoint_deliveries(endpoint_id: int):
    status = params.words("status", DELIVERY_STATUSES)
    if status is not None and len(status) != 1:
        raise ValidationFailed("status names one status", field="status")
    return jsonify(webhooks.endpoint_deliveries(request_context(), endpoint_id,
                                                status=status[0] if status else None, **params.paging()))


@bp.post("/webhooks/deliveries/<int:delivery_id>/replay")
@requires("subscriptions.manage")
def replay_delivery(delivery_id: int):
    body = optional_body()
    return answer_once("webhook.replay", body, lambda ctx: webhooks.replay(ctx, delivery_id), scope=delivery_id,
                       status=200)

