"""The event outbox: rows written with the change, numbered in commit order.

Events are collected during a transaction and inserted at its very end. On
PostgreSQL an advisory transaction lock is taken first, so sequence numbers
are handed out in the order transactions commit and a client that has seen
``seq`` N can never later miss an event numbered below N. SQLite already
serialises writers.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.orm import Session

from relief.domain.audience import Audience
from relief.store.tables import Event

_OUTBOX_LOCK_KEY = 7_714_001
_INSERT = insert(Event.__table__).returning(Event.__table__.c.seq, sort_by_parameter_order=True)


def pending_event(*, kind: str, topic: str, payload: dict[str, Any], area_code: str | None,
                  audience: Audience, at: datetime) -> dict[str, Any]:
    """An event as the outbox row it will become at the end of the transaction (see :func:`assign_sequence`).

    The audience is kept in the ``public`` column (see :mod:`relief.domain.audience`).
    """
    return {"kind": kind, "topic": topic, "payload": payload, "area_code": area_code, "public": audience.public,
            "at": at}


def assign_sequence(session: Session, pending: list[dict[str, Any]]) -> None:
    """Insert the pending events; fills in each one's ``seq``."""
    if not pending:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTBOX_LOCK_KEY})
    seqs = connection.execute(_INSERT, pending).scalars().all()
    for event, seq in zip(pending, seqs, strict=True):
        event["seq"] = seq


def materialise(event: dict[str, Any]) -> dict[str, Any]:
    out = dict(event)
    out["at"] = event["at"].isoformat()
    return out


def _row(event: Event) -> dict[str, Any]:
    return {"seq": event.seq, "kind": event.kind, "topic": event.topic, "area_code": event.area_code,
            "public": event.public, "at": event.at.isoformat(), "payload": event.payload}


def latest_seq(session: Session) -> int:
    return session.scalar(select(func.max(Event.seq))) or 0


def events_since(session: Session, since: int, *, topics: Iterable[str], areas: Iterable[str] | None,
                 audiences: Iterable[Audience], limit: int) -> list[dict[str, Any]]:
    """Events after ``since`` for these topics/areas and audiences, oldest first, at most ``limit + 1``."""
    query = select(Event).where(Event.seq > since, Event.topic.in_(list(topics))).order_by(Event.seq).limit(limit + 1)
    if areas is not None:
        query = query.where(or_(Event.area_code.in_(list(areas)), Event.area_code.is_(None)))
    query = query.where(Event.public.in_(sorted({audience.public for audience in audiences})))
    return [_row(e) for e in session.scalars(query)]
