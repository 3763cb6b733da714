"""Users and tokens, standards, the audit trail, subscriptions and webhooks, the sitrep
(``relief/web/api_admin.py``, ``relief/web/api_subscriptions.py``, ``relief/web/admin_pages.py``,
``relief/web/sitrep_pages.py``)."""
from __future__ import annotations

from relief.domain.roles import ROLES
from relief.domain.vocabulary import INCIDENT_KINDS, TOPICS
from relief.web.openapi.parts import (
    PAGING,
    array,
    body,
    download,
    enum,
    html,
    integer,
    json,
    keys,
    moment,
    obj,
    once,
    op,
    query,
    text,
)

TAG = "admin"
USER = obj({"id": {"type": "integer"}, "name": {"type": "string"}, "role": enum(ROLES)})
NO_FIELDS = body(obj(), required=False)
#: The incident kinds a subscription is limited to (none: any).
HAZARDS = array(enum(INCIDENT_KINDS), maxItems=len(INCIDENT_KINDS),
                description="incident kinds (hazards) the subscription is limited to; empty or absent: any")
#: A subscription as answered: its filter always lists its hazards.
SUBSCRIPTION = obj({"subscription": obj({"filter": obj({"hazards": array(enum(INCIDENT_KINDS))},
                                                       required=["hazards"])}, required=["filter"])},
                   required=["subscription"])

OPERATIONS = {
    "api_admin.create_user": op(
        "Create a user; the answer holds its API token (shown once)", tag=TAG,
        request=body(obj({"name": text(80), "role": enum(ROLES), "password": text(200), "display_name": text(200),
                          "county_code": text(24)}, required=["name", "role"]), once=False),
        responses=json(obj({**USER["properties"], "token": {"type": "string"}}, required=["id", "name", "role",
                                                                                          "token"]),
                       "the user and its token", status=201),
        errors=[409]),
    "api_admin.list_users": op("Every user", tag=TAG, responses=json(obj({"users": array(obj())},
                                                                          required=["users"]))),
    "api_admin.deactivate_user": op("Deactivate a user (their sessions and tokens stop working)", tag=TAG,
                                    request=NO_FIELDS, responses=once(obj({"user": obj()}), status=200)),
    "api_admin.activate_user": op("Activate a user again", tag=TAG, request=NO_FIELDS,
                                  responses=once(obj({"user": obj()}), status=200)),
    "api_admin.change_role": op("Change a user's role", tag=TAG,
                                request=body(obj({"role": enum(ROLES)}, required=["role"])),
                                responses=once(obj({"user": obj()}), status=200)),
    "api_admin.user_tokens": op("A user's API tokens (never their secrets)", tag=TAG,
                                responses=json(obj({"tokens": array(obj())}, required=["tokens"]))),
    "api_admin.revoke_token": op("Revoke an API token", tag=TAG, request=NO_FIELDS,
                                 responses=once(obj({"token": obj()}), status=200)),
    "api_admin.get_standards": op("The standards document in force and its versions", tag="standards",
                                  responses=json(obj({"active": obj(), "versions": array(obj())},
                                                     required=["active", "versions"]))),
    "api_admin.put_standards": op("Publish a new standards document", tag="standards",
                                  request=body(obj({"document": obj(), "reason": text()}, required=["document"]),
                                               once=False),
                                  responses=json(obj({"version": {}}), "the new version", status=201),
                                  errors=[409]),
    "api_admin.audit_trail": op("The audit trail, newest first", tag=TAG,
                                params=[query("entity", text(80)), query("entity_id", text(80)),
                                        query("limit", integer(1, 5000, default=200))],
                                responses=json(obj({"entries": array(obj())}, required=["entries"]))),
    "admin_pages.users_page": op("The user administration page", tag="pages", responses=html()),
    "api_subscriptions.list_subscriptions": op("The caller's subscriptions (all, for an admin)",
                                               tag="subscriptions", responses=json(keys("subscriptions"))),
    "api_subscriptions.create_subscription": op(
        "Subscribe to events of some topics", tag="subscriptions",
        request=body(obj({"topics": array(enum(TOPICS)), "hazards": HAZARDS})),
        responses=once(SUBSCRIPTION, "the subscription")),
    "api_subscriptions.delete_subscription": op("End a subscription", tag="subscriptions", request=NO_FIELDS,
                                                responses=once(obj(), status=200)),
    "api_subscriptions.list_endpoints": op("Webhook endpoints", tag="subscriptions", responses=json(keys("endpoints"))),
    "api_subscriptions.create_endpoint": op(
        "Register a webhook endpoint (its signing secret is in this answer only)", tag="subscriptions",
        request=body(obj({"url": text(2000)}, required=["url"])), responses=once(obj(), "the endpoint")),
    "api_subscriptions.endpoint_deliveries": op(
        "An endpoint's deliveries", tag="subscriptions",
        params=[query("status", {"type": "string", "maxLength": 40}), PAGING], responses=json(obj())),
    "api_subscriptions.replay_delivery": op("Send a delivery again", tag="subscriptions", request=NO_FIELDS,
                                            responses=once(obj(), status=200)),
    "subscription_pages.subscriptions_page": op("The caller's subscriptions and webhook endpoints", tag="pages",
                                                responses=html()),
    "subscription_pages.endpoint_page": op("One webhook endpoint with its deliveries", tag="pages",
                                           responses=html()),
    "sitrep_pages.sitrep_json_answer": op(
        "The situation report as of a moment, as JSON or EDXL-SitRep XML (format=edxl)", tag="sitrep",
        params=[query("format", enum(("json", "edxl"))), query("as_of", moment())],
        responses={"200": {"description": "the report", "content": {"application/json": {"schema": keys(
            "as_of", "figures", "guarantees", "sites", "stock", "standards_version")},
                                                                    "application/xml": {"schema": {
                                                                        "type": "string"}}}}}),
    "sitrep_pages.issue": op("Issue (number and keep) the situation report", tag="sitrep",
                             request=body(obj({"as_of": moment()})), responses=once(obj(), "the issued report")),
    "sitrep_pages.sitrep_page": op("The situation report page", tag="pages", params=[query("as_of", moment())],
                                   responses=html()),
    "sitrep_pages.sitrep_pdf": op("An issued situation report as PDF", tag="sitrep",
                                  responses=download("application/pdf", "the PDF", binary=True)),
    "sitrep_pages.sitrep_style": op("The situation report's stylesheet", tag="pages",
                                    responses=download("text/css", "the stylesheet")),
}
