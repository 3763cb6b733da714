"""Published versions of the standards document."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from relief.store.tables import StandardsVersion


def active_document(session: Session) -> dict[str, Any] | None:
    row = session.scalar(select(StandardsVersion).where(StandardsVersion.active.is_(True))
                         .order_by(StandardsVersion.id.desc()))
    return row.document if row else None


def version_exists(session: Session, version: str) -> bool:
    return session.scalar(select(StandardsVersion.id).where(StandardsVersion.version == version)) is not None


def publish(session: Session, document: dict[str, Any], user_id: int | None) -> None:
    session.execute(update(StandardsVersion).values(active=False))
    session.add(StandardsVersion(version=str(document["version"]), document=document, active=True, created_by=user_id))


def versions(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(StandardsVersion).order_by(StandardsVersion.id))
    return [{"version": r.version, "active": r.active, "created_at": r.created_at.isoformat()} for r in rows]


def active_version(session: Session) -> tuple | None:
    """(id, version, created_at) of the standards in force: a cheap key before reusing a parsed document."""
    table = StandardsVersion.__table__.c
    query = (select(table.id, table.version, table.created_at).where(table.active.is_(True))
             .order_by(table.id.desc()).limit(1))
    row = session.connection().execute(query).first()
    return tuple(row) if row else None
