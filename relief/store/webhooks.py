"""Subscriptions, endpoints and deliveries: rows in, rows and plain dicts out, never a commit.

Races are settled by single statements, the same on SQLite and PostgreSQL:

- the fan-out first updates the cursor row (``lock_cursor``), which on PostgreSQL holds that row until
  commit, so two processes never fan the same events out; SQLite runs one writer at a time anyway. The
  unique (subscription, event seq) pair is the second guard;
- a delivery is claimed with ``UPDATE … WHERE id = :id AND status = 'pending' AND (lease_until IS NULL OR
  lease_until <= now) RETURNING id``: of two workers, only one gets the row back; a worker that dies holds it
  only until its lease lapses.

Moments come from the caller's clock, never the database's.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import ColumnElement, Table, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from relief.domain.vocabulary import DeliveryStatus
from relief.store.paging import Page
from relief.store.rows import conflict_insert
from relief.store.tables import (
    Event,
    Subscription,
    User,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookDeliveryEvent,
    WebhookEndpoint,
)

CURSOR = "outbox"
_D = WebhookDelivery.__table__
_C = WebhookCursor.__table__


# --- endpoints and subscriptions ---------------------------------------------

def add_endpoint(session: Session, *, url: str, description: str | None, secret_encrypted: str,
                 owner_id: int | None, private_host_allowed: bool, now: datetime) -> WebhookEndpoint:
    row = WebhookEndpoint(url=url, description=description, secret_encrypted=secret_encrypted, owner_id=owner_id,
                          private_host_allowed=private_host_allowed, enabled=True, consecutive_failures=0,
                          created_at=now)
    session.add(row)
    session.flush()
    return row


def endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def endpoints(session: Session, *, owner_id: int | None = None) -> list[WebhookEndpoint]:
    """Every endpoint, or one owner's, oldest first."""
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if owner_id is not None:
        query = query.where(WebhookEndpoint.owner_id == owner_id)
    return list(session.scalars(query))


def add_subscription(session: Session, *, owner_id: int | None, owner_role: str | None, endpoint_id: int,
                     areas: list[str], topics: list[str], kinds: list[str], min_level: str | None, mode: str,
                     created_by: int | None, now: datetime, hazards: list[str] | None = None) -> Subscription:
    row = Subscription(owner_id=owner_id, owner_role=owner_role, endpoint_id=endpoint_id, areas=areas,
                       topics=topics, kinds=kinds, hazards=hazards or None, min_level=min_level, mode=mode,
                       active=True,
                       created_by=created_by, created_at=now)
    session.add(row)
    session.flush()
    return row


def subscription(session: Session, subscription_id: int) -> Subscription | None:
    return session.get(Subscription, subscription_id)


def subscriptions(session: Session, *, owner_id: int | None = None) -> list[Subscription]:
    """Active subscriptions, or those one user made or owns, oldest first."""
    query = select(Subscription).where(Subscription.active.is_(True)).order_by(Subscription.id)
    if owner_id is not None:
        query = query.where(or_(Subscription.owner_id == owner_id, Subscription.created_by == owner_id))
    return list(session.scalars(query))


def deactivate_subscription(session: Session, subscription_id: int) -> None:
    session.execute(update(Subscription).where(Subscription.id == subscription_id).values(active=False))


def fan_out_targets(session: Session) -> list[dict[str, Any]]:
    """Active subscriptions on enabled endpoints with the role they receive as (their user's, else their own)."""
    query = (select(Subscription, User.role, User.active)
             .join(WebhookEndpoint, WebhookEndpoint.id == Subscription.endpoint_id)
             .outerjoin(User, User.id == Subscription.owner_id)
             .where(Subscription.active.is_(True), WebhookEndpoint.enabled.is_(True))
             .order_by(Subscription.id))
    out = []
    for row, user_role, user_active in session.execute(query):
        if row.owner_id is not None and not user_active:
            continue
        out.append({"id": row.id, "endpoint_id": row.endpoint_id, "areas": row.areas or [],
                    "topics": row.topics or [], "kinds": row.kinds or [], "hazards": row.hazards or [],
                    "min_level": row.min_level,
                    "mode": row.mode, "role": user_role if row.owner_id is not None else row.owner_role})
    return out


# --- the fan-out ---------------------------------------------------------------

def lock_cursor(session: Session, name: str = CURSOR) -> int:
    """The last seq fanned out under the cursor ``name``; holds that cursor row until commit (PostgreSQL), so
    one fan-out of each cursor runs at a time and fan-outs of different cursors never wait for each other."""
    connection = session.connection()
    connection.execute(conflict_insert(session)(_C).values(name=name, seq=0).on_conflict_do_nothing(
        index_elements=[_C.c.name]))
    return connection.execute(update(_C).where(_C.c.name == name).values(seq=_C.c.seq)
                              .returning(_C.c.seq)).scalar_one()


def set_cursor(session: Session, seq: int, name: str = CURSOR) -> None:
    session.connection().execute(update(_C).where(_C.c.name == name).values(seq=seq))


def cursor(session: Session, name: str = CURSOR) -> int:
    return session.scalar(select(_C.c.seq).where(_C.c.name == name)) or 0


def events_after(session: Session, seq: int, limit: int) -> list[dict[str, Any]]:
    """Outbox events after ``seq``, oldest first, at most ``limit``."""
    rows = session.scalars(select(Event).where(Event.seq > seq).order_by(Event.seq).limit(limit))
    return [{"seq": e.seq, "kind": e.kind, "topic": e.topic, "area_code": e.area_code, "public": e.public,
             "at": e.at.isoformat(), "payload": e.payload} for e in rows]


def held(session: Session, keys: Iterable[str], since: datetime, *, table: Table = _D,
         where: Iterable[ColumnElement[bool]] = ()) -> dict[tuple[int, str], list[dict[str, Any]]]:
    """Deliveries under these fold keys made since ``since``, by (subscription, key), and whether each was tried.

    ``table`` is any outbox table of the same columns (the SMS messages), ``where`` more conditions on it."""
    wanted = sorted(set(keys))
    extra = list(where)
    out: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for start in range(0, len(wanted), 500):
        query = select(table.c.id, table.c.subscription_id, table.c.fold_key, table.c.created_at,
                       table.c.next_attempt_at, table.c.attempts, table.c.lease_holder, table.c.status,
                       table.c.events).where(
            table.c.fold_key.in_(wanted[start:start + 500]), table.c.created_at >= since, *extra)
        for r in session.execute(query):
            out.setdefault((r.subscription_id, r.fold_key), []).append({
                "id": r.id, "created_at": r.created_at, "due_at": r.next_attempt_at,
                "tried": r.attempts > 0 or r.lease_holder is not None or r.status != DeliveryStatus.PENDING,
                "events": len(r.events or [])})
    return out


def add_deliveries(session: Session, rows: list[dict[str, Any]], *, now: datetime) -> list[int]:
    """New deliveries (``webhook_id, subscription_id, endpoint_id, fold_key, events, due_at``), in one statement;
    their ids in the order given. Each event is paired with its subscription (unique: once per pair)."""
    if not rows:
        return []
    values = [{"webhook_id": r["webhook_id"], "subscription_id": r["subscription_id"],
               "endpoint_id": r["endpoint_id"], "first_seq": r["events"][0]["seq"], "fold_key": r["fold_key"],
               "events": r["events"], "status": DeliveryStatus.PENDING, "attempts": 0,
               "next_attempt_at": r["due_at"], "created_at": now} for r in rows]
    ids = session.connection().execute(_D.insert().returning(_D.c.id, sort_by_parameter_order=True),
                                       values).scalars().all()
    add_pairs(session, [(r["subscription_id"], e["seq"], delivery_id)
                        for r, delivery_id in zip(rows, ids, strict=True) for e in r["events"]])
    return list(ids)


def add_delivery(session: Session, *, webhook_id: str, subscription_id: int, endpoint_id: int,
                 event: dict[str, Any], fold_key: str | None, due_at: datetime, now: datetime) -> int:
    return add_deliveries(session, [{"webhook_id": webhook_id, "subscription_id": subscription_id,
                                     "endpoint_id": endpoint_id, "fold_key": fold_key, "events": [event],
                                     "due_at": due_at}], now=now)[0]


def fold_into(session: Session, delivery_id: int, subscription_id: int, events: list[dict[str, Any]]) -> None:
    """Add events to an untried delivery (its webhook-id is unchanged: nothing was sent under it yet)."""
    connection = session.connection()
    held_events = connection.execute(select(_D.c.events).where(_D.c.id == delivery_id)).scalar_one()
    connection.execute(update(_D).where(_D.c.id == delivery_id).values(events=[*held_events, *events]))
    add_pairs(session, [(subscription_id, e["seq"], delivery_id) for e in events])


def add_pairs(session: Session, pairs: list[tuple[int, int, int]]) -> None:
    if pairs:
        session.connection().execute(WebhookDeliveryEvent.__table__.insert(), [
            {"subscription_id": s, "event_seq": seq, "delivery_id": d} for s, seq, d in pairs])


# --- claiming and recording -----------------------------------------------------

def claim_due(session: Session, holder: str, *, now: datetime, lease_until: datetime,
              limit: int) -> list[dict[str, Any]]:
    """Take up to ``limit`` due deliveries for ``holder`` until ``lease_until``, each subscription's in seq order.

    A delivery waits while an older one of its subscription is in backoff (tried, failed, not yet due) or held
    by another worker's lease, so a receiver sees each subscription's events in order even across an outage;
    an older one merely held back (a fold window, a digest) does not block. Candidates come oldest seq
    first, so a subscription's run is claimed from its head; if another worker takes a row first, the rest
    of that subscription's run is left alone. The caller sends a subscription's rows in the order returned
    and stops at its first failure (:func:`release`).
    """
    older = aliased(WebhookDelivery)
    blocked = exists().where(
        older.subscription_id == WebhookDelivery.subscription_id, older.status == DeliveryStatus.PENDING,
        older.first_seq < WebhookDelivery.first_seq,
        or_(and_(older.attempts > 0, older.next_attempt_at > now), older.lease_until > now))
    candidates = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.subscription_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Subscription, Subscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now,
               or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now),
               WebhookEndpoint.enabled.is_(True), Subscription.active.is_(True), ~blocked)
        .order_by(WebhookDelivery.first_seq, WebhookDelivery.id).limit(limit)).all()
    connection = session.connection()
    got: set[int] = set()
    ids = [c[0] for c in candidates]
    for start in range(0, len(ids), 500):
        # Rows another transaction holds (a racing claim, a worker recording its outcomes) are skipped, not
        # waited for, and the rest are locked in id order: racing workers never deadlock on PostgreSQL.
        # A skipped row counts as taken below. SQLite has no row locks; its one writer needs none.
        free = connection.execute(
            select(_D.c.id).where(_D.c.id.in_(ids[start:start + 500])).order_by(_D.c.id)
            .with_for_update(skip_locked=True)).scalars().all()
        if not free:
            continue
        got.update(connection.execute(
            update(_D).where(_D.c.id.in_(free), _D.c.status == DeliveryStatus.PENDING,
                             or_(_D.c.lease_until.is_(None), _D.c.lease_until <= now))
            .values(lease_holder=holder, lease_until=lease_until).returning(_D.c.id)).scalars())
    claimed, broken, give_back = [], set(), []
    for delivery_id, subscription_id in candidates:  # another worker took a row: leave the rest of its run
        if delivery_id not in got:
            broken.add(subscription_id)
        elif subscription_id in broken:
            give_back.append(delivery_id)
        else:
            claimed.append(delivery_id)
    release(session, give_back, holder)
    if not claimed:
        return []
    query = (select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret_encrypted,
                    WebhookEndpoint.private_host_allowed, Subscription.mode)
             .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
             .join(Subscription, Subscription.id == WebhookDelivery.subscription_id)
             .where(WebhookDelivery.id.in_(claimed)).order_by(WebhookDelivery.first_seq, WebhookDelivery.id))
    return [{"id": d.id, "webhook_id": d.webhook_id, "subscription_id": d.subscription_id,
             "endpoint_id": d.endpoint_id, "first_seq": d.first_seq, "fold_key": d.fold_key,
             "events": d.events, "attempts": d.attempts, "created_at": d.created_at, "url": url,
             "secret_encrypted": secret, "private_host_allowed": allowed, "mode": mode}
            for d, url, secret, allowed, mode in session.execute(query)]


def release(session: Session, delivery_ids: Iterable[int], holder: str) -> None:
    """Give claimed rows back untried (an earlier row of their subscription failed this round)."""
    ids = list(delivery_ids)
    if ids:
        session.connection().execute(update(_D).where(_D.c.id.in_(ids), _D.c.lease_holder == holder)
                                     .values(lease_holder=None, lease_until=None))


def record_attempts(session: Session, attempts: list[dict[str, Any]]) -> None:
    """Attempts (``delivery_id, endpoint_id, at, worker, response_code, error, milliseconds``) in one statement."""
    if attempts:
        session.connection().execute(WebhookAttempt.__table__.insert(), [
            {**a, "error": None if a["error"] is None else a["error"][:500]} for a in attempts])


def mark_delivered(session: Session, delivery_ids: Iterable[int] | int, *, now: datetime, response_code: int) -> bool:
    """Delivered (those still pending); False when none was (delivered already by a worker whose lease lapsed)."""
    ids = [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)
    changed = 0
    for start in range(0, len(ids), 500):
        changed += session.connection().execute(
            update(_D).where(_D.c.id.in_(ids[start:start + 500]), _D.c.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.DELIVERED, attempts=_D.c.attempts + 1, delivered_at=now,
                    response_code=response_code, last_error=None, lease_holder=None, lease_until=None)).rowcount
    return changed > 0


def mark_failed(session: Session, delivery_id: int, *, next_attempt_at: datetime | None,
                response_code: int | None, error: str) -> None:
    """Failed once more: due again at ``next_attempt_at``, or dead-lettered when that is None."""
    values: dict[str, Any] = {"attempts": _D.c.attempts + 1, "response_code": response_code,
                              "last_error": error[:500], "lease_holder": None, "lease_until": None}
    if next_attempt_at is None:
        values["status"] = DeliveryStatus.DEAD
    else:
        values["next_attempt_at"] = next_attempt_at
    session.connection().execute(update(_D).where(_D.c.id == delivery_id, _D.c.status == DeliveryStatus.PENDING)
                                 .values(**values))


def endpoints_succeeded(session: Session, endpoint_ids: Iterable[int]) -> None:
    ids = sorted(set(endpoint_ids))
    if ids:
        session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids),
                                                      WebhookEndpoint.consecutive_failures != 0)
                        .values(consecutive_failures=0, failing_since=None))


def endpoint_failed(session: Session, endpoint_id: int, now: datetime) -> WebhookEndpoint:
    """One more failure in a row; returns the endpoint as it now stands."""
    session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(
        consecutive_failures=WebhookEndpoint.consecutive_failures + 1,
        failing_since=func.coalesce(WebhookEndpoint.failing_since, now)))
    row = session.get(WebhookEndpoint, endpoint_id)
    session.refresh(row)
    return row


def set_endpoint_enabled(session: Session, endpoint_id: int, enabled: bool, reason: str | None) -> bool:
    """Enable or disable; True when this call changed it (so a notice is sent once)."""
    result = session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                                           WebhookEndpoint.enabled.is_(not enabled))
                             .values(enabled=enabled, disabled_reason=reason,
                                     **({"consecutive_failures": 0, "failing_since": None} if enabled else {})))
    return result.rowcount == 1


# --- the log, dead letters and replay --------------------------------------------

def delivery(session: Session, delivery_id: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id)


def deliveries(session: Session, endpoint_id: int, *, status: str | None, offset: int, limit: int) -> Page:
    """An endpoint's deliveries, newest first."""
    where = [WebhookDelivery.endpoint_id == endpoint_id]
    if status is not None:
        where.append(WebhookDelivery.status == status)
    total = session.scalar(select(func.count()).select_from(WebhookDelivery).where(*where)) or 0
    rows = list(session.scalars(select(WebhookDelivery).where(*where).order_by(WebhookDelivery.id.desc())
                                .offset(offset).limit(limit)))
    return Page(rows, total, offset, limit)


def attempts_of(session: Session, delivery_ids: Iterable[int]) -> dict[int, list[WebhookAttempt]]:
    ids = list(delivery_ids)
    out: dict[int, list[WebhookAttempt]] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids))
                                   .order_by(WebhookAttempt.id)):
            out[row.delivery_id].append(row)
    return out


def replay(session: Session, delivery_id: int, *, now: datetime) -> bool:
    """A dead delivery pending again, due now, with its attempts counted afresh; False if it was not dead."""
    result = session.execute(update(WebhookDelivery).where(
        and_(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.DEAD))
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, lease_holder=None,
                lease_until=None))
    return result.rowcount == 1


def status_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(_D.c.status, func.count()).group_by(_D.c.status)).all())
