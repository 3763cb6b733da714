"""Days of cover and the run-out forecast per site, from stored stock and occupancy."""
from __future__ import annotations

import pytest

from relief.services import cover, stock
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
