"""Paid living cash counts toward the food guarantee for the days it covers (§6): a confirmed payment re-judges
the household and publishes the change; a failed line does not count; the scheduler follows the new end."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from relief.services import aging, guarantees
from relief.services import assistance as service
from relief.store import guarantee_inputs as inputs
from relief.store.tables import GuaranteeStatus, Household
from tests import assistance_world as aw

PAID_AT = aw.after_notice() + timedelta(hours=1)
US = timedelta(microseconds=1)


@pytest.fixture
def world(store):
    aw.build(store)
    return store


def _approved(store, household: str, serial: int, **extra) -> str:
    case_id = aw.apply(store, household, account={"bank": aw.BANK, "account_no": aw.account_number(serial),
                                                  "holder_name": "户主"}, **extra)
    aw.to_notice(store, case_id)
    service.transition(aw.as_role(store, "township_clerk", at=aw.after_notice()), case_id, {"action": "check"})
    service.transition(aw.as_role(store, "commander", at=aw.after_notice()), case_id, {"action": "approve"})
    return case_id


def _confirm(store, results: dict[str, str], published: list | None = None) -> dict[str, int]:
    _, lines, _ = service.make_batch(aw.as_role(store, "commander", at=aw.after_notice()))
    answer = lines.assign(result=[results[c] for c in lines["case_id"]],
                          reason=["" if results[c] == "paid" else "账户已冻结" for c in lines["case_id"]])
    return service.confirm(aw.as_role(store, "commander", at=PAID_AT, published=published), answer)


def _food(store, household: str, at: datetime = PAID_AT) -> dict:
    return guarantees.household_guarantees(aw.as_role(store, "admin", at=at), household, as_of=at)


def _kept(store, household: str) -> SimpleNamespace:
    with store.read() as session:
        row = session.get(GuaranteeStatus, household)
        return SimpleNamespace(food=row.food, next_change_at=row.next_change_at)


def _food_changes(published: list) -> dict[str, tuple[str | None, str]]:
    return {c["household_id"]: (c["before"]["food"], c["after"]["food"])
            for e in published if e["kind"] == "guarantee.changed" for c in e["payload"]["changes"]}


def test_a_paid_case_covers_food_for_its_days_and_a_failed_line_does_not(world):
    paid, failed = _approved(world, "HH1", 1), _approved(world, "HH2", 2)
    guarantees.recompute_all(aw.as_role(world, "admin", at=aw.after_notice()))
    assert _kept(world, "HH1").food != "met" and _kept(world, "HH2").food != "met"
    published: list = []
    assert _confirm(world, {paid: "paid", failed: "failed"}, published) == {"paid": 1, "failed": 1, "unchanged": 0}
    # 5,400 yuan for 3 people at 20 yuan per person per day: 90 days of food from the period start
    answer = _food(world, "HH1")
    assert answer["food"] == "met"
    assert answer["food_covered_until"] == (aw.T0 + timedelta(days=90)).isoformat()
    kept = _kept(world, "HH1")
    assert kept.food == "met" and kept.next_change_at == aw.T0 + timedelta(days=90) - timedelta(hours=24) + US
    changes = _food_changes(published)
    assert changes["HH1"][1] == "met" and "HH2" not in changes  # published after commit, the failed line unjudged
    failed_answer = _food(world, "HH2")
    assert failed_answer["food"] != "met" and failed_answer["food_covered_until"] is None
    assert _kept(world, "HH2").food == failed_answer["food"]


def test_cash_covering_days_inside_the_horizon_leaves_food_at_risk(world):
    # 450 yuan for 3 people: 7.5 days from the period start, so 11 hours are left when it is paid
    case_id = _approved(world, "HH1", 1, amount=450)
    _confirm(world, {case_id: "paid"})
    answer = _food(world, "HH1")
    assert answer["food"] == "at_risk"
    assert answer["food_covered_until"] == (aw.T0 + timedelta(days=7.5)).isoformat()
    assert _kept(world, "HH1").food == "at_risk"


def test_the_scheduler_follows_the_days_the_cash_covers(world):
    case_id = _approved(world, "HH1", 1)
    _confirm(world, {case_id: "paid"})
    due = _kept(world, "HH1").next_change_at
    published: list = []
    ctx = aw.as_role(world, "admin", at=due, published=published)
    assert aging.rejudge_due(ctx)["changed"] == 1
    assert _kept(world, "HH1").food == "at_risk" and _food_changes(published)["HH1"] == ("met", "at_risk")


def test_the_frames_agree_cap_the_days_at_the_period_and_count_nothing_before_payment(world):
    case_id = _approved(world, "HH1", 1)
    _confirm(world, {case_id: "paid"})
    with world.write() as session:  # fewer members now: the same cash lasts longer, but not past its period
        session.execute(update(Household).where(Household.id == "HH1").values(members=1))
    everyone = guarantees.evaluate_all(aw.as_role(world, "admin", at=PAID_AT), as_of=PAID_AT)
    assert everyone.loc["HH1", "food_covered_until"] == aw.T0 + timedelta(days=90)
    assert _food(world, "HH1")["food_covered_until"] == (aw.T0 + timedelta(days=90)).isoformat()
    before = guarantees.evaluate_all(aw.as_role(world, "admin", at=PAID_AT), as_of=aw.T0 + timedelta(days=1))
    assert before.loc["HH1", "food"] != "met"  # paid later: it did not count yet


def test_without_the_figure_nothing_is_counted(world):
    case_id = _approved(world, "HH1", 1)
    _confirm(world, {case_id: "paid"})
    with world.read() as session:
        loaded = inputs.load_inputs(session, ["HH1"], as_of=PAID_AT)
        counted = inputs.load_inputs(session, ["HH1"], as_of=PAID_AT, food_cash=inputs.FoodCash(20.0, 2100.0))
    assert inputs.FOOD_CASH_ITEM not in set(loaded.items["item_code"])
    cash = counted.distributions.loc[counted.distributions["item_code"] == inputs.FOOD_CASH_ITEM]
    assert cash["quantity"].tolist() == [pytest.approx(90 * 3 * 2100.0)]
    assert cash["distributed_at"].tolist() == [aw.T0]
