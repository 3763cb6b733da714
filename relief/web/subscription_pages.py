"""GET /subscriptions: one's subscriptions and webhook endpoints; GET /subscriptions/endpoints/<id>: an endpoint's
delivery log, its dead letters and their replay.

The pages are shells; ``static/js/subscriptions.js`` and ``static/js/subscriptions_endpoint.js`` read and write
through the JSON API (``web/api_subscriptions.py``: ``GET/POST /api/subscriptions``,
``DELETE /api/subscriptions/<id>``, ``GET/POST /api/webhooks/endpoints``,
``GET /api/webhooks/endpoints/<id>/deliveries``, ``POST /api/webhooks/deliveries/<id>/replay``), each write with
a ``client_id`` kept until it is answered. Everyone may subscribe with an endpoint of their own; an admin also
sees every endpoint and may subscribe a role or an outside system. An endpoint's signing secret is shown once,
in the answer to its creation. Every word is translated here and handed to the scripts.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.domain.roles import ROLES
from relief.domain.vocabulary import INCIDENT_KINDS
from relief.errors import NotFound
from relief.services import subscription_pages
from relief.web.context import request_context
from relief.web.gate import browsers_log_in_first, requires
from relief.web.pages import map_strings, role_label

bp = Blueprint("subscription_pages", __name__)
browsers_log_in_first(bp)

URLS = {"subscriptions": "/api/subscriptions", "endpoints": "/api/webhooks/endpoints",
        "deliveries": "/api/webhooks/deliveries", "endpoint_page": "/subscriptions/endpoints"}


def topic_labels() -> dict[str, str]:
    return {"incidents": _("Incidents"), "reports": _("Reports"), "sites": _("Sites"), "stock": _("Stock"),
            "guarantees": _("Five guarantees"), "dispatch": _("Dispatch"), "areas": _("Areas"),
            "households": _("Households"), "reconstruction": _("Reconstruction"), "assistance": _("Assistance"),
            "webhooks": _("Webhook notices")}


def mode_labels() -> dict[str, str]:
    return {"immediate": _("at once"), "hourly": _("hourly digest"), "daily": _("daily digest")}


def status_labels() -> dict[str, str]:
    return {"pending": _("waiting"), "delivered": _("delivered"), "dead": _("given up (dead letter)")}


def shared_strings() -> dict[str, str]:
    return {
        "loading": _("Loading…"), "failed": _("Could not load"), "yes": _("yes"), "no": _("no"),
        "created": _("Created"), "any": _("any"), "none_yet": _("None yet."),
        "enabled": _("Enabled"), "disabled": _("disabled: %(reason)s", reason="{reason}"),
        "failures": _("Failures in a row"), "url": _("Address (URL)"), "description": _("Description"),
        "deliveries": _("Deliveries"), "status": _("Status"), "attempts": _("Attempts"),
        "last_error": _("Last error"), "next_attempt": _("Next attempt"), "delivered_at": _("Delivered"),
        "events": _("Events"), "replay": _("Send again"), "replayed": _("Delivery %(id)s is queued again.", id="{id}"),
        "confirm_replay": _("Send this dead letter again, under its own webhook id?"), "more": _("More"),
        "response": _("Response"), "log": _("Attempts log"), "all": _("All"), "dead_only": _("Dead letters"),
    }


def page_strings() -> dict[str, str]:
    return shared_strings() | {
        "endpoint": _("Endpoint"), "topics": _("Topics"), "areas": _("Areas"), "kinds": _("Event kinds"),
        "hazards": _("Hazards"),
        "min_level": _("Lowest response level"), "mode": _("Delivery"), "owner": _("For"),
        "me": _("me"), "system": _("an outside system (public events)"), "role_of": _("role: %(role)s", role="{role}"),
        "delete": _("Stop"), "confirm_delete": _("Stop this subscription? Nothing more is sent for it."),
        "deleted": _("Subscription stopped."), "subscribed": _("Subscribed: deliveries start with the next event."),
        "endpoint_created": _("Endpoint %(url)s added.", url="{url}"),
        "secret_once": _("Its signing secret, shown this once only: copy it now and keep it with the receiver."),
        "no_endpoints": _("Add an endpoint first: a subscription delivers to one of your endpoints."),
        "open_log": _("Delivery log"), "private": _("private host allowed"),
    }


def settings_for(ctx) -> dict:
    choices = subscription_pages.choices(ctx)
    zh = str(get_locale()) == "zh"
    return {
        "urls": URLS, "admin": choices["admin"], "levels": choices["levels"],
        "topics": [{"code": t, "label": topic_labels().get(t, t)} for t in choices["topics"]],
        "modes": [{"code": m, "label": mode_labels().get(m, m)} for m in choices["modes"]],
        "statuses": [{"code": s, "label": status_labels().get(s, s)} for s in choices["statuses"]],
        "counties": [{"code": c["code"], "label": c["name_zh"] if zh else (c["name_en"] or c["name_zh"])}
                     for c in choices["counties"]],
        "roles": [{"code": r, "label": role_label(r)} for r in ROLES],
        "hazards": [{"code": k, "label": map_strings().get(k, k)} for k in INCIDENT_KINDS],
    }


@bp.get("/subscriptions")
@requires("subscriptions.manage")
def subscriptions_page():
    ctx = request_context()
    settings = settings_for(ctx) | {"strings": page_strings()}
    return render_template("subscriptions/index.html", settings=settings)


@bp.get("/subscriptions/endpoints/<int:endpoint_id>")
@requires("subscriptions.manage")
def endpoint_page(endpoint_id: int):
    ctx = request_context()
    try:
        endpoint = subscription_pages.endpoint(ctx, endpoint_id)
    except NotFound:
        abort(404)
    settings = settings_for(ctx) | {"strings": shared_strings(), "endpoint": endpoint}
    return render_template("subscriptions/endpoint.html", settings=settings, endpoint=endpoint)
