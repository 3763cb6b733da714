"""When a verdict changes with time alone: ``next_change_at``; pure, no app, no database.

Figures from the default standards: two members eat one 2,100 kcal ration
in half a day and drink 30 L a day; the horizon is 24 h; a vulnerable
member must have been seen within 7 days.
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from relief.domain import guarantees as gt
from tests.domain.test_guarantees import AS_OF, STANDARDS, check, given, household, site, visit

US = timedelta(microseconds=1)


def aging(households, distributions=(), visits=(), sites=(), as_of=AS_OF):
    """(evaluate's result, next_change_at) for the same inputs."""
    result = check(households, sites=sites, distributions=distributions, visits=visits, as_of=as_of)
    moments = gt.next_change_at(result, pd.DataFrame(list(households)), pd.DataFrame(list(visits)),
                                as_of=as_of, standards=STANDARDS)
    return result, moments


def reason(households, g, at, distributions=(), visits=(), sites=(), household_id="h1"):
    row = check(households, sites=sites, distributions=distributions, visits=visits, as_of=at).loc[household_id]
    return row[g], row[f"reason_code_{g}"]


def test_food_met_turns_at_risk_just_after_the_horizon_is_no_longer_covered():
    hh, food = [household()], [given("h1", "ration", 4, hours_ago=0)]  # 2 days from now
    result, moments = aging(hh, food)
    assert result.loc["h1", "food"] == "met"
    turn = moments["h1"]
    assert turn == pd.Timestamp(AS_OF + timedelta(hours=24) + US)  # covered for exactly 24 h is still met
    assert reason(hh, "food", turn - US, food) == ("met", "food_covered")
    assert reason(hh, "food", turn, food) == ("at_risk", "food_covered_short")


def test_food_at_risk_turns_unmet_at_the_lapse_itself():
    hh, food = [household()], [given("h1", "ration", 1, hours_ago=6)]  # half a day: runs out in 6 h
    result, moments = aging(hh, food)
    assert result.loc["h1", "food"] == "at_risk"
    lapse = pd.Timestamp(AS_OF + timedelta(hours=6))
    assert moments["h1"] == lapse == result.loc["h1", "food_covered_until"]
    assert reason(hh, "food", lapse - US, food) == ("at_risk", "food_covered_short")
    assert reason(hh, "food", lapse, food) == ("unmet", "food_lapsed")
    assert reason(hh, "food", lapse + timedelta(minutes=1), food) == ("unmet", "food_lapsed")
    _, after = aging(hh, food, as_of=lapse)
    assert pd.isna(after["h1"])  # nothing more happens without new food


def test_water_follows_the_same_two_steps():
    hh, water = [household()], [given("h1", "water_5l", 12, hours_ago=0)]  # 60 L: 2 days for two
    _, moments = aging(hh, water)
    short = moments["h1"]
    assert short == pd.Timestamp(AS_OF + timedelta(hours=24) + US)
    assert reason(hh, "water", short, water) == ("at_risk", "water_covered_short")
    _, moments = aging(hh, water, as_of=short)
    assert moments["h1"] == pd.Timestamp(AS_OF + timedelta(hours=48))
    assert reason(hh, "water", moments["h1"], water) == ("unmet", "water_lapsed")


def test_the_soonest_of_food_water_and_the_visit_window_wins():
    hh = [household(injured=1)]
    rows = [given("h1", "ration", 8, hours_ago=0), given("h1", "water_5l", 12, hours_ago=0)]  # 4 and 2 days
    seen = [visit("h1", days_ago=6.5)]  # counts for half a day more
    result, moments = aging(hh, rows, seen)
    assert result.loc["h1", "medical"] == "met"
    turn = moments["h1"]
    assert turn == pd.Timestamp(AS_OF + timedelta(days=0.5) + US)  # exactly 7 days ago still counts
    assert reason(hh, "medical", turn - US, rows, seen) == ("met", "medical_in_reach")
    assert reason(hh, "medical", turn, rows, seen) == ("at_risk", "medical_visit_due")


def test_a_visit_window_matters_only_for_vulnerable_households():
    _, moments = aging([household()], visits=[visit("h1", days_ago=6.5)])
    assert pd.isna(moments["h1"])


@pytest.mark.parametrize("case", ["out_of_scope", "site_meals", "site_water", "lapsed", "nothing", "visit_due"])
def test_verdicts_that_wait_for_new_input_never_change_by_themselves(case):
    rows, sites, visits = [], [], []
    hh = household()
    if case == "out_of_scope":
        hh = household(house_damage="none", evacuated=False, shelter="home")
        rows = [given("h1", "ration", 1, hours_ago=0)]
    elif case == "site_meals":
        hh, sites = household(shelter="site", site_id="s1"), [site(provides_meals=True, water_l_per_day=100.0)]
        rows = [given("h1", "ration", 1, hours_ago=0)]
    elif case == "site_water":
        hh, sites = household(shelter="site", site_id="s1"), [site(water_l_per_day=100.0)]
        rows = [given("h1", "water_5l", 12, hours_ago=0)]
    elif case == "lapsed":
        rows = [given("h1", "ration", 1, hours_ago=13)]
    elif case == "visit_due":
        hh, visits = household(pregnant=1), [visit("h1", days_ago=8)]
    _, moments = aging([hh], rows, visits, sites)
    assert pd.isna(moments["h1"])


def test_each_household_gets_its_own_moment_vectorised():
    hh = [household("a"), household("b"), household("c", house_damage="none", evacuated=False, shelter="home")]
    rows = [given("a", "ration", 1, hours_ago=0), given("b", "ration", 3, hours_ago=0)]  # 12 h and 36 h
    result, moments = aging(hh, rows)
    assert moments.name == "next_change_at" and list(moments.index) == ["a", "b", "c"]
    assert str(moments.dt.tz) == "UTC"
    assert moments["a"] == pd.Timestamp(AS_OF + timedelta(hours=12))
    assert moments["b"] == pd.Timestamp(AS_OF + timedelta(hours=12) + US)
    assert pd.isna(moments["c"])


def test_a_lapse_between_two_microseconds_is_rounded_up_to_the_stores_resolution():
    # half a day of food plus a ten-billionth: it runs out 4.32 µs after as_of
    hh, food = [household()], [{**given("h1", "ration", 1 + 1e-10, hours_ago=12)}]
    result, moments = aging(hh, food)
    ends = result.loc["h1", "food_covered_until"]
    assert ends == pd.Timestamp(AS_OF) + pd.Timedelta(nanoseconds=4320)
    assert moments["h1"] == pd.Timestamp(AS_OF) + pd.Timedelta(microseconds=5)
    assert reason(hh, "food", moments["h1"], food) == ("unmet", "food_lapsed")
    assert reason(hh, "food", moments["h1"] - US, food) == ("at_risk", "food_covered_short")


def test_a_moment_already_past_is_put_just_after_as_of():
    """Should rounding ever leave a verdict unchanged at its moment, the next one is still later, never a loop."""
    hh, food = [household()], [given("h1", "ration", 1, hours_ago=6)]
    result, _ = aging(hh, food)
    later = AS_OF + timedelta(hours=7)  # judged as of later with the earlier result: the lapse is in the past
    moments = gt.next_change_at(result, pd.DataFrame(hh), pd.DataFrame(), as_of=later, standards=STANDARDS)
    assert moments["h1"] == pd.Timestamp(later + US)


def test_empty_result_gives_an_empty_series():
    result = check([])
    moments = gt.next_change_at(result, pd.DataFrame(), pd.DataFrame(), as_of=AS_OF, standards=STANDARDS)
    assert moments.empty and moments.name == "next_change_at"
