"""Dispatch plans from site gaps and depot stock; accepting books the transfers in one transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from relief.errors import InsufficientStock, NotFound, TransitionRefused
from relief.services import dispatch, stock
from relief.store import ledger
from relief.store.tables import DispatchPlan, StockMovement
from tests import world

# S1 holds household H1 (3 persons). Over the default 3 days they need
# 3 × 2100 × 3 = 18,900 kcal → 6 kg of rice (3,500 kcal/kg, rounded up),
# 3 × 15 × 3 = 135 L → 27 bottles of 5 L, 3 × 2 = 6 clothing sets, 3 blankets.
GAPS = {"RICE": 6.0, "WATER5": 27.0, "CLOTHES": 6.0, "BLANKET": 3.0}


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    return store


def stock_depot(store, depot: str, quantities: dict[str, float]) -> None:
    ctx = world.context(store)
    for item, quantity in quantities.items():
        stock.receive(ctx, {"holder_kind": "depot", "holder_id": depot, "item_code": item, "quantity": quantity,
                            "source": "allocation"})


def balance(store, kind, holder, item):
    with store.read() as session:
        return ledger.balance(session, kind, holder, item)


def plan_rows(store, plan_id):
    with store.read() as session:
        movements = [(m.kind, m.holder_id, m.item_code, m.quantity, m.transfer_id)
                     for m in session.scalars(select(StockMovement).where(StockMovement.dispatch_plan_id == plan_id)
                                              .order_by(StockMovement.id))]
        return session.get(DispatchPlan, plan_id).status, movements


def test_plan_closes_every_gap_when_stock_suffices(place):
    stock_depot(place, "D1", {item: 100 for item in GAPS})
    plan = dispatch.propose_plan(world.context(place), {})
    assert plan["status"] == "proposed" and plan["unmet"] == []
    assert {line["item_code"]: line["quantity"] for line in plan["lines"]} == GAPS
    assert {line["site_id"] for line in plan["lines"]} == {"S1"}  # S2 is empty, S3 closed
    assert {g["item_code"]: g["quantity"] for g in plan["gaps"]} == GAPS
    assert dispatch.get_plan(world.context(place), plan["id"])["lines"] == plan["lines"]


def test_plan_reports_the_remainder_when_stock_falls_short_nearest_depot_first(place):
    stock_depot(place, "D1", {"RICE": 4})
    stock_depot(place, "D2", {"RICE": 1})
    plan = dispatch.propose_plan(world.context(place), {})
    rice = sorted((line["depot_id"], line["quantity"]) for line in plan["lines"] if line["item_code"] == "RICE")
    assert rice == [("D1", 4.0), ("D2", 1.0)]
    assert {(u["site_id"], u["item_code"]): u["quantity"] for u in plan["unmet"]} == {
        ("S1", "RICE"): 1.0, ("S1", "WATER5"): 27.0, ("S1", "CLOTHES"): 6.0, ("S1", "BLANKET"): 3.0}


def test_accepting_books_each_line_as_a_transfer_pair(place):
    stock_depot(place, "D1", {"RICE": 10, "WATER5": 30})
    plan = dispatch.propose_plan(world.context(place), {})
    published = []
    accepted = dispatch.accept_plan(world.context(place, published=published), plan["id"], {"reason": "convoy 1"})
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    status, movements = plan_rows(place, plan["id"])
    assert status == "accepted" and len(movements) == 4
    for out, into in zip(movements[::2], movements[1::2]):
        assert (out[0], into[0]) == ("transfer_out", "transfer_in")
        assert out[4] == into[4] and out[3] == -into[3] and (out[1], into[1]) == ("D1", "S1")
    assert balance(place, "site", "S1", "RICE") == 6 and balance(place, "depot", "D1", "RICE") == 4
    assert balance(place, "site", "S1", "WATER5") == 27 and balance(place, "depot", "D1", "WATER5") == 3
    [event] = [e for e in published if e["kind"] == "dispatch.accepted"]
    assert event["topic"] == "dispatch" and event["payload"]["plan_id"] == plan["id"]
    assert len(event["payload"]["transfers"]) == 2
    assert len([e for e in published if e["kind"] == "stock.changed"]) == 4
    with pytest.raises(TransitionRefused):
        dispatch.accept_plan(world.context(place), plan["id"], {})


def test_accepting_after_stock_moved_is_refused_and_writes_nothing(place):
    stock_depot(place, "D1", {"RICE": 10, "WATER5": 30})
    plan = dispatch.propose_plan(world.context(place), {})
    stock.adjust(world.context(place), {"holder_kind": "depot", "holder_id": "D1", "item_code": "WATER5",
                                        "quantity": -10, "reason": "loss: flooded store room"})
    published = []
    with pytest.raises(InsufficientStock) as refused:
        dispatch.accept_plan(world.context(place, published=published), plan["id"], {})
    assert refused.value.detail["item_code"] == "WATER5" and refused.value.detail["available"] == 20
    assert plan_rows(place, plan["id"]) == ("proposed", [])
    assert balance(place, "depot", "D1", "RICE") == 10 and balance(place, "site", "S1", "RICE") == 0
    assert published == []


def test_unknown_plan(place):
    with pytest.raises(NotFound) as missing:
        dispatch.accept_plan(world.context(place), 999, {})
    assert missing.value.field == "plan_id"


def test_a_plan_for_an_unknown_county_is_refused_and_not_kept(place):
    stock_depot(place, "D1", {item: 100 for item in GAPS})
    with pytest.raises(NotFound) as missing:
        dispatch.propose_plan(world.context(place), {"county_code": "bogus"})
    assert missing.value.field == "county_code"
    with place.read() as session:
        assert session.scalars(select(DispatchPlan)).all() == []
    plan = dispatch.propose_plan(world.context(place), {"county_code": world.COUNTY})
    assert {line["item_code"]: line["quantity"] for line in plan["lines"]} == GAPS
