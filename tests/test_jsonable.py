"""relief.jsonable: every value an answer or event carries, as strict JSON."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from relief.jsonable import jsonable, moment, number


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


def test_moments_with_an_offset_are_written_in_utc_and_naive_ones_as_given():
    beijing = timezone(timedelta(hours=8))
    assert jsonable(datetime(2026, 11, 20, 9, 0, tzinfo=beijing)) == "2026-11-20T01:00:00+00:00"
    assert jsonable(datetime(2026, 11, 20, 9, 0)) == "2026-11-20T09:00:00"


def test_number_is_a_finite_float_or_null():
    assert [number(v) for v in (None, float("nan"), float("inf"), -np.inf, pd.NA, np.int64(2))] == [
        None, None, None, None, None, 2.0]
    assert number(np.float64(1.23456), 3) == 1.235


def test_moment_is_utc_iso_8601_or_null():
    beijing = timezone(timedelta(hours=8))
    assert [moment(v) for v in (None, pd.NaT, float("nan"), np.datetime64("NaT"))] == [None] * 4
    assert moment(pd.Timestamp("2026-11-20T09:00:00+08:00")) == "2026-11-20T01:00:00+00:00"
    assert moment(datetime(2026, 11, 20, 9, 0, tzinfo=beijing)) == "2026-11-20T01:00:00+00:00"
    assert moment(np.datetime64("2026-11-20T01:00:00")) == "2026-11-20T01:00:00"
