"""Statutory-report indicator validation; pure, no app, no database."""
from __future__ import annotations

import numpy as np
import pytest

from relief.domain.indicators import AMOUNT_INDICATORS, COUNT_INDICATORS, validate_indicators
from relief.errors import ValidationFailed
from relief.store.tables.incidents import AREA_INDICATOR_COLUMNS, INDICATOR_COLUMNS


def figures(**over):
    base = {"affected": 1000, "dead": 3, "missing": 2, "relocated_centralised": 200,
            "relocated_dispersed": 100, "crops_affected_ha": 50.5, "crops_lost_ha": 10}
    return {**base, **over}


def refused(data, **kw) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as err:
        validate_indicators(data, **kw)
    return err.value


def test_names_match_the_report_table():
    assert COUNT_INDICATORS == INDICATOR_COLUMNS
    assert AMOUNT_INDICATORS == AREA_INDICATOR_COLUMNS


def test_full_dict_with_missing_as_zero_and_types_cleaned():
    out = validate_indicators({"affected": "120", "dead": 2.0, "missing": np.int64(1),
                               "crops_affected_ha": "3.5", "evacuated": None, "severe_rooms": " "})
    assert set(out) == set(INDICATOR_COLUMNS) | set(AREA_INDICATOR_COLUMNS)
    assert out["affected"] == 120 and type(out["affected"]) is int
    assert out["dead"] == 2 and type(out["dead"]) is int
    assert out["missing"] == 1 and type(out["missing"]) is int
    assert out["crops_affected_ha"] == 3.5
    assert out["evacuated"] == 0 and out["severe_rooms"] == 0
    assert out["economic_loss_10k_yuan"] == 0.0


@pytest.mark.parametrize("name,value,words", [
    ("dead", True, "true/false"),
    ("dead", 2.5, "whole number"),
    ("affected", -1, "negative"),
    ("affected", "-4", "negative"),
    ("missing", "two", "whole number"),
    ("missing", "1.5", "whole number"),
    ("collapsed_rooms", [3], "whole number"),
    ("evacuated", float("nan"), "whole number"),
    ("crops_affected_ha", -0.5, "negative"),
    ("crops_affected_ha", "lots", "number"),
    ("economic_loss_10k_yuan", False, "true/false"),
    ("economic_loss_10k_yuan", float("inf"), "finite"),
])
def test_bad_values_name_the_field(name, value, words):
    err = refused(figures(**{name: value}))
    assert err.field == name
    assert name in err.message and words in err.message


def test_every_bad_field_is_listed():
    err = refused(figures(dead=-1, missing="x", crops_lost_ha="y"))
    assert err.field == "dead"
    assert [d["field"] for d in err.detail] == ["dead", "missing", "crops_lost_ha"]
    assert "missing" in err.message and "crops_lost_ha" in err.message


def test_dead_and_missing_bounded_by_affected():
    assert validate_indicators(figures(affected=5, dead=3, missing=2, relocated_centralised=0,
                                       relocated_dispersed=0))["dead"] == 3
    err = refused(figures(affected=5, dead=3, missing=3, relocated_centralised=0, relocated_dispersed=0))
    assert err.field == "dead" and "affected" in err.message


def test_relocated_bounded_by_affected():
    err = refused(figures(relocated_centralised=900, relocated_dispersed=101))
    assert err.field == "relocated_centralised"
    assert validate_indicators(figures(relocated_centralised=900, relocated_dispersed=100))


def test_lost_crops_bounded_by_affected_crops():
    err = refused(figures(crops_lost_ha=50.6))
    assert err.field == "crops_lost_ha"


def test_households_may_exceed_rooms():
    out = validate_indicators(figures(collapsed_households=10, collapsed_rooms=4,
                                      severe_households=3, general_households=7))
    assert out["collapsed_households"] == 10


def test_strict_refuses_unknown_keys_and_lax_ignores_them():
    assert "deaths" not in validate_indicators(figures(deaths=4))
    err = refused(figures(deaths=4), strict=True)
    assert err.field == "deaths"


def test_not_a_mapping():
    assert refused([1, 2]).field == "indicators"
