"""Checked values from a request body, each refusal naming its field.

Services (not the web layer) parse their bodies with these, so the API, the
CLI and tests accept exactly the same input. ``field`` defaults to the key;
callers checking a list pass e.g. ``assignments[2].site_id``.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Mapping

from relief.domain import limits
from relief.errors import ValidationFailed

MAX_TEXT = 2000
MAX_ID = 40
#: Clocks on phones drift; a moment "from the future" beyond this is refused.
FUTURE_SLACK = timedelta(minutes=10)


def text(body: Mapping[str, Any], name: str, *, required: bool = False, limit: int = MAX_TEXT,
         field: str | None = None) -> str | None:
    field = field or name
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be text", field=field)
    value = value.strip()
    if "\x00" in value:  # no database keeps a NUL in text (PostgreSQL refuses it): refused here, for every store
        raise ValidationFailed(f"{field} must not contain a NUL character", field=field)
    if len(value) > limit:
        raise ValidationFailed(f"{field} is longer than {limit} characters", field=field)
    return value


def identifier(body: Mapping[str, Any], name: str, *, required: bool = True, field: str | None = None) -> str | None:
    """A record id (text, or a whole number sent as JSON number)."""
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) or value is None:
        return text({name: value}, name, required=required, limit=MAX_ID, field=field or name)
    raise ValidationFailed(f"{field or name} must be an id (text)", field=field or name)


def choice(body: Mapping[str, Any], name: str, allowed: tuple[str, ...], *, required: bool = True,
           default: str | None = None, field: str | None = None) -> str | None:
    field = field or name
    value = body.get(name)
    if value is None or value == "":
        if required and default is None:
            raise ValidationFailed(f"{field} is required: one of {', '.join(allowed)}", field=field)
        return default
    if value not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}", field=field)
    return value


def number(body: Mapping[str, Any], name: str, *, required: bool = True, positive: bool = False,
           nonzero: bool = False, minimum: float | None = None, maximum: float | None = None,
           field: str | None = None) -> float | None:
    """A finite JSON number within its range (booleans and numeric strings are refused: they hide client bugs).

    The range is ``name``'s in :mod:`relief.domain.limits`, narrowed by ``minimum``/``maximum``.
    """
    field = field or name
    value = body.get(name)
    if value is None:
        if required:
            raise ValidationFailed(f"{field} is required", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationFailed(f"{field} must be a number", field=field)
    bounds = limits.number_range(name)
    low = bounds.low if minimum is None else max(bounds.low, minimum)
    high = bounds.high if maximum is None else min(bounds.high, maximum)
    finite = isinstance(value, int) or math.isfinite(value)  # an int of any size compares exactly, never overflows
    if not (finite and low <= value <= high):
        raise ValidationFailed(f"{field} must be a number between {low:g} and {high:g}", field=field)
    value = float(value)
    if positive and value <= 0:
        raise ValidationFailed(f"{field} must be greater than zero", field=field)
    if nonzero and value == 0:
        raise ValidationFailed(f"{field} must not be zero", field=field)
    return value


def record_id(body: Mapping[str, Any], name: str, *, required: bool = True, field: str | None = None) -> int | None:
    """The id of a numbered record (an incident, a plan): a whole JSON number, or its digits as text.

    ``1.5`` or ``true`` is refused rather than read as 1; beyond the id columns' range is refused too.
    """
    field = field or name
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"{field} is required", field=field)
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 19 else limits.ID.high + 1
    if isinstance(value, bool) or not isinstance(value, int) or value not in limits.ID:
        raise ValidationFailed(f"{field} must be a record id: {limits.ID.describe()}", field=field)
    return value


def boolean(body: Mapping[str, Any], name: str, *, default: bool | None = None, field: str | None = None) -> bool:
    field = field or name
    value = body.get(name)
    if value is None and default is not None:
        return default
    if not isinstance(value, bool):
        raise ValidationFailed(f"{field} must be true or false", field=field)
    return value


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 time that states its UTC offset (a naive time is ambiguous across time zones)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(f"{field} must be an ISO 8601 time with offset, e.g. 2026-11-20T09:00:00+08:00",
                                   field=field) from None
    else:
        raise ValidationFailed(f"{field} must be an ISO 8601 time with offset", field=field)
    if parsed.tzinfo is None:
        raise ValidationFailed(f"{field} needs a UTC offset, e.g. +08:00", field=field)
    if not limits.in_time_window(parsed):
        raise ValidationFailed(f"{field} must lie between {limits.EARLIEST:%Y-%m-%d} and {limits.LATEST:%Y-%m-%d}",
                               field=field)
    return parsed


def not_future(moment_: datetime, field: str, now: datetime) -> datetime:
    if moment_ > now + FUTURE_SLACK:
        raise ValidationFailed(f"{field} is in the future", field=field)
    return moment_


def moment(body: Mapping[str, Any], name: str, *, now: datetime, field: str | None = None) -> datetime:
    """An ISO 8601 time with offset, not in the future; ``now`` when absent."""
    field = field or name
    value = body.get(name)
    if value is None or value == "":
        return now
    return not_future(parse_time(value, field), field, now)


def mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{field} must be a JSON object", field=field)
    return value
