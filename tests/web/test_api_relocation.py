"""Relocation over HTTP: check-in/out, proposals and acceptance, displacement, one site, permissions."""
from __future__ import annotations

import re

import pytest

from tests import world


@pytest.fixture
def place(store):
    zone = world.hazard(109.445, 30.275, 109.456, 30.285)
    world.build(store, incidents=[zone], households=[
        world.household("H1", 4, 109.450), world.household("H2", 3, 109.451),
        world.household("H3", 9, 109.49, house_damage="collapsed", village_code=None),
        world.household("H9", 2, 109.47, shelter="site", site_id="S1", evacuated=True)])
    return store


@pytest.fixture
def manager(make_user):
    return make_user("site_manager")


@pytest.fixture
def commander(make_user):
    return make_user("commander")


def test_check_in_and_out(client, place, manager, make_user):
    url = "/api/households/H1/checkin"
    assert client.post(url, json={"site_id": "S1"}).status_code == 401
    assert client.post(url, json={"site_id": "S1"}, headers=make_user("field_reporter").headers).status_code == 403
    response = client.post(url, json={"site_id": "S1", "reason": "evacuated"}, headers=manager.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["household"]["site_id"] == "S1" and body["changed"] is True
    assert body["sites"][0]["properties"]["occupants"] == 6
    sites = {f["id"]: f["properties"] for f in client.get("/api/sites").get_json()["features"]}
    assert (sites["S1"]["occupants"], sites["S1"]["free_capacity"]) == (6, 4)
    out = client.post("/api/households/H1/checkout", json={"to": "dispersed", "dispersed_kind": "rented"},
                      headers=manager.headers)
    assert out.status_code == 200 and out.get_json()["household"]["shelter"] == "dispersed"


def test_check_in_refusals_are_json_naming_the_field(client, place, manager):
    full = client.post("/api/households/H3/checkin", json={"site_id": "S1"}, headers=manager.headers)
    assert full.status_code == 409
    error = full.get_json()["error"]
    assert error["code"] == "capacity_exceeded" and error["field"] == "site_id"
    assert "S1" in error["message"] and error["detail"]["free_capacity"] == 8
    closed = client.post("/api/households/H1/checkin", json={"site_id": "S3"}, headers=manager.headers)
    assert closed.status_code == 409 and closed.get_json()["error"]["field"] == "site_id"
    missing = client.post("/api/households/H1/checkin", json={}, headers=manager.headers)
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "site_id"
    nobody = client.post("/api/households/H404/checkin", json={"site_id": "S1"}, headers=manager.headers)
    assert nobody.status_code == 404 and nobody.get_json()["error"]["field"] == "household_id"
    bad = client.post("/api/households/H1/checkout", json={"to": "moon"}, headers=manager.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "to"


def test_proposal_then_accept(client, place, commander, manager):
    assert client.post("/api/assignments/proposals", headers=manager.headers).status_code == 403
    response = client.post("/api/assignments/proposals", headers=commander.headers)
    assert response.status_code == 200
    proposal = response.get_json()
    assert {a["household_id"]: a["site_id"] for a in proposal["assignments"]} == {"H1": "S1", "H2": "S1", "H3": "S2"}
    bad = client.post("/api/assignments/proposals", json={"max_km": "far"}, headers=commander.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "max_km"
    listed = [{"household_id": a["household_id"], "site_id": a["site_id"]} for a in proposal["assignments"]]
    no_reason = client.post("/api/assignments/accept", json={"assignments": listed}, headers=commander.headers)
    assert no_reason.status_code == 400 and no_reason.get_json()["error"]["field"] == "reason"
    over = client.post("/api/assignments/accept", headers=commander.headers, json={
        "assignments": [{"household_id": "H3", "site_id": "S1"}], "reason": "by hand"})
    assert over.status_code == 409 and over.get_json()["error"]["field"] == "assignments[0].site_id"
    accepted = client.post("/api/assignments/accept", json={"assignments": listed, "reason": "order 7",
                                                            "token": proposal["token"]}, headers=commander.headers)
    assert accepted.status_code == 200 and sorted(accepted.get_json()["checked_in"]) == ["H1", "H2", "H3"]


def test_displacement(client, place, make_user):
    viewer = make_user("viewer")
    assert client.get("/api/displacement").status_code == 401
    body = client.get("/api/displacement?reach_km=20", headers=viewer.headers).get_json()
    assert body["counties"][0]["persons"] == 7 and body["totals"]["persons"] == 7
    for bad in ("abc", "-1", "9999"):
        response = client.get(f"/api/displacement?reach_km={bad}", headers=viewer.headers)
        assert response.status_code == 400 and response.get_json()["error"]["field"] == "reach_km"


def test_site_detail_is_public(client, place):
    body = client.get("/api/sites/S1").get_json()
    assert body["feature"]["properties"]["occupants"] == 2 and body["occupancy"]["free_capacity"] == 8
    assert {f["guarantee"] for f in body["cover"]["forecast"]} == {"food", "water"}
    missing = client.get("/api/sites/S404")
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "site_id"


def test_medical_visit_and_site_status(client, place, manager):
    visit = client.post("/api/households/H9/medical-visits", json={"note": "checked blood pressure"},
                        headers=manager.headers)
    assert visit.status_code == 201 and visit.get_json()["visit"]["household_id"] == "H9"
    bad = client.post("/api/households/H9/medical-visits", json={"facility_id": "F404"}, headers=manager.headers)
    assert bad.status_code == 404 and bad.get_json()["error"]["field"] == "facility_id"
    closed = client.post("/api/sites/S2/status", json={"status": "closed", "reason": "roof damage"},
                         headers=manager.headers)
    assert closed.status_code == 200 and closed.get_json()["feature"]["properties"]["status"] == "closed"
    no_reason = client.post("/api/sites/S2/status", json={"status": "open"}, headers=manager.headers)
    assert no_reason.status_code == 400 and no_reason.get_json()["error"]["field"] == "reason"


def test_browser_session_needs_the_csrf_token(client, place, manager):
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"name": manager.name, "password": f"pw-{manager.name}", "csrf_token": token})
    refused = client.post("/api/households/H1/checkin", json={"site_id": "S1"})
    assert refused.status_code == 403 and refused.get_json()["error"]["field"] == "csrf_token"
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    accepted = client.post("/api/households/H1/checkin", json={"site_id": "S1"}, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200
