"""The demo's clock: every time it stamps is placed relative to one moment, ``as_of``.

``relief demo`` passes the moment it runs (or ``--as-of``), so a newcomer
opens a demo that is happening now: reports just due, supplies about to run
out. The same seed and ``as_of`` give the same frames. :data:`DEMO_NOW` is a
fixed reference moment for callers that want a reproducible region without
choosing one (tests, benchmarks).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8))
DEMO_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ)
"""A fixed reference "now" (Friday 10:00 in Enshi) for reproducible regions."""


def demo_clock(as_of: datetime) -> datetime:
    """``as_of`` in China time; a naive moment is refused (it would be read differently on each machine)."""
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be a timezone-aware datetime")
    return as_of.astimezone(CHINA_TZ)
