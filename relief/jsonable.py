"""Values as strict JSON: the one conversion every answer and event goes through.

JSON has no NaN or Infinity, and a browser's ``JSON.parse`` refuses a whole
answer over one of them, so a figure that is not a finite number is sent
as ``null`` ("not known"). numpy and pandas scalars become Python numbers,
moments ISO 8601 strings (pandas' missing values ``null``). Importable from
every layer, like :mod:`relief.errors`: the web's JSON provider, the live
events and the kept resend answers use the same rules.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time
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
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, Decimal):
        return jsonable(float(value))
    raise TypeError(f"{type(value).__name__} is not JSON")


def _key(key: Any) -> Any:
    """A dict key the json module can write (it turns numbers, booleans and None into strings itself)."""
    plain = jsonable(key)
    if isinstance(plain, (list, dict)):
        raise TypeError(f"{type(key).__name__} cannot be a JSON object key")
    return plain
