"""Deliveries are claimed by one worker at a time, in order per subscription, and taken back after a lease lapses."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from relief.domain.vocabulary import DeliveryMode, DeliveryStatus
from relief.store import webhooks
from relief.store.db import Store

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
LEASE = NOW + timedelta(seconds=60)


def setup(store, *, events=3, subscriptions=1):
    with store.write() as session:
        endpoint = webhooks.add_endpoint(session, url="http://93.184.216.34/x", description=None,
                                         secret_encrypted="x", owner_id=None, private_host_allowed=False, now=NOW)
        subs = [webhooks.add_subscription(session, owner_id=None, owner_role=None, endpoint_id=endpoint.id, areas=[],
                                          topics=[], kinds=[], min_level=None, mode=DeliveryMode.IMMEDIATE,
                                          created_by=None, now=NOW).id for _ in range(subscriptions)]
        for sub in subs:
            for seq in range(1, events + 1):
                webhooks.add_delivery(session, webhook_id=f"msg_{sub}_{seq}", subscription_id=sub,
                                      endpoint_id=endpoint.id, event={"seq": seq}, fold_key=None, due_at=NOW, now=NOW)
        return endpoint.id, subs


def claim(store, holder, now=NOW, limit=100):
    with store.write() as session:
        return [c["first_seq"] for c in webhooks.claim_due(session, holder, now=now, lease_until=now + timedelta(
            seconds=60), limit=limit)]


def test_a_run_is_claimed_in_order_and_held_until_the_lease_lapses(store):
    endpoint_id, (sub,) = setup(store)
    assert claim(store, "a") == [1, 2, 3]
    assert claim(store, "b") == []  # leased
    with store.write() as session:
        webhooks.mark_delivered(session, 1, now=NOW, response_code=200)
        webhooks.release(session, [3], "a")
    assert claim(store, "b") == []  # 3 waits behind 2, still leased by a
    assert claim(store, "b", now=LEASE) == [2, 3]  # a's lease lapsed: b takes over from the head


def test_a_failing_head_blocks_its_subscription_only(store):
    endpoint_id, (first, second) = setup(store, subscriptions=2)
    with store.write() as session:
        claimed = webhooks.claim_due(session, "a", now=NOW, lease_until=LEASE, limit=1)
        webhooks.mark_failed(session, claimed[0]["id"], next_attempt_at=NOW + timedelta(minutes=5),
                             response_code=500, error="HTTP 500")
    taken = {}
    with store.write() as session:
        for c in webhooks.claim_due(session, "b", now=NOW + timedelta(seconds=1), lease_until=LEASE, limit=100):
            taken.setdefault(c["subscription_id"], []).append(c["first_seq"])
    assert taken == {second: [1, 2, 3]}  # the first subscription waits for its failed head's retry


def test_workers_racing_for_rows_never_share_one(database_url):
    store = Store(database_url)
    setup(store, events=10, subscriptions=10)
    stores = [Store(database_url) for _ in range(4)]
    barrier, got = threading.Barrier(len(stores)), {}

    def race(i, s):
        barrier.wait()
        mine = []
        for _ in range(200):
            with s.write() as session:
                claimed = [c["id"] for c in webhooks.claim_due(session, f"w{i}", now=NOW, lease_until=LEASE,
                                                                limit=7)]
            with s.write() as session:
                for delivery_id in claimed:
                    assert webhooks.mark_delivered(session, delivery_id, now=NOW, response_code=200)
            mine += claimed
            with s.read() as session:
                if webhooks.status_counts(session) == {DeliveryStatus.DELIVERED: 100}:
                    break
        got[i] = mine

    threads = [threading.Thread(target=race, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [d for ids in got.values() for d in ids]
    assert len(every) == len(set(every)) and len(every) == 100
    for s in [store, *stores]:
        s.dispose()


def test_an_event_goes_to_a_subscription_once(store):
    endpoint_id, (sub,) = setup(store, events=1)
    with pytest.raises(IntegrityError):
        with store.write() as session:
            webhooks.add_delivery(session, webhook_id="msg_again", subscription_id=sub, endpoint_id=endpoint_id,
                                  event={"seq": 1}, fold_key=None, due_at=NOW, now=NOW)


def test_the_cursor_and_replay(store):
    endpoint_id, (sub,) = setup(store, events=1)
    with store.write() as session:
        assert webhooks.lock_cursor(session) == 0
        webhooks.set_cursor(session, 42)
    with store.read() as session:
        assert webhooks.cursor(session) == 42
    with store.write() as session:
        webhooks.mark_failed(session, 1, next_attempt_at=None, response_code=None, error="refused")
        assert webhooks.replay(session, 1, now=NOW) and not webhooks.replay(session, 1, now=NOW)
        row = webhooks.delivery(session, 1)
        assert row.status == DeliveryStatus.PENDING and row.attempts == 0 and row.webhook_id == f"msg_{sub}_1"
