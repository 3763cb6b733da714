"""Reading the audit trail (writing happens inside each use case's transaction)."""
from __future__ import annotations

from relief.services.context import Context
from relief.store.audit import audit_rows


def entries(ctx: Context, *, entity: str | None = None, entity_id: str | None = None, limit: int = 200) -> list[dict]:
    with ctx.reading() as session:
        return audit_rows(session, entity=entity, entity_id=entity_id, limit=limit)
