"""Days of stock cover and site needs; pure, no app, no database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from relief.domain import cover
from relief.domain.standards import Standards
from relief.errors import ValidationFailed

AS_OF = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))
STANDARDS = Standards.bundled()

ITEMS = pd.DataFrame({
    "item_code": ["rice_10kg", "biscuits", "water_5l", "clothes", "quilt", "kit"],
    "kcal_per_unit": [21000.0, 2100.0, 0, 0, 0, 0],
    "litres_per_unit": [0, 0, 5.0, 0, 0, 0],
    "sets_per_unit": [0, 0, 0, 1.0, 0, 1.0],
    "pieces_per_unit": [0, 0, 0, 0, 1.0, 1.0],
})


def stock(*entries) -> pd.DataFrame:
    return pd.DataFrame(entries, columns=["site_id", "item_code", "quantity"])


def sites(*entries) -> pd.DataFrame:
    return pd.DataFrame(entries, columns=["site_id", "water_l_per_day", "status"])


def test_days_of_cover_per_site_and_item():
    # 10 people eat 21,000 kcal a day: one rice bag a day; drink 150 L: 30 bottles a day
    held = stock(("s1", "rice_10kg", 5), ("s1", "water_5l", 60), ("s1", "clothes", 8), ("s1", "biscuits", 20))
    table = cover.days_of_cover(held, pd.Series({"s1": 10}), ITEMS, standards=STANDARDS, as_of=AS_OF)
    row = table.set_index("item_code")
    assert row.loc["rice_10kg", ["guarantee", "daily_need", "days"]].tolist() == ["food", 1.0, 5.0]
    assert row.loc["rice_10kg", "run_out_at"] == pd.Timestamp(AS_OF + timedelta(days=5))
    assert row.loc["biscuits", "days"] == 2.0
    assert row.loc["rice_10kg", "guarantee_days"] == 7.0  # 105,000 + 42,000 kcal over 21,000 a day
    assert row.loc["water_5l", ["guarantee", "daily_need", "days"]].tolist() == ["water", 30.0, 2.0]
    assert row.loc["water_5l", "run_out_at"] == pd.Timestamp(AS_OF + timedelta(days=2))
    assert row.loc["clothes", "guarantee"] == "clothing"
    assert np.isnan(row.loc["clothes", "days"]) and pd.isna(row.loc["clothes", "run_out_at"])


def test_an_empty_site_never_runs_out_and_quantities_add_up():
    held = stock(("s2", "rice_10kg", 2), ("s2", "rice_10kg", 3))
    table = cover.days_of_cover(held, pd.Series(dtype=float), ITEMS, standards=STANDARDS, as_of=AS_OF)
    assert len(table) == 1 and table.loc[0, "quantity"] == 5.0
    assert table.loc[0, "days"] == np.inf and pd.isna(table.loc[0, "run_out_at"])


def test_days_of_cover_refuses_naive_time_and_negative_stock():
    with pytest.raises(ValidationFailed) as err:
        cover.days_of_cover(stock(("s1", "rice_10kg", 1)), pd.Series({"s1": 1}), ITEMS, standards=STANDARDS,
                            as_of=datetime(2026, 7, 1))
    assert err.value.field == "as_of"
    with pytest.raises(ValidationFailed) as err:
        cover.days_of_cover(stock(("s1", "rice_10kg", -1)), pd.Series({"s1": 1}), ITEMS, standards=STANDARDS,
                            as_of=AS_OF)
    assert err.value.field == "stock.quantity"


def test_designated_items_pick_the_densest_unless_told():
    assert cover.designated_items(ITEMS) == {"food": "rice_10kg", "water": "water_5l", "clothing": "clothes",
                                             "bedding": "kit"}  # kit and quilt tie at one piece: by code
    assert cover.designated_items(ITEMS, {"food": "biscuits"})["food"] == "biscuits"
    with pytest.raises(ValidationFailed) as err:
        cover.designated_items(ITEMS, {"water": "rice_10kg"})
    assert err.value.field == "designated.water"


def test_site_needs_for_a_three_day_horizon():
    # 10 people for 3 days: 63,000 kcal, 450 L less the site's own 100 L/day (150 L), 20 sets, 10 pieces
    held = stock(("s1", "rice_10kg", 2), ("s1", "water_5l", 10), ("s1", "kit", 4), ("s1", "quilt", 2))
    needs = cover.site_needs(sites(("s1", 100.0, "open"), ("shut", 0.0, "closed")), pd.Series({"s1": 10, "shut": 50}),
                             held, ITEMS, standards=STANDARDS, horizon_days=3,
                             designated={"bedding": "quilt"}).set_index("guarantee")
    assert needs["site_id"].unique().tolist() == ["s1"]
    assert needs.loc["food", ["item_code", "unit", "need", "held", "gap", "quantity"]].tolist() == [
        "rice_10kg", "kcal", 63000.0, 42000.0, 21000.0, 1.0]
    assert needs.loc["water", ["need", "held", "gap", "quantity"]].tolist() == [150.0, 50.0, 100.0, 20.0]
    assert needs.loc["clothing", ["need", "held", "gap", "quantity"]].tolist() == [20.0, 4.0, 16.0, 16.0]
    assert needs.loc["bedding", ["item_code", "need", "held", "gap", "quantity"]].tolist() == [
        "quilt", 10.0, 6.0, 4.0, 4.0]


def test_site_needs_round_up_to_whole_units_and_follow_the_cold_profile():
    # 3 people, 1 day: 6,300 kcal is 0.3 rice bag → 1; cold bedding is 2 pieces each
    needs = cover.site_needs(sites(("s1", 0.0, "open")), pd.Series({"s1": 3}), stock(), ITEMS,
                             standards=STANDARDS, horizon_days=1, profile="cold").set_index("guarantee")
    assert needs.loc["food", "quantity"] == 1.0
    assert needs.loc["water", ["gap", "quantity"]].tolist() == [45.0, 9.0]
    assert needs.loc["bedding", "need"] == 6.0


def test_site_needs_are_zero_when_the_site_holds_enough():
    held = stock(("s1", "rice_10kg", 10), ("s1", "water_5l", 100), ("s1", "kit", 10))
    needs = cover.site_needs(sites(("s1", 0.0, "open")), pd.Series({"s1": 2}), held, ITEMS,
                             standards=STANDARDS, horizon_days=2)
    assert (needs["gap"] == 0).all() and (needs["quantity"] == 0).all()


def test_site_needs_refuse_a_non_positive_horizon():
    with pytest.raises(ValidationFailed) as err:
        cover.site_needs(sites(("s1", 0.0, "open")), pd.Series({"s1": 1}), stock(), ITEMS, standards=STANDARDS,
                         horizon_days=0)
    assert err.value.field == "horizon_days"


def test_own_water_supply_is_drawn_before_stock_and_counts_only_while_open():
    """10 people need 150 L a day: S1's 150 L supply meets it, S2's 90 L leaves 60 L to draw from stock."""
    held = stock(("s1", "water_5l", 12), ("s2", "water_5l", 12), ("s3", "water_5l", 12))
    supply = cover.own_water_supply(sites(("s1", 150.0, "open"), ("s2", 90.0, "open"), ("s3", 150.0, "closed")))
    assert supply.to_dict() == {"s1": 150.0, "s2": 90.0, "s3": 0.0}
    occupants = pd.Series({"s1": 10, "s2": 10, "s3": 10})
    table = cover.days_of_cover(held, occupants, ITEMS, standards=STANDARDS, as_of=AS_OF,
                                water_supply=supply).set_index("site_id")
    assert table.loc["s1", "supplied"] and table.loc["s1", "days"] == np.inf and pd.isna(table.loc["s1", "run_out_at"])
    assert not table.loc["s2", "supplied"] and table.loc["s2", "days"] == 1.0  # 60 L of stock at 60 L a day
    assert table.loc["s3", "days"] == 0.4  # a closed site's supply stops counting: 60 L at 150 L a day


def test_run_out_forecast_treats_a_supply_meeting_the_standard_as_unlimited():
    """No water stock: a site whose supply meets the standard never runs out; one short of it has 0 days."""
    occupants = pd.Series({"s1": 4, "s2": 4, "s3": 0})
    supply = cover.own_water_supply(sites(("s1", 60.0, "open"), ("s2", 59.0, "open"), ("s3", 0.0, "open")))
    needs = cover.daily_needs(occupants, supply, standards=STANDARDS)
    table = cover.days_of_cover(stock(("s1", "rice_10kg", 1)), occupants, ITEMS, standards=STANDARDS, as_of=AS_OF,
                                water_supply=supply)
    forecast = cover.run_out_forecast(table, needs).set_index(["site_id", "guarantee"])
    assert forecast.loc[("s1", "water"), "supplied"] and forecast.loc[("s1", "water"), "days"] == np.inf
    assert forecast.loc[("s1", "food"), "days"] == 2.5 and not forecast.loc[("s1", "food"), "supplied"]
    assert forecast.loc[("s2", "water"), "days"] == 0.0 and not forecast.loc[("s2", "water"), "supplied"]
    assert forecast.loc[("s3", "water"), "days"] == np.inf and not forecast.loc[("s3", "water"), "supplied"]
    assert needs.loc["s2", "water"] == 1.0 and needs.loc["s1", "water"] == 0.0  # 4 × 15 L a day less the supply
