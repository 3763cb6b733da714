"""Household → site assignment, who must leave, expected displacement; pure, no app."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from relief.domain import allocation as al
from relief.domain.geo import project_xy, unproject_xy
from relief.errors import ValidationFailed

ORIGIN = (109.48, 30.27)  # Enshi city


def at_km(east_km: float, north_km: float = 0.0) -> tuple[float, float]:
    """WGS 84 position ``east_km``/``north_km`` from ORIGIN, measured in UTM 49N."""
    x, y = project_xy([ORIGIN[0]], [ORIGIN[1]])
    lon, lat = unproject_xy(x + east_km * 1000, y + north_km * 1000)
    return float(lon[0]), float(lat[0])


def households(*rows) -> pd.DataFrame:
    """Rows of (household_id, members, east_km[, village_code])."""
    records = []
    for row in rows:
        hid, members, east = row[:3]
        lon, lat = at_km(east)
        records.append(dict(household_id=hid, members=members, lon=lon, lat=lat,
                            village_code=row[3] if len(row) > 3 else None))
    return pd.DataFrame(records)


def sites(*rows) -> pd.DataFrame:
    """Rows of (site_id, capacity, east_km[, status])."""
    records = []
    for row in rows:
        sid, capacity, east = row[:3]
        lon, lat = at_km(east)
        records.append(dict(site_id=sid, capacity_persons=capacity, lon=lon, lat=lat,
                            status=row[3] if len(row) > 3 else "open"))
    return pd.DataFrame(records)


def placed(plan: al.Assignment) -> dict[str, str]:
    return dict(zip(plan.assignments["household_id"], plan.assignments["site_id"]))


def load(plan: al.Assignment, movers: pd.DataFrame) -> pd.Series:
    members = movers.set_index("household_id")["members"]
    taken = plan.assignments.assign(members=plan.assignments["household_id"].map(members))
    return taken.groupby("site_id")["members"].sum()


# --- propose_assignment --------------------------------------------------------

def test_nearest_open_site_first_with_distance():
    plan = al.propose_assignment(households(("h1", 3, 0.0)),
                                 sites(("near_closed", 50, 1.0, "closed"), ("near", 50, 2.0), ("far", 50, 9.0)))
    assert placed(plan) == {"h1": "near"}
    assert plan.assignments["distance_km"].iloc[0] == pytest.approx(2.0, abs=1e-6)
    assert plan.unplaced.empty


def test_never_over_capacity_counting_existing_occupancy():
    movers = households(*[(f"h{i}", 3, 0.1 * i) for i in range(10)])  # 30 persons
    room = sites(("a", 10, 0.0), ("b", 12, 1.0), ("c", 100, 50.0))
    plan = al.propose_assignment(movers, room, occupancy=pd.Series({"a": 4, "b": 0}))
    used = load(plan, movers)
    assert used.get("a", 0) <= 6 and used.get("b", 0) <= 12
    assert used.get("a", 0) == 6 and used.get("b", 0) == 12  # nearest filled first
    assert used.sum() == 30 and plan.unplaced.empty


def test_unplaced_households_are_listed_with_a_reason():
    movers = households(("big", 5, 0.0), ("small", 2, 0.0))
    plan = al.propose_assignment(movers, sites(("a", 4, 0.0)))
    assert placed(plan) == {"small": "a"}
    assert plan.unplaced.to_dict("records") == [{"household_id": "big", "members": 5, "reason": "no_capacity"}]


def test_a_full_site_means_no_capacity_not_no_open_site():
    plan = al.propose_assignment(households(("h1", 2, 0.0)), sites(("a", 10, 0.0)), occupancy=pd.Series({"a": 10}))
    assert plan.unplaced["reason"].tolist() == ["no_capacity"]


def test_no_open_site_and_no_location_are_reported():
    movers = households(("h1", 2, 0.0), ("h2", 2, 0.0))
    movers.loc[1, ["lon", "lat"]] = np.nan
    plan = al.propose_assignment(movers, sites(("a", 10, 0.0, "closed")))
    assert plan.assignments.empty
    reasons = dict(zip(plan.unplaced["household_id"], plan.unplaced["reason"]))
    assert reasons == {"h1": "no_open_site", "h2": "no_location"}


def test_a_village_is_kept_together_at_the_nearest_site_with_room_for_all():
    # village v (3 × 2 persons) is nearest to "small", which cannot take all 6
    movers = households(("v1", 2, 0.0, "v"), ("v2", 2, 0.2, "v"), ("v3", 2, 0.4, "v"))
    plan = al.propose_assignment(movers, sites(("small", 4, 0.0), ("roomy", 10, 3.0)))
    assert placed(plan) == {"v1": "roomy", "v2": "roomy", "v3": "roomy"}


def test_a_village_too_big_for_any_site_is_split_nearest_first():
    movers = households(("v1", 2, 0.0, "v"), ("v2", 2, 0.2, "v"), ("v3", 2, 0.4, "v"))
    plan = al.propose_assignment(movers, sites(("a", 4, 0.0), ("b", 4, 3.0), ("c", 4, 9.0)))
    assert placed(plan) == {"v1": "a", "v2": "a", "v3": "b"}


def test_bigger_villages_choose_first_and_households_without_village_go_alone():
    movers = households(("s1", 2, 0.0, "small"), ("b1", 3, 0.0, "big"), ("b2", 3, 0.0, "big"), ("x", 1, 0.0))
    plan = al.propose_assignment(movers, sites(("near", 6, 0.0), ("far", 10, 5.0)))
    assert placed(plan) == {"b1": "near", "b2": "near", "s1": "far", "x": "far"}


def test_max_km_leaves_far_households_unplaced():
    plan = al.propose_assignment(households(("h1", 2, 0.0)), sites(("far", 10, 30.0)), max_km=20)
    assert plan.assignments.empty and plan.unplaced["reason"].tolist() == ["no_capacity"]


def test_the_proposal_does_not_depend_on_row_order():
    rng = np.random.default_rng(7)
    rows = [(f"h{i:03d}", int(rng.integers(1, 6)), float(rng.uniform(0, 30)), f"v{rng.integers(0, 8)}")
            for i in range(120)]
    room = sites(*[(f"s{j}", int(rng.integers(10, 60)), float(rng.uniform(0, 30))) for j in range(8)])
    movers = households(*rows)
    first = al.propose_assignment(movers, room)
    again = al.propose_assignment(movers.sample(frac=1.0, random_state=3), room.sample(frac=1.0, random_state=4))
    pd.testing.assert_frame_equal(first.assignments, again.assignments)
    pd.testing.assert_frame_equal(first.unplaced, again.unplaced)
    capacity = room.set_index("site_id")["capacity_persons"]
    assert (load(first, movers) <= capacity.reindex(load(first, movers).index)).all()


def test_bad_input_names_the_field():
    with pytest.raises(ValidationFailed) as err:
        al.propose_assignment(households(("h1", 0, 0.0)), sites(("a", 10, 0.0)))
    assert err.value.field == "households.members"
    with pytest.raises(ValidationFailed) as err:
        al.propose_assignment(households(("h1", 1, 0.0)), sites(("a", 10, 0.0)).drop(columns="status"))
    assert err.value.field == "sites.status"


# --- must_leave and expected_displacement ----------------------------------------

def zone(west_km, east_km, **columns) -> dict:
    (w, s), (e, n) = at_km(west_km, -1.0), at_km(east_km, 1.0)
    return dict(geometry=box(w, s, e, n), **columns)


def zones(*rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(list(rows), geometry="geometry", crs="EPSG:4326")


def people(*rows) -> pd.DataFrame:
    """Rows of (household_id, east_km, house_damage, shelter, county_code, members)."""
    records = []
    for hid, east, damage, shelter, county, members in rows:
        lon, lat = at_km(east)
        records.append(dict(household_id=hid, lon=lon, lat=lat, house_damage=damage, shelter=shelter,
                            county_code=county, members=members))
    return pd.DataFrame(records)


def test_must_leave_selects_unsafe_houses_and_evacuation_zones():
    frame = people(("collapsed", 50.0, "collapsed", "home", "c1", 2),
                   ("in_zone", 1.0, "none", "home", "c1", 2),
                   ("in_advisory", 11.0, "none", "home", "c1", 2),
                   ("in_closed", 21.0, "none", "home", "c1", 2),
                   ("already_away", 1.5, "severe", "site", "c1", 2),
                   ("safe", 40.0, "general", "home", "c1", 2))
    hazards = zones(zone(0, 2, evacuate=True, status="responding"),
                    zone(10, 12, evacuate=False, status="responding"),
                    zone(20, 22, evacuate=True, status="closed"))
    chosen = al.must_leave(frame, hazards)
    assert dict(zip(chosen["household_id"], chosen["leave_reason"])) == {
        "collapsed": "house_unsafe", "in_zone": "evacuation_zone"}


def test_hazard_polygons_need_a_crs():
    with pytest.raises(ValidationFailed) as err:
        al.must_leave(people(("a", 0.0, "none", "home", "c1", 1)), gpd.GeoDataFrame([zone(0, 1, evacuate=True)]))
    assert err.value.field == "hazard_polygons.crs"


def test_expected_displacement_by_county_against_free_room_within_reach():
    frame = people(("a1", 1.0, "none", "home", "c1", 3),
                   ("a2", 1.5, "none", "home", "c1", 4),
                   ("a3", 1.2, "none", "site", "c1", 9),      # already at a site: not counted
                   ("b1", 31.0, "none", "home", "c2", 5),
                   ("out", 60.0, "none", "home", "c2", 8))    # outside every polygon
    hazards = zones(zone(0, 2, status="responding"), zone(30, 32, status="verified"))
    room = sites(("near_a", 10, 4.0), ("far", 100, 80.0), ("near_b", 2, 33.0), ("shut", 50, 1.0, "closed"))
    table = al.expected_displacement(frame, hazards, room, pd.Series({"near_a": 6}), reach_km=5)
    assert table.loc["c1"].to_dict() == {"households": 2, "persons": 7, "free_capacity": 4, "uncovered_persons": 3}
    assert table.loc["c2"].to_dict() == {"households": 1, "persons": 5, "free_capacity": 2, "uncovered_persons": 3}
