"""Stock, donations and cover over HTTP: permissions, status codes, errors naming the field."""
from __future__ import annotations

import pytest

from tests import world


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    return store


@pytest.fixture
def keeper(make_user):
    return make_user("warehouse_keeper")


def post(client, url, user, body):
    return client.post(url, json=body, headers=user.headers if user else {})


def receipt(holder_kind="depot", holder_id="D1", item_code="RICE", quantity=10, source="allocation"):
    return {"holder_kind": holder_kind, "holder_id": holder_id, "item_code": item_code, "quantity": quantity,
            "source": source}


def test_receipt_needs_a_user_with_stock_move(client, place, keeper, make_user):
    assert post(client, "/api/stock/receipts", None, receipt()).status_code == 401
    assert post(client, "/api/stock/receipts", make_user("viewer"), receipt()).status_code == 403
    response = post(client, "/api/stock/receipts", keeper, receipt())
    assert response.status_code == 201
    body = response.get_json()
    assert body["balance"] == 10 and body["movement"]["actor_id"] == keeper.id


@pytest.mark.parametrize("body, field", [
    (receipt(holder_kind="truck"), "holder_kind"), (receipt(quantity=-3), "quantity"),
    (receipt(quantity=None), "quantity"), (receipt(source=None), "source"), (receipt(item_code=None), "item_code"),
    ({**receipt(), "holder_id": None}, "holder_id"),
])
def test_bad_receipt_is_400_naming_the_field(client, place, keeper, body, field):
    response = post(client, "/api/stock/receipts", keeper, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_non_object_body_names_body(client, place, keeper):
    response = client.post("/api/stock/receipts", data="[1]", content_type="application/json", headers=keeper.headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "body"


def test_unknown_holder_is_404_naming_the_field(client, place, keeper):
    response = post(client, "/api/stock/receipts", keeper, receipt(holder_id="D404"))
    assert response.status_code == 404 and response.get_json()["error"]["field"] == "holder_id"


def test_overdrawn_distribution_is_409_naming_item_and_available(client, place, keeper):
    post(client, "/api/stock/receipts", keeper, receipt(holder_kind="site", holder_id="S1", quantity=2))
    response = post(client, "/api/stock/distributions", keeper, {"household_id": "H1", "item_code": "RICE",
                                                                 "quantity": 3, "holder_kind": "site",
                                                                 "holder_id": "S1"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_stock" and error["field"] == "quantity"
    assert error["detail"]["item_code"] == "RICE" and error["detail"]["available"] == 2
    assert "RICE" in error["message"]


def test_distribution_transfer_adjustment_and_reads(client, place, keeper, make_user):
    post(client, "/api/stock/receipts", keeper, receipt(quantity=20))
    moved = post(client, "/api/stock/transfers", keeper, {"from_kind": "depot", "from_id": "D1", "to_kind": "site",
                                                          "to_id": "S1", "item_code": "RICE", "quantity": 8})
    assert moved.status_code == 201 and moved.get_json()["balances"] == {"from": 12, "to": 8}
    same = post(client, "/api/stock/transfers", keeper, {"from_kind": "depot", "from_id": "D1", "to_kind": "depot",
                                                         "to_id": "D1", "item_code": "RICE", "quantity": 1})
    assert same.status_code == 400 and same.get_json()["error"]["field"] == "to_id"
    given = post(client, "/api/stock/distributions", keeper, {"household_id": "H1", "item_code": "RICE", "quantity": 3,
                                                              "holder_kind": "site", "holder_id": "S1",
                                                              "distributed_at": "2020-01-01T08:00"})
    assert given.status_code == 400 and given.get_json()["error"]["field"] == "distributed_at"
    given = post(client, "/api/stock/distributions", keeper, {"household_id": "H1", "item_code": "RICE", "quantity": 3,
                                                              "holder_kind": "site", "holder_id": "S1"})
    assert given.status_code == 201 and given.get_json()["distribution"]["household_id"] == "H1"
    no_reason = post(client, "/api/stock/adjustments", keeper, {"holder_kind": "site", "holder_id": "S1",
                                                                "item_code": "RICE", "quantity": -1})
    assert no_reason.status_code == 400 and no_reason.get_json()["error"]["field"] == "reason"
    counted = post(client, "/api/stock/adjustments", keeper, {"holder_kind": "site", "holder_id": "S1",
                                                              "item_code": "RICE", "quantity": -1, "reason": "count"})
    assert counted.status_code == 201 and counted.get_json()["balance"] == 4

    assert client.get("/api/stock/balances").status_code == 401
    viewer = make_user("viewer")
    balances = client.get("/api/stock/balances?holder_kind=site&holder_id=S1", headers=viewer.headers).get_json()
    assert [(b["item_code"], b["quantity"]) for b in balances["balances"]] == [("RICE", 4.0)]
    lines = client.get("/api/stock/ledger?holder_kind=site&holder_id=S1&limit=2", headers=viewer.headers).get_json()
    assert [line["kind"] for line in lines["lines"]] == ["adjustment", "distribution"] and lines["next_before_id"]
    older = client.get(f"/api/stock/ledger?holder_kind=site&holder_id=S1&before_id={lines['next_before_id']}",
                       headers=viewer.headers).get_json()
    assert [line["kind"] for line in older["lines"]] == ["transfer_in"]
    bad = client.get("/api/stock/ledger?limit=0", headers=viewer.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "limit"


def test_cover_is_for_staff(client, place, keeper):
    post(client, "/api/stock/receipts", keeper, receipt(holder_kind="site", holder_id="S1", quantity=9))
    anonymous = client.get("/api/cover")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"]
    body = client.get("/api/cover", headers=keeper.headers).get_json()
    s1 = next(s for s in body["sites"] if s["site_id"] == "S1")
    assert s1["occupants"] == 3 and s1["items"][0]["days"] == pytest.approx(5.0)


# --- donations ------------------------------------------------------------------

SECRET_DONOR = {"donor_name": "王小明", "donor_contact": "13812345678", "consent_public": False, "kind": "in_kind",
                "item_code": "BLANKET", "quantity": 20, "destination_kind": "depot", "destination_id": "D1"}
NAMED_DONOR = {"donor_name": "恩施州红十字会", "donor_contact": "0718-8221234", "consent_public": True, "kind": "cash",
               "amount_yuan": 5000}


def test_public_page_masks_donors_who_did_not_consent(client, place, keeper):
    assert post(client, "/api/donations", keeper, SECRET_DONOR).status_code == 201
    assert post(client, "/api/donations", keeper, NAMED_DONOR).status_code == 201
    page = client.get("/public/donations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "王**" in html and "恩施州红十字会" in html
    for secret in ("王小明", "13812345678", "138****5678", "0718-8221234"):
        assert secret not in html
    assert "Depot west" in html and "5,000.00" in html
    feed = client.get("/api/public/donations")
    assert feed.status_code == 200
    text = feed.get_data(as_text=True)
    assert "王小明" not in text and "\\u738b\\u5c0f\\u660e" not in text and "13812345678" not in text
    assert {d["donor"] for d in feed.get_json()["donations"]} == {"王**", "恩施州红十字会"}


def test_empty_public_page(client, place):
    html = client.get("/public/donations").get_data(as_text=True)
    assert 'id="no-donations"' in html


def test_donation_needs_donation_record_and_names_bad_fields(client, place, keeper, make_user):
    assert post(client, "/api/donations", make_user("site_manager"), NAMED_DONOR).status_code == 403
    response = post(client, "/api/donations", keeper, {**NAMED_DONOR, "amount_yuan": "lots"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "amount_yuan"


def test_cover_narrows_to_one_site_and_names_site_id_when_unknown(client, place, keeper):
    body = client.get("/api/cover?site_id=S2", headers=keeper.headers).get_json()
    assert [s["site_id"] for s in body["sites"]] == ["S2"]
    assert client.get("/api/cover?county_code=422801", headers=keeper.headers).get_json()["sites"] != []
    missing = client.get("/api/cover?site_id=S404", headers=keeper.headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found" and missing.get_json()["error"]["field"] == "site_id"
