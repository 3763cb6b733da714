"""SMS subscriptions and messages: rows in, rows and plain dicts out, never a commit.

The fan-out keeps its own row, ``sms``, in the outbox cursor table (``webhook_cursor``) and locks it for a
batch as the webhook fan-out locks its own, so the two never wait for each other. A message is claimed with
an ``UPDATE … WHERE status = 'pending' AND lease lapsed … RETURNING``, so of two senders one gets it.
Moments come from the caller's clock, never the database's.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from relief.domain.vocabulary import SmsKind, SmsStatus
from relief.store import webhooks
from relief.store.tables import Area, Site, SmsMessage, SmsMessageEvent, SmsSubscription, User

CURSOR = "sms"
_M = SmsMessage.__table__


# --- subscriptions ------------------------------------------------------------------

def add_subscription(session: Session, *, owner_id: int, phone: str, areas: list[str], topics: list[str],
                     kinds: list[str], min_level: str | None, mode: str, now: datetime,
                     hazards: list[str] | None = None) -> SmsSubscription:
    row = SmsSubscription(owner_id=owner_id, phone=phone, areas=areas, topics=topics, kinds=kinds,
                          hazards=hazards or None, min_level=min_level, mode=mode, active=True, created_at=now)
    session.add(row)
    session.flush()
    return row


def subscription(session: Session, subscription_id: int) -> SmsSubscription | None:
    return session.get(SmsSubscription, subscription_id)


def subscriptions(session: Session, *, owner_id: int | None = None) -> list[SmsSubscription]:
    """Active subscriptions, or one owner's, oldest first."""
    query = select(SmsSubscription).where(SmsSubscription.active.is_(True)).order_by(SmsSubscription.id)
    if owner_id is not None:
        query = query.where(SmsSubscription.owner_id == owner_id)
    return list(session.scalars(query))


def deactivate_subscription(session: Session, subscription_id: int) -> None:
    session.execute(update(SmsSubscription).where(SmsSubscription.id == subscription_id).values(active=False))


def fan_out_targets(session: Session) -> list[dict[str, Any]]:
    """Active subscriptions of active users, with the role they receive as."""
    query = (select(SmsSubscription, User.role).join(User, User.id == SmsSubscription.owner_id)
             .where(SmsSubscription.active.is_(True), User.active.is_(True)).order_by(SmsSubscription.id))
    return [{"id": row.id, "phone": row.phone, "areas": row.areas or [], "topics": row.topics or [],
             "kinds": row.kinds or [], "hazards": row.hazards or [], "min_level": row.min_level,
             "mode": row.mode, "role": role}
            for row, role in session.execute(query)]


# --- the cursor ------------------------------------------------------------------------

def lock_cursor(session: Session) -> int:
    """The last seq fanned out to SMS; holds the ``sms`` cursor row until commit (PostgreSQL)."""
    return webhooks.lock_cursor(session, CURSOR)


def set_cursor(session: Session, seq: int) -> None:
    webhooks.set_cursor(session, seq, CURSOR)


def cursor(session: Session) -> int:
    return webhooks.cursor(session, CURSOR)


# --- the fan-out ------------------------------------------------------------------------

def held(session: Session, keys: Iterable[str], since: datetime) -> dict[tuple[int, str], list[dict[str, Any]]]:
    """Messages under these fold keys made since ``since``, by (subscription, key), and whether each was tried."""
    return webhooks.held(session, keys, since, table=_M, where=[_M.c.kind != SmsKind.OVERFLOW])


def counted(session: Session, phones: Iterable[str], days: Iterable[date]) -> dict[tuple[str, date], int]:
    """Regular (not overflow) messages per (number, quota day)."""
    numbers, wanted = sorted(set(phones)), sorted(set(days))
    if not numbers or not wanted:
        return {}
    rows = session.execute(select(_M.c.phone, _M.c.quota_day, func.count()).where(
        _M.c.phone.in_(numbers), _M.c.quota_day.in_(wanted), _M.c.kind != SmsKind.OVERFLOW)
        .group_by(_M.c.phone, _M.c.quota_day))
    return {(phone, day): n for phone, day, n in rows}


def overflows(session: Session, phones: Iterable[str], days: Iterable[date]) -> dict[tuple[str, date], dict[str, Any]]:
    """The untried overflow message of each (number, day the overflow is of); its ``quota_day`` is the next day."""
    numbers, wanted = sorted(set(phones)), sorted({d.isoformat() for d in days})
    if not numbers or not wanted:
        return {}
    keys = [f"overflow:{d}" for d in wanted]
    rows = session.execute(select(_M.c.id, _M.c.phone, _M.c.fold_key, _M.c.events).where(
        _M.c.phone.in_(numbers), _M.c.fold_key.in_(keys), _M.c.kind == SmsKind.OVERFLOW,
        _M.c.status == SmsStatus.PENDING, _M.c.attempts == 0, _M.c.lease_holder.is_(None)))
    return {(r.phone, date.fromisoformat(r.fold_key.split(":", 1)[1])): {"id": r.id, "events": len(r.events or [])}
            for r in rows}


def add_messages(session: Session, rows: list[dict[str, Any]], *, now: datetime) -> list[int]:
    """New messages (``message_id, subscription_id, phone, staff, kind, mode, fold_key, quota_day, events,
    due_at``) in one statement, their ids in the order given; each (subscription, event) pair recorded once."""
    if not rows:
        return []
    values = [{"message_id": r["message_id"], "subscription_id": r["subscription_id"], "phone": r["phone"],
               "staff": r["staff"], "kind": r["kind"], "mode": r["mode"], "fold_key": r["fold_key"],
               "quota_day": r["quota_day"], "first_seq": r["events"][0]["seq"], "events": r["events"],
               "status": SmsStatus.PENDING, "attempts": 0, "next_attempt_at": r["due_at"], "created_at": now}
              for r in rows]
    ids = session.connection().execute(_M.insert().returning(_M.c.id, sort_by_parameter_order=True),
                                       values).scalars().all()
    add_pairs(session, [(s, e["seq"], message_id) for r, message_id in zip(rows, ids, strict=True)
                        for s, e in zip(r["pairs"], r["events"], strict=True)])
    return list(ids)


def fold_into(session: Session, message_id: int, pairs: list[tuple[int, dict[str, Any]]]) -> None:
    """Add (subscription, event) pairs to an untried message."""
    connection = session.connection()
    held_events = connection.execute(select(_M.c.events).where(_M.c.id == message_id)).scalar_one()
    connection.execute(update(_M).where(_M.c.id == message_id).values(events=[*held_events,
                                                                              *(e for _, e in pairs)]))
    add_pairs(session, [(s, e["seq"], message_id) for s, e in pairs])


def add_pairs(session: Session, pairs: list[tuple[int, int, int]]) -> None:
    if pairs:
        session.connection().execute(SmsMessageEvent.__table__.insert(), [
            {"subscription_id": s, "event_seq": seq, "message_id": m} for s, seq, m in pairs])


# --- sending ------------------------------------------------------------------------------

def claim_due(session: Session, holder: str, *, now: datetime, lease_until: datetime,
              limit: int) -> list[dict[str, Any]]:
    """Take up to ``limit`` due pending messages for ``holder`` until ``lease_until``, oldest first."""
    ids = session.execute(
        select(_M.c.id).where(_M.c.status == SmsStatus.PENDING, _M.c.next_attempt_at <= now,
                              or_(_M.c.lease_until.is_(None), _M.c.lease_until <= now))
        .order_by(_M.c.next_attempt_at, _M.c.id).limit(limit)).scalars().all()
    if not ids:
        return []
    connection = session.connection()
    free = connection.execute(select(_M.c.id).where(_M.c.id.in_(ids)).order_by(_M.c.id)
                              .with_for_update(skip_locked=True)).scalars().all()
    got = set(connection.execute(
        update(_M).where(_M.c.id.in_(free), _M.c.status == SmsStatus.PENDING,
                         or_(_M.c.lease_until.is_(None), _M.c.lease_until <= now))
        .values(lease_holder=holder, lease_until=lease_until).returning(_M.c.id)).scalars()) if free else set()
    rows = session.execute(select(_M).where(_M.c.id.in_(sorted(got))).order_by(_M.c.next_attempt_at, _M.c.id))
    return [dict(r._mapping) for r in rows]


def keep_text(session: Session, message_id: int, text: str) -> None:
    """The text a message is sent with, kept at its first attempt so a retry sends the same words."""
    session.connection().execute(update(_M).where(_M.c.id == message_id, _M.c.text.is_(None)).values(text=text))


def mark_sent(session: Session, message_id: int, holder: str, *, gateway_id: str, text: str, now: datetime) -> bool:
    """Sent: the gateway took it under ``gateway_id``; False when it was not pending (another sender's lease
    lapsed and it recorded first)."""
    return session.connection().execute(
        update(_M).where(_M.c.id == message_id, _M.c.status == SmsStatus.PENDING)
        .values(status=SmsStatus.SENT, gateway_id=gateway_id, text=text, sent_at=now, attempts=_M.c.attempts + 1,
                last_error=None, lease_holder=None, lease_until=None)).rowcount == 1


def mark_failed(session: Session, message_id: int, *, next_attempt_at: datetime | None, error: str) -> None:
    values: dict[str, Any] = {"attempts": _M.c.attempts + 1, "last_error": error[:500], "lease_holder": None,
                              "lease_until": None}
    if next_attempt_at is None:
        values["status"] = SmsStatus.DEAD
    else:
        values["next_attempt_at"] = next_attempt_at
    session.connection().execute(update(_M).where(_M.c.id == message_id, _M.c.status == SmsStatus.PENDING)
                                 .values(**values))


# --- receipts ---------------------------------------------------------------------------

def by_gateway_id(session: Session, gateway_ids: Iterable[str]) -> dict[str, SmsMessage]:
    wanted = sorted(set(gateway_ids))
    return {m.gateway_id: m for m in session.scalars(select(SmsMessage).where(SmsMessage.gateway_id.in_(wanted)))}


def record_receipt(session: Session, message_id: int, status: str, error: str | None, now: datetime) -> bool:
    """The gateway's final word on a sent message; False when it had one already (the first one stands)."""
    values: dict[str, Any] = {"status": status, "receipt_at": now}
    if error is not None:
        values["last_error"] = error[:500]
    return session.connection().execute(update(_M).where(_M.c.id == message_id, _M.c.status == SmsStatus.SENT)
                                        .values(**values)).rowcount == 1


# --- reading -------------------------------------------------------------------------------

def messages(session: Session, *, phone: str | None = None) -> list[SmsMessage]:
    query = select(SmsMessage).order_by(SmsMessage.id)
    if phone is not None:
        query = query.where(SmsMessage.phone == phone)
    return list(session.scalars(query))


def status_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(_M.c.status, func.count()).group_by(_M.c.status)).all())


def area_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Chinese names of these area codes (those known)."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    return dict(session.execute(select(Area.code, Area.name_zh).where(Area.code.in_(wanted))).all())


def site_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(session.execute(select(Site.id, Site.name).where(Site.id.in_(wanted))).all())


def quota_used(session: Session, phone: str, day: date) -> int:
    """Messages counted on a number's day: its regular ones and the previous day's overflow."""
    return session.scalar(select(func.count()).select_from(SmsMessage).where(
        SmsMessage.phone == phone, SmsMessage.quota_day == day)) or 0
