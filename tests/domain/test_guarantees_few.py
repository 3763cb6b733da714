"""The row-by-row check of a handful of households gives exactly what ``evaluate`` and ``next_change_at`` give.

Random small worlds are built from the factories of ``test_guarantees`` (households, sites,
facilities, distributions, visits around Enshi), judged both ways and compared value by value:
statuses, reasons, reason codes, shortfalls, the figures behind them and the next change.
"""
from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from relief.domain import guarantees as gt
from relief.errors import ValidationFailed
from tests.domain.test_guarantees import AS_OF, ITEMS, STANDARDS, facility, given, household, offset, site, visit

SITE_IDS = ("s1", "s2", "s3")
ITEM_CODES = (*ITEMS["item_code"], "unknown")


def place():
    """A position a few km around Enshi city, or none."""
    return st.one_of(st.none(), st.tuples(st.integers(-9000, 9000), st.integers(-9000, 9000)).map(
        lambda d: offset(*d)))


def at(row: dict, position) -> dict:
    row["lon"], row["lat"] = position if position is not None else (None, None)
    return row


@st.composite
def worlds(draw):
    n = draw(st.integers(1, 6))
    ids = [f"h{i}" for i in range(n)]
    households = [at(household(
        hid, members=draw(st.integers(1, 6)), house_damage=draw(st.sampled_from(gt.HOUSE_DAMAGE)),
        shelter=draw(st.sampled_from(gt.SHELTER)), site_id=draw(st.sampled_from((None, *SITE_IDS))),
        evacuated=draw(st.booleans()), needs_living_aid=draw(st.booleans()),
        injured=draw(st.integers(0, 1)), chronic=draw(st.integers(0, 1)), pregnant=draw(st.integers(0, 1))),
        draw(place())) for hid in ids]
    sites = [at(site(sid, covered_area_m2=draw(st.one_of(st.none(), st.floats(0, 400))),
                     water_l_per_day=draw(st.one_of(st.none(), st.sampled_from((0.0, 15.0, 60.0)),
                                                    st.floats(0, 600))),
                     provides_meals=draw(st.booleans()), medical_post=draw(st.booleans()),
                     status=draw(st.sampled_from(("open", "closed")))), draw(place()))
             for sid in SITE_IDS if draw(st.booleans())]
    facilities = [facility(f"f{i}", at=draw(place().filter(lambda p: p is not None)), operating=draw(st.booleans()))
                  for i in range(draw(st.integers(0, 2)))]
    hours = st.one_of(st.sampled_from((0.0, 6.0, 12.0, 24.0, 48.0, -3.0)), st.floats(-12, 96))
    distributions = [given(draw(st.sampled_from((*ids, "ghost"))), draw(st.sampled_from(ITEM_CODES)),
                           draw(st.one_of(st.sampled_from((0.0, 1.0, 2.0, 4.0)), st.floats(0, 12))), draw(hours))
                     for _ in range(draw(st.integers(0, 8)))]
    days = st.one_of(st.sampled_from((0.0, 1.0, 7.0, 6.5)), st.floats(-1, 10))
    visits = [visit(draw(st.sampled_from((*ids, "ghost"))), draw(days)) for _ in range(draw(st.integers(0, 4)))]
    occupancy = None
    if draw(st.booleans()):
        occupancy = {sid: float(draw(st.integers(0, 200))) for sid in SITE_IDS if draw(st.booleans())}
    as_of = AS_OF + timedelta(microseconds=draw(st.integers(0, 10**6)))
    return dict(households=households, sites=sites, facilities=facilities, distributions=distributions,
                visits=visits, occupancy=occupancy, as_of=as_of, profile=draw(st.sampled_from(("normal", "cold"))))


def both_ways(w: dict) -> tuple[pd.DataFrame, pd.Series, list[gt.Verdict]]:
    frames = dict(households=pd.DataFrame(w["households"]), sites=pd.DataFrame(w["sites"]),
                  facilities=pd.DataFrame(w["facilities"]), distributions=pd.DataFrame(w["distributions"]),
                  items=ITEMS, medical_visits=pd.DataFrame(w["visits"]))
    occupancy = None if w["occupancy"] is None else pd.Series(w["occupancy"], dtype=float)
    result = gt.evaluate(**frames, as_of=w["as_of"], standards=STANDARDS, profile=w["profile"], occupancy=occupancy)
    moments = gt.next_change_at(result, frames["households"], frames["medical_visits"], as_of=w["as_of"],
                                standards=STANDARDS, profile=w["profile"])
    few = gt.evaluate_few(w["households"], w["sites"], w["facilities"], w["distributions"],
                          ITEMS.to_dict("records"), w["visits"], as_of=w["as_of"], standards=STANDARDS,
                          profile=w["profile"], occupancy=w["occupancy"])
    return result, moments, few


def same(a, b) -> bool:
    """Equal, NaN equal to NaN and NaT equal to None: the values, not approximately."""
    missing = [x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    return all(missing) if any(missing) else a == b


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@hypothesis_given(worlds())
def test_the_rows_give_exactly_what_evaluate_and_next_change_at_give(w):
    result, moments, few = both_ways(w)
    assert [v.household_id for v in few] == list(result.index)
    for v in few:
        row = result.loc[v.household_id]
        for g in gt.GUARANTEES:
            assert v.statuses[g] == row[g]
            assert v.reason_codes[g] == row[f"reason_code_{g}"]
            assert v.reasons[g] == row[f"reason_{g}"]
            assert same(v.shortfalls[g], row[f"shortfall_{g}"]), (g, v.shortfalls[g], row[f"shortfall_{g}"])
        assert v.in_scope == row["in_scope"]
        for figure in ("food_covered_until", "water_covered_until", "housing_m2_per_person", "medical_km"):
            assert same(getattr(v, figure), row[figure]), figure
        assert same(v.next_change_at, moments[v.household_id])


def test_a_worked_example_reads_as_evaluate_does():
    hh = [household(), household("h2", shelter="site", site_id="s1", injured=1)]
    food = [given("h1", "ration", 1, hours_ago=6), given("h2", "water_5l", 2, hours_ago=1)]
    w = dict(households=hh, sites=[site(covered_area_m2=5.0)], facilities=[facility()], distributions=food,
             visits=[visit("h2", 2)], occupancy=None, as_of=AS_OF, profile="normal")
    result, moments, few = both_ways(w)
    assert [v.statuses["food"] for v in few] == ["at_risk", "unmet"]
    assert few[0].reason_codes["food"] == "food_covered_short"
    assert few[1].reason_codes["housing"] == "site_space_tight"  # 5 m² for 2 persons
    assert few[0].next_change_at == moments["h1"] == pd.Timestamp(AS_OF + timedelta(hours=6))


@pytest.mark.parametrize("rows,field", [
    (dict(households=[household(members=0)]), "households.members"),
    (dict(households=[household(shelter="tent")]), "households.shelter"),
    (dict(households=[household(), household()]), "households.household_id"),
    (dict(distributions=[given("h1", "ration", -1, 1)]), "distributions.quantity"),
    (dict(distributions=[dict(given("h1", "ration", 1, 1), distributed_at=None)]), "distributions.distributed_at"),
    (dict(visits=[dict(household_id="h1", visited_at=AS_OF.replace(tzinfo=None))]), "medical_visits.visited_at"),
])
def test_bad_rows_name_the_field_as_evaluate_does(rows, field):
    args = {**dict(households=[household()], sites=[], facilities=[], distributions=[], visits=[]), **rows}
    with pytest.raises(ValidationFailed) as err:
        gt.evaluate_few(args["households"], args["sites"], args["facilities"], args["distributions"],
                        ITEMS.to_dict("records"), args["visits"], as_of=AS_OF, standards=STANDARDS)
    assert err.value.field == field


def test_the_size_decides_in_one_place():
    assert gt.judged_row_by_row(1) and gt.judged_row_by_row(gt.FEW_HOUSEHOLDS)
    assert not gt.judged_row_by_row(gt.FEW_HOUSEHOLDS + 1)
