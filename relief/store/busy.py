"""Telling "the store is busy, retry" from "the request is wrong", by driver codes, never by message."""
from __future__ import annotations

from sqlalchemy import exc

SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (extended codes carry them in the low byte)
#: PostgreSQL SQLSTATEs that mean "not now", not "wrong": lock/statement timeouts, deadlock, serialisation.
POSTGRES_BUSY_STATES = {"55P03", "57014", "40P01", "40001"}


def is_busy(error: BaseException) -> bool:
    """Whether a driver error means the store was busy (retry later) rather than the request wrong."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection free in time
        return True
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_BUSY_CODES
    return getattr(orig, "sqlstate", None) in POSTGRES_BUSY_STATES
