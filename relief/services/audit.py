"""Reading the audit trail (writing happens inside each use case's transaction)."""
from __future__ import annotations

from typing import Any, Mapping

from relief.services.context import Context
from relief.store.audit import audit_rows


def entries(ctx: Context, *, entity: str | None = None, entity_id: str | None = None, limit: int = 200) -> list[dict]:
    with ctx.reading() as session:
        return audit_rows(session, entity=entity, entity_id=entity_id, limit=limit)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"before": old, "after": new}}`` for the fields of ``after`` whose value differs: an edit's
    audit detail (old → new), in the order ``after`` names them."""
    return {key: {"before": before.get(key), "after": value} for key, value in after.items()
            if before.get(key) != value}
