"""relief.jsonable: every value an answer or event carries, as strict JSON."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from relief.jsonable import jsonable


def test_non_finite_numbers_become_null_everywhere_in_the_value():
    value = {"a": float("nan"), "b": [float("inf"), 1.5, {"c": float("-inf")}], "d": np.float64("nan"),
             "e": np.float32(2.5), "f": (np.int64(3), np.bool_(True))}
    plain = jsonable(value)
    assert plain == {"a": None, "b": [None, 1.5, {"c": None}], "d": None, "e": 2.5, "f": [3, True]}
    assert json.loads(json.dumps(plain, allow_nan=False)) == plain


def test_moments_are_iso_8601_and_missing_moments_null():
    moment = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
    assert jsonable([moment, pd.Timestamp(moment), date(2026, 11, 20), pd.NaT, pd.NA]) == [
        "2026-11-20T01:00:00+00:00", "2026-11-20T01:00:00+00:00", "2026-11-20", None, None]


def test_arrays_decimals_and_numpy_keys_are_plain():
    assert jsonable({np.int64(1): np.array([1.0, np.nan]), "m": Decimal("1.25")}) == {1: [1.0, None], "m": 1.25}


def test_an_object_with_no_json_meaning_is_a_type_error_not_a_guess():
    with pytest.raises(TypeError):
        jsonable({"x": object()})
