"""Which standards document is in force, and publishing a new one.

The document in force is the store's active published version; before any is
published, the fallback the edge chose (``create_app`` passes the bundled
document). A published version lacking a section added since is completed
from that fallback (``domain.standards.completed``). The copy read from the
database is kept on the store (``Store.memo``) for a few seconds, so two
stores in one process never share it and publishing through any context of a
store is seen at once by all of them.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Mapping

from relief.domain.standards import Standards, completed, validate_document
from relief.errors import Conflict
from relief.services.context import Context
from relief.store import standards as store
from relief.store.db import Store

_CACHE_SECONDS = 5.0
_MEMO_KEY = "standards.active"


class _Active:
    """One store's last read of its active document: ``(read at, document or None)``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.read: tuple[float, Mapping[str, Any] | None] | None = None


def _active(db: Store) -> _Active:
    kept = db.memo.get(_MEMO_KEY)
    return kept if kept is not None else db.memo.setdefault(_MEMO_KEY, _Active())


def _active_document(db: Store) -> Mapping[str, Any] | None:
    """The active published document, read again at most every few seconds."""
    active = _active(db)
    with active.lock:
        hit = active.read
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    with db.read() as session:
        document = store.active_document(session)
    with active.lock:
        active.read = (time.monotonic(), document)
    return document


def standards_loader(db: Store, fallback: Standards) -> Callable[[], Standards]:
    """The standards in force on ``db``: its active version (completed from ``fallback``), else ``fallback``."""
    last: list[tuple[Any, Standards]] = [(None, fallback)]  # the document last seen and its Standards

    def load() -> Standards:
        document = _active_document(db)
        if document is None:
            return fallback
        seen, standards = last[0]
        if seen is not document:
            standards = Standards(completed(document, fallback.document))
            last[0] = (document, standards)
        return standards

    return load


def forget_cached(db: Store) -> None:
    """Read the active version again on next use (after a publish, or to see another process's)."""
    db.memo.pop(_MEMO_KEY, None)


def publish(ctx: Context, document: Any, reason: str | None = None) -> str:
    """Validate and activate a new standards version (admins only, audited)."""
    document = validate_document(document)
    from relief.domain.reports import DeadlineRules  # pandas: imported by the few who publish, not every reader

    DeadlineRules.parse(document["report_deadlines"])  # refused now, not at the next overdue list
    with ctx.transaction() as unit:
        if store.version_exists(unit.session, str(document["version"])):
            raise Conflict(f"standards version {document['version']!r} exists; give a new version", field="version")
        store.publish(unit.session, document, ctx.actor.id)
        unit.audit("standards.publish", "standards", document["version"], reason=reason)
    forget_cached(ctx.store)
    return str(document["version"])


def versions(ctx: Context) -> list[dict[str, Any]]:
    with ctx.reading() as session:
        return store.versions(session)
