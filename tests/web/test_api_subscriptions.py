"""The subscriptions and webhook endpoints API: gated, resend-safe, bad input named, secret shown once."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from relief.store.tables import ResendRecord


def cid() -> str:
    return str(uuid.uuid4())


def test_endpoint_and_subscription_lifecycle(client, make_user):
    admin = make_user("admin")
    body = {"client_id": cid(), "url": "http://127.0.0.1:9/hook", "allow_private_host": True, "description": "ops"}
    made = client.post("/api/webhooks/endpoints", json=body, headers=admin.headers)
    assert made.status_code == 201, made.get_json()
    secret = made.get_json()["secret"]
    endpoint_id = made.get_json()["endpoint"]["id"]
    assert secret.startswith("whsec_")
    again = client.post("/api/webhooks/endpoints", json=body, headers=admin.headers)
    assert again.status_code == 200 and again.get_json()["endpoint"]["id"] == endpoint_id  # resend: same answer
    listed = client.get("/api/webhooks/endpoints", headers=admin.headers)
    assert listed.status_code == 200 and secret not in listed.get_data(as_text=True)
    assert [e["id"] for e in listed.get_json()["endpoints"]] == [endpoint_id]

    sub = {"client_id": cid(), "endpoint_id": endpoint_id, "areas": ["422801100"], "topics": ["incidents"],
           "kinds": ["incident.transitioned"], "hazards": ["landslide", "debris_flow"], "min_level": "III",
           "mode": "immediate"}
    created = client.post("/api/subscriptions", json=sub, headers=admin.headers)
    assert created.status_code == 201, created.get_json()
    sub_id = created.get_json()["subscription"]["id"]
    assert created.get_json()["subscription"]["filter"]["min_level"] == "III"
    assert created.get_json()["subscription"]["filter"]["hazards"] == ["debris_flow", "landslide"]
    assert [(s["id"], s["filter"]["hazards"]) for s in
            client.get("/api/subscriptions", headers=admin.headers).get_json()["subscriptions"]] \
        == [(sub_id, ["debris_flow", "landslide"])]
    gone = client.delete(f"/api/subscriptions/{sub_id}", headers=admin.headers)
    assert gone.status_code == 200 and gone.get_json()["subscription"]["active"] is False
    assert client.get("/api/subscriptions", headers=admin.headers).get_json()["subscriptions"] == []
    assert client.delete(f"/api/subscriptions/{sub_id}", headers=admin.headers).status_code == 404

    log = client.get(f"/api/webhooks/endpoints/{endpoint_id}/deliveries?status=dead", headers=admin.headers)
    assert log.status_code == 200 and log.get_json()["deliveries"] == []


def test_bad_input_names_the_field(client, make_user):
    viewer = make_user("viewer")
    cases = [
        ("/api/webhooks/endpoints", {"url": "ftp://example.org/x"}, 400, "url"),
        ("/api/webhooks/endpoints", {"url": "http://10.0.0.1/x"}, 400, "url"),
        ("/api/webhooks/endpoints", {"url": "http://10.0.0.1/x", "allow_private_host": True}, 403,
         "allow_private_host"),
        ("/api/webhooks/endpoints", {"url": "http://93.184.216.34/x", "allow_private_host": "yes"}, 400,
         "allow_private_host"),
        ("/api/subscriptions", {"endpoint_id": "one"}, 400, "endpoint_id"),
        ("/api/subscriptions", {"endpoint_id": 99999}, 404, "endpoint_id"),
        ("/api/subscriptions", {"endpoint_id": 1, "mode": "weekly"}, 400, "mode"),
        ("/api/subscriptions", {"endpoint_id": 1, "topics": ["weather"]}, 400, "topics"),
        ("/api/subscriptions", {"endpoint_id": 1, "min_level": "V"}, 400, "min_level"),
        ("/api/subscriptions", {"endpoint_id": 1, "hazards": ["tornado"]}, 400, "hazards"),
        ("/api/subscriptions", {"endpoint_id": 1, "hazards": ["flood"] * 20}, 400, "hazards"),
        ("/api/subscriptions", {"endpoint_id": 1, "for_role": "admin"}, 403, "for_role"),
    ]
    for path, body, status, field in cases:
        answer = client.post(path, json={"client_id": cid(), **body}, headers=viewer.headers)
        assert answer.status_code == status, (path, body, answer.get_json())
        assert answer.get_json()["error"]["field"] == field, (path, body)
    bad = client.get("/api/webhooks/endpoints/1/deliveries?status=lost", headers=viewer.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "status"


def test_the_gate_and_owners(client, make_user):
    assert client.get("/api/subscriptions").status_code == 401
    assert client.post("/api/webhooks/endpoints", json={"url": "http://93.184.216.34/x"}).status_code == 401
    owner, other = make_user("viewer"), make_user("field_reporter")
    made = client.post("/api/webhooks/endpoints", json={"client_id": cid(), "url": "http://93.184.216.34/x"},
                       headers=owner.headers).get_json()
    endpoint_id = made["endpoint"]["id"]
    assert client.get(f"/api/webhooks/endpoints/{endpoint_id}/deliveries", headers=other.headers).status_code == 404
    assert client.get("/api/webhooks/endpoints", headers=other.headers).get_json()["endpoints"] == []
    assert client.post("/api/webhooks/deliveries/12345/replay", json={"client_id": cid()},
                       headers=owner.headers).status_code == 404


def test_a_lost_creation_answer_is_sent_again_with_its_secret_which_is_kept_encrypted(client, make_user, ctx):
    admin = make_user("admin")
    body = {"client_id": cid(), "url": "http://127.0.0.1:9/hook", "allow_private_host": True}
    secret = client.post("/api/webhooks/endpoints", json=body, headers=admin.headers).get_json()["secret"]
    again = client.post("/api/webhooks/endpoints", json=body, headers=admin.headers)
    assert again.status_code == 200 and again.get_json()["secret"] == secret
    with ctx.reading() as session:
        kept = session.scalars(select(ResendRecord.answer).where(ResendRecord.client_id == body["client_id"])).one()
    assert "secret" not in kept and secret not in str(kept)
    assert kept["endpoint"] == again.get_json()["endpoint"]
