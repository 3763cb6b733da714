"""A township head subscribed to landslides in their township gets one webhook and one SMS within seconds of a
verification, a digest the next morning, and nothing for other townships or other hazards.

The head owns everything through the services: a webhook endpoint (a real local receiver that checks every
signature with ``standardwebhooks``) with an immediate and a daily subscription, and an SMS subscription (the
file gateway is the phone), all filtered to verified landslides in Shadi township: a flood verified there the
same day reaches nobody. The delivery rounds are the
workers' own rounds, on a test clock.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from relief.config import time_zone
from relief.domain.vocabulary import DeliveryStatus, SmsStatus
from relief.services import incidents, sms, webhooks
from relief.sms_gateways import FileGateway
from relief.sms_worker import SmsWorker
from relief.store import sms as sms_store
from relief.webhooks_worker import DeliveryWorker
from tests import township_world
from tests.webhook_receiver import Receiver

START = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)   # 16:00 in Beijing
SHADI, BAIYANGPING = township_world.SHADI, township_world.BAIYANGPING
PHONE = "13800138000"
HOOK_HOST = "hooks.shadi.example"
#: The head's receiver host as the SSRF rule sees it (a public address); the sender reaches it on loopback.
RESOLVE = {HOOK_HOST: ["93.184.216.34"]}.get
#: "Within seconds": from the verification's commit to the webhook and the SMS, on the test clock.
SECONDS = timedelta(seconds=5)
#: The filter of all three subscriptions: verified (transitioned) landslides in Shadi.
FILTER = {"areas": [SHADI], "topics": ["incidents"], "kinds": ["incident.transitioned"], "hazards": ["landslide"]}


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def as_role(ctx, make_user, clock, tmp_path):
    def build(role: str):
        user = make_user(role)
        return replace(ctx, clock=clock, settings={**ctx.settings, "PHOTO_DIR": str(tmp_path / "photos")}) \
            .as_actor(user.actor)
    return build


@pytest.fixture
def townships(store):
    township_world.add(store)


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def landslide(lon: float, kind: str = "landslide") -> dict:
    return {"client_id": str(uuid.uuid4()), "kind": kind, "description": "road blocked", "lat": 30.3,
            "lon": lon, "occurred_at": (START - timedelta(hours=1)).isoformat()}


def loopback_sender(receiver: Receiver) -> webhooks.Sender:
    """Posts as the worker does (``requests``), the head's host reached on the receiver's loopback port."""
    post = webhooks.requests_sender()

    def send(url, body, headers, timeout):
        return post(url.replace(f"http://{HOOK_HOST}", f"http://127.0.0.1:{receiver.port}"), body, headers, timeout)
    return send


def test_a_township_head_is_told_once_at_once_and_again_next_morning_of_their_township_only(
        ctx, as_role, townships, receiver, clock, tmp_path):
    head = as_role("township_clerk")
    made = webhooks.create_endpoint(head, {"url": f"http://{HOOK_HOST}/hook"}, resolve=RESOLVE)
    receiver.secret = made["secret"]
    endpoint_id = made["endpoint"]["id"]
    now_sub = webhooks.create_subscription(head, {"endpoint_id": endpoint_id, **FILTER})["subscription"]
    digest_sub = webhooks.create_subscription(head, {"endpoint_id": endpoint_id, "mode": "daily",
                                                     **FILTER})["subscription"]
    sms.create_subscription(head, {"phone": "138 0013 8000", **FILTER})
    assert now_sub["owner_id"] == digest_sub["owner_id"] == head.actor.id
    assert now_sub["filter"]["hazards"] == digest_sub["filter"]["hazards"] == ["landslide"]

    gateway = FileGateway(tmp_path / "sms.jsonl")
    worker_ctx = replace(ctx, clock=clock)
    hooks = DeliveryWorker(contexts=lambda: worker_ctx, send=loopback_sender(receiver), resolve=RESOLVE, parallel=1)
    texts = SmsWorker(contexts=lambda: worker_ctx, gateway=gateway)

    def rounds(n: int = 3) -> None:
        for _ in range(n):
            hooks.round()
            texts.round()

    reporter, verifier = as_role("field_reporter"), as_role("verifier")
    here = incidents.create_incident(reporter, landslide(109.45)).body["id"]
    there = incidents.create_incident(reporter, landslide(109.55)).body["id"]
    flood = incidents.create_incident(reporter, landslide(109.42, "flood")).body["id"]
    clock.at = START + timedelta(minutes=10)
    incidents.transition(verifier, there, "verify", "seen by the Baiyangping team")
    clock.at = START + timedelta(minutes=15)
    incidents.transition(verifier, flood, "verify", "the Shadi river over its banks")
    verified_at = clock.at = START + timedelta(minutes=20)
    incidents.transition(verifier, here, "verify", "seen by the Shadi team")

    clock.at = verified_at + timedelta(seconds=1)   # the workers' next round, a second later
    rounds()
    assert receiver.bad_signatures == 0
    assert len(receiver.order) == 1, [receiver.accepted[w] for w in receiver.order]
    told = receiver.accepted[receiver.order[0]]     # checked by ``Webhook(secret).verify`` in the receiver
    assert told["type"] == "incident.transitioned"
    props = told["data"]["payload"]["properties"]
    assert props["id"] == here and props["township_code"] == SHADI and props["kind"] == "landslide"
    assert props["status"] == "verified"
    assert datetime.fromisoformat(told["timestamp"]) == verified_at
    log = webhooks.endpoint_deliveries(head, endpoint_id, status=None, offset=0, limit=10)["deliveries"]
    assert sorted((d["subscription_id"], d["status"]) for d in log) == sorted(
        [(now_sub["id"], DeliveryStatus.DELIVERED), (digest_sub["id"], DeliveryStatus.PENDING)])  # the digest waits
    delivered = next(d for d in log if d["subscription_id"] == now_sub["id"])
    assert datetime.fromisoformat(delivered["delivered_at"]) - verified_at <= SECONDS

    lines = gateway.lines()
    assert len(lines) == 1, lines
    assert lines[0]["phone"] == PHONE
    assert "沙地乡" in lines[0]["text"] and "山体滑坡" in lines[0]["text"] and "已核实" in lines[0]["text"]
    assert "白杨坪镇" not in lines[0]["text"]
    with worker_ctx.reading() as session:
        sent = [(m.status, m.sent_at) for m in sms_store.messages(session)]
    assert len(sent) == 1 and sent[0][0] == SmsStatus.SENT
    sent_at = sent[0][1] if sent[0][1].tzinfo else sent[0][1].replace(tzinfo=timezone.utc)
    assert sent_at - verified_at <= SECONDS

    # The rest of the day and the night: nothing more.
    zone = time_zone(ctx.settings.get("TIMEZONE"))
    local = verified_at.astimezone(zone)
    clock.at = local.replace(hour=23, minute=59).astimezone(timezone.utc)
    rounds()
    assert len(receiver.order) == 1 and len(gateway.lines()) == 1

    # The next local morning: nothing before the digest hour, then one digest naming the verification,
    # nothing of the other township.
    hour = webhooks.figures(ctx).daily_digest_hour
    clock.at = (local + timedelta(days=1)).replace(hour=hour - 1, minute=59).astimezone(timezone.utc)
    rounds()
    assert len(receiver.order) == 1 and len(gateway.lines()) == 1
    clock.at = (local + timedelta(days=1)).replace(hour=hour, minute=0).astimezone(timezone.utc)
    rounds()
    assert receiver.bad_signatures == 0
    assert len(receiver.order) == 2, [receiver.accepted[w] for w in receiver.order]
    digest = receiver.accepted[receiver.order[1]]
    assert digest["type"] == "digest.daily"
    events = digest["data"]["events"]
    assert [(e["kind"], e["payload"]["properties"]["id"]) for e in events] == [("incident.transitioned", here)]
    assert events[0]["payload"]["properties"]["status"] == "verified"
    assert all(e["payload"]["properties"]["township_code"] == SHADI and e["area_code"] != BAIYANGPING
               for e in events)
    assert BAIYANGPING not in str(digest) and there not in [e["payload"]["properties"]["id"] for e in events]
    assert flood not in [e["payload"]["properties"]["id"] for e in events] and "flood" not in str(digest)
    log = webhooks.endpoint_deliveries(head, endpoint_id, status=None, offset=0, limit=10)["deliveries"]
    assert sorted((d["subscription_id"], d["status"]) for d in log) == sorted(
        [(now_sub["id"], DeliveryStatus.DELIVERED), (digest_sub["id"], DeliveryStatus.DELIVERED)])
    assert len(gateway.lines()) == 1          # the SMS subscription is immediate: no second text
    assert len(set(receiver.requests)) == len(receiver.requests) == 2   # each webhook posted once
