"""Dispatch plans from site gaps and depot stock, and the steps a convoy takes: accepted (nothing moves),
dispatched (the lines leave their depots), delivered at the site (what arrived enters the sites)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from relief.errors import Forbidden, InsufficientStock, NotFound, ResendMismatch, TransitionRefused, ValidationFailed
from relief.services import dispatch, resend, stock
from relief.store import ledger
from relief.store.tables import AuditEntry, DispatchPlan, StockMovement
from tests import world

# S1 holds household H1 (3 persons). Over the default 3 days they need
# 3 × 2100 × 3 = 18,900 kcal → 6 kg of rice (3,500 kcal/kg, rounded up),
# 3 × 15 × 3 = 135 L → 27 bottles of 5 L, 3 × 2 = 6 clothing sets, 3 blankets.
GAPS = {"RICE": 6.0, "WATER5": 27.0, "CLOTHES": 6.0, "BLANKET": 3.0}


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    return store


@pytest.fixture
def people(make_user):
    return {role: make_user(role).actor for role in ("commander", "warehouse_keeper", "site_manager", "viewer")}


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


def audit_count(store) -> int:
    with store.read() as session:
        return len(session.scalars(select(AuditEntry.id)).all())


def as_(store, actor, published=None):
    return world.context(store, actor=actor, published=published)


@pytest.fixture
def rice_and_water(place, people):
    """An accepted plan sending 6 kg rice and 27 bottles of water from D1 to S1 (lines: RICE, WATER5)."""
    stock_depot(place, "D1", {"RICE": 10, "WATER5": 30})
    plan = dispatch.propose_plan(as_(place, people["commander"]), {})
    assert [(line["item_code"], line["quantity"]) for line in plan["lines"]] == [("RICE", 6.0), ("WATER5", 27.0)]
    dispatch.accept_plan(as_(place, people["commander"]), plan["id"], {"reason": "convoy 1"})
    return plan["id"]


# --- proposing ---------------------------------------------------------------------

def test_plan_closes_every_gap_when_stock_suffices(place):
    stock_depot(place, "D1", {item: 100 for item in GAPS})
    plan = dispatch.propose_plan(world.context(place), {})
    assert plan["status"] == "proposed" and plan["unmet"] == []
    assert {line["item_code"]: line["quantity"] for line in plan["lines"]} == GAPS
    assert {line["site_id"] for line in plan["lines"]} == {"S1"}  # S2 is empty, S3 closed
    assert {g["item_code"]: g["quantity"] for g in plan["gaps"]} == GAPS
    assert dispatch.get_plan(world.context(place), plan["id"])["lines"] == plan["lines"]


def test_the_answer_names_depots_sites_and_items_beside_their_codes(place, people):
    stock_depot(place, "D1", {"RICE": 100})
    plan = dispatch.propose_plan(as_(place, people["commander"]), {})
    [line] = plan["lines"]
    assert (line["depot_id"], line["depot_name"], line["site_id"], line["site_name"]) == \
        ("D1", "Depot west", "S1", "Site S1")
    assert (line["item_code"], line["item_name"], line["unit"]) == ("RICE", "Rice", "kg")
    assert {u["item_name"] for u in plan["unmet"]} == {"Bottled water 5 L", "Clothing set", "Blanket"}
    assert {g["site_name"] for g in plan["gaps"]} == {"Site S1"}
    assert plan["depots"] == ["Depot west"] and plan["sites"] == ["Site S1"]
    assert plan["created_by_name"] == people["commander"].name
    assert plan["actions"] == ["accept", "cancel"]  # what the commander may do next


def test_plan_reports_the_remainder_when_stock_falls_short_nearest_depot_first(place):
    stock_depot(place, "D1", {"RICE": 4})
    stock_depot(place, "D2", {"RICE": 1})
    plan = dispatch.propose_plan(world.context(place), {})
    rice = sorted((line["depot_id"], line["quantity"]) for line in plan["lines"] if line["item_code"] == "RICE")
    assert rice == [("D1", 4.0), ("D2", 1.0)]
    assert {(u["site_id"], u["item_code"]): u["quantity"] for u in plan["unmet"]} == {
        ("S1", "RICE"): 1.0, ("S1", "WATER5"): 27.0, ("S1", "CLOTHES"): 6.0, ("S1", "BLANKET"): 3.0}


def test_a_plan_for_an_unknown_county_is_refused_and_not_kept(place):
    stock_depot(place, "D1", {item: 100 for item in GAPS})
    with pytest.raises(NotFound) as missing:
        dispatch.propose_plan(world.context(place), {"county_code": "bogus"})
    assert missing.value.field == "county_code"
    with place.read() as session:
        assert session.scalars(select(DispatchPlan)).all() == []
    plan = dispatch.propose_plan(world.context(place), {"county_code": world.COUNTY})
    assert {line["item_code"]: line["quantity"] for line in plan["lines"]} == GAPS


# --- accepting moves nothing ---------------------------------------------------------

def test_accepting_agrees_the_plan_and_moves_no_stock(place, people):
    stock_depot(place, "D1", {"RICE": 10, "WATER5": 30})
    plan = dispatch.propose_plan(world.context(place), {})
    published = []
    accepted = dispatch.accept_plan(as_(place, people["commander"], published), plan["id"], {"reason": "convoy 1"})
    assert accepted["status"] == "accepted" and accepted["accepted_at"]
    assert accepted["accepted_by_name"] == people["commander"].name
    assert plan_rows(place, plan["id"]) == ("accepted", [])
    assert balance(place, "depot", "D1", "RICE") == 10 and balance(place, "site", "S1", "RICE") == 0
    assert sorted(e["kind"] for e in published) == ["dispatch.accepted", "dispatch.changed"]
    assert all(e["topic"] == "dispatch" and e["payload"]["plan_id"] == plan["id"] for e in published)
    with pytest.raises(TransitionRefused):
        dispatch.accept_plan(as_(place, people["commander"]), plan["id"], {})


# --- dispatch: the lines leave their depots ---------------------------------------------

def test_dispatching_takes_every_line_out_of_its_depot(place, people, rice_and_water):
    published = []
    sent = dispatch.dispatch_plan(as_(place, people["warehouse_keeper"], published), rice_and_water,
                                  {"reason": "truck 3 left"})
    assert sent["status"] == "in_transit" and sent["dispatched_by_name"] == people["warehouse_keeper"].name
    status, movements = plan_rows(place, rice_and_water)
    assert status == "in_transit"
    assert [(m[0], m[1], m[2], m[3]) for m in movements] == [
        ("transfer_out", "D1", "RICE", -6.0), ("transfer_out", "D1", "WATER5", -27.0)]
    assert [line["transfer_id"] for line in sent["lines"]] == [m[4] for m in movements]
    assert balance(place, "depot", "D1", "RICE") == 4 and balance(place, "depot", "D1", "WATER5") == 3
    assert balance(place, "site", "S1", "RICE") == 0  # on the road, not yet at the site
    assert [e["kind"] for e in published].count("stock.changed") == 2
    [changed] = [e for e in published if e["kind"] == "dispatch.changed"]
    assert changed["payload"]["status"] == "in_transit" and changed["payload"]["action"] == "dispatch"
    assert sent["actions"] == []  # the keeper has no step on a plan in transit: the site confirms it


def test_insufficient_stock_at_dispatch_is_refused_naming_the_item_and_writes_nothing(place, people, rice_and_water):
    stock.adjust(world.context(place), {"holder_kind": "depot", "holder_id": "D1", "item_code": "WATER5",
                                        "quantity": -10, "reason": "loss: flooded store room"})
    audits, published = audit_count(place), []
    with pytest.raises(InsufficientStock) as refused:
        dispatch.dispatch_plan(as_(place, people["warehouse_keeper"], published), rice_and_water, {})
    error = refused.value
    assert error.status == 409 and error.field == "lines[1].quantity"
    assert error.detail["item_code"] == "WATER5" and error.detail["item_name"] == "Bottled water 5 L"
    assert error.detail["available"] == 20 and error.detail["holder_name"] == "Depot west"
    assert "Bottled water 5 L" in str(error)
    assert plan_rows(place, rice_and_water) == ("accepted", [])
    assert balance(place, "depot", "D1", "RICE") == 10  # the rice line that went through first is undone too
    assert audit_count(place) == audits and published == []


# --- delivery: what arrived enters the sites -------------------------------------------------

def test_delivery_confirmed_at_the_site_puts_what_was_sent_into_the_site(place, people, rice_and_water):
    dispatch.dispatch_plan(as_(place, people["warehouse_keeper"]), rice_and_water, {})
    published = []
    delivered = dispatch.deliver_plan(as_(place, people["site_manager"], published), rice_and_water, {})
    assert delivered["status"] == "delivered" and delivered["delivered_by_name"] == people["site_manager"].name
    assert [(line["received"], line["short"]) for line in delivered["lines"]] == [(6.0, 0.0), (27.0, 0.0)]
    _, movements = plan_rows(place, rice_and_water)
    outs, ins = movements[:2], movements[2:]
    assert [(m[0], m[1], m[3]) for m in ins] == [("transfer_in", "S1", 6.0), ("transfer_in", "S1", 27.0)]
    assert [m[4] for m in outs] == [m[4] for m in ins]  # each line's pair shares its transfer id
    assert balance(place, "site", "S1", "RICE") == 6 and balance(place, "site", "S1", "WATER5") == 27
    assert [e["kind"] for e in published].count("stock.changed") == 2
    with place.read() as session:
        ledger_totals = ledger.ledger_sums(session)
    assert ledger_totals[("site", "S1", "WATER5")] == 27 and ledger_totals[("depot", "D1", "WATER5")] == 3


def test_a_short_delivery_is_recorded_and_only_what_arrived_enters_the_site(place, people, rice_and_water):
    dispatch.dispatch_plan(as_(place, people["warehouse_keeper"]), rice_and_water, {})
    delivered = dispatch.deliver_plan(as_(place, people["site_manager"]), rice_and_water,
                                      {"received": [None, 20], "reason": "7 bottles broken on the road"})
    assert [(line["quantity"], line["received"], line["short"]) for line in delivered["lines"]] == [
        (6.0, 6.0, 0.0), (27.0, 20.0, 7.0)]
    assert balance(place, "site", "S1", "WATER5") == 20 and balance(place, "depot", "D1", "WATER5") == 3
    with place.read() as session:
        plan = session.get(DispatchPlan, rice_and_water)
        assert plan.received == [6.0, 20.0]
        reason, detail = session.execute(select(AuditEntry.reason, AuditEntry.detail)
                                         .where(AuditEntry.action == "dispatch.deliver")).one()
    assert reason == "7 bottles broken on the road"
    assert detail["short"] == [{"line": 1, "item_code": "WATER5", "site_id": "S1", "sent": 27.0,
                                      "received": 20.0}]


def test_a_line_of_which_nothing_arrived_books_no_movement(place, people, rice_and_water):
    dispatch.dispatch_plan(as_(place, people["warehouse_keeper"]), rice_and_water, {})
    dispatch.deliver_plan(as_(place, people["site_manager"]), rice_and_water, {"received": [0, 27]})
    _, movements = plan_rows(place, rice_and_water)
    assert [(m[0], m[2]) for m in movements[2:]] == [("transfer_in", "WATER5")]
    assert balance(place, "site", "S1", "RICE") == 0


@pytest.mark.parametrize("received, field", [
    ([None, 28], "received[1]"), ([-1], "received[0]"), (["6"], "received[0]"), ([True], "received[0]"),
    ("all", "received"), ([1, 2, 3], "received"),
])
def test_bad_received_quantities_are_refused_naming_the_line_and_write_nothing(place, people, rice_and_water,
                                                                              received, field):
    dispatch.dispatch_plan(as_(place, people["warehouse_keeper"]), rice_and_water, {})
    with pytest.raises(ValidationFailed) as refused:
        dispatch.deliver_plan(as_(place, people["site_manager"]), rice_and_water, {"received": received})
    assert refused.value.field == field
    assert plan_rows(place, rice_and_water)[0] == "in_transit"
    assert balance(place, "site", "S1", "WATER5") == 0


# --- who takes which step -------------------------------------------------------------------

def test_each_step_is_taken_only_by_the_roles_the_table_names(place, people, rice_and_water):
    keeper, manager, viewer = people["warehouse_keeper"], people["site_manager"], people["viewer"]
    with pytest.raises(Forbidden):
        dispatch.cancel_plan(as_(place, keeper), rice_and_water, {"reason": "no truck"})
    with pytest.raises(Forbidden):
        dispatch.dispatch_plan(as_(place, viewer), rice_and_water, {})
    with pytest.raises(TransitionRefused) as early:
        dispatch.deliver_plan(as_(place, manager), rice_and_water, {})  # not on its way yet
    assert early.value.detail["allowed_actions"] == ["dispatch"]
    dispatch.dispatch_plan(as_(place, keeper), rice_and_water, {})
    with pytest.raises(Forbidden):
        dispatch.deliver_plan(as_(place, keeper), rice_and_water, {})  # the keeper does not confirm arrival
    with pytest.raises(TransitionRefused):
        dispatch.cancel_plan(as_(place, people["commander"]), rice_and_water, {"reason": "too late"})
    assert dispatch.deliver_plan(as_(place, manager), rice_and_water, {})["status"] == "delivered"
    assert plan_rows(place, rice_and_water)[0] == "delivered"


def test_cancelling_before_departure_needs_a_reason_and_moves_nothing(place, people, rice_and_water):
    commander = as_(place, people["commander"])
    with pytest.raises(ValidationFailed) as missing:
        dispatch.cancel_plan(commander, rice_and_water, {})
    assert missing.value.field == "reason"
    cancelled = dispatch.cancel_plan(commander, rice_and_water, {"reason": "road closed by a landslide"})
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by_name"] == people["commander"].name
    assert cancelled["actions"] == []
    assert plan_rows(place, rice_and_water) == ("cancelled", [])
    with pytest.raises(TransitionRefused):
        dispatch.dispatch_plan(as_(place, people["warehouse_keeper"]), rice_and_water, {})


def test_unknown_plan(place, people):
    for step in (dispatch.accept_plan, dispatch.dispatch_plan, dispatch.deliver_plan):
        with pytest.raises(NotFound) as missing:
            step(world.context(place), 999, {})
        assert missing.value.field == "plan_id"


# --- resend -----------------------------------------------------------------------------------

def test_a_resent_dispatch_answers_the_first_time_and_moves_nothing_more(place, people, rice_and_water):
    ctx = as_(place, people["warehouse_keeper"])
    body = {"client_id": "keeper-phone.1", "reason": "truck 3"}

    def work(c):
        return dispatch.dispatch_plan(c, rice_and_water, body)

    first = resend.once(ctx, "dispatch.dispatch", body, work, scope=rice_and_water)
    again = resend.once(ctx, "dispatch.dispatch", body, work, scope=rice_and_water)
    assert first.created and not again.created and again.body == first.body
    assert len(plan_rows(place, rice_and_water)[1]) == 2 and balance(place, "depot", "D1", "RICE") == 4
    with pytest.raises(ResendMismatch):
        resend.once(ctx, "dispatch.dispatch", {**body, "reason": "other"}, work, scope=rice_and_water)


def test_a_resent_delivery_adds_the_stock_once(place, people, rice_and_water):
    dispatch.dispatch_plan(as_(place, people["warehouse_keeper"]), rice_and_water, {})
    ctx = as_(place, people["site_manager"])
    body = {"client_id": "site-phone.7", "received": [6, 25]}
    for _ in range(3):
        resend.once(ctx, "dispatch.deliver", body, lambda c: dispatch.deliver_plan(c, rice_and_water, body),
                    scope=rice_and_water)
    assert balance(place, "site", "S1", "WATER5") == 25 and balance(place, "site", "S1", "RICE") == 6


# --- the list ---------------------------------------------------------------------------------

def test_the_list_filters_by_status_pages_and_counts(place, people, rice_and_water):
    commander = as_(place, people["commander"])
    second = dispatch.propose_plan(commander, {})["id"]
    third = dispatch.propose_plan(commander, {})["id"]
    dispatch.cancel_plan(commander, third, {"reason": "duplicate"})
    everything = dispatch.list_plans(commander)
    assert [p["id"] for p in everything["plans"]] == [third, second, rice_and_water]  # newest first
    assert everything["counts"] == {"proposed": 1, "accepted": 1, "in_transit": 0, "delivered": 0, "cancelled": 1}
    open_ = dispatch.list_plans(commander, statuses=["proposed", "accepted"])
    assert [p["id"] for p in open_["plans"]] == [second, rice_and_water] and open_["total"] == 2
    page = dispatch.list_plans(commander, limit=1, offset=1)
    assert [p["id"] for p in page["plans"]] == [second] and page["next_offset"] == 2
    assert page["plans"][0]["lines"][0]["site_name"] == "Site S1"
    assert page["plans"][0]["actions"] == ["accept", "cancel"]
    with pytest.raises(ValidationFailed) as bad:
        dispatch.list_plans(commander, statuses=["lost"])
    assert bad.value.field == "status"
