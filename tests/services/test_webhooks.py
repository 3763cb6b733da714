"""Webhooks end to end against a real local receiver: signed, retried through an outage, in order, once each.

The schedule runs on an injected clock (no sleeping through backoffs); the receiver verifies every request
with ``standardwebhooks`` and counts each ``webhook-id`` once.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from relief.domain.audience import Audience
from relief.domain.vocabulary import DeliveryStatus, Topic
from relief.errors import Forbidden, NotFound, ValidationFailed
from relief.services import webhooks
from relief.store import webhooks as store
from tests.webhook_receiver import Receiver

START = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def admin_ctx(ctx, make_user, clock):
    admin = make_user("admin")
    return replace(ctx, clock=clock).as_actor(admin.actor)


def emit(ctx, n: int, *, first_incident: int = 1, township="422801100", public=True, kind="incident.created"):
    with ctx.transaction() as unit:
        for i in range(n):
            unit.emit(kind, Topic.INCIDENTS,
                      {"type": "Feature", "properties": {"id": first_incident + i, "county_code": "422801",
                                                         "township_code": township, "response_level": "III",
                                                         "name": "张三" if not public else None}},
                      area_code="422801", audience=Audience.PUBLIC if public else Audience.STAFF)


def endpoint_for(ctx, receiver: Receiver) -> int:
    made = webhooks.create_endpoint(ctx, {"url": receiver.url, "allow_private_host": True})
    receiver.secret = made["secret"]
    assert made["secret"].startswith("whsec_")
    return made["endpoint"]["id"]


def run(ctx, *, send, rng=None, rounds=1):
    out = []
    for _ in range(rounds):
        out.append(webhooks.run_once(ctx, "test-worker", send=send, rng=rng or random.Random(3)))
    return out


def pending(ctx) -> int:
    with ctx.reading() as session:
        return store.status_counts(session).get(DeliveryStatus.PENDING, 0)


def next_due(ctx, after: datetime):
    """The next moment a pending delivery falls due after ``after`` (None: nothing left pending)."""
    from sqlalchemy import func, select

    from relief.store.tables import WebhookDelivery
    with ctx.reading() as session:
        return session.scalar(select(func.min(WebhookDelivery.next_attempt_at)).where(
            WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at > after))


def drain(ctx, clock, *, send, rounds=300, **kwargs):
    """Run rounds, moving the clock to the next due moment whenever a round finds nothing, until none is pending."""
    for _ in range(rounds):
        done = webhooks.run_once(ctx, "test-worker", send=send, rng=random.Random(3), **kwargs)
        if not pending(ctx):
            return
        if done["claimed"] == 0:
            due = next_due(ctx, clock.at)
            if due is None:
                return
            clock.at = due
    raise AssertionError("deliveries still pending")


def dump(ctx):
    from sqlalchemy import select

    from relief.store.tables import WebhookDelivery, WebhookEndpoint
    with ctx.reading() as s:
        rows = s.execute(select(WebhookDelivery.id, WebhookDelivery.subscription_id, WebhookDelivery.first_seq,
                                WebhookDelivery.status, WebhookDelivery.attempts, WebhookDelivery.next_attempt_at,
                                WebhookDelivery.lease_until, WebhookDelivery.last_error)).all()
        eps = s.execute(select(WebhookEndpoint.id, WebhookEndpoint.enabled)).all()
    return "\n".join(map(str, rows + eps))


def test_failing_then_down_then_recovered_receivers_get_everything_in_order_once(admin_ctx, clock):
    ctx = admin_ctx
    a, b = Receiver().start(), Receiver().start()
    try:
        sub_a = webhooks.create_subscription(ctx, {"endpoint_id": endpoint_for(ctx, a), "areas": ["422801100"],
                                                   "topics": ["incidents"]})["subscription"]
        webhooks.create_subscription(ctx, {"endpoint_id": endpoint_for(ctx, b), "kinds": ["incident.created"]})
        emit(ctx, 3, first_incident=1)
        emit(ctx, 2, first_incident=10, township="422801200")  # not in a's township: only b
        send = webhooks.requests_sender()

        a.fail_next = 2  # a answers 500 twice
        b.stop()         # b is down
        run(ctx, send=send, rounds=3)
        assert a.order == [] and len(a.requests) == 1  # one 500; the head waits for its backoff, the rest behind it
        emit(ctx, 2, first_incident=20)  # more events during the outage
        for _ in range(40):  # two fake hours of retries while b is down
            clock.at += timedelta(minutes=3)
            run(ctx, send=send)
        assert b.order == []
        b.start()  # back on the same port
        drain(ctx, clock, send=send, parallel=4)  # two subscriptions posted at once, each in order
        assert pending(ctx) == 0, dump(ctx)
        assert a.bad_signatures == 0 and b.bad_signatures == 0
        assert a.seqs() == [1, 2, 3, 6, 7]
        assert b.seqs() == [1, 2, 3, 4, 5, 6, 7]
        assert len(a.requests) > len(a.order)  # retried under the same ids
        assert set(a.requests) == set(a.order)
        page = webhooks.endpoint_deliveries(ctx, sub_a["endpoint_id"], status=None, offset=0, limit=50)
        assert page["total"] == 5 and all(d["status"] == DeliveryStatus.DELIVERED for d in page["deliveries"])
        first = page["deliveries"][-1]
        assert first["attempts"] == 3 and [e["response_code"] for e in first["log"]] == [500, 500, 204]
    finally:
        a.stop()
        b.stop()


def test_dead_letters_are_replayed_under_the_same_webhook_id(admin_ctx, clock):
    ctx = admin_ctx
    receiver = Receiver().start()
    try:
        endpoint_id = endpoint_for(ctx, receiver)
        webhooks.create_subscription(ctx, {"endpoint_id": endpoint_id})
        emit(ctx, 1)
        receiver.fail_next = 10_000
        send = webhooks.requests_sender()
        first = clock.at
        drain(ctx, clock, send=send)
        dead = webhooks.endpoint_deliveries(ctx, endpoint_id, status="dead", offset=0, limit=10)["deliveries"]
        figures = webhooks.figures(ctx)
        assert len(dead) == 1 and dead[0]["attempts"] == figures.max_attempts
        assert clock.at - first >= timedelta(hours=24)  # not dead before a day of retries
        webhook_id = dead[0]["webhook_id"]
        assert set(receiver.requests) == {webhook_id}
        receiver.fail_next = 0
        replayed = webhooks.replay(ctx, dead[0]["id"])["delivery"]
        assert replayed["status"] == DeliveryStatus.PENDING
        run(ctx, send=send)
        assert receiver.order == [webhook_id] and receiver.seqs() == [1]
        with pytest.raises(ValidationFailed):
            webhooks.replay(ctx, dead[0]["id"])  # delivered now: nothing to replay
    finally:
        receiver.stop()


def test_an_endpoint_failing_long_enough_is_disabled_with_a_notice(admin_ctx, clock):
    ctx = admin_ctx
    figures = webhooks.figures(ctx)
    calls = []

    def refuse(url, body, headers, timeout):
        calls.append(headers["webhook-id"])
        raise ConnectionError("connection refused")

    with ctx.transaction() as unit:
        endpoint = store.add_endpoint(unit.session, url="http://93.184.216.34/hook", description=None,
                                      secret_encrypted=webhooks.encrypt_secret(ctx, webhooks.new_secret()),
                                      owner_id=ctx.actor.id, private_host_allowed=False, now=clock.at)
        endpoint_id = endpoint.id
    for _ in range(3):
        webhooks.create_subscription(ctx, {"endpoint_id": endpoint_id})
    emit(ctx, figures.disable_after_failures)
    for _ in range(300):
        result = run(ctx, send=refuse)[0]
        if result["disabled"]:
            break
        clock.at += timedelta(minutes=30)
    assert result["disabled"] == [endpoint_id]
    assert clock.at - START >= timedelta(hours=figures.disable_after_hours)
    with ctx.reading() as session:
        assert not store.endpoint(session, endpoint_id).enabled
        from relief.store import events as event_store
        notices = [e for e in event_store.events_since(session, 0, topics=["webhooks"], areas=None,
                                                       audiences=[Audience.STAFF], limit=10)]
    assert [n["kind"] for n in notices] == [webhooks.DISABLED_KIND]
    assert notices[0]["payload"]["endpoint_id"] == endpoint_id
    before = len(calls)
    clock.at += timedelta(hours=1)
    run(ctx, send=refuse)
    assert len(calls) == before  # nothing is sent to a disabled endpoint


def test_amendments_fold_and_a_digest_goes_at_the_end_of_its_hour(admin_ctx, clock):
    ctx = admin_ctx
    sent = []

    def ok(url, body, headers, timeout):
        import json
        sent.append((url, json.loads(body)))
        return 200

    with ctx.transaction() as unit:
        now_ep = store.add_endpoint(unit.session, url="http://93.184.216.34/now", description=None,
                                    secret_encrypted=webhooks.encrypt_secret(ctx, webhooks.new_secret()),
                                    owner_id=ctx.actor.id, private_host_allowed=False, now=clock.at).id
        hourly_ep = store.add_endpoint(unit.session, url="http://93.184.216.34/hourly", description=None,
                                       secret_encrypted=webhooks.encrypt_secret(ctx, webhooks.new_secret()),
                                       owner_id=ctx.actor.id, private_host_allowed=False, now=clock.at).id
    webhooks.create_subscription(ctx, {"endpoint_id": now_ep})
    webhooks.create_subscription(ctx, {"endpoint_id": hourly_ep, "mode": "hourly"})
    resolve = {"93.184.216.34": ["93.184.216.34"]}.get

    def go():
        webhooks.run_once(ctx, "w", send=ok, resolve=resolve)

    emit(ctx, 1, first_incident=5)
    go()
    assert [m["data"]["seq"] for u, m in sent if u.endswith("/now")] == [1]
    for minute in (1, 2, 3):  # three amendments to incident 5 within the window
        clock.at = START + timedelta(minutes=minute)
        emit(ctx, 1, first_incident=5, kind="incident.updated")
        go()
    assert len([1 for u, _ in sent if u.endswith("/now")]) == 1  # held
    clock.at = START + webhooks.figures(ctx).fold_window
    go()
    now_messages = [m for u, m in sent if u.endswith("/now")]
    assert len(now_messages) == 2 and [f["seq"] for f in now_messages[1]["data"]["folded"]] == [2, 3, 4]
    assert not [m for u, m in sent if u.endswith("/hourly")]
    clock.at = START + timedelta(hours=1)
    go()
    digests = [m for u, m in sent if u.endswith("/hourly")]
    assert len(digests) == 1 and digests[0]["type"] == "digest.hourly"
    assert [e["seq"] for e in digests[0]["data"]["events"]] == [1, 2, 3, 4]


def test_a_daily_digest_gathers_a_local_day_and_goes_at_the_morning_hour(admin_ctx, clock):
    ctx = replace(admin_ctx, settings={**admin_ctx.settings, "TIMEZONE": "Asia/Shanghai"})
    sent = []

    def ok(url, body, headers, timeout):
        import json
        sent.append(json.loads(body))
        return 200

    with ctx.transaction() as unit:
        daily_ep = store.add_endpoint(unit.session, url="http://93.184.216.34/daily", description=None,
                                      secret_encrypted=webhooks.encrypt_secret(ctx, webhooks.new_secret()),
                                      owner_id=ctx.actor.id, private_host_allowed=False, now=clock.at).id
    webhooks.create_subscription(ctx, {"endpoint_id": daily_ep, "mode": "daily"})
    resolve = {"93.184.216.34": ["93.184.216.34"]}.get
    assert webhooks.figures(ctx).daily_digest_hour == 8

    def at(hour: int, minute: int = 0, day: int = 2) -> datetime:   # Beijing time (UTC+8) in December 2026
        return datetime(2026, 12, day, hour, minute, tzinfo=timezone(timedelta(hours=8)))

    # 07:30 and 17:00 on 2 December in Beijing: one local day, though the first is 1 December in UTC;
    # 00:30 on 3 December in Beijing: the next local day, though still 2 December in UTC
    for n, moment in enumerate([at(7, 30), at(17), at(0, 30, day=3)]):
        clock.at = moment
        emit(ctx, 1, first_incident=10 + n)
        webhooks.run_once(ctx, "w", send=ok, resolve=resolve)
    clock.at = at(7, 59, day=3)                    # midnight UTC has passed, the local morning hour has not
    webhooks.run_once(ctx, "w", send=ok, resolve=resolve)
    assert sent == []
    clock.at = at(8, day=3)
    webhooks.run_once(ctx, "w", send=ok, resolve=resolve)
    assert [(m["type"], [e["seq"] for e in m["data"]["events"]]) for m in sent] == [("digest.daily", [1, 2])]
    assert pending(ctx) == 1                       # 3 December's digest waits for the 4th at 08:00
    assert next_due(ctx, clock.at) == at(8, day=4)


def test_a_public_subscriber_gets_no_staff_event(admin_ctx, clock):
    ctx = admin_ctx
    sent = []
    with ctx.transaction() as unit:
        endpoint_id = store.add_endpoint(unit.session, url="http://93.184.216.34/x", description=None,
                                         secret_encrypted=webhooks.encrypt_secret(ctx, webhooks.new_secret()),
                                         owner_id=ctx.actor.id, private_host_allowed=False, now=clock.at).id
    system = webhooks.create_subscription(ctx, {"endpoint_id": endpoint_id, "for_system": True})["subscription"]
    staff = webhooks.create_subscription(ctx, {"endpoint_id": endpoint_id, "for_role": "viewer"})["subscription"]
    assert system["owner_id"] is None and staff["owner_role"] == "viewer"
    emit(ctx, 1, public=False, first_incident=1)
    emit(ctx, 1, public=True, first_incident=2)
    webhooks.run_once(ctx, "w", send=lambda u, body, h, t: sent.append(body) or 200,
                      resolve={"93.184.216.34": ["93.184.216.34"]}.get)
    assert len(sent) == 3
    assert sum("张三".encode() in body for body in sent) == 1  # the staff subscription's copy only
    with ctx.reading() as session:
        seqs: dict[int, list[int]] = {}
        for d in store.deliveries(session, endpoint_id, status=None, offset=0, limit=10).rows:
            seqs.setdefault(d.subscription_id, []).extend(e["seq"] for e in d.events)
    assert {k: sorted(v) for k, v in seqs.items()} == {system["id"]: [2], staff["id"]: [1, 2]}


def test_fan_out_is_once_per_event_and_subscription(admin_ctx, clock):
    ctx = admin_ctx
    with ctx.transaction() as unit:
        endpoint_id = store.add_endpoint(unit.session, url="http://93.184.216.34/x", description=None,
                                         secret_encrypted=webhooks.encrypt_secret(ctx, webhooks.new_secret()),
                                         owner_id=ctx.actor.id, private_host_allowed=False, now=clock.at).id
    webhooks.create_subscription(ctx, {"endpoint_id": endpoint_id})
    emit(ctx, 4)
    assert webhooks.fan_out(ctx, limit=3)["deliveries"] == 3
    assert webhooks.fan_out(ctx, limit=3)["deliveries"] == 1
    assert webhooks.fan_out(ctx)["events"] == 0
    with ctx.reading() as session:
        assert store.status_counts(session) == {DeliveryStatus.PENDING: 4}


def test_who_may_subscribe_what(ctx, make_user, clock):
    viewer = make_user("viewer")
    mine = replace(ctx, clock=clock).as_actor(viewer.actor)
    with pytest.raises(Forbidden) as refused:
        webhooks.create_endpoint(mine, {"url": "http://127.0.0.1:9/x", "allow_private_host": True})
    assert refused.value.field == "allow_private_host"
    with pytest.raises(ValidationFailed) as refused:
        webhooks.create_endpoint(mine, {"url": "http://127.0.0.1:9/x"})
    assert refused.value.field == "url"
    made = webhooks.create_endpoint(mine, {"url": "http://93.184.216.34/x"})
    assert made["secret"] not in str(webhooks.list_endpoints(mine))  # shown once, on creation
    with pytest.raises(Forbidden):
        webhooks.create_subscription(mine, {"endpoint_id": made["endpoint"]["id"], "for_role": "admin"})
    other = replace(ctx, clock=clock).as_actor(make_user("viewer").actor)
    with pytest.raises(NotFound):
        webhooks.create_subscription(other, {"endpoint_id": made["endpoint"]["id"]})
    sub = webhooks.create_subscription(mine, {"endpoint_id": made["endpoint"]["id"]})["subscription"]
    assert webhooks.list_subscriptions(other)["subscriptions"] == []
    with pytest.raises(NotFound):
        webhooks.delete_subscription(other, sub["id"])
    webhooks.delete_subscription(mine, sub["id"])
    assert webhooks.list_subscriptions(mine)["subscriptions"] == []


def test_secrets_are_encrypted_at_rest(admin_ctx):
    made = webhooks.create_endpoint(admin_ctx, {"url": "http://93.184.216.34/x"})
    with admin_ctx.reading() as session:
        stored = store.endpoint(session, made["endpoint"]["id"]).secret_encrypted
    assert made["secret"] not in stored and webhooks.decrypt_secret(admin_ctx, stored) == made["secret"]
