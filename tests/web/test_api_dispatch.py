"""Dispatch plans over HTTP: propose, read, list, and the steps accept → dispatch → deliver (or cancel);
permissions, status codes, bad input naming the field, resends answered once."""
from __future__ import annotations

import pytest

from tests import world


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    return store


@pytest.fixture
def people(make_user):
    return {role: make_user(role) for role in ("commander", "warehouse_keeper", "site_manager", "viewer")}


def post(client, url, user, body=None):
    return client.post(url, json=body if body is not None else {}, headers=user.headers if user else {})


def receive(client, keeper, item="RICE", quantity=100):
    response = post(client, "/api/stock/receipts", keeper, {"holder_kind": "depot", "holder_id": "D1",
                                                            "item_code": item, "quantity": quantity,
                                                            "source": "allocation"})
    assert response.status_code == 201


def site_balance(client, user, item):
    rows = client.get("/api/stock/balances?holder_kind=site&holder_id=S1", headers=user.headers).get_json()
    found = [b["quantity"] for b in (rows.get("balances") if isinstance(rows, dict) else rows)
             if b["item_code"] == item]
    return found[0] if found else 0.0


@pytest.fixture
def accepted(client, place, people):
    """An accepted plan sending 6 kg rice and 27 bottles of water from D1 to S1."""
    receive(client, people["warehouse_keeper"], "RICE", 10)
    receive(client, people["warehouse_keeper"], "WATER5", 30)
    plan = post(client, "/api/dispatch/plans", people["commander"]).get_json()
    assert post(client, f"/api/dispatch/plans/{plan['id']}/accept", people["commander"]).status_code == 200
    return plan["id"]


def test_dispatch_plan_propose_read_accept(client, place, people):
    commander, keeper = people["commander"], people["warehouse_keeper"]
    receive(client, keeper)
    assert client.post("/api/dispatch/plans", headers=keeper.headers).status_code == 403
    made = client.post("/api/dispatch/plans", headers=commander.headers)
    assert made.status_code == 201
    plan = made.get_json()
    assert [(line["item_code"], line["quantity"]) for line in plan["lines"]] == [("RICE", 6.0)]
    assert {u["item_code"] for u in plan["unmet"]} == {"WATER5", "CLOTHES", "BLANKET"}
    bad = client.post("/api/dispatch/plans", json={"horizon_days": 0}, headers=commander.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "horizon_days"
    read = client.get(f"/api/dispatch/plans/{plan['id']}", headers=keeper.headers)
    assert read.status_code == 200 and read.get_json()["status"] == "proposed"
    accepted = client.post(f"/api/dispatch/plans/{plan['id']}/accept", json={"reason": "truck 3"},
                           headers=commander.headers)
    assert accepted.status_code == 200
    assert accepted.get_json()["movements"] == []  # stock moves when the convoy leaves, not when agreed
    again = client.post(f"/api/dispatch/plans/{plan['id']}/accept", headers=commander.headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "transition_refused"
    assert client.get("/api/dispatch/plans/999", headers=keeper.headers).status_code == 404


def test_the_answers_carry_names_beside_the_codes(client, accepted, people):
    plan = client.get(f"/api/dispatch/plans/{accepted}", headers=people["viewer"].headers).get_json()
    assert [(line["depot_name"], line["site_name"], line["item_name"], line["unit"]) for line in plan["lines"]] == [
        ("Depot west", "Site S1", "Rice", "kg"), ("Depot west", "Site S1", "Bottled water 5 L", "bottle")]
    assert plan["accepted_by_name"] == people["commander"].name and plan["actions"] == []  # a viewer's
    assert plan["accepted_at"].endswith("+00:00")


def test_a_convoy_from_the_depot_to_the_site(client, accepted, people):
    keeper, manager = people["warehouse_keeper"], people["site_manager"]
    assert post(client, f"/api/dispatch/plans/{accepted}/deliver", manager).get_json()["error"]["code"] == \
        "transition_refused"  # not on its way yet
    sent = post(client, f"/api/dispatch/plans/{accepted}/dispatch", keeper, {"reason": "truck 3 left"})
    assert sent.status_code == 200
    body = sent.get_json()
    assert body["status"] == "in_transit" and [m["kind"] for m in body["movements"]] == ["transfer_out"] * 2
    assert body["movements"][0]["holder_name"] == "Depot west"
    assert site_balance(client, keeper, "WATER5") == 0
    assert post(client, f"/api/dispatch/plans/{accepted}/deliver", keeper).status_code == 403
    delivered = post(client, f"/api/dispatch/plans/{accepted}/deliver", manager, {"received": [6, 25]})
    assert delivered.status_code == 200
    body = delivered.get_json()
    assert body["status"] == "delivered" and body["delivered_by_name"] == manager.name
    assert [(line["received"], line["short"]) for line in body["lines"]] == [(6.0, 0.0), (25.0, 2.0)]
    assert [m["kind"] for m in body["movements"]] == ["transfer_out"] * 2 + ["transfer_in"] * 2
    assert site_balance(client, keeper, "WATER5") == 25 and site_balance(client, keeper, "RICE") == 6


@pytest.mark.parametrize("step, role, status", [
    ("accept", None, 401), ("accept", "warehouse_keeper", 403), ("accept", "site_manager", 403),
    ("dispatch", None, 401), ("dispatch", "viewer", 403),
    ("deliver", "warehouse_keeper", 403), ("deliver", "viewer", 403),
    ("cancel", "warehouse_keeper", 403), ("cancel", "site_manager", 403), ("cancel", "viewer", 403),
])
def test_who_may_take_each_step(client, accepted, people, step, role, status):
    response = post(client, f"/api/dispatch/plans/{accepted}/{step}", people.get(role), {"reason": "r"})
    assert response.status_code == status


def test_insufficient_stock_at_dispatch_is_409_naming_the_item_and_writes_nothing(client, accepted, people):
    keeper = people["warehouse_keeper"]
    assert post(client, "/api/stock/adjustments", keeper, {"holder_kind": "depot", "holder_id": "D1",
                                                           "item_code": "WATER5", "quantity": -10,
                                                           "reason": "flooded store room"}).status_code == 201
    refused = post(client, f"/api/dispatch/plans/{accepted}/dispatch", keeper)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "insufficient_stock" and error["field"] == "lines[1].quantity"
    assert "Bottled water 5 L" in error["message"]
    plan = client.get(f"/api/dispatch/plans/{accepted}", headers=keeper.headers).get_json()
    assert plan["status"] == "accepted" and plan["movements"] == []
    depot = client.get("/api/stock/balances?holder_kind=depot&holder_id=D1", headers=keeper.headers).get_json()
    rows = depot.get("balances") if isinstance(depot, dict) else depot
    assert {b["item_code"]: b["quantity"] for b in rows} == {"RICE": 10, "WATER5": 20}


@pytest.mark.parametrize("step, role, body, field", [
    ("deliver", "site_manager", {"received": [6, 28]}, "received[1]"),
    ("deliver", "site_manager", {"received": ["6"]}, "received[0]"),
    ("deliver", "site_manager", {"received": {"0": 6}}, "received"),
    ("deliver", "site_manager", {"reason": 5}, "reason"),
    ("cancel", "commander", {}, "reason"),
    ("dispatch", "warehouse_keeper", {"client_id": "no spaces allowed"}, "client_id"),
])
def test_bad_input_is_4xx_naming_the_field(client, accepted, people, step, role, body, field):
    if step == "deliver":
        assert post(client, f"/api/dispatch/plans/{accepted}/dispatch", people["warehouse_keeper"]).status_code == 200
    response = post(client, f"/api/dispatch/plans/{accepted}/{step}", people[role], body)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field


def test_a_non_object_body_and_an_unknown_plan_name_their_field(client, accepted, people):
    keeper = people["warehouse_keeper"]
    response = client.post(f"/api/dispatch/plans/{accepted}/dispatch", data="[1]", content_type="application/json",
                           headers=keeper.headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "body"
    missing = post(client, "/api/dispatch/plans/999/dispatch", keeper)
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "plan_id"


def test_a_resent_step_answers_once(client, accepted, people):
    keeper = people["warehouse_keeper"]
    body = {"client_id": "keeper-phone.42", "reason": "truck 3"}
    first = post(client, f"/api/dispatch/plans/{accepted}/dispatch", keeper, body)
    again = post(client, f"/api/dispatch/plans/{accepted}/dispatch", keeper, body)
    assert first.status_code == again.status_code == 200 and again.get_json() == first.get_json()
    other = post(client, f"/api/dispatch/plans/{accepted}/dispatch", keeper, {**body, "reason": "truck 4"})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "client_id_reused"
    plan = client.get(f"/api/dispatch/plans/{accepted}", headers=keeper.headers).get_json()
    assert len(plan["movements"]) == 2


def test_cancel_before_departure(client, accepted, people):
    commander = people["commander"]
    cancelled = post(client, f"/api/dispatch/plans/{accepted}/cancel", commander, {"reason": "road closed"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    late = post(client, f"/api/dispatch/plans/{accepted}/dispatch", people["warehouse_keeper"])
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "transition_refused"


def test_the_list_filters_by_status_and_pages(client, accepted, people):
    commander, viewer = people["commander"], people["viewer"]
    newer = post(client, "/api/dispatch/plans", commander).get_json()["id"]
    assert client.get("/api/dispatch/plans").status_code == 401
    listed = client.get("/api/dispatch/plans", headers=viewer.headers).get_json()
    assert [p["id"] for p in listed["plans"]] == [newer, accepted] and listed["total"] == 2
    assert listed["counts"]["proposed"] == 1 and listed["counts"]["accepted"] == 1
    assert listed["plans"][0]["sites"] == ["Site S1"]
    only = client.get("/api/dispatch/plans?status=accepted", headers=viewer.headers).get_json()
    assert [p["id"] for p in only["plans"]] == [accepted]
    both = client.get("/api/dispatch/plans?status=proposed,accepted&limit=1&offset=1", headers=viewer.headers)
    assert [p["id"] for p in both.get_json()["plans"]] == [accepted] and both.get_json()["next_offset"] is None
    for query, field in (("status=lost", "status"), ("limit=0", "limit"), ("limit=1000", "limit"),
                         ("offset=-1", "offset")):
        bad = client.get(f"/api/dispatch/plans?{query}", headers=viewer.headers)
        assert bad.status_code == 400 and bad.get_json()["error"]["field"] == field, query
