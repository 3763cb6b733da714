"""The append-only audit trail: written in the caller's transaction, never updated."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from relief.store.tables import AuditEntry

_INSERT = insert(AuditEntry.__table__)


def write_audit(session: Session, entries: list[dict[str, Any]]) -> None:
    """Insert a transaction's audit rows in one statement, at its end.

    A plain INSERT rather than ORM objects: every write pays for this, and
    the rows are never read back in the transaction that makes them.
    """
    if entries:
        session.connection().execute(_INSERT, entries)


def audit_rows(session: Session, *, entity: str | None = None, entity_id: str | None = None,
               limit: int = 200) -> list[dict[str, Any]]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    return [
        {"id": a.id, "at": a.at.isoformat(), "actor_id": a.actor_id, "actor": a.actor_name, "action": a.action,
         "entity": a.entity, "entity_id": a.entity_id, "reason": a.reason, "detail": a.detail}
        for a in session.scalars(query)
    ]
