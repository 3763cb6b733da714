"""The public form of guarantee changes: per-village moves between verdicts, never a household."""
from __future__ import annotations

from relief.services.guarantee_counts import village_deltas

NONE = dict.fromkeys(("food", "clothing", "water", "housing", "medical"))
MET = dict.fromkeys(NONE, "met")


def change(household, village, before, after):
    return {"household_id": household, "village_code": village, "county_code": "422801", "before": before,
            "after": after}


def test_moves_are_counted_per_village_with_zeros_left_out():
    deltas = village_deltas([
        change("H1", "V1", NONE, {**MET, "food": "unmet"}),  # first verdict: unknown → judged
        change("H2", "V1", MET, {**MET, "water": "at_risk"}),
        change("H3", "V2", {**MET, "food": "at_risk"}, MET),
    ])
    assert deltas == {"villages": {
        "V1": {"worst": {"at_risk": 1, "met": -1, "unknown": -1, "unmet": 1},
               "guarantees": {"food": {"unknown": -1, "unmet": 1}, "clothing": {"met": 1, "unknown": -1},
                              "water": {"at_risk": 1, "unknown": -1},  # H1 into met, H2 out of it: met nets 0
                              "housing": {"met": 1, "unknown": -1}, "medical": {"met": 1, "unknown": -1}}},
        "V2": {"worst": {"at_risk": -1, "met": 1}, "guarantees": {"food": {"at_risk": -1, "met": 1}}},
    }}
    assert "H1" not in repr(deltas) and "household_id" not in repr(deltas)


def test_households_in_no_village_move_no_count():
    assert village_deltas([change("H9", None, NONE, MET)]) == {"villages": {}}
