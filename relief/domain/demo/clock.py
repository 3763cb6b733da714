"""The fixed demo clock, shared by every part that stamps a time.

A constant rather than the wall clock so the same seed gives the same frames
whenever it runs, and the guarantees' verdicts do not drift with the date.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8))
DEMO_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ)
"""The demo's "now": distributions, visits and incidents are placed relative to it."""
