"""Health and schema state: what store is in use and at which revision."""
from __future__ import annotations

from typing import Any

from relief import __version__
from relief.services.context import Context
from relief.store import events, migrate


def health(ctx: Context) -> dict[str, Any]:
    current = migrate.current_revision(ctx.store)
    head = migrate.head_revision(ctx.store)
    with ctx.reading() as session:
        seq = events.latest_seq(session) if current else 0
    return {
        "status": "ok" if current == head else "schema_outdated",
        "version": __version__,
        "store": ctx.store.describe(),
        "schema_revision": current,
        "schema_head": head,
        "standards_version": ctx.standards.version,
        "latest_event_seq": seq,
    }


def init_db(ctx: Context) -> str | None:
    return migrate.upgrade(ctx.store)
