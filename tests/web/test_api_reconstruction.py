"""The reconstruction API: GeoJSON houses, detail, transitions, inspections (JSON and multipart), payments, summary."""
from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from relief import live
from relief.store.tables import HousePayment, HouseTransition, Inspection, InspectionPhoto
from tests import reconstruction_world as rw


@pytest.fixture
def published(monkeypatch):
    seen: list[dict] = []
    monkeypatch.setattr(live, "publish", lambda events: seen.extend(events))
    return seen


@pytest.fixture
def world(store):
    rw.build_areas(store)
    rw.add_house(store, "H1", stage="foundation", mode="in_place")
    rw.add_house(store, "H2", stage="assessed", lon=109.8, since=datetime.now(timezone.utc))  # H1 stalled long ago
    return store


@pytest.fixture
def officer(make_user):
    return make_user("reconstruction_officer")


def _count(store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(out, "PNG")
    return out.getvalue()


def test_houses_as_geojson_with_filters(client, world, officer):
    answer = client.get("/api/houses", headers=officer.headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["type"] == "FeatureCollection" and [f["id"] for f in body["features"]] == ["H1", "H2"]
    assert body["features"][0]["properties"]["township_code"] == rw.WEST
    assert body["features"][0]["geometry"] == {"type": "Point", "coordinates": [109.2, 30.5]}
    for query, expected in (("stage=assessed", ["H2"]), (f"township={rw.EAST}", ["H2"]),
                            (f"county={rw.COUNTY}", ["H1", "H2"]), ("stalled=true", ["H1"]), ("stalled=false", ["H2"]),
                            ("stage=foundation,assessed&limit=1", ["H1"])):
        got = client.get(f"/api/houses?{query}", headers=officer.headers).get_json()
        assert [f["id"] for f in got["features"]] == expected, query


@pytest.mark.parametrize("query, field", [("stage=ruined", "stage"), ("stalled=perhaps", "stalled"),
                                          ("county=42;drop", "county"), ("bbox=1,2,3", "bbox")])
def test_bad_filters_name_the_field(client, world, officer, query, field):
    answer = client.get(f"/api/houses?{query}", headers=officer.headers)
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field


def test_a_viewer_sees_rates_not_names(client, world, make_user):
    viewer = make_user("viewer")
    assert client.get("/api/houses", headers=viewer.headers).status_code == 403
    assert client.get("/api/houses/H1", headers=viewer.headers).status_code == 403
    answer = client.get("/api/reconstruction/summary?by=county", headers=viewer.headers)
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "户主" not in text and "HH-H1" not in text and "H1" not in json.dumps(answer.get_json()["rows"])
    row = answer.get_json()["rows"][0]
    assert row["code"] == rw.COUNTY and row["houses"] == 2 and row["started_rate"] == 0.5
    assert client.get("/api/reconstruction/summary").status_code == 401


def test_summary_by_township_and_a_bad_level(client, world, officer):
    rows = client.get("/api/reconstruction/summary?by=township", headers=officer.headers).get_json()["rows"]
    assert {r["code"]: r["enrolled"] for r in rows} == {rw.WEST: 1, rw.EAST: 1}
    bad = client.get("/api/reconstruction/summary?by=village", headers=officer.headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "by"


def test_the_detail_answers_history_inspections_and_payments(client, world, officer):
    body = client.get("/api/houses/H1", headers=officer.headers).get_json()
    assert body["house"]["id"] == "H1" and body["house"]["properties"]["head_name"] == "户主HH-H1"
    assert body["history"] == [] and body["inspections"] == [] and body["payments"] == []
    assert [t["tranche"] for t in body["subsidy"]["tranches"]] == ["agreement", "main_structure", "completion"]
    assert body["allowed_stages"] == ["main_structure"]
    assert client.get("/api/houses/nope", headers=officer.headers).status_code == 404


def test_transitions_resend_safe_and_refusals(client, world, officer, published, make_user):
    send = {"stage": "eligible", "client_id": "t-1"}
    first = client.post("/api/houses/H2/transitions", json=send, headers=officer.headers)
    again = client.post("/api/houses/H2/transitions", json=send, headers=officer.headers)
    assert (first.status_code, again.status_code) == (201, 200) and first.get_json() == again.get_json()
    reused = client.post("/api/houses/H2/transitions", json={"stage": "excluded", "reason": "x", "client_id": "t-1"},
                         headers=officer.headers)
    assert reused.status_code == 409 and reused.get_json()["error"]["field"] == "client_id"
    assert _count(world, HouseTransition) == 1 and [e["kind"] for e in published] == ["house.changed"]
    for body, status, field in (({"stage": "rubble"}, 400, "stage"), ({"stage": "roofed"}, 409, "stage"),
                                ({"stage": "main_structure"}, 409, "inspection"),
                                ({"stage": "agreement_signed", "rebuild_mode": "tent"}, 409, "stage")):
        answer = client.post("/api/houses/H1/transitions", json=body, headers=officer.headers)
        assert answer.status_code == status, body
        assert answer.get_json()["error"]["field"] == field
    assert _count(world, HouseTransition) == 1
    field_reporter = client.post("/api/houses/H2/transitions", json={"stage": "agreement_signed"},
                                 headers=make_user("field_reporter").headers)
    assert field_reporter.status_code == 403


def test_inspection_as_multipart_with_a_photo_then_the_tranche(client, world, officer, published):
    part = json.dumps({"client_id": "phone-3:1", "milestone": "main_structure", "result": "pass",
                       "lat": 30.5, "lon": 109.2})
    answer = client.post("/api/houses/H1/inspections", headers=officer.headers,
                         data={"inspection": part, "photos": (io.BytesIO(png()), "wall.png")},
                         content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    inspection = answer.get_json()["inspection"]
    assert inspection["result"] == "pass" and len(inspection["photos"]) == 1
    again = client.post("/api/houses/H1/inspections", headers=officer.headers,
                        data={"inspection": part, "photos": (io.BytesIO(png()), "wall.png")},
                        content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["inspection"]["id"] == inspection["id"]
    assert _count(world, Inspection) == 1 and _count(world, InspectionPhoto) == 1
    thumb = client.get(inspection["photos"][0]["thumb_url"], headers=officer.headers)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    paid = client.post("/api/houses/H1/payments", json={"tranche": "main_structure", "client_id": "p-1"},
                       headers=officer.headers)
    assert paid.status_code == 201 and paid.get_json()["payment"]["inspection_id"] == inspection["id"]
    assert client.post("/api/houses/H1/payments", json={"tranche": "main_structure", "client_id": "p-1"},
                       headers=officer.headers).status_code == 200
    assert _count(world, HousePayment) == 1


def test_a_photo_that_is_not_an_image_writes_nothing(client, world, officer):
    answer = client.post("/api/houses/H1/inspections", headers=officer.headers,
                         json={"client_id": "c-9", "milestone": "main_structure", "result": "fail",
                               "photos": ["bm90IGFuIGltYWdl"]})
    assert answer.status_code == 415 and answer.get_json()["error"]["field"] == "photos[0]"
    assert _count(world, Inspection) == 0


@pytest.mark.parametrize("body, status, field", [
    ({"milestone": "completed", "result": "pass"}, 400, "milestone"),
    ({"milestone": "main_structure", "result": "ok"}, 400, "result"),
    ({"milestone": "main_structure", "result": "pass", "inspected_at": "yesterday"}, 400, "inspected_at"),
    ({"milestone": "main_structure", "result": "pass", "client_id": "bad id!"}, 400, "client_id")])
def test_bad_inspections_name_the_field(client, world, officer, body, status, field):
    answer = client.post("/api/houses/H1/inspections", json=body, headers=officer.headers)
    assert answer.status_code == status and answer.get_json()["error"]["field"] == field
    assert _count(world, Inspection) == 0


def test_payments_without_a_passing_inspection_or_over_the_entitlement(client, world, officer, make_user):
    refused = client.post("/api/houses/H1/payments", json={"tranche": "main_structure"}, headers=officer.headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["field"] == "tranche"
    over = client.post("/api/houses/H1/payments", json={"tranche": "agreement", "amount": 999999},
                       headers=officer.headers)
    assert over.status_code == 400 and over.get_json()["error"]["field"] == "amount"
    text_amount = client.post("/api/houses/H1/payments", json={"tranche": "agreement", "amount": "12000"},
                              headers=officer.headers)
    assert text_amount.status_code == 400 and text_amount.get_json()["error"]["field"] == "amount"
    assert _count(world, HousePayment) == 0
    commander = client.post("/api/houses/H1/payments", json={"tranche": "agreement"},
                            headers=make_user("commander").headers)
    assert commander.status_code == 403
