"""The probe's bad inputs, one test each: a 4xx naming the field (or a 404), strict JSON, nothing written."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from relief.store.tables import Donation, Incident, StockBalance, StockMovement
from relief.web.errors import request_line_too_long
from tests import world

CST = timezone(timedelta(hours=8))


def strict(response) -> dict:
    """The answer parsed as JSON a browser accepts (NaN or Infinity is a failure)."""
    def refuse(name):
        raise AssertionError(f"{name} in a JSON answer: {response.get_data(as_text=True)[:200]}")

    assert response.mimetype == "application/json", response.mimetype
    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def refused(response, status: int, field: str | None) -> dict:
    body = strict(response)
    assert response.status_code == status, body
    assert body["error"]["field"] == field, body
    return body


def count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)],
                incidents=[world.hazard(109.4, 30.2, 109.41, 30.21, status="reported"),
                           world.hazard(109.5, 30.2, 109.51, 30.21, status="reported")])
    return store


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def post(client, url, user, body):
    return client.post(url, json=body, headers=user.headers)


def receipt(quantity) -> dict:
    return {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": quantity,
            "source": "donation"}


def test_a_quantity_of_1e308_is_refused_and_balances_never_reach_infinity(client, place, admin):
    for _ in range(2):
        refused(post(client, "/api/stock/receipts", admin, receipt(1e308)), 400, "quantity")
    assert count(place, StockMovement) == 0
    assert strict(client.get("/api/stock/balances", headers=admin.headers)) == {"balances": []}


def test_a_non_finite_figure_already_kept_is_answered_as_null(client, place, admin):
    with place.write() as session:
        session.add(StockBalance(holder_kind="depot", holder_id="D1", item_code="RICE", quantity=float("inf")))
    answer = client.get("/api/stock/balances", headers=admin.headers)
    assert answer.status_code == 200
    assert strict(answer)["balances"][0]["quantity"] is None


@pytest.mark.parametrize("url", ["/api/incidents/99999999999999999999", "/api/incidents/2147483648",
                                 "/api/incidents/99999999999999999999/cap", "/api/dispatch/plans/99999999999999999999",
                                 "/api/photos/99999999999999999999/thumb"])
def test_a_path_id_beyond_the_id_columns_is_404(client, place, admin, url):
    assert strict(client.get(url, headers=admin.headers))["error"]["code"] == "not_found"
    assert client.get(url, headers=admin.headers).status_code == 404


def test_a_transition_on_an_out_of_range_incident_is_404_and_writes_nothing(client, place, admin):
    response = post(client, "/api/incidents/99999999999999999999/transitions", admin,
                    {"action": "verify", "reason": "seen"})
    assert response.status_code == 404 and strict(response)["error"]["code"] == "not_found"


@pytest.mark.parametrize("url, field", [("/api/incidents?offset=99999999999999999999", "offset"),
                                        ("/api/map/incidents?offset=99999999999999999999", "offset"),
                                        ("/api/households/points?offset=99999999999999999999", "offset"),
                                        ("/api/stock/ledger?before_id=99999999999999999999", "before_id"),
                                        ("/api/stock/ledger?before_id=1e3", "before_id")])
def test_a_huge_or_malformed_integer_parameter_is_400_naming_it(client, place, admin, url, field):
    refused(client.get(url, headers=admin.headers), 400, field)


@pytest.mark.parametrize("url, field", [
    ("/api/incidents?until=0001-01-01T00:00:00%2B08:00", "until"),
    ("/api/incidents?since=9999-12-31T23:59:59-08:00", "since"),
    ("/api/map/incidents?until=9999-12-31T23:59:59-08:00", "until"),
    ("/api/guarantees?as_of=0001-01-01T00:00:00%2B08:00", "as_of"),
    ("/api/households/H1/guarantees?as_of=0001-01-01T00:00:00%2B08:00", "as_of"),
    ("/api/reports/overdue?as_of=9999-12-31T23:59:59-08:00", "as_of"),
])
def test_a_query_time_in_year_1_or_9999_is_400_naming_it(client, place, admin, url, field):
    refused(client.get(url, headers=admin.headers), 400, field)


def incident_body(**changes) -> dict:
    body = {"client_id": str(uuid.uuid4()), "kind": "landslide", "lat": 30.28, "lon": 109.46,
            "occurred_at": (datetime.now(CST) - timedelta(hours=1)).isoformat()}
    return {**body, **changes}


def test_an_incident_occurring_in_year_1_is_400_naming_occurred_at(client, place, admin):
    refused(post(client, "/api/incidents", admin, incident_body(occurred_at="0001-01-01T00:00:00+08:00")),
            400, "occurred_at")
    assert count(place, Incident) == 2


def test_a_distribution_in_year_1_is_400_naming_distributed_at(client, place, admin):
    assert post(client, "/api/stock/receipts", admin, {**receipt(5), "holder_kind": "site", "holder_id": "S1"}) \
        .status_code == 201
    body = {"household_id": "H1", "holder_kind": "site", "holder_id": "S1", "item_code": "RICE", "quantity": 1,
            "distributed_at": "0001-01-01T00:00:00+08:00"}
    refused(post(client, "/api/stock/distributions", admin, body), 400, "distributed_at")
    assert count(place, StockMovement) == 1


@pytest.mark.parametrize("duplicate_of", [1.5, 2.0, True, "2.5", 10**20, 2**31])
def test_duplicate_of_must_be_a_whole_incident_id_in_range(client, place, admin, duplicate_of):
    response = post(client, "/api/incidents/1/transitions", admin,
                    {"action": "mark_duplicate", "reason": "same slope", "duplicate_of": duplicate_of})
    refused(response, 400, "duplicate_of")
    with place.read() as session:
        assert session.get(Incident, 1).status == "reported"


def test_duplicate_of_as_a_whole_number_still_marks_the_duplicate(client, place, admin):
    response = post(client, "/api/incidents/1/transitions", admin,
                    {"action": "mark_duplicate", "reason": "same slope", "duplicate_of": 2})
    assert response.status_code == 201 and strict(response)["status"] == "duplicate"


def test_report_indicators_beyond_a_population_are_400_naming_the_indicator(client, place, admin, store):
    from relief.store.tables import Area

    with store.write() as session:
        session.add(Area(code="422801001", name_zh="镇", name_en="Town", level="township", parent_code=world.COUNTY))
    body = {"client_id": str(uuid.uuid4()), "type": "statutory", "kind": "initial", "township_code": "422801001",
            "indicators": {"affected": 10**20}}
    refused(post(client, "/api/incidents/1/reports", admin, body), 400, "indicators.affected")


def test_a_body_of_100000_brackets_is_400_naming_body(client, place, admin):
    response = client.post("/api/stock/receipts", data="[" * 100_000, content_type="application/json",
                           headers=admin.headers)
    refused(response, 400, "body")


@pytest.mark.parametrize("text", ['{"quantity": NaN}', '{"quantity": Infinity}', '{"reason": "\\ud800"}',
                                  "[" * 40 + "]" * 40])
def test_a_body_that_is_not_strict_json_is_400_naming_body(client, place, admin, text):
    response = client.post("/api/stock/receipts", data=text, content_type="application/json", headers=admin.headers)
    assert "strict JSON" in refused(response, 400, "body")["error"]["message"]


def test_a_lone_surrogate_in_text_is_refused_not_a_500(client, place, admin):
    text = '{"donor_name": "\\ud800", "kind": "cash", "amount_yuan": 10}'
    response = client.post("/api/donations", data=text, content_type="application/json", headers=admin.headers)
    refused(response, 400, "body")
    assert count(place, Donation) == 0


def test_a_nul_in_text_is_400_naming_the_field_on_every_store(client, place, admin):
    response = post(client, "/api/donations", admin, {"donor_name": "A\x00B", "kind": "cash", "amount_yuan": 10})
    refused(response, 400, "donor_name")
    assert count(place, Donation) == 0


@pytest.mark.parametrize("url, field", [("/api/stock/balances?holder_id=D%001", "holder_id"),
                                        ("/api/map/search?q=%00", "q"), ("/api/sites/S%001", "site_id")])
def test_a_nul_in_a_query_or_path_value_is_400_naming_it(client, place, admin, url, field):
    refused(client.get(url, headers=admin.headers), 400, field)


def test_an_oversized_url_under_api_answers_json_414(client, place, admin):
    response = client.get("/api/incidents?kind=" + ",".join(["landslide"] * 600), headers=admin.headers)
    assert response.status_code == 414
    assert strict(response)["error"]["code"] == "request_uri_too_long"


def test_the_servers_own_414_is_json_too():
    head, _, body = request_line_too_long().partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ") and b"Content-Type: application/json" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body)["error"]["code"] == "request_uri_too_long"


def test_a_three_dimensional_point_is_400_naming_geometry(client, place, admin):
    body = incident_body(geometry={"type": "Point", "coordinates": [109.46, 30.28, 5.0]})
    del body["lat"], body["lon"]
    refused(post(client, "/api/incidents", admin, body), 400, "geometry")
    assert count(place, Incident) == 2


@pytest.mark.parametrize("body, field", [({"action": [], "reason": "x"}, "action"),
                                         ({"action": {"verify": 1}, "reason": "x"}, "action"),
                                         ({"action": "verify", "reason": ["x"]}, "reason")])
def test_wrong_types_in_a_transition_are_400_naming_the_field(client, place, admin, body, field):
    refused(post(client, "/api/incidents/1/transitions", admin, body), 400, field)


def test_an_unhashable_incident_kind_is_400_naming_kind(client, place, admin):
    refused(post(client, "/api/incidents", admin, incident_body(kind=["landslide"])), 400, "kind")
