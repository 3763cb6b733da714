"""The demo's assistance cases: collapsed-house households, a few per township, along the chain relative to
``as_of``, deterministic for a seed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from relief.domain import assistance as domain
from relief.domain.demo import build_demo, load_admin
from relief.domain.demo.assistance import PER_TOWNSHIP, build_assistance, demo_programme
from relief.domain.standards import Standards

STANDARDS = Standards.bundled()
FIGURES = domain.Figures.of(STANDARDS)
AS_OF = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def region():
    return build_demo(load_admin(), standards=STANDARDS, seed=42, households=6000, as_of=AS_OF)


def _build(region, seed=42, as_of=AS_OF):
    programme = demo_programme(FIGURES)
    return build_assistance(region.households, region.areas, programme, notice_days=FIGURES.notice_days,
                            seed=seed, as_of=as_of, programme_id=1)


def test_collapsed_households_a_few_per_township_across_the_stages(region):
    built = _build(region)
    cases = built.cases
    assert len(cases) > 10
    damage = region.households.set_index("id").loc[cases["household_id"], "house_damage"]
    assert set(damage) == {"collapsed"}
    assert cases.groupby("township_code").size().max() <= PER_TOWNSHIP
    assert {"paid", "approved", "on_notice", "objection"} <= set(cases["stage"])
    assert cases["household_id"].is_unique


def test_moments_are_relative_to_as_of_and_follow_the_chain(region):
    built = _build(region)
    cases = built.cases.set_index("id")
    assert (built.transitions["at"] <= AS_OF).all() and (cases["stage_since"] <= AS_OF).all()
    on_notice = cases.loc[cases["stage"] == "on_notice"]
    assert len(on_notice) and (on_notice["notice_ends_at"] > AS_OF).all()
    checked = cases.loc[cases["stage"].isin(["township_checked", "approved", "paid"])]
    check_at = built.transitions.loc[built.transitions["action"] == "check"].set_index("case_id")["at"]
    assert (check_at.reindex(checked.index) >= checked["notice_ends_at"]).all()
    for _, steps in built.transitions.groupby("case_id"):
        assert steps["at"].is_monotonic_increasing
        assert steps["to_stage"].iloc[-1] == cases.loc[steps["case_id"].iloc[0], "stage"]
    objections = built.objections.set_index("case_id")
    assert set(objections.index) == set(cases.index[cases["stage"] == "objection"])
    assert (objections["raised_at"] < cases.loc[objections.index, "notice_ends_at"]).all()
    assert objections["outcome"].isna().all()


def test_approved_and_paid_cases_have_valid_accounts_and_paid_lines(region):
    built = _build(region)
    cases = built.cases.set_index("id")
    wanted = set(cases.loc[cases["stage"].isin(["approved", "paid"]), "household_id"])
    assert set(built.accounts["household_id"]) == wanted
    assert all(domain.check_account_number(n) == n for n in built.accounts["account_no"])
    paid = cases.loc[cases["stage"] == "paid"]
    assert sorted(built.payout_lines["case_id"]) == sorted(paid.index)
    assert (built.payout_lines["status"] == "paid").all()
    programme = demo_programme(FIGURES)
    assert (cases["amount"] == [domain.amount_for(programme, m, programme.period_days) for m in cases["members"]]).all()
    assert ((paid["paid_at"] <= AS_OF) & (paid["period_start"] <= paid["paid_at"])).all()
    assert (cases["period_end"] - cases["period_start"] == timedelta(days=programme.period_days - 1)).all()


def test_same_seed_same_cases_other_seed_other_and_it_moves_with_as_of(region):
    first, again = _build(region), _build(region)
    pd.testing.assert_frame_equal(first.cases, again.cases)
    pd.testing.assert_frame_equal(first.transitions, again.transitions)
    assert not first.cases["stage_since"].equals(_build(region, seed=7).cases["stage_since"])
    later = _build(region, as_of=AS_OF + timedelta(days=3))
    assert (later.cases["stage_since"] - first.cases["stage_since"] == timedelta(days=3)).all()
