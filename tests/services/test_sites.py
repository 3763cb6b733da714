"""One site's detail (occupancy, cover, forecast) and opening/closing it."""
from __future__ import annotations

import pytest

from relief.errors import Conflict, NotFound
from relief.services import relocation, sites
from tests import world


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 4, 109.451),
                                   world.household("H9", 2, 109.47, shelter="site", site_id="S1", evacuated=True)])
    return store


def test_site_detail_has_occupancy_and_cover(place):
    detail = sites.site_detail(world.context(place), "S1")
    assert detail["feature"]["id"] == "S1"
    assert detail["occupancy"] == {"households": 1, "occupants": 2, "capacity_persons": 10, "free_capacity": 8,
                                   "m2_per_person": 50.0, "persons_per_m2": 0.02}
    assert {f["guarantee"]: f["days"] for f in detail["cover"]["forecast"]} == {"food": 0.0, "water": 0.0}
    with pytest.raises(NotFound):
        sites.site_detail(world.context(place), "S404")


def test_closing_a_site_refuses_new_arrivals(place):
    published = []
    answer = sites.set_site_status(world.context(place, published=published), "S1",
                                        {"status": "closed", "reason": "aftershock damage"})
    assert answer["changed"] is True and answer["feature"]["properties"]["status"] == "closed"
    assert [e["payload"]["site_id"] for e in published if e["kind"] == "site.occupancy_changed"] == ["S1"]
    with pytest.raises(Conflict):
        relocation.check_in(world.context(place), "H1", {"site_id": "S1"})
