"""Which standards document is in force, and publishing a new one."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from relief.domain.reports import DeadlineRules
from relief.domain.standards import Standards, validate_document
from relief.errors import Conflict
from relief.services.context import Context
from relief.store import standards as store
from relief.store.db import Store

_CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, Standards]] = {}
_lock = threading.Lock()


def standards_loader(db: Store) -> Callable[[], Standards]:
    """A loader that reads the active version at most every few seconds."""

    def load() -> Standards:
        with _lock:
            hit = _cache.get(db.url)
            if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
                return hit[1]
        with db.read() as session:
            document = store.active_document(session)
        standards = Standards(document) if document else Standards()
        with _lock:
            _cache[db.url] = (time.monotonic(), standards)
        return standards

    return load


def forget_cached() -> None:
    with _lock:
        _cache.clear()


def publish(ctx: Context, document: Any, reason: str | None = None) -> str:
    """Validate and activate a new standards version (admins only, audited)."""
    document = validate_document(document)
    DeadlineRules.parse(document["report_deadlines"])  # refused now, not at the next overdue list
    with ctx.transaction() as unit:
        if store.version_exists(unit.session, str(document["version"])):
            raise Conflict(f"standards version {document['version']!r} exists; give a new version", field="version")
        store.publish(unit.session, document, ctx.actor.id)
        unit.audit("standards.publish", "standards", document["version"], reason=reason)
    forget_cached()
    return str(document["version"])


def versions(ctx: Context) -> list[dict[str, Any]]:
    with ctx.reading() as session:
        return store.versions(session)
