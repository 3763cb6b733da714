"""Times on pages: in the configured zone (``RELIEF_TIMEZONE``, Beijing time by default), to the minute.

Data and the API keep UTC ISO 8601 (``relief.jsonable.moment``); only what a person reads is local.
Templates write ``{{ value|local_time }}`` (``local_time(value, time_only=True)`` for ``HH:MM``);
``templates/base.html`` hands the zone to scripts as ``<meta name="relief-time-zone">``, where
``relief.fmtTime`` (``static/js/common.js``) formats with the same pattern, so a time reads the same
whether the server or the browser wrote it: ``2026-11-20 09:00``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app

from relief.config import time_zone

#: What people read: date and time to the minute, never seconds or microseconds.
PATTERN = "%Y-%m-%d %H:%M"
TIME_ONLY = "%H:%M"


def zone() -> tzinfo:
    """The configured zone of the running app."""
    return time_zone(current_app.config.get("TIMEZONE"))


def intl_zone(tz: tzinfo) -> str:
    """The zone's name for the browser's ``Intl.DateTimeFormat({timeZone})``.

    An IANA zone keeps its name; a whole-hour offset becomes ``Etc/GMT-8`` (POSIX signs: east is minus);
    any other offset is written ``+05:30``, which current browsers accept too.
    """
    if isinstance(tz, ZoneInfo):
        return tz.key
    offset = tz.utcoffset(None) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    if minutes % 60 == 0:
        return f"Etc/GMT{-minutes // 60:+d}"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _moment(value) -> datetime | None:
    """A datetime from a datetime or ISO 8601 text; naive means UTC (as relief stores it)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def local_time(value, time_only: bool = False, tz: tzinfo | None = None) -> str:
    """``value`` in the configured zone as ``YYYY-MM-DD HH:MM`` (``HH:MM`` with ``time_only``).

    Text that is not a time is shown as it is; nothing (None, "") is an empty string.
    """
    moment = _moment(value)
    if moment is None:
        return "" if value is None else str(value)
    return moment.astimezone(tz or zone()).strftime(TIME_ONLY if time_only else PATTERN)


def page_time_zone() -> str:
    """The zone scripts format in (``<meta name="relief-time-zone">``)."""
    return intl_zone(zone())


def init_app(app) -> None:
    """Register the ``local_time`` filter and the ``time_zone()`` global for every template."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_global(page_time_zone, "time_zone")
