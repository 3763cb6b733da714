"""SMS rows: the migration matches the tables, a message is claimed by one sender, quotas count per local day."""
from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from relief.domain.vocabulary import SmsKind, SmsStatus
from relief.store import sms as sms_store
from relief.store.tables import Base, User

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
SMS_TABLES = {"sms_subscriptions", "sms_messages", "sms_message_events"}


def test_the_migration_builds_the_sms_tables_as_the_orm_declares_them(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PostGIS types the comparison does not know, none of them ours
            diffs = compare_metadata(context, Base.metadata)
        names = set(inspect(conn).get_table_names())
    ours = [d for d in diffs if any(t in repr(d) for t in SMS_TABLES)]
    assert SMS_TABLES <= names
    assert ours == []


def subscriber(session, phone="13800138000") -> int:
    user = User(name=f"u{phone}", role="commander", password_hash="x", active=True)
    session.add(user)
    session.flush()
    return sms_store.add_subscription(session, owner_id=user.id, phone=phone, areas=[], topics=[], kinds=[],
                                  min_level=None, mode="immediate", now=NOW).id


def message(sub_id, seq, *, kind=SmsKind.EVENT, day=date(2026, 12, 2), phone="13800138000", fold_key=None):
    return {"message_id": f"sms_{seq}", "subscription_id": None if kind == SmsKind.OVERFLOW else sub_id,
            "phone": phone, "staff": True, "kind": kind, "mode": "immediate", "fold_key": fold_key,
            "quota_day": day, "events": [{"seq": seq, "topic": "incidents", "kind": "incident.created"}],
            "pairs": [sub_id], "due_at": NOW}


def test_one_sender_claims_a_message_until_its_lease_lapses(store):
    with store.write() as session:
        sub = subscriber(session)
        sms_store.add_messages(session, [message(sub, 1), message(sub, 2)], now=NOW)
    with store.write() as session:
        first = sms_store.claim_due(session, "a", now=NOW, lease_until=NOW + timedelta(seconds=60), limit=10)
    with store.write() as session:
        second = sms_store.claim_due(session, "b", now=NOW, lease_until=NOW + timedelta(seconds=60), limit=10)
    assert [m["message_id"] for m in first] == ["sms_1", "sms_2"] and second == []
    later = NOW + timedelta(seconds=61)
    with store.write() as session:
        assert sms_store.mark_sent(session, first[0]["id"], "a", gateway_id="g1", text="t", now=NOW)
        again = sms_store.claim_due(session, "b", now=later, lease_until=later + timedelta(seconds=60), limit=10)
    assert [m["message_id"] for m in again] == ["sms_2"]  # the sent one is not taken again
    with store.write() as session:
        assert not sms_store.mark_sent(session, first[0]["id"], "b", gateway_id="g1", text="t", now=later)
        assert sms_store.record_receipt(session, first[0]["id"], SmsStatus.DELIVERED, None, later)
        assert not sms_store.record_receipt(session, first[0]["id"], SmsStatus.FAILED, "late", later)
        assert sms_store.by_gateway_id(session, ["g1"])["g1"].status == SmsStatus.DELIVERED


def test_quota_counts_exclude_overflows_which_count_on_the_next_day(store):
    day = date(2026, 12, 2)
    with store.write() as session:
        sub = subscriber(session)
        sms_store.add_messages(session, [message(sub, 1), message(sub, 2),
                                     message(sub, 3, kind=SmsKind.OVERFLOW, day=day + timedelta(days=1),
                                             fold_key=f"overflow:{day.isoformat()}")], now=NOW)
    with store.read() as session:
        assert sms_store.counted(session, ["13800138000"], [day, day + timedelta(days=1)]) == {("13800138000", day): 2}
        assert list(sms_store.overflows(session, ["13800138000"], [day])) == [("13800138000", day)]
        assert sms_store.quota_used(session, "13800138000", day + timedelta(days=1)) == 1


def test_each_subscription_event_pair_is_stored_once(store):
    import pytest
    from sqlalchemy.exc import IntegrityError

    with store.write() as session:
        sub = subscriber(session)
        sms_store.add_messages(session, [message(sub, 1)], now=NOW)
    with pytest.raises(IntegrityError):
        with store.write() as session:
            sms_store.add_messages(session, [{**message(sub, 1), "message_id": "sms_again"}], now=NOW)
