"""The five-guarantee check at each band; pure, no app, no database.

Every expectation is worked out by hand from the default standards:
2,100 kcal and 15 L (7.5 acute) per person per day, a 24 h horizon,
3.5 m² (cold 4.5, floor 1.5) per person, 2 clothing sets (floor 1),
1 bedding piece (cold 2), medical reach 5 km, visits within 7 days.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from relief.domain import guarantees as gt
from relief.domain.geo import project_xy, unproject_xy
from relief.domain.standards import Standards
from relief.errors import ValidationFailed

CST = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 7, 1, 12, 0, tzinfo=CST)
STANDARDS = Standards.bundled()
HOME = (109.48, 30.27)  # Enshi city

ITEMS = pd.DataFrame({
    "item_code": ["ration", "water_5l", "clothes", "quilt", "kit", "tent"],
    "guarantee": ["food", "water", "clothing", "bedding", "other", "other"],
    "kcal_per_unit": [2100.0, 0, 0, 0, 0, 0],
    "litres_per_unit": [0, 5.0, 0, 0, 0, 0],
    "sets_per_unit": [0, 0, 1.0, 0, 1.0, 0],
    "pieces_per_unit": [0, 0, 0, 1.0, 1.0, 0],
})


# --- factories ---------------------------------------------------------------

def offset(dx_m: float, dy_m: float = 0.0, origin=HOME) -> tuple[float, float]:
    """A WGS 84 position dx_m east and dy_m north of ``origin`` in UTM 49N."""
    x, y = project_xy([origin[0]], [origin[1]])
    lon, lat = unproject_xy(x + dx_m, y + dy_m)
    return float(lon[0]), float(lat[0])


def household(household_id: str = "h1", **over) -> dict:
    """An in-scope household (collapsed house, evacuated, placed with a host family)."""
    row = dict(household_id=household_id, members=2, infants=0, children=0, elderly=0, disabled=0,
               chronic=0, pregnant=0, injured=0, house_damage="collapsed", needs_living_aid=False,
               evacuated=True, shelter="dispersed", site_id=None, lon=HOME[0], lat=HOME[1])
    row.update(over)
    return row


def site(site_id: str = "s1", **over) -> dict:
    row = dict(site_id=site_id, lon=HOME[0], lat=HOME[1], capacity_persons=100, covered_area_m2=1000.0,
               water_l_per_day=0.0, provides_meals=False, medical_post=False, status="open")
    row.update(over)
    return row


def facility(facility_id: str = "f1", *, at=HOME, operating: bool = True) -> dict:
    return dict(facility_id=facility_id, lon=at[0], lat=at[1], operating=operating)


def given(household_id: str, item_code: str, quantity: float, hours_ago: float) -> dict:
    return dict(household_id=household_id, item_code=item_code, quantity=quantity,
                distributed_at=AS_OF - timedelta(hours=hours_ago))


def visit(household_id: str, days_ago: float) -> dict:
    return dict(household_id=household_id, visited_at=AS_OF - timedelta(days=days_ago))


def check(households, sites=(), facilities=None, distributions=(), visits=(), **kw) -> pd.DataFrame:
    """Run the check on lists of row dicts; by default one operating clinic at HOME."""
    facilities = [facility()] if facilities is None else facilities
    return gt.evaluate(pd.DataFrame(list(households)), pd.DataFrame(list(sites)),
                       pd.DataFrame(list(facilities)), pd.DataFrame(list(distributions)), ITEMS,
                       pd.DataFrame(list(visits)), as_of=kw.pop("as_of", AS_OF), standards=STANDARDS, **kw)


def verdict(result: pd.DataFrame, g: str, household_id: str = "h1") -> tuple[str, str, float]:
    row = result.loc[household_id]
    return row[g], row[f"reason_code_{g}"], row[f"shortfall_{g}"]


# --- scope -------------------------------------------------------------------

def test_out_of_scope_is_not_applicable_everywhere():
    result = check([household(house_damage="general", evacuated=False, shelter="home")])
    for g in gt.GUARANTEES:
        status, code, shortfall = verdict(result, g)
        assert (status, code) == ("not_applicable", "not_in_scope")
        assert np.isnan(shortfall)
    assert not result.loc["h1", "in_scope"]
    assert pd.isna(result.loc["h1", "medical_km"])


@pytest.mark.parametrize("over", [
    dict(needs_living_aid=True),
    dict(evacuated=True),
    dict(house_damage="severe"),
    dict(house_damage="collapsed"),
    dict(shelter="dispersed"),
    dict(shelter="site", site_id="s1"),
])
def test_each_scope_condition_brings_a_household_in(over):
    base = dict(house_damage="none", evacuated=False, shelter="home", needs_living_aid=False)
    result = check([household(**{**base, **over})], sites=[site()])
    assert result.loc["h1", "in_scope"]
    assert all(result.loc["h1", g] != "not_applicable" for g in gt.GUARANTEES)


def test_result_shape_and_index():
    result = check([household("a"), household("b", house_damage="none", evacuated=False, shelter="home")])
    assert result.index.name == "household_id"
    assert list(result.index) == ["a", "b"]
    for g in gt.GUARANTEES:
        assert {g, f"reason_{g}", f"reason_code_{g}", f"shortfall_{g}"} <= set(result.columns)
        assert set(result[g].astype(str)) <= set(gt.STATUSES)
        assert result[f"shortfall_{g}"].dtype == float
    assert isinstance(result.loc["a", "reason_food"], str) and result.loc["a", "reason_food"]


# --- food --------------------------------------------------------------------
# two members need 4,200 kcal a day: one 2,100 kcal ration lasts them half a day

def test_food_met_when_covered_for_the_next_24_hours():
    result = check([household()], distributions=[given("h1", "ration", 4, hours_ago=12)])  # 2 days from -12 h
    assert verdict(result, "food") == ("met", "food_covered", 0.0)
    assert result.loc["h1", "food_covered_until"] == pd.Timestamp(AS_OF + timedelta(hours=36))


def test_food_met_at_exactly_24_hours_and_a_distribution_at_as_of_counts():
    result = check([household()], distributions=[given("h1", "ration", 2, hours_ago=0)])
    assert verdict(result, "food") == ("met", "food_covered", 0.0)


def test_food_at_risk_when_covered_now_but_not_for_24_hours():
    result = check([household()], distributions=[given("h1", "ration", 2, hours_ago=12)])  # ends +12 h
    assert verdict(result, "food") == ("at_risk", "food_covered_short", pytest.approx(2100.0))


def test_food_unmet_when_coverage_has_run_out():
    result = check([household()], distributions=[given("h1", "ration", 2, hours_ago=30)])  # ended -6 h
    assert verdict(result, "food") == ("unmet", "food_lapsed", 4200.0)


def test_food_unmet_when_nothing_received_and_future_distributions_do_not_count():
    result = check([household()], distributions=[given("h1", "ration", 10, hours_ago=-1)])
    assert verdict(result, "food") == ("unmet", "food_none", 4200.0)
    assert pd.isna(result.loc["h1", "food_covered_until"])


def test_food_lapse_is_not_made_up_by_a_later_distribution():
    # one member: a ration lasts one day. Covered -72 h → -48 h, a lapse, then
    # two rations at -36 h cover -36 h → +12 h. Back-filling the lapse would
    # give -72 h + 3 days = 0 h (unmet); the rule gives +12 h (at risk).
    rows = [given("h1", "ration", 1, hours_ago=72), given("h1", "ration", 2, hours_ago=36)]
    result = check([household(members=1)], distributions=rows)
    assert verdict(result, "food") == ("at_risk", "food_covered_short", pytest.approx(1050.0))
    assert result.loc["h1", "food_covered_until"] == pd.Timestamp(AS_OF + timedelta(hours=12))


def test_food_overlapping_distributions_chain_from_the_running_coverage():
    # -12 h → +12 h, then a ration at -6 h starts when the first ends: +36 h (met),
    # not at its own arrival (+18 h). Row order in the frame does not matter.
    rows = [given("h1", "ration", 1, hours_ago=6), given("h1", "ration", 1, hours_ago=12)]
    result = check([household(members=1)], distributions=rows)
    assert verdict(result, "food") == ("met", "food_covered", 0.0)
    assert result.loc["h1", "food_covered_until"] == pd.Timestamp(AS_OF + timedelta(hours=36))


def test_food_coverage_is_per_household():
    rows = [given("a", "ration", 4, hours_ago=0), given("b", "ration", 1, hours_ago=0)]
    result = check([household("a"), household("b"), household("c")], distributions=rows)
    assert result["food"].astype(str).tolist() == ["met", "at_risk", "unmet"]


def test_site_meals_make_food_met_only_at_an_open_site():
    households = [household("in", shelter="site", site_id="kitchen"),
                  household("shut", shelter="site", site_id="closed_kitchen")]
    sites = [site("kitchen", provides_meals=True), site("closed_kitchen", provides_meals=True, status="closed")]
    result = check(households, sites=sites)
    assert verdict(result, "food", "in") == ("met", "site_meals", 0.0)
    assert verdict(result, "food", "shut") == ("unmet", "food_none", 4200.0)


# --- water -------------------------------------------------------------------

def test_water_bands_from_household_distributions():
    # one member needs 15 L a day: 5 L lasts 8 hours
    rows = [given("met", "water_5l", 6, hours_ago=6),       # 2 days from -6 h → +42 h
            given("risk", "water_5l", 3, hours_ago=12),     # 1 day from -12 h → +12 h
            given("lapsed", "water_5l", 1, hours_ago=9)]    # 8 h from -9 h → -1 h
    result = check([household(h, members=1) for h in ("met", "risk", "lapsed")], distributions=rows)
    assert verdict(result, "water", "met") == ("met", "water_covered", 0.0)
    assert verdict(result, "water", "risk") == ("at_risk", "water_covered_short", pytest.approx(7.5))
    assert verdict(result, "water", "lapsed") == ("unmet", "water_lapsed", 15.0)


def test_site_water_per_occupant_bands():
    # each site holds a 2-member and a 3-member household: 5 occupants
    households = []
    for s in ("plenty", "acute", "short"):
        households += [household(f"{s}2", shelter="site", site_id=s),
                       household(f"{s}3", members=3, shelter="site", site_id=s)]
    sites = [site("plenty", water_l_per_day=75.0),   # 15 L per person: met
             site("acute", water_l_per_day=50.0),    # 10 L per person: at risk
             site("short", water_l_per_day=25.0)]    # 5 L per person: no help
    result = check(households, sites=sites)
    assert verdict(result, "water", "plenty2") == ("met", "site_water", 0.0)
    assert verdict(result, "water", "acute2") == ("at_risk", "site_water_acute", 10.0)  # 2 × (15 − 10)
    assert verdict(result, "water", "acute3") == ("at_risk", "site_water_acute", 15.0)
    assert verdict(result, "water", "short2") == ("unmet", "water_none", 30.0)


def test_water_takes_the_better_of_site_and_household():
    households = [household("own", shelter="site", site_id="acute"),
                  household("other", shelter="site", site_id="acute")]
    sites = [site("acute", water_l_per_day=40.0)]  # 4 occupants: 10 L each, at risk
    rows = [given("own", "water_5l", 12, hours_ago=0)]  # 60 L for 2 people: 2 days
    result = check(households, sites=sites, distributions=rows)
    assert verdict(result, "water", "own") == ("met", "water_covered", 0.0)
    assert verdict(result, "water", "other") == ("at_risk", "site_water_acute", 10.0)


def test_closed_site_supplies_no_water():
    result = check([household(shelter="site", site_id="s1")], sites=[site(water_l_per_day=1000.0, status="closed")])
    assert verdict(result, "water") == ("unmet", "water_none", 30.0)


def test_occupancy_can_be_given_when_judging_a_subset():
    # the site has 100 L for what is really 10 people: 10 L each, at risk
    result = check([household(shelter="site", site_id="s1")], sites=[site(water_l_per_day=100.0)],
                   occupancy=pd.Series({"s1": 10}))
    assert verdict(result, "water")[:2] == ("at_risk", "site_water_acute")


# --- housing -----------------------------------------------------------------

def at_site(area_m2: float, **kw):
    """One 10-member household alone at a site with ``area_m2`` covered."""
    return check([household(members=10, shelter="site", site_id="s1")], sites=[site(covered_area_m2=area_m2)], **kw)


def test_housing_met_at_site_with_enough_space():
    result = at_site(35.0)  # 3.5 m² each
    assert verdict(result, "housing") == ("met", "site_space_ok", 0.0)
    assert result.loc["h1", "housing_m2_per_person"] == pytest.approx(3.5)


def test_housing_at_risk_between_floor_and_standard():
    assert verdict(at_site(20.0), "housing") == ("at_risk", "site_space_tight", pytest.approx(15.0))  # 10 × (3.5 − 2)
    assert verdict(at_site(15.0), "housing")[:2] == ("at_risk", "site_space_tight")  # exactly the 1.5 floor


def test_housing_unmet_below_the_floor():
    assert verdict(at_site(10.0), "housing") == ("unmet", "site_space_crowded", pytest.approx(25.0))


def test_housing_cold_profile_asks_more_space():
    assert verdict(at_site(35.0, profile="cold"), "housing") == ("at_risk", "site_space_tight", pytest.approx(10.0))
    assert verdict(at_site(45.0, profile="cold"), "housing") == ("met", "site_space_ok", 0.0)


def test_housing_counts_every_occupant_of_the_site():
    households = [household("a", members=4, shelter="site", site_id="s1"),
                  household("b", members=6, shelter="site", site_id="s1")]
    result = check(households, sites=[site(covered_area_m2=20.0)])  # 2 m² each
    assert verdict(result, "housing", "a") == ("at_risk", "site_space_tight", pytest.approx(6.0))


@pytest.mark.parametrize("over,expected", [
    (dict(house_damage="general", evacuated=False, shelter="home", needs_living_aid=True), ("met", "at_home", 0.0)),
    (dict(shelter="dispersed"), ("met", "dispersed", 0.0)),
    (dict(shelter="none"), ("unmet", "no_shelter", 7.0)),
    (dict(house_damage="severe", evacuated=False, shelter="home"), ("unmet", "home_unsafe", 7.0)),
    (dict(house_damage="none", evacuated=True, shelter="home"), ("unmet", "home_evacuated", 7.0)),
    (dict(shelter="site", site_id="nowhere"), ("unmet", "site_unknown", 7.0)),
])
def test_housing_outside_sites(over, expected):
    assert verdict(check([household(**over)], sites=[site()]), "housing") == expected


# --- clothing ----------------------------------------------------------------
# two members of a collapsed house: 4 sets and 2 bedding pieces meet the standard

def clothing(*rows, **kw):
    return verdict(check([household()], distributions=list(rows), **kw), "clothing")


def test_clothing_met_with_two_sets_and_a_bedding_piece_each():
    assert clothing(given("h1", "clothes", 4, 1), given("h1", "quilt", 2, 1)) == ("met", "clothing_full", 0.0)


def test_clothing_at_risk_with_one_set_each():
    assert clothing(given("h1", "clothes", 2, 1), given("h1", "quilt", 2, 1)) == ("at_risk", "clothing_partial", 2.0)


def test_clothing_unmet_without_bedding_for_everyone():
    assert clothing(given("h1", "clothes", 4, 1), given("h1", "quilt", 1, 1)) == ("unmet", "clothing_missing", 1.0)
    assert clothing() == ("unmet", "clothing_missing", 6.0)


def test_clothing_met_when_the_house_still_stands():
    result = check([household(house_damage="general")])  # evacuated: in scope, but kept their clothes
    assert verdict(result, "clothing") == ("met", "own_clothing", 0.0)


def test_clothing_cold_profile_needs_two_bedding_pieces_each():
    rows = (given("h1", "clothes", 4, 1), given("h1", "quilt", 2, 1))
    assert clothing(*rows, profile="cold") == ("at_risk", "clothing_partial", 2.0)
    assert clothing(*rows, given("h1", "quilt", 2, 1), profile="cold") == ("met", "clothing_full", 0.0)


def test_a_kit_counts_for_clothing_and_bedding_and_later_deliveries_do_not():
    assert clothing(given("h1", "kit", 4, 1)) == ("met", "clothing_full", 0.0)
    assert clothing(given("h1", "kit", 4, -1)) == ("unmet", "clothing_missing", 6.0)


# --- medical -----------------------------------------------------------------

def test_medical_met_within_reach_and_unmet_beyond():
    near, far = offset(4900), offset(5100)
    assert verdict(check([household()], facilities=[facility(at=near)]), "medical")[:2] == ("met", "medical_in_reach")
    result = check([household()], facilities=[facility(at=far)])
    assert verdict(result, "medical")[:2] == ("unmet", "medical_out_of_reach")
    assert result.loc["h1", "medical_km"] == pytest.approx(5.1, abs=1e-6)


def test_a_closed_facility_within_reach_does_not_count():
    facilities = [facility("closed", at=offset(1000), operating=False), facility("open", at=offset(8000))]
    result = check([household()], facilities=facilities)
    assert verdict(result, "medical")[:2] == ("unmet", "medical_out_of_reach")
    assert result.loc["h1", "medical_km"] == pytest.approx(8.0, abs=1e-6)


def test_site_medical_post_counts_only_while_the_site_is_open():
    post = offset(0, 2000)
    households = [household(shelter="dispersed")]
    open_post = check(households, sites=[site("p", lon=post[0], lat=post[1], medical_post=True)], facilities=[])
    closed_post = check(households, sites=[site("p", lon=post[0], lat=post[1], medical_post=True, status="closed")],
                        facilities=[])
    assert verdict(open_post, "medical")[:2] == ("met", "medical_in_reach")
    assert verdict(closed_post, "medical")[:2] == ("unmet", "medical_out_of_reach")


def test_medical_is_measured_from_the_site_for_households_at_a_site():
    camp = offset(20_000)
    households = [household(shelter="site", site_id="camp")]  # own position: next to the clinic at HOME
    result = check(households, sites=[site("camp", lon=camp[0], lat=camp[1])])
    assert verdict(result, "medical")[:2] == ("unmet", "medical_out_of_reach")
    assert result.loc["h1", "medical_km"] == pytest.approx(20.0, abs=1e-6)


@pytest.mark.parametrize("member", ["injured", "chronic", "pregnant"])
def test_medical_at_risk_when_a_vulnerable_member_was_not_seen_for_7_days(member):
    result = check([household(**{member: 1})], visits=[visit("h1", days_ago=8), visit("h1", days_ago=-1)])
    assert verdict(result, "medical")[:2] == ("at_risk", "medical_visit_due")


def test_medical_met_when_a_vulnerable_member_was_seen_recently():
    result = check([household(injured=1)], visits=[visit("h1", days_ago=7)])  # exactly 7 days counts
    assert verdict(result, "medical")[:2] == ("met", "medical_in_reach")


def test_medical_unmet_without_a_known_position():
    result = check([household(lon=np.nan, lat=np.nan)])
    assert verdict(result, "medical")[:2] == ("unmet", "location_unknown")


def test_medical_unmet_when_no_medical_point_operates_at_all():
    assert verdict(check([household()], facilities=[]), "medical")[:2] == ("unmet", "medical_out_of_reach")


# --- inputs ------------------------------------------------------------------

def test_empty_households_give_an_empty_result():
    result = gt.evaluate(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
                         pd.DataFrame(), as_of=AS_OF, standards=STANDARDS)
    assert len(result) == 0 and "food" in result.columns


@pytest.mark.parametrize("call,field", [
    (lambda: check([household()], as_of=datetime(2026, 7, 1)), "as_of"),
    (lambda: check([household(shelter="tent")]), "households.shelter"),
    (lambda: check([household(house_damage="bad")]), "households.house_damage"),
    (lambda: check([household(members=0)]), "households.members"),
    (lambda: check([household("a"), household("a")]), "households.household_id"),
    (lambda: check([{k: v for k, v in household().items() if k != "lon"}]), "households.lon"),
    (lambda: check([household()], distributions=[given("h1", "ration", -1, 1)]), "distributions.quantity"),
    (lambda: check([household()], profile="tropical"), "profile"),
])
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationFailed) as err:
        call()
    assert err.value.field == field


def test_unknown_items_and_households_in_distributions_count_for_nothing():
    rows = [given("h1", "caviar", 100, 1), given("stranger", "ration", 100, 1)]
    assert verdict(check([household()], distributions=rows), "food")[:2] == ("unmet", "food_none")


# --- helpers -----------------------------------------------------------------

def test_coverage_end_unrolls_the_recurrence():
    # group 0: (t=0, d=5), (t=2, d=1), (t=10, d=2) → 5, 6, 12; group 1: none; group 2: (t=3, d=4) → 7
    group = np.array([0, 2, 0, 0])
    t = np.array([10, 3, 0, 2])
    d = np.array([2.0, 4.0, 5.0, 1.0])
    np.testing.assert_array_equal(gt.coverage_end(group, t, d, 3), [12.0, -np.inf, 7.0])


def test_site_occupancy_sums_members_recorded_at_each_site():
    frame = pd.DataFrame([household("a", members=2, shelter="site", site_id="s1"),
                          household("b", members=3, shelter="site", site_id="s1"),
                          household("c", members=4, shelter="site", site_id="s2"),
                          household("d", members=5, shelter="dispersed", site_id="s1")])
    assert gt.site_occupancy(frame).to_dict() == {"s1": 5, "s2": 4}


def test_summarise_counts_per_group_guarantee_and_status_with_zeros():
    result = check([household("a"), household("b", house_damage="none", evacuated=False, shelter="home"),
                    household("c")], distributions=[given("a", "ration", 4, 0)])
    by = pd.Series({"a": "v1", "b": "v1", "c": "v2"}, name="village_code")
    table = gt.summarise(result, by).set_index(["village_code", "guarantee", "status"])["households"]
    assert len(table) == 2 * len(gt.GUARANTEES) * len(gt.STATUSES)
    assert table[("v1", "food", "met")] == 1
    assert table[("v1", "food", "not_applicable")] == 1
    assert table[("v2", "food", "unmet")] == 1
    assert table[("v2", "food", "met")] == 0
    assert table.groupby(level="guarantee").sum().eq(3).all()
