"""The scheduler's lease (one leader among several processes) and its once-only overdue announcements.

Both are single statements that settle races in the database itself, the
same way on SQLite and PostgreSQL:

- the lease is taken or renewed with ``INSERT … ON CONFLICT (name) DO
  UPDATE … WHERE holder = me OR expires_at <= now RETURNING name``: a row
  comes back only to the process that now holds it;
- an announcement is claimed with ``INSERT … ON CONFLICT (key) DO NOTHING
  RETURNING key``: of two processes claiming the same deadline, only the
  one whose row went in gets the key back (PostgreSQL makes the other wait
  for the first to commit; SQLite runs one writer at a time).

Moments come from the caller's clock (``ctx.now()``), never the database's.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from relief.store.rows import conflict_insert
from relief.store.tables import OverdueAnnouncement, SchedulerLease

_L = SchedulerLease.__table__
_A = OverdueAnnouncement.__table__


def take_lease(session: Session, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
    """Take the lease ``name`` for ``holder`` until ``now + seconds``, or renew it; False while another holds it."""
    expires_at = now + timedelta(seconds=seconds)
    statement = conflict_insert(session)(_L).values(name=name, holder=holder, expires_at=expires_at)
    statement = statement.on_conflict_do_update(
        index_elements=[_L.c.name],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=or_(_L.c.holder == holder, _L.c.expires_at <= now),
    ).returning(_L.c.name)
    return session.connection().execute(statement).first() is not None


def release_lease(session: Session, name: str, holder: str, *, now: datetime) -> None:
    """Let the lease go now (a stopping leader), so another process need not wait for it to expire."""
    session.connection().execute(update(_L).where(_L.c.name == name, _L.c.holder == holder).values(expires_at=now))


def lease_holder(session: Session, name: str) -> tuple[str, datetime] | None:
    """(holder, expires_at) of the lease ``name``, if it was ever taken."""
    row = session.connection().execute(select(_L.c.holder, _L.c.expires_at).where(_L.c.name == name)).first()
    return None if row is None else (row[0], row[1])


def claim_announcements(session: Session, claims: Iterable[dict[str, Any]], *, now: datetime) -> set[str]:
    """Record announcements (dicts with ``key, incident_id, report_kind, township_code, due_at``) not made before.

    Returns the keys this call recorded: announce those, and only those.
    """
    wanted = {claim["key"]: claim for claim in claims}
    if not wanted:
        return set()
    connection = session.connection()
    seen: set[str] = set()
    keys = sorted(wanted)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        seen.update(connection.execute(select(_A.c.key).where(_A.c.key.in_(chunk))).scalars())
    claimed = set()
    insert = conflict_insert(session)
    for key in keys:
        if key in seen:
            continue
        claim = wanted[key]
        statement = insert(_A).values(
            key=key, incident_id=claim["incident_id"], report_kind=claim["report_kind"],
            township_code=claim.get("township_code"), due_at=claim["due_at"], announced_at=now,
        ).on_conflict_do_nothing(index_elements=[_A.c.key]).returning(_A.c.key)
        if connection.execute(statement).first() is not None:
            claimed.add(key)
    return claimed
