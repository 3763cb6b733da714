"""The demo's aid chain: a charity's list hashed with the salt, one planted duplicate over a depot hand-out, one
planted miss; deterministic for a seed and moment, the ledger still backing every hand-out."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from relief.domain import aid_chain
from relief.domain.demo import DEMO_NOW, build_demo, load_admin
from relief.domain.demo.aid import AGENCY, CHARITY_FOOD_DAYS, DUPLICATE_GIVEN_HOURS, DUPLICATE_ITEM, build_aid
from relief.domain.identity import hash_id, is_clear_id, is_id_hash
from relief.domain.standards import Standards

STANDARDS = Standards.bundled()
SALT = "test-prefecture-salt"


@pytest.fixture(scope="module")
def region():
    return build_demo(load_admin(), standards=STANDARDS, seed=42, households=1500)


def _aid(region, seed=42, as_of=None):
    return build_aid(region.households, region.stock, region.distributions, region.depots, region.items,
                     hash_id=lambda number: hash_id(number, SALT), seed=seed, as_of=as_of or region.now)


@pytest.fixture(scope="module")
def aid(region):
    return _aid(region)


def test_the_charity_list_carries_only_salted_hashes(region, aid):
    partner = aid.partner
    assert len(partner) >= 6 and (partner["agency"] == AGENCY).all()
    assert partner["id_hash"].map(is_id_hash).all()
    assert not partner["id_hash"].map(is_clear_id).any()
    numbers = region.households.set_index("id")["id_number"]
    assert (partner["id_hash"] == partner["household_id"].map(lambda h: hash_id(numbers[h], SALT))).all()
    assert not {"head_name", "id_number", "phone", "name"} & set(partner.columns)
    assert (partner["period_end"] > partner["period_start"]).all()
    assert partner["row_no"].tolist() == list(range(1, len(partner) + 1))


def test_the_planted_duplicate_overlaps_a_depot_hand_out_by_days(region, aid):
    household = aid.duplicate_household
    assert household is not None and aid.depot_id is not None
    assert household not in set(region.distributions["household_id"])  # served by no one else
    given = aid.distributions[aid.distributions["household_id"] == household]
    assert given["item_code"].tolist() == [DUPLICATE_ITEM]
    assert given["distributed_at"].iloc[0] == region.now - timedelta(hours=DUPLICATE_GIVEN_HOURS)
    line = aid.stock[aid.stock["id"] == given["movement_id"].iloc[0]].iloc[0]
    assert (line["holder_kind"], line["holder_id"], line["quantity"]) == ("depot", aid.depot_id,
                                                                        -given["quantity"].iloc[0])
    food = aid.partner[aid.partner["household_id"] == household]
    assert food["purpose"].tolist() == ["food"]
    before, after = CHARITY_FOOD_DAYS
    assert food["period_start"].iloc[0] == region.now - timedelta(days=before)
    assert food["period_end"].iloc[0] == region.now + timedelta(days=after)


def test_the_sweep_finds_the_planted_duplicate_and_no_other_charity_overlap(region, aid):
    figures = aid_chain.Figures.of(STANDARDS)
    periods = aid_chain.PeriodFigures.of(STANDARDS)
    items = region.items.set_index("code")
    dist = aid.distributions.merge(aid.stock[["id", "holder_kind", "holder_id"]].rename(columns={"id": "movement_id"}),
                                   on="movement_id")
    members = region.households.set_index("id")["members"]
    frame = pd.DataFrame({
        "distributed_at": dist["distributed_at"], "purpose": dist["item_code"].map(items["guarantee"]).map(
            aid_chain.ITEM_PURPOSE), "quantity": dist["quantity"], "members": dist["household_id"].map(members),
        "kcal_per_unit": dist["item_code"].map(items["kcal_per_unit"]),
        "litres_per_unit": dist["item_code"].map(items["litres_per_unit"])})
    span = aid_chain.distribution_periods(frame, periods)
    chain = pd.concat([
        pd.DataFrame({"aid_id": "distribution:" + dist["id"].astype(str), "household_id": dist["household_id"],
                      "source": dist["holder_kind"] + ":" + dist["holder_id"], "source_kind": "distribution",
                      "purpose": frame["purpose"], "period_start": span["period_start"],
                      "period_end": span["period_end"], "amount": float("nan"), "quantity": dist["quantity"],
                      "given_at": dist["distributed_at"]}),
        pd.DataFrame({"aid_id": "partner:" + aid.partner["row_no"].astype(str),
                      "household_id": aid.partner["household_id"], "source": "agency:" + AGENCY,
                      "source_kind": "partner", "purpose": aid.partner["purpose"],
                      "period_start": aid.partner["period_start"], "period_end": aid.partner["period_end"],
                      "amount": float("nan"), "quantity": aid.partner["quantity"],
                      "given_at": aid.partner["period_start"]}),
    ], ignore_index=True).dropna(subset=["purpose"])
    flags = aid_chain.sweep_duplicates(chain, figures)
    charity = flags[flags["sources"].map(lambda s: f"agency:{AGENCY}" in s)]
    assert charity["household_id"].tolist() == [aid.duplicate_household]
    assert charity["purpose"].tolist() == ["food"]


def test_the_planted_miss_needs_aid_and_got_none(region, aid):
    household = aid.missed_household
    assert household is not None and household != aid.duplicate_household
    row = region.households.set_index("id").loc[household]
    assert bool(row["needs_living_aid"]) and row["house_damage"] != "collapsed" and row["shelter"] != "site"
    assert household not in set(aid.distributions["household_id"])
    assert household not in set(aid.partner["household_id"])


def test_the_ledger_still_backs_every_hand_out(aid):
    movements = aid.stock.set_index("id")
    assert aid.stock["id"].is_unique and aid.distributions["id"].is_unique
    for d in aid.distributions.itertuples():
        line = movements.loc[d.movement_id]
        assert line["kind"] == "distribution" and line["household_id"] == d.household_id
        assert line["quantity"] == -d.quantity
    ordered = aid.stock.sort_values(["at", "id"])
    running = ordered.groupby(["holder_kind", "holder_id", "item_code"])["quantity"].cumsum()
    assert (running >= -1e-9).all()
    assert aid.stock["source"].map(lambda v: v is None or isinstance(v, str)).all()


def test_same_seed_and_moment_same_aid_other_seed_other(region, aid):
    again = _aid(region)
    pd.testing.assert_frame_equal(again.partner, aid.partner)
    pd.testing.assert_frame_equal(again.stock, aid.stock)
    assert (again.duplicate_household, again.missed_household) == (aid.duplicate_household, aid.missed_household)
    other = _aid(region, seed=43)
    assert other.partner["household_id"].tolist() != aid.partner["household_id"].tolist()
    later = _aid(region, as_of=DEMO_NOW + timedelta(days=3))
    assert later.partner["period_end"].iloc[0] == DEMO_NOW + timedelta(days=3 + CHARITY_FOOD_DAYS[1])
