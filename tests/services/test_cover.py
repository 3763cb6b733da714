"""Days of cover and the run-out forecast per site, from stored stock and occupancy."""
from __future__ import annotations

import pytest

from relief.errors import NotFound
from relief.services import cover, guarantees, stock
from tests import world


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    return store


def receive(ctx, item_code, quantity):
    stock.receive(ctx, {"holder_kind": "site", "holder_id": "S1", "item_code": item_code, "quantity": quantity,
                        "source": "allocation"})


def test_cover_days_and_run_out_forecast(place):
    """H1's 3 people at S1 eat 3 × 2100 kcal a day: 9 kg of rice (31,500 kcal) lasts 5 days."""
    ctx = world.context(place)
    receive(ctx, "RICE", 9)
    receive(ctx, "BLANKET", 3)
    sites = {s["site_id"]: s for s in cover.sites_cover(ctx)["sites"]}
    s1 = sites["S1"]
    rice = next(i for i in s1["items"] if i["item_code"] == "RICE")
    assert rice["days"] == pytest.approx(5.0) and rice["consumed_daily"] is True
    blanket = next(i for i in s1["items"] if i["item_code"] == "BLANKET")
    assert blanket["days"] is None and blanket["consumed_daily"] is False
    forecast = {f["guarantee"]: f for f in s1["forecast"]}
    assert forecast["food"]["days"] == pytest.approx(5.0) and forecast["food"]["run_out_at"]
    assert forecast["water"]["days"] == 0.0  # people there and no water held
    assert all(f["days"] is None for f in sites["S2"]["forecast"])  # nobody there: nothing runs out


def test_a_site_whose_own_supply_meets_the_standard_has_supplied_water_as_the_verdict_says(store):
    """H1's 3 people at S1 need 45 L a day; S1 supplies 45 L itself, S2 (H2's 3 people) only 30 L."""
    world.build(store, sites=[world.site("S1", 10, 109.45, water=45.0), world.site("S2", 10, 109.46, water=30.0)],
                households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True,
                                            house_damage="severe", needs_living_aid=True),
                            world.household("H2", 3, 109.46, shelter="site", site_id="S2", evacuated=True,
                                            house_damage="severe", needs_living_aid=True)])
    ctx = world.context(store)
    verdict = guarantees.household_guarantees(ctx, "H1", as_of=ctx.now())
    assert verdict["water"] == "met"
    stock.receive(ctx, {"holder_kind": "site", "holder_id": "S2", "item_code": "WATER5", "quantity": 6,
                        "source": "allocation"})
    sites = {s["site_id"]: s for s in cover.sites_cover(ctx)["sites"]}
    water = {s: next(f for f in sites[s]["forecast"] if f["guarantee"] == "water") for s in ("S1", "S2")}
    assert water["S1"]["supplied"] is True and water["S1"]["supply_covers_need"] is True
    assert water["S1"]["days"] is None and water["S1"]["run_out_at"] is None
    assert water["S1"]["shortfall_l_per_day"] == 0.0
    # S2's 30 L of stock are drawn only at the 15 L a day its supply leaves short: 2 days, not 30 / 45
    assert water["S2"]["supplied"] is False and water["S2"]["shortfall_l_per_day"] == 15.0
    assert water["S2"]["days"] == pytest.approx(2.0)


def test_cover_of_one_site_and_an_unknown_one(place):
    ctx = world.context(place)
    assert [s["site_id"] for s in cover.sites_cover(ctx, site_id="S2")["sites"]] == ["S2"]
    assert cover.sites_cover(ctx, site_id="S2", county_code="999999")["sites"] == []
    with pytest.raises(NotFound) as err:
        cover.sites_cover(ctx, site_id="S404")
    assert err.value.field == "site_id"
