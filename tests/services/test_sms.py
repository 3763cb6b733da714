"""SMS from the outbox: fan-out with its own cursor, quotas folded into an overflow, receipts, killed senders.

The schedule runs on an injected clock; the file gateway is the receiving phone.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from relief.domain.audience import Audience
from relief.domain.vocabulary import SmsKind, SmsStatus, Topic
from relief.errors import NotAuthenticated, NotFound, ValidationFailed
from relief.services import incidents, sms
from relief.sms_gateways import FileGateway, GatewayError
from relief.store import sms as store
from tests import township_world

START = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)   # 16:00 in Beijing
PHONE = "13800138000"


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def gateway(tmp_path):
    return FileGateway(tmp_path / "sms.jsonl")


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


def emit(ctx, n: int, *, first_incident: int = 1, township="422801101", public=True, kind="incident.created",
         topic=Topic.INCIDENTS):
    with ctx.transaction() as unit:
        for i in range(n):
            unit.emit(kind, topic,
                      {"type": "Feature", "properties": {"id": first_incident + i, "kind": "landslide",
                                                         "county_code": "422801", "township_code": township,
                                                         "response_level": "III", "status": "reported",
                                                         "title": "张三家后山滑坡" if not public else "后山滑坡"}},
                      area_code="422801", audience=Audience.PUBLIC if public else Audience.STAFF)


def report(lon: float) -> dict:
    return {"client_id": str(uuid.uuid4()), "kind": "landslide", "description": "road blocked", "lat": 30.3,
            "lon": lon, "occurred_at": (START - timedelta(hours=1)).isoformat()}


def messages(ctx) -> list[SimpleNamespace]:
    with ctx.reading() as session:
        return [SimpleNamespace(**{c.key: getattr(m, c.key) for c in m.__table__.columns})
                for m in store.messages(session)]


def drain(ctx, gateway, clock, *, rounds=50):
    for _ in range(rounds):
        done = sms.run_once(ctx, "test-sender", gateway=gateway)
        if done["claimed"] == 0 and done["fanned_out"]["events"] == 0:
            return


def test_a_township_head_gets_one_sms_when_a_landslide_there_is_verified(as_role, townships, gateway, clock):
    head = as_role("township_clerk")
    sms.create_subscription(head, {"phone": "138 0013 8000", "areas": ["422801101"], "topics": ["incidents"],
                                   "kinds": ["incident.transitioned"]})
    verifier = as_role("verifier")
    here = incidents.create_incident(as_role("field_reporter"), report(109.45)).body["id"]
    there = incidents.create_incident(as_role("field_reporter"), report(109.55)).body["id"]
    incidents.transition(verifier, there, "verify", "seen by the Baiyangping team")
    drain(head, gateway, clock)
    assert gateway.lines() == []  # the other township's landslide: nothing
    incidents.transition(verifier, here, "verify", "seen by the Shadi team")
    drain(head, gateway, clock)
    clock.at += timedelta(hours=2)
    drain(head, gateway, clock)
    lines = gateway.lines()
    assert len(lines) == 1, lines
    assert lines[0]["phone"] == PHONE
    text = lines[0]["text"]
    assert "沙地乡" in text and "山体滑坡" in text and "已核实" in text and len(text) <= 70
    assert [m.status for m in messages(head)] == [SmsStatus.SENT]


def test_a_daily_digest_text_gathers_a_local_day_and_goes_at_the_morning_hour(as_role, gateway, clock):
    ctx = as_role("commander")
    ctx = replace(ctx, settings={**ctx.settings, "TIMEZONE": "Asia/Shanghai"})
    sms.create_subscription(ctx, {"phone": PHONE, "topics": ["incidents"], "mode": "daily"})
    beijing = timezone(timedelta(hours=8))
    # 07:30 and 17:00 on 2 December in Beijing (the first still 1 December in UTC); 00:30 on the 3rd
    for n, moment in enumerate([datetime(2026, 12, 2, 7, 30, tzinfo=beijing), datetime(2026, 12, 2, 17, tzinfo=beijing),
                                datetime(2026, 12, 3, 0, 30, tzinfo=beijing)]):
        clock.at = moment
        emit(ctx, 1, first_incident=20 + n)
        drain(ctx, gateway, clock)
    clock.at = datetime(2026, 12, 3, 7, 59, tzinfo=beijing)
    drain(ctx, gateway, clock)
    assert gateway.lines() == []
    clock.at = datetime(2026, 12, 3, 8, 0, tzinfo=beijing)
    drain(ctx, gateway, clock)
    lines = gateway.lines()
    assert len(lines) == 1 and "2条" in lines[0]["text"], lines
    digests = sorted((m.quota_day, m.status, len(m.events)) for m in messages(ctx))
    assert digests == [(date(2026, 12, 3), SmsStatus.SENT, 2), (date(2026, 12, 4), SmsStatus.PENDING, 1)]


def test_fan_out_keeps_its_own_cursor_and_makes_each_message_once(as_role, gateway, clock):
    ctx = as_role("commander")
    sms.create_subscription(ctx, {"phone": PHONE, "topics": ["incidents"]})
    emit(ctx, 3)
    first = sms.fan_out(ctx)
    assert first["events"] == 3 and first["messages"] == 3
    assert sms.fan_out(ctx)["events"] == 0  # caught up: the cursor moved
    with ctx.reading() as session:
        assert store.cursor(session) == first["cursor"]
        from relief.store import webhooks as hooks
        assert hooks.cursor(session) == 0  # the webhook fan-out's cursor is its own
    rows = messages(ctx)
    assert [r.status for r in rows] == [SmsStatus.PENDING] * 3  # committed before any sending


def test_a_public_subscriber_gets_no_staff_event_and_no_household_name(as_role, make_user, gateway, clock):
    ctx = as_role("commander")
    sms.create_subscription(ctx, {"phone": PHONE, "topics": ["incidents"]})
    emit(ctx, 1, public=False, first_incident=1)
    emit(ctx, 1, public=True, first_incident=2)
    drain(ctx, gateway, clock)
    staff_texts = [line["text"] for line in gateway.lines()]
    assert len(staff_texts) == 2 and any("张三" in t for t in staff_texts)  # staff: the title where it fits

    from relief.services import sms as service
    outside = service.text_of({"events": [{"seq": 1, "kind": "incident.created", "topic": "incidents",
                                           "area_code": "422801", "public": True,
                                           "payload": {"properties": {"id": 1, "kind": "landslide",
                                                                      "title": "张三家后山滑坡"}}}],
                               "kind": SmsKind.EVENT, "mode": "immediate", "staff": False,
                               "quota_day": date(2026, 12, 2)}, {}, service.figures(ctx))
    assert "张三" not in outside


def test_the_quota_folds_the_excess_into_one_overflow_sent_next_morning(as_role, gateway, clock):
    ctx = as_role("commander")
    quota = sms.figures(ctx).daily_quota_per_number
    sms.create_subscription(ctx, {"phone": PHONE, "topics": ["incidents"]})
    sms.create_subscription(ctx, {"phone": PHONE, "topics": ["reports"]})
    emit(ctx, quota + 5, first_incident=1)
    emit(ctx, 3, first_incident=500, kind="report.added", topic=Topic.REPORTS)
    drain(ctx, gateway, clock)
    today = date(2026, 12, 2)
    assert len(gateway.lines()) == quota - 1
    assert sms.quota_used(ctx, PHONE, today) == quota - 1
    # the day's end in Beijing is 16:00 UTC: not before
    clock.at = datetime(2026, 12, 2, 15, 59, tzinfo=timezone.utc)
    drain(ctx, gateway, clock)
    assert len(gateway.lines()) == quota - 1
    clock.at = datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)
    drain(ctx, gateway, clock)
    lines = gateway.lines()
    assert len(lines) == quota
    overflow = lines[-1]["text"]
    assert "12月2日另有9条" in overflow and "灾情" in overflow and "报告" in overflow and len(overflow) <= 70
    assert sms.quota_used(ctx, PHONE, today) == quota - 1
    assert sms.quota_used(ctx, PHONE, today + timedelta(days=1)) == 1  # the overflow counts on the next day
    # the next day starts with its own quota (less the slot the overflow took)
    emit(ctx, quota, first_incident=1000)
    drain(ctx, gateway, clock)
    assert sms.quota_used(ctx, PHONE, today + timedelta(days=1)) == quota
    assert len(gateway.lines()) == 2 * quota - 1
    pending = [m for m in messages(ctx) if m.status == SmsStatus.PENDING]
    assert [m.kind for m in pending] == [SmsKind.OVERFLOW] and len(pending[0].events) == 1
    assert pending[0].quota_day == today + timedelta(days=2)


def test_receipts_are_recorded_once_and_need_the_token(as_role, gateway, clock):
    ctx = as_role("commander")
    sms.create_subscription(ctx, {"phone": PHONE})
    emit(ctx, 2)
    drain(ctx, gateway, clock)
    ids = [line["gateway_id"] for line in gateway.lines()]
    assert len(ids) == 2
    gate = replace(ctx, settings={**ctx.settings, "SMS_RECEIPT_TOKEN": "s3cret"})
    with pytest.raises(NotAuthenticated):
        sms.check_receipt_token(gate, "wrong")
    sms.check_receipt_token(gate, "s3cret")
    with pytest.raises(NotFound):
        sms.check_receipt_token(replace(ctx, settings={**ctx.settings, "SMS_RECEIPT_TOKEN": None}), "s3cret")
    body = {"receipts": [{"message_id": ids[0], "status": "delivered"},
                         {"message_id": ids[1], "status": "failed", "error": "UNDELIV"}]}
    assert sms.record_receipts(ctx, body) == {"recorded": ids, "unchanged": []}
    assert sms.record_receipts(ctx, body) == {"recorded": [], "unchanged": ids}
    assert sms.record_receipts(ctx, {"message_id": ids[0], "status": "failed"})["unchanged"] == [ids[0]]
    rows = {m.gateway_id: m for m in messages(ctx)}
    assert rows[ids[0]].status == SmsStatus.DELIVERED and rows[ids[1]].status == SmsStatus.FAILED
    assert rows[ids[1]].last_error == "UNDELIV"
    with pytest.raises(NotFound) as unknown:
        sms.record_receipts(ctx, {"receipts": [{"message_id": ids[0], "status": "delivered"},
                                               {"message_id": "nope", "status": "delivered"}]})
    assert unknown.value.field == "message_id"
    with pytest.raises(ValidationFailed) as bad:
        sms.record_receipts(ctx, {"message_id": ids[0], "status": "read"})
    assert bad.value.field == "status"


def test_a_killed_sender_loses_nothing(as_role, gateway, clock, monkeypatch):
    ctx = as_role("commander")
    sms.create_subscription(ctx, {"phone": PHONE})
    emit(ctx, 1)
    sms.fan_out(ctx)

    def die(*_args, **_kwargs):
        raise SystemExit("killed between handing over and recording")

    monkeypatch.setattr(store, "mark_sent", die)
    with pytest.raises(SystemExit):
        sms.send_due(ctx, "doomed", gateway=gateway)
    monkeypatch.undo()
    assert len(gateway.lines()) == 1  # handed over, never recorded
    assert sms.send_due(ctx, "heir", gateway=gateway)["claimed"] == 0  # still under the dead sender's lease
    clock.at += timedelta(seconds=sms.figures(ctx).lease_seconds + 1)
    assert sms.send_due(ctx, "heir", gateway=gateway)["sent"] == 1
    lines = gateway.lines()
    assert len(lines) == 2 and lines[0]["message_id"] == lines[1]["message_id"]  # the same id: deduplicable
    (row,) = messages(ctx)
    assert row.status == SmsStatus.SENT and row.gateway_id == lines[1]["gateway_id"] and row.attempts == 1


def test_a_failing_gateway_is_retried_with_backoff_then_given_up(as_role, clock):
    ctx = as_role("commander")
    sms.create_subscription(ctx, {"phone": PHONE})
    emit(ctx, 1)
    sms.fan_out(ctx)
    tries = []

    class Down:
        def send(self, phone, text, message_id):
            tries.append(text)
            raise GatewayError("HTTP 503")

        def describe(self):
            return "down"

    fig = sms.figures(ctx)
    for _ in range(fig.max_attempts * 3):
        sms.send_due(ctx, "s", gateway=Down())
        clock.at += timedelta(days=1)
    assert len(tries) == fig.max_attempts and len(set(tries)) == 1  # the same words every time
    (row,) = messages(ctx)
    assert row.status == SmsStatus.DEAD and row.last_error == "HTTP 503"


def test_subscriptions_mask_the_number_and_belong_to_their_owner(as_role):
    mine, other = as_role("viewer"), as_role("viewer")
    made = sms.create_subscription(mine, {"phone": "+86 139-0000-1234", "mode": "daily"})["subscription"]
    assert made["phone"] == "139****1234" and made["mode"] == "daily"
    assert sms.list_subscriptions(other)["subscriptions"] == []
    with pytest.raises(NotFound):
        sms.delete_subscription(other, made["id"])
    assert sms.delete_subscription(mine, made["id"])["subscription"]["active"] is False
    assert sms.list_subscriptions(mine)["subscriptions"] == []
    with pytest.raises(ValidationFailed) as bad:
        sms.create_subscription(mine, {"phone": "12345678901"})
    assert bad.value.field == "phone"
