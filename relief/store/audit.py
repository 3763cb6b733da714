"""The append-only audit trail: written in the caller's transaction, never updated."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relief.store.tables import AuditEntry


def record_audit(session: Session, *, actor_id: int | None, actor_name: str, action: str, entity: str,
                 entity_id: str | None, reason: str | None, detail: dict[str, Any] | None, at: datetime) -> None:
    session.add(AuditEntry(actor_id=actor_id, actor_name=actor_name, action=action, entity=entity,
                           entity_id=entity_id, reason=reason, detail=detail, at=at))


def audit_rows(session: Session, *, entity: str | None = None, entity_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
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
