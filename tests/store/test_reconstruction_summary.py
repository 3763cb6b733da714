"""The summary counted in the database equals the domain's summary over every house, on a varied ledger."""
from __future__ import annotations

import random
from datetime import timedelta

import pandas as pd

from relief.domain import reconstruction as rc
from relief.domain.vocabulary import InspectionResult
from relief.store import reconstruction as house_store
from relief.store.tables import HousePayment, Inspection
from tests import reconstruction_world as rw

PASS = InspectionResult.PASS.value
FIG = rw.FIGURES
CATEGORIES = (None, "dibao", "tekun", "wubao", "other")


def _spread(store, seed: int, count: int) -> None:
    """Houses in every stage of both paths, in both townships and outside every area, stalled or not,
    some with failed inspections, passes of milestones they are past or not yet at, payments of any tranche."""
    rng = random.Random(seed)
    stages = [*rc.PATHS[rc.REBUILD], *rc.PATHS[rc.REPAIR][3:5], rc.S.EXCLUDED]
    rows = []
    for n in range(count):
        damage = rng.choice(("collapsed", "severe", "general"))
        stage = stages[n % len(stages)]
        signed = stage not in (rc.S.ASSESSED, rc.S.ELIGIBLE, rc.S.EXCLUDED)
        if stage in (rc.S.REPAIR_STARTED, rc.S.REPAIR_COMPLETED):
            mode = "repair"
        elif signed:
            mode = "repair" if damage == "general" and stage in (rc.S.AGREEMENT_SIGNED, rc.S.MOVED_IN) \
                else rng.choice(("in_place", "planned_self_build", "purchase"))
        else:
            mode = None
        limit = FIG.limits_days.get(stage, 30)
        # some at exactly the limit at T0, some just past it, most anywhere
        since = rw.T0 - rng.choice([timedelta(days=limit), timedelta(days=limit, seconds=1),
                                    timedelta(days=rng.uniform(0, 2 * limit)), timedelta(days=rng.uniform(0, 5))])
        lon = rng.choice((109.2, 109.8, 110.5))  # west, east, outside the county
        house_id = f"H{n:03d}"
        rw.add_house(store, house_id, stage=stage, damage=damage, mode=mode, since=since, lon=lon,
                     category=rng.choice(CATEGORIES), correction_required=rng.random() < 0.2)
        rows.append(house_id)
    moment = rw.T0 - timedelta(days=200)
    with store.write() as session:
        for house_id in rows:
            for milestone in sorted(FIG.inspected):
                for _ in range(rng.choice((0, 0, 1, 2))):
                    session.add(Inspection(house_id=house_id, milestone=milestone,
                                           result=rng.choice((PASS, "fail")), inspected_at=moment,
                                           received_at=moment, inspector="i"))
            for tranche in rc.tranche_names(FIG):
                if rng.random() < 0.35:
                    session.add(HousePayment(house_id=house_id, tranche=tranche, amount=round(rng.uniform(1, 9000), 2),
                                             paid_at=moment, recorded_at=moment))


def _by_domain(session, by: str, as_of, county_code=None) -> pd.DataFrame:
    houses, passes, paid = house_store.frames(session, PASS, county_code=county_code)
    return rc.summary(rc.house_rows(houses, passes, paid, FIG, as_of), by)


def _by_groups(session, by: str, as_of, county_code=None) -> pd.DataFrame:
    groups = house_store.summary_groups(session, PASS, by_column=rc.SUMMARY_LEVELS[by],
                                        stall_before=rc.stall_thresholds(as_of, FIG),
                                        milestones=rc.tranche_milestones(FIG), tranches=rc.tranche_names(FIG),
                                        county_code=county_code)
    return rc.group_summary(groups, by, FIG, as_of)


def test_the_counted_summary_equals_the_domains_summary(store):
    rw.build_areas(store)
    _spread(store, seed=7, count=90)
    with store.read() as session:
        houses = house_store.frames(session, PASS)[0]
        assert houses["township_code"].isna().any() and houses["correction_required"].any()
        for as_of in (rw.T0, rw.T0 + timedelta(seconds=1), rw.T0 + timedelta(days=20)):
            for by in ("township", "county"):
                expected = _by_domain(session, by, as_of)
                got = _by_groups(session, by, as_of)
                assert expected["stalled"].sum() > 0 and expected["due"].sum() > 0 and expected["paid"].sum() > 0
                pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        for by in ("township", "county"):
            pd.testing.assert_frame_equal(_by_groups(session, by, rw.T0, county_code=rw.COUNTY),
                                          _by_domain(session, by, rw.T0, county_code=rw.COUNTY), check_dtype=False)


def test_the_counted_summary_of_no_houses_is_empty(store):
    rw.build_areas(store)
    with store.read() as session:
        got = _by_groups(session, "township", rw.T0)
    assert got.empty and list(got.columns) == ["township_code", *rc.SUMMARY_COLUMNS]


def test_the_stall_threshold_is_the_domains_rule():
    limit = timedelta(days=FIG.limits_days[rc.S.STARTED])
    moment = rc.stall_thresholds(rw.T0, FIG)[rc.S.STARTED]
    assert not rc.is_stalled(rc.S.STARTED, moment, rw.T0, FIG)
    assert rc.is_stalled(rc.S.STARTED, moment - timedelta(microseconds=1), rw.T0, FIG)
    assert moment == rw.T0 - limit
    assert rc.S.MOVED_IN not in rc.stall_thresholds(rw.T0, FIG)
