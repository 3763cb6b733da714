"""Response levels from indicators and a thresholds table; pure, no app, no database."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from relief.domain.response import DERIVED, response_level, validate_table
from relief.domain.standards import Standards
from relief.errors import ValidationFailed

BUNDLED = Standards.bundled().response_levels

# The national table as standards.md §2 prints it, most severe first.
NATIONAL = [
    ("I", {"dead_missing": 200, "relocated_and_emergency_aid": 2_000_000, "collapsed_severe_rooms": 300_000,
           "collapsed_severe_households": 100_000, "drought_needing_aid": 4_000_000}),
    ("II", {"dead_missing": 100, "relocated_and_emergency_aid": 1_000_000, "collapsed_severe_rooms": 200_000,
            "collapsed_severe_households": 70_000, "drought_needing_aid": 3_000_000}),
    ("III", {"dead_missing": 50, "relocated_and_emergency_aid": 500_000, "collapsed_severe_rooms": 100_000,
             "collapsed_severe_households": 30_000, "drought_needing_aid": 2_000_000}),
    ("IV", {"dead_missing": 20, "relocated_and_emergency_aid": 100_000, "collapsed_severe_rooms": 10_000,
            "collapsed_severe_households": 3_000, "drought_needing_aid": 1_000_000}),
]
# A prefecture's own table: lower thresholds, names that do not sort by severity.
LOCAL = [
    ("red", {"dead_missing": 10, "relocated_and_emergency_aid": 10_000, "collapsed_severe_rooms": 1_000,
             "collapsed_severe_households": 300, "drought_needing_aid": 100_000}),
    ("orange", {"dead_missing": 5, "relocated_and_emergency_aid": 5_000, "collapsed_severe_rooms": 500,
                "collapsed_severe_households": 150, "drought_needing_aid": 50_000}),
    ("yellow", {"dead_missing": 3, "relocated_and_emergency_aid": 1_000, "collapsed_severe_rooms": 100,
                "collapsed_severe_households": 30, "drought_needing_aid": 10_000}),
    ("blue", {"dead_missing": 1, "relocated_and_emergency_aid": 200, "collapsed_severe_rooms": 20,
              "collapsed_severe_households": 5, "drought_needing_aid": 1_000}),
]


def as_table(rows):
    return {"name": "t", "levels": [{"level": name, "thresholds": dict(th)} for name, th in rows]}


def spread(indicator: str, value: int) -> dict[str, int]:
    """Split a derived value over its report indicators, so the sums are exercised."""
    parts = {
        "dead_missing": ["dead", "missing"],
        "relocated_and_emergency_aid": ["relocated_centralised", "relocated_dispersed", "emergency_aid"],
        "collapsed_severe_rooms": ["collapsed_rooms", "severe_rooms"],
        "collapsed_severe_households": ["collapsed_households", "severe_households"],
        "drought_needing_aid": ["drought_needing_aid"],
    }[indicator]
    share, rest = divmod(value, len(parts))
    out = {p: share for p in parts}
    out[parts[0]] += rest
    return out


def expected_level(rows, indicator, value):
    for name, thresholds in rows:
        if value >= thresholds[indicator]:
            return name
    return None


def cases(rows):
    for name, thresholds in rows:
        for indicator, threshold in thresholds.items():
            for delta in (-1, 0, 1):
                yield pytest.param(rows, indicator, threshold + delta, id=f"{name}-{indicator}-{delta:+d}")


def test_bundled_table_is_the_national_one():
    assert as_table(NATIONAL)["levels"] == [
        {"level": lv["level"], "thresholds": lv["thresholds"]} for lv in BUNDLED["levels"]
    ]


@pytest.mark.parametrize("rows,indicator,value", list(cases(NATIONAL)) + list(cases(LOCAL)))
def test_at_under_and_over_each_threshold(rows, indicator, value):
    result = response_level(spread(indicator, value), as_table(rows))
    want = expected_level(rows, indicator, value)
    assert result.level == want
    if want is None:
        assert result.reasons == []
    else:
        threshold = dict(rows)[want][indicator]
        assert result.reasons == [{"indicator": indicator, "value": value, "threshold": threshold, "level": want}]


def test_national_edges_spelled_out():
    assert response_level({"dead": 150, "missing": 50}, BUNDLED).level == "I"
    assert response_level({"dead": 150, "missing": 49}, BUNDLED).level == "II"
    assert response_level({"dead": 19}, BUNDLED).level is None
    assert response_level({"dead": 20}, BUNDLED).level == "IV"
    assert response_level({}, BUNDLED).level is None


def test_same_figures_higher_level_under_local_table():
    figures = {"dead": 4, "collapsed_rooms": 60, "severe_rooms": 50}
    assert response_level(figures, as_table(NATIONAL)).level is None
    local = response_level(figures, as_table(LOCAL))
    assert local.level == "yellow"
    assert {r["indicator"] for r in local.reasons} == {"dead_missing", "collapsed_severe_rooms"}


def test_highest_level_wins_and_reasons_are_those_at_that_level():
    figures = {"dead": 250, "collapsed_households": 80_000, "severe_households": 0, "collapsed_rooms": 15_000,
               "drought_needing_aid": 4_500_000}
    result = response_level(figures, as_table(NATIONAL))
    assert result.level == "I"
    assert result.reasons == [
        {"indicator": "dead_missing", "value": 250, "threshold": 200, "level": "I"},
        {"indicator": "drought_needing_aid", "value": 4_500_000, "threshold": 4_000_000, "level": "I"},
    ]


def test_order_not_names_decides():
    rows = [("IV", {"dead_missing": 100}), ("I", {"dead_missing": 10})]
    assert response_level({"dead": 150}, as_table(rows)).level == "IV"
    assert response_level({"dead": 50}, as_table(rows)).level == "I"


def test_numpy_and_derived_inputs():
    result = response_level({"dead": np.int64(120), "missing": np.int64(0)}, as_table(NATIONAL))
    assert result.level == "II" and type(result.reasons[0]["value"]) is int
    assert response_level({"dead_missing": 60}, as_table(NATIONAL)).level == "III"
    assert response_level({"dead": 1}, as_table(LOCAL)["levels"]).level == "blue"


# --- validate_table --------------------------------------------------------------

def test_valid_tables_pass():
    for rows in (NATIONAL, LOCAL):
        assert validate_table(as_table(rows))["levels"] == as_table(rows)["levels"]
    assert validate_table(BUNDLED)["name"] == "national"


def broken(path, value):
    table = copy.deepcopy(as_table(LOCAL))
    target = table
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return table


@pytest.mark.parametrize("table,field", [
    ({"levels": []}, "levels"),
    ([], "levels"),
    (broken(["levels", 1], "orange"), "levels[1]"),
    (broken(["levels", 1, "level"], ""), "levels[1].level"),
    (broken(["levels", 1, "level"], "red"), "levels[1].level"),
    (broken(["levels", 2, "thresholds"], {}), "levels[2].thresholds"),
    (broken(["levels", 2, "thresholds", "deaths"], 4), "levels[2].thresholds.deaths"),
    (broken(["levels", 2, "thresholds", "dead_missing"], -1), "levels[2].thresholds.dead_missing"),
    (broken(["levels", 2, "thresholds", "dead_missing"], 0), "levels[2].thresholds.dead_missing"),
    (broken(["levels", 2, "thresholds", "dead_missing"], "3"), "levels[2].thresholds.dead_missing"),
    (broken(["levels", 2, "thresholds", "dead_missing"], True), "levels[2].thresholds.dead_missing"),
    (broken(["levels", 2, "thresholds", "dead_missing"], float("nan")), "levels[2].thresholds.dead_missing"),
    (broken(["levels", 3, "thresholds", "collapsed_severe_rooms"], 600), "levels[3].thresholds.collapsed_severe_rooms"),
])
def test_invalid_tables_name_the_field(table, field):
    with pytest.raises(ValidationFailed) as err:
        validate_table(table)
    assert err.value.field == field


def test_derived_names_are_the_table_names():
    assert set(DERIVED) == set(NATIONAL[0][1])
