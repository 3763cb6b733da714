"""Every write a person or phone makes is safe to resend: the original answer back, never a second write."""
from __future__ import annotations

import uuid

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select

from relief.store.tables import Area, AuditEntry, ResendRecord, StockMovement
from tests import world


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45), world.household("H2", 2, 109.46)],
                incidents=[world.hazard(109.40, 30.25, 109.50, 30.30, status="reported")])
    with store.write() as session:  # the township the incident lies in, for its statutory reports
        session.add(Area(code="422801001", name_zh="舞阳坝街道", name_en="Wuyangba", level="township",
                         parent_code=world.COUNTY, geom=MultiPolygon([box(109.3, 30.2, 109.6, 30.4)])))
    return store


@pytest.fixture
def users(make_user):
    return {role: make_user(role) for role in ("warehouse_keeper", "site_manager", "commander", "verifier",
                                               "field_reporter")}


def stocked(client, users, quantity=100):
    """Rice and water at depot D1 (without a client id: the setup itself is not under test)."""
    for item in ("RICE", "WATER5"):
        response = client.post("/api/stock/receipts", headers=users["warehouse_keeper"].headers, json={
            "holder_kind": "depot", "holder_id": "D1", "item_code": item, "quantity": quantity, "source": "purchase"})
        assert response.status_code == 201


def checked_in(client, users):
    response = client.post("/api/households/H2/checkin", json={"site_id": "S1"}, headers=users["site_manager"].headers)
    assert response.status_code == 200


def proposed_plan(client, users):
    response = client.post("/api/dispatch/plans", headers=users["commander"].headers)
    assert response.status_code == 201
    return response.get_json()["id"]


#: (write kind, role, setup, url, body, status of the first send)
WRITES = [
    ("receipt", "warehouse_keeper", None, "/api/stock/receipts",
     {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 10, "source": "allocation"}, 201),
    ("transfer", "warehouse_keeper", stocked, "/api/stock/transfers",
     {"from_kind": "depot", "from_id": "D1", "to_kind": "site", "to_id": "S1", "item_code": "RICE",
      "quantity": 5}, 201),
    ("distribution", "warehouse_keeper", stocked, "/api/stock/distributions",
     {"household_id": "H1", "holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 2}, 201),
    ("adjustment", "warehouse_keeper", stocked, "/api/stock/adjustments",
     {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": -1, "reason": "spoiled"}, 201),
    ("donation", "warehouse_keeper", None, "/api/donations",
     {"donor_name": "恩施州红十字会", "consent_public": True, "kind": "cash", "amount_yuan": 500}, 201),
    ("check-in", "site_manager", None, "/api/households/H1/checkin", {"site_id": "S1"}, 200),
    ("check-out", "site_manager", checked_in, "/api/households/H2/checkout",
     {"to": "dispersed", "dispersed_kind": "rented"}, 200),
    ("medical visit", "site_manager", None, "/api/households/H1/medical-visits", {"note": "blood pressure"}, 201),
    ("site status", "site_manager", None, "/api/sites/S2/status", {"status": "closed", "reason": "roof damage"}, 200),
    ("transition", "verifier", None, "/api/incidents/1/transitions", {"action": "verify", "reason": "seen on site"},
     201),
    ("statutory report", "field_reporter", None, "/api/incidents/1/reports",
     {"type": "statutory", "kind": "initial", "township_code": "422801001", "indicators": {"affected": 30}}, 201),
    ("dispatch plan", "commander", stocked, "/api/dispatch/plans", {"horizon_days": 2}, 201),
    ("dispatch accept", "commander", stocked, "/api/dispatch/plans/{plan}/accept", {"reason": "truck 3"}, 200),
]


def target(client, users, setup, url: str) -> str:
    """Run the write's setup; the URL with its dispatch plan filled in."""
    if setup:
        setup(client, users)
    return url.format(plan=proposed_plan(client, users)) if "{plan}" in url else url


def rows(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("kind, role, setup, url, body, status", WRITES, ids=[w[0] for w in WRITES])
def test_a_resend_returns_the_original_and_writes_nothing(client, store, place, users, kind, role, setup, url, body,
                                                          status):
    url = target(client, users, setup, url)
    sent = {**body, "client_id": f"phone-7.{uuid.uuid4()}"}
    headers = users[role].headers
    first = client.post(url, json=sent, headers=headers)
    assert first.status_code == status, first.get_json()
    written = (rows(store, AuditEntry), rows(store, StockMovement))
    again = client.post(url, json=sent, headers=headers)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert (rows(store, AuditEntry), rows(store, StockMovement)) == written


@pytest.mark.parametrize("kind, role, setup, url, body, status", WRITES, ids=[w[0] for w in WRITES])
def test_the_same_id_with_another_body_is_409_naming_it(client, store, place, users, kind, role, setup, url, body,
                                                        status):
    url = target(client, users, setup, url)
    ident = f"phone-7.{uuid.uuid4()}"
    headers = users[role].headers
    assert client.post(url, json={**body, "client_id": ident}, headers=headers).status_code == status
    written = (rows(store, AuditEntry), rows(store, StockMovement))
    changed = client.post(url, json={**body, "client_id": ident, "reason": "something else"}, headers=headers)
    assert changed.status_code == 409
    error = changed.get_json()["error"]
    assert error["code"] == "client_id_reused" and error["field"] == "client_id" and ident in error["message"]
    assert (rows(store, AuditEntry), rows(store, StockMovement)) == written


def test_the_idempotency_key_header_stands_in_for_a_body_client_id(client, store, place, users):
    stocked(client, users)
    headers = {**users["warehouse_keeper"].headers, "Idempotency-Key": "9f0c2d1e-key"}
    body = {"household_id": "H1", "holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 2}
    first = client.post("/api/stock/distributions", json=body, headers=headers)
    again = client.post("/api/stock/distributions", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["distribution"]["id"] == first.get_json()["distribution"]["id"]
    assert rows(store, ResendRecord) == 1


def test_the_same_id_on_another_target_is_another_request(client, place, users):
    sent = {"note": "fever", "client_id": "visit-0001"}
    headers = users["site_manager"].headers
    assert client.post("/api/households/H1/medical-visits", json=sent, headers=headers).status_code == 201
    other = client.post("/api/households/H2/medical-visits", json=sent, headers=headers)
    assert other.status_code == 409 and other.get_json()["error"]["field"] == "client_id"


@pytest.mark.parametrize("bad", ["", " spaces ", "x" * 101, 42, ["a"]])
def test_a_malformed_client_id_is_400_and_writes_nothing(client, store, place, users, bad):
    body = {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 1, "source": "purchase",
            "client_id": bad}
    response = client.post("/api/stock/receipts", json=body, headers=users["warehouse_keeper"].headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "client_id"
    assert rows(store, StockMovement) == 0


def test_a_refused_write_keeps_no_record_so_a_corrected_resend_goes_through(client, store, place, users):
    body = {"household_id": "H1", "holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 2,
            "client_id": "dist-0001"}
    headers = users["warehouse_keeper"].headers
    empty = client.post("/api/stock/distributions", json=body, headers=headers)
    assert empty.status_code == 409 and empty.get_json()["error"]["code"] == "insufficient_stock"
    assert rows(store, ResendRecord) == 0
    stocked(client, users)
    assert client.post("/api/stock/distributions", json=body, headers=headers).status_code == 201
