"""The SMS API: gated, resend-safe, bad input named, numbers masked; receipts by shared token, idempotent."""
from __future__ import annotations

import uuid

import pytest

from relief.domain.audience import Audience
from relief.domain.vocabulary import Topic
from relief.services import sms
from relief.sms_gateways import FileGateway


def cid() -> str:
    return str(uuid.uuid4())


def test_subscription_lifecycle_masks_the_number_and_is_resend_safe(client, make_user):
    head = make_user("township_clerk")
    body = {"client_id": cid(), "phone": "13800138000", "areas": ["422801101"], "topics": ["incidents"],
            "kinds": ["incident.transitioned"], "hazards": ["landslide"], "min_level": "III", "mode": "immediate"}
    made = client.post("/api/sms/subscriptions", json=body, headers=head.headers)
    assert made.status_code == 201, made.get_json()
    sub = made.get_json()["subscription"]
    assert sub["phone"] == "138****8000" and sub["filter"]["areas"] == ["422801101"]
    assert sub["filter"]["hazards"] == ["landslide"]
    again = client.post("/api/sms/subscriptions", json=body, headers=head.headers)
    assert again.status_code == 200 and again.get_json()["subscription"]["id"] == sub["id"]
    listed = client.get("/api/sms/subscriptions", headers=head.headers)
    assert listed.status_code == 200 and "13800138000" not in listed.get_data(as_text=True)
    assert [(s["id"], s["filter"]["hazards"]) for s in listed.get_json()["subscriptions"]] == [
        (sub["id"], ["landslide"])]
    stop = {"client_id": cid()}
    gone = client.delete(f"/api/sms/subscriptions/{sub['id']}", json=stop, headers=head.headers)
    assert gone.status_code == 200 and gone.get_json()["subscription"]["active"] is False
    resent = client.delete(f"/api/sms/subscriptions/{sub['id']}", json=stop, headers=head.headers)
    assert resent.status_code == 200  # the same answer, not a 404
    assert client.get("/api/sms/subscriptions", headers=head.headers).get_json()["subscriptions"] == []
    assert client.delete(f"/api/sms/subscriptions/{sub['id']}", headers=head.headers).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"phone": "12345678901"}, "phone"),
    ({}, "phone"),
    ({"phone": 13800138000}, "phone"),
    ({"phone": "13800138000", "mode": "weekly"}, "mode"),
    ({"phone": "13800138000", "topics": ["weather"]}, "topics"),
    ({"phone": "13800138000", "min_level": "V"}, "min_level"),
    ({"phone": "13800138000", "areas": "422801"}, "areas"),
    ({"phone": "13800138000", "hazards": ["tornado"]}, "hazards"),
    ({"phone": "13800138000", "hazards": ["flood"] * 20}, "hazards"),
])
def test_bad_input_names_the_field_and_writes_nothing(client, make_user, body, field):
    viewer = make_user("viewer")
    answer = client.post("/api/sms/subscriptions", json={"client_id": cid(), **body}, headers=viewer.headers)
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field, answer.get_json()
    assert client.get("/api/sms/subscriptions", headers=viewer.headers).get_json()["subscriptions"] == []


def test_anonymous_is_turned_away_and_a_permission_is_needed(client, make_user, monkeypatch):
    assert client.get("/api/sms/subscriptions").status_code == 401
    assert client.post("/api/sms/subscriptions", json={"client_id": cid(), "phone": "13800138000"}).status_code == 401
    from relief.domain import roles

    monkeypatch.setitem(roles.PERMISSIONS, "subscriptions.manage", frozenset({"admin"}))
    viewer = make_user("viewer")
    refused = client.post("/api/sms/subscriptions", json={"client_id": cid(), "phone": "13800138000"},
                          headers=viewer.headers)
    assert refused.status_code == 403
    assert client.get("/api/sms/subscriptions", headers=viewer.headers).status_code == 403


def test_receipts_need_the_shared_token_and_are_idempotent(app, client, ctx, make_user, tmp_path):
    user = make_user("commander")
    actor_ctx = ctx.as_actor(user.actor)
    sms.create_subscription(actor_ctx, {"phone": "13800138000"})
    with actor_ctx.transaction() as unit:
        unit.emit("incident.created", Topic.INCIDENTS, {"properties": {"id": 1, "kind": "flood"}},
                  area_code="422801", audience=Audience.PUBLIC)
    gateway = FileGateway(tmp_path / "sms.jsonl")
    assert sms.run_once(actor_ctx, "web-test", gateway=gateway)["sent"] == 1
    gateway_id = gateway.lines()[0]["gateway_id"]
    receipt = {"message_id": gateway_id, "status": "delivered"}

    assert client.post("/api/sms/receipts", json=receipt).status_code == 404  # no token configured: no receipts
    app.config["SMS_RECEIPT_TOKEN"] = "gw-token"
    assert client.post("/api/sms/receipts", json=receipt).status_code == 401
    assert client.post("/api/sms/receipts", json=receipt, headers={"X-Receipt-Token": "nope"}).status_code == 401
    first = client.post("/api/sms/receipts", json=receipt, headers={"X-Receipt-Token": "gw-token"})
    assert first.status_code == 200 and first.get_json() == {"recorded": [gateway_id], "unchanged": []}
    again = client.post("/api/sms/receipts?token=gw-token", json=receipt)
    assert again.status_code == 200 and again.get_json() == {"recorded": [], "unchanged": [gateway_id]}
    unknown = client.post("/api/sms/receipts?token=gw-token", json={"message_id": "x", "status": "delivered"})
    assert unknown.status_code == 404 and unknown.get_json()["error"]["field"] == "message_id"
    bad = client.post("/api/sms/receipts?token=gw-token", json={"message_id": gateway_id, "status": "read"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "status"
