"""Checks and time conversions shared by the vectorised domain modules.

Frames come from callers (services, importers, benchmarks), so a missing
column is a clear error naming ``frame.column``; moments must carry a time
zone, and are compared as UTC nanoseconds.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from relief.errors import ValidationFailed


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Refuse a frame lacking a column, naming ``frame.column`` as the field.

    Empty frames pass: callers may hand ``pd.DataFrame()`` for "none at all".
    """
    if len(frame) == 0:
        return
    for column in columns:
        if column not in frame.columns:
            raise ValidationFailed(f"{name} lacks column {column!r}", field=f"{name}.{column}")


def utc_ns(moment: Any, field: str = "as_of") -> int:
    """A tz-aware moment as UTC nanoseconds; naive moments are refused."""
    ts = pd.Timestamp(moment)
    if ts.tzinfo is None:
        raise ValidationFailed(f"{field} must carry a time zone", field=field)
    return int(ts.tz_convert("UTC").as_unit("ns").value)


def times_ns(values: pd.Series, field: str) -> np.ndarray:
    """A column of tz-aware moments as UTC nanoseconds (NaT as int64 min)."""
    try:
        stamps = pd.DatetimeIndex(values)
    except ValueError:  # aware moments with mixed offsets
        stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
    if stamps.tz is None:
        raise ValidationFailed(f"{field} must carry a time zone", field=field)
    return stamps.tz_convert("UTC").as_unit("ns").asi8


def moments_after(now_ns: int, after_s: np.ndarray) -> pd.DatetimeIndex:
    """UTC moments ``after_s`` seconds after ``now_ns``; NaT where not finite."""
    finite = np.isfinite(after_s)
    ns = np.full(after_s.shape, np.iinfo(np.int64).min, dtype=np.int64)
    ns[finite] = now_ns + np.rint(after_s[finite] * 1e9).astype(np.int64)
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
