"""Register checks: the first bad value with file, spreadsheet row and column; typed output; areas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from relief.domain.registers import Known, area_codes, validate_register
from relief.errors import ImportRejected
from tests.register_samples import sample_register


def rejected(raw, known=None, **kwargs) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        validate_register(raw, known, **kwargs)
    return caught.value


def where(error: ImportRejected) -> tuple:
    return error.file, error.row, error.column


def test_the_sample_passes_typed():
    out = validate_register(sample_register())
    households = out["households"]
    assert households["members"].tolist() == [2] * 9
    assert households["evacuated"].dtype == bool and households["lat"].dtype == float
    assert households["site_id"].tolist()[:4] == [None, None, None, "S_MEALS"]
    assert str(out["distributions"]["distributed_at"].dt.tz) == "UTC"
    assert out["items"].loc[1, "kcal_per_unit"] == 0.0  # empty amount → 0


@pytest.mark.parametrize("stem, row, column, value, expected", [
    ("households", 0, "members", "0", "members must be at least 1"),
    ("households", 2, "members", "2.5", "whole number"),
    ("households", 1, "house_damage", "flattened", "house_damage must be one of"),
    ("households", 3, "needs_living_aid", "yes", "needs_living_aid must be one of 0, 1"),
    ("households", 0, "lat", "95", "lat must be at most 90"),
    ("households", 0, "lon", "east", "lon must be a number"),
    ("households", 0, "injured", "3", "injured cannot exceed members"),
    ("households", 0, "head_name", "", "head_name is required"),
    ("households", 4, "site_id", "", "site_id is required when shelter is site"),
    ("households", 0, "site_id", "S_MEALS", "site_id is only for shelter = site"),
    ("households", 3, "site_id", "S_NOWHERE", "'S_NOWHERE' is not in sites.csv nor in the database"),
    ("sites", 2, "status", "half", "status must be one of open, closed"),
    ("sites", 0, "capacity_persons", "-3", "at least 0"),
    ("items", 0, "guarantee", "fuel", "guarantee must be one of"),
    ("distributions", 1, "distributed_at", "2026-11-20T09:00:00", "needs a UTC offset"),
    ("distributions", 1, "distributed_at", "20/11/2026 09:00+08:00", "ISO 8601"),
    ("distributions", 0, "quantity", "-1", "quantity must be at least 0"),
    ("distributions", 2, "item_code", "caviar", "'caviar' is not in items.csv"),
    ("medical_visits", 0, "household_id", "H_GHOST", "'H_GHOST' is not in households.csv"),
])
def test_a_bad_value_is_named_by_file_row_and_column(stem, row, column, value, expected):
    raw = sample_register()
    raw[stem].loc[row, column] = value
    error = rejected(raw)
    assert where(error) == (f"{stem}.csv", row + 2, column)
    assert expected in error.message


def test_lat_without_lon():
    raw = sample_register()
    raw["households"].loc[0, "lon"] = ""
    assert where(rejected(raw)) == ("households.csv", 2, "lon")
    raw["households"].loc[0, "lat"] = ""
    out = validate_register(raw)["households"]  # neither is fine: position unknown
    assert np.isnan(out.loc[0, "lat"]) and np.isnan(out.loc[0, "lon"])


def test_age_groups_cannot_exceed_members():
    raw = sample_register()
    raw["households"].loc[5, ["infants", "children"]] = ["1", "1"]  # + 1 elderly = 3 > 2 members
    error = rejected(raw)
    assert where(error) == ("households.csv", 7, "members")


def test_duplicate_ids_name_the_second_row():
    raw = sample_register()
    raw["households"].loc[6, "household_id"] = "H_LAPSED"
    assert where(rejected(raw)) == ("households.csv", 8, "household_id")


def test_first_error_is_the_lowest_row_then_the_column_order():
    raw = sample_register()
    raw["households"].loc[5, "household_id"] = ""
    raw["households"].loc[3, "evacuated"] = "2"
    raw["households"].loc[3, "members"] = "x"
    assert where(rejected(raw)) == ("households.csv", 5, "members")


def test_files_are_checked_in_a_fixed_order():
    raw = sample_register()
    raw["households"].loc[0, "members"] = "x"
    raw["sites"].loc[2, "status"] = "x"
    assert rejected(raw).file == "sites.csv"


def test_header_problems_are_row_one():
    raw = sample_register()
    raw["facilities"] = raw["facilities"].rename(columns={"operating": "open"})
    error = rejected(raw, file_names={"facilities": "facilities.xlsx"})
    assert where(error) == ("facilities.xlsx", 1, "open") and "unknown column" in error.message
    raw = sample_register()
    raw["items"] = raw["items"].drop(columns=["unit"])
    assert where(rejected(raw)) == ("items.csv", 1, "unit")


def test_references_may_point_into_the_store():
    raw = sample_register()
    only = {"households": raw["households"], "distributions": raw["distributions"]}
    assert "sites.csv" in rejected(only).message
    known = Known(site_ids={"S_MEALS", "S_WATER", "S_TIGHT"}, item_codes={"rice_1kg"})
    out = validate_register(only, known)
    assert len(out["distributions"]) == 5


def test_area_codes_by_point_in_polygon():
    areas = pd.DataFrame({"code": ["A2", "A1", "B"], "level": ["village", "village", "county"],
                          "geom": [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 0, 2, 1)]})
    codes = area_codes(np.array([0.5, 1.0, 1.5, 5.0, np.nan]), np.array([0.5, 0.5, 0.5, 5.0, np.nan]), areas,
                       ("village", "county"))
    assert codes["village"].tolist() == ["A2", "A1", "A1", None, None]  # on the border: the lowest code
    assert codes["county"].tolist() == ["B", "B", "B", None, None]
    empty = area_codes(np.array([0.5]), np.array([0.5]), areas.iloc[0:0], ("village",))
    assert empty["village"].tolist() == [None]
