"""Values as strict JSON: the one conversion every answer and event goes through.

JSON has no NaN or Infinity, and a browser's ``JSON.parse`` refuses a whole
answer over one of them, so a figure that is not a finite number is sent
as ``null`` ("not known"). numpy and pandas scalars become Python numbers,
moments ISO 8601 strings in UTC, as the store keeps them (a moment made in
this transaction from a client's ``+08:00`` reads the same as after a
reload; pandas' missing values ``null``). Importable from every layer, like
:mod:`relief.errors`: the web's JSON provider, the live events, the kept
resend answers and every answer shape in ``services/*_json.py`` use the same
rules, so no module keeps a NaN or time conversion of its own.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """``value`` made of dicts, lists, str, int, finite floats, bools and None only.

    Raises ``TypeError`` for a value with no JSON meaning (an object a
    service should not have returned): that is a bug, not something to
    paper over.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {(key if isinstance(key, str) else _key(key)): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(item) for item in value]
    return scalar(value)


def scalar(value: Any) -> Any:
    """One value the json module cannot write itself (its ``default``), as plain JSON."""
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(timezone.utc)).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, Decimal):
        return jsonable(float(value))
    raise TypeError(f"{type(value).__name__} is not JSON")


def number(value: Any, digits: int | None = None) -> float | None:
    """A figure as JSON: missing, NaN and ±∞ are ``null`` (say in the field's docs which it means), else a float.

    ``digits`` rounds it (a figure of days or litres shown to 3 places).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return value if digits is None else round(value, digits)


def moment(value: Any) -> str | None:
    """A moment as UTC ISO 8601, or ``None`` when missing (None, NaT, NaN); numpy datetimes too."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    return scalar(value)


def _key(key: Any) -> Any:
    """A dict key the json module can write (it turns numbers, booleans and None into strings itself)."""
    plain = jsonable(key)
    if isinstance(plain, (list, dict)):
        raise TypeError(f"{type(key).__name__} cannot be a JSON object key")
    return plain


def text(value: Any) -> str | None:
    """A code or word as JSON: ``None`` when missing (None, NaN, pd.NA — pandas' gaps in a text column), else str."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)
