"""The live map's read endpoints: compact, aggregated, never personal."""
from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timezone

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from maps import styles
from relief.domain.audience import Audience
from relief.store.tables import Area, Depot, GuaranteeStatus, Household, Incident, Site

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
OK = dict(food="met", clothing="met", water="met", housing="met", medical="met")


@pytest.fixture
def region(store):
    """A county with two townships and three villages; five households, four of them judged."""
    with store.write() as session:
        session.add_all([
            Area(code="422801", name_zh="恩施市", name_en="Enshi", level="county",
                 geom=MultiPolygon([box(109.0, 30.0, 110.0, 31.0)])),
            Area(code="422801001", name_zh="舞阳坝街道", name_en="Wuyangba", level="township", parent_code="422801",
                 geom=MultiPolygon([box(109.0, 30.0, 109.5, 31.0)])),
            Area(code="422801002", name_zh="小渡船街道", name_en="Xiaoduchuan", level="township", parent_code="422801",
                 geom=MultiPolygon([box(109.5, 30.0, 110.0, 31.0)])),
        ])
        session.flush()
        session.add_all([
            Area(code="422801001001", name_zh="东村", name_en="Dongcun Village", level="village",
                 parent_code="422801001", geom=MultiPolygon([box(109.0, 30.0, 109.5, 30.5)])),
            Area(code="422801001002", name_zh="西村", name_en="Xicun Village", level="village", parent_code="422801001",
                 geom=MultiPolygon([box(109.0, 30.5, 109.5, 31.0)])),
            Area(code="422801002001", name_zh="南村", name_en="Nancun Village", level="village",
                 parent_code="422801002", geom=MultiPolygon([box(109.5, 30.0, 110.0, 31.0)])),
        ])
        session.flush()
        homes = [("H1", "422801001001", 109.1, 30.1), ("H2", "422801001001", 109.2, 30.2),
                 ("H3", "422801001002", 109.1, 30.7), ("H4", "422801002001", 109.7, 30.3),
                 ("H5", "422801002001", 109.8, 30.4)]
        for hid, village, lon, lat in homes:
            session.add(Household(id=hid, head_name=f"Secret Name {hid}", phone="13800000000",
                                  id_number="420000199001011234", members=3, village_code=village, county_code="422801",
                                  geom=Point(lon, lat)))
        session.flush()
        verdicts = {"H1": {**OK, "food": "unmet", "water": "at_risk"}, "H2": {**OK, "medical": "at_risk"}, "H3": OK,
                    "H4": dict(food="not_applicable", clothing="not_applicable", water="not_applicable",
                               housing="not_applicable", medical="not_applicable")}
        for hid, row in verdicts.items():
            session.add(GuaranteeStatus(household_id=hid, village_code=next(v for h, v, *_ in homes if h == hid), **row,
                                        reasons={}, shortfalls={}, as_of=NOW, standards_version="test"))


def test_household_points_are_compact_worst_verdicts_without_personal_data(client, region, make_user):
    viewer = make_user("viewer")
    response = client.get("/api/households/points?bbox=109,30,110,31", headers=viewer.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["fields"] == ["lon", "lat", "id", "worst"]
    assert body["points"] == [[109.1, 30.1, "H1", "unmet"], [109.2, 30.2, "H2", "at_risk"], [109.1, 30.7, "H3", "met"],
                              [109.7, 30.3, "H4", "not_applicable"], [109.8, 30.4, "H5", "unknown"]]
    assert body["total"] == 5 and body["next_offset"] is None and body["seq"] == 0
    text = response.get_data(as_text=True)
    assert "Secret" not in text and "13800000000" not in text and "4200001990" not in text


def test_household_points_follow_the_bbox_and_page(client, region, make_user):
    headers = make_user("viewer").headers
    west = client.get("/api/households/points?bbox=109,30,109.5,31", headers=headers).get_json()
    assert [p[2] for p in west["points"]] == ["H1", "H2", "H3"]
    first = client.get("/api/households/points?bbox=109,30,110,31&limit=2", headers=headers).get_json()
    assert [p[2] for p in first["points"]] == ["H1", "H2"] and first["next_offset"] == 2 and first["total"] == 5
    rest = client.get("/api/households/points?bbox=109,30,110,31&limit=2&offset=4", headers=headers).get_json()
    assert [p[2] for p in rest["points"]] == ["H5"] and rest["next_offset"] is None


def test_household_points_are_for_staff_and_need_a_bbox(client, region, make_user):
    anonymous = client.get("/api/households/points?bbox=109,30,110,31")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "not_authenticated"
    headers = make_user("viewer").headers
    assert client.get("/api/households/points", headers=headers).get_json()["error"]["field"] == "bbox"
    too_many = client.get("/api/households/points?bbox=109,30,110,31&limit=999999", headers=headers)
    assert too_many.status_code == 400 and too_many.get_json()["error"]["field"] == "limit"


def test_guarantee_summary_by_village_counts_worst_and_each_guarantee(client, region):
    body = client.get("/api/guarantees/summary?level=village").get_json()
    assert body["level"] == "village" and body["seq"] == 0 and "parents" not in body
    east, west, south = (body["areas"][c] for c in ("422801001001", "422801001002", "422801002001"))
    assert east == {"households": 2, "worst": {"unmet": 1, "at_risk": 1},
                    "guarantees": {"food": {"unmet": 1, "met": 1}, "clothing": {"met": 2},
                                   "water": {"at_risk": 1, "met": 1},
                                   "housing": {"met": 2}, "medical": {"met": 1, "at_risk": 1}}}
    assert west["worst"] == {"met": 1}
    assert south["worst"] == {"not_applicable": 1, "unknown": 1}
    assert south["guarantees"]["food"] == {"not_applicable": 1, "unknown": 1}
    assert [styles.area_class(body["areas"][c]["worst"]) for c in sorted(body["areas"])] == ["unmet", "met", "unknown"]


def test_guarantee_summary_by_township_maps_villages_up(client, region):
    body = client.get("/api/guarantees/summary?level=township").get_json()
    assert body["areas"]["422801001"]["households"] == 3
    assert body["areas"]["422801001"]["worst"] == {"unmet": 1, "at_risk": 1, "met": 1}
    assert body["areas"]["422801002"]["worst"] == {"not_applicable": 1, "unknown": 1}
    assert body["parents"] == {"422801001001": "422801001", "422801001002": "422801001", "422801002001": "422801002"}


def test_guarantee_summary_before_any_verdict_is_all_unknown(client, region, store):
    with store.write() as session:
        session.query(GuaranteeStatus).delete()
    body = client.get("/api/guarantees/summary?level=village").get_json()
    assert {c: a["worst"] for c, a in body["areas"].items()} == {
        "422801001001": {"unknown": 2}, "422801001002": {"unknown": 1}, "422801002001": {"unknown": 2}}
    assert client.get("/api/guarantees/summary?level=county").get_json()["error"]["field"] == "level"


def test_summary_seq_is_the_last_event_it_includes(client, region, ctx):
    with ctx.transaction() as unit:
        unit.emit("guarantee.changed", "guarantees", {"changes": []}, audience=Audience.STAFF)
    assert client.get("/api/guarantees/summary?level=village").get_json()["seq"] == unit.events[0]["seq"]


def test_area_shapes_are_simplified_with_names_parents_and_a_label_point(client, region):
    body = client.get("/api/map/areas?level=village").get_json()
    assert [f["id"] for f in body["features"]] == ["422801001001", "422801001002", "422801002001"]
    props = body["features"][0]["properties"]
    assert props["name_zh"] == "东村" and props["parent_code"] == "422801001" and props["level"] == "village"
    assert len(props["label_at"]) == 2
    assert body["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert client.get("/api/map/areas?level=planet").status_code == 400


def test_area_search_by_either_name_larger_areas_first(client, region):
    by_en = client.get("/api/map/search?q=village").get_json()["areas"]
    assert [a["code"] for a in by_en] == ["422801001001", "422801001002", "422801002001"]
    by_zh = client.get("/api/map/search?q=街道").get_json()["areas"]
    assert [a["level"] for a in by_zh] == ["township", "township"] and by_zh[0]["bbox"] == [109.0, 30.0, 109.5, 31.0]
    assert client.get("/api/map/search?q=%25").get_json()["areas"] == []  # % is a character, not a wildcard
    assert client.get("/api/map/search").get_json()["error"]["field"] == "q"


def test_map_incidents_carry_marker_properties_and_an_anchor(client, store):
    with store.write() as session:
        session.add(Incident(kind="landslide", title="slope", description="long text " * 50, status="verified",
                             occurred_at=NOW,
                             geom=Polygon([(109.1, 30.1), (109.3, 30.1), (109.3, 30.3), (109.1, 30.3)])))
        session.add(Incident(kind="flood", title="river", status="reported", occurred_at=NOW, geom=Point(109.5, 30.5)))
    body = client.get("/api/map/incidents").get_json()
    polygon, point = body["features"]
    assert set(polygon["properties"]) == {"kind", "status", "title", "occurred_at", "updated_at", "response_level",
                                          "county_code", "township_code", "evacuate", "anchor"}
    assert Polygon(polygon["geometry"]["coordinates"][0]).contains(Point(polygon["properties"]["anchor"]))
    assert "anchor" not in point["properties"] and point["geometry"]["coordinates"] == [109.5, 30.5]
    assert [f["id"] for f in client.get("/api/map/incidents?kind=flood").get_json()["features"]] == [point["id"]]
    assert client.get("/api/map/incidents?status=lost").get_json()["error"]["field"] == "status"


def test_styles_endpoint_is_the_shared_table(client):
    from relief.domain import vocabulary

    words = {"guarantees": list(vocabulary.GUARANTEES), "guarantee_statuses": list(vocabulary.GUARANTEE_STATUSES),
             "verdicts_worst_first": list(vocabulary.VERDICTS_WORST_FIRST), "topics": list(vocabulary.TOPICS),
             "house_stages": list(vocabulary.HOUSE_STAGES)}
    assert client.get("/api/map/styles").get_json() == {**json.loads(json.dumps(styles.as_dict())), **words}


def test_large_answers_are_gzipped_when_accepted(client, region):
    plain = client.get("/api/map/styles")
    zipped = client.get("/api/map/styles", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()


def test_export_map_is_an_offline_html_attachment(client, region, store):
    with store.write() as session:
        session.add(Incident(kind="hail", title="<b>hail</b> & wind", description="<script>alert(1)</script>",
                             status="verified", occurred_at=NOW, geom=Point(109.3, 30.3)))
        session.add(Site(id="S1", name="School", kind="school", capacity_persons=100, covered_area_m2=400,
                         status="open", geom=Point(109.4, 30.4)))
        session.add(Depot(id="D1", name="Depot", geom=Point(109.6, 30.6)))
    response = client.get("/export/map.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="situation-map-')
    html = response.get_data(as_text=True)
    amp = r"(?:&|\\u0026)"  # the popup HTML sits in embedded JSON, where & itself is escaped
    assert "<script>alert(1)" not in html and re.search(f"{amp}lt;script{amp}gt;alert\\(1\\)", html)
    assert re.search(f"{amp}lt;b{amp}gt;hail{amp}lt;/b{amp}gt; {amp}amp; wind", html)
    assert "Secret Name" not in html


def test_export_map_of_an_empty_store_still_renders(client):
    response = client.get("/export/map.html")
    assert response.status_code == 200 and "<title>Enshi situation map</title>" in response.get_data(as_text=True)


def test_the_download_is_rebuilt_only_after_a_change(client, ctx, monkeypatch):
    from relief.services import situation

    builds = []
    real = situation.export_html
    monkeypatch.setattr(situation, "export_html", lambda c, **kw: builds.append(1) or real(c, **kw))
    first, second = client.get("/export/map.html"), client.get("/export/map.html")
    assert len(builds) == 1 and first.data == second.data
    with ctx.transaction() as unit:
        unit.emit("incident.updated", "incidents", {"id": 1}, audience=Audience.PUBLIC)
    client.get("/export/map.html")
    assert len(builds) == 2


def test_the_map_page_carries_the_styles_and_a_configured_tile_source(app, client):
    page = client.get("/").get_data(as_text=True)
    assert 'id="relief-styles"' in page and styles.KIND_SHAPES["landslide"] in page
    assert '"tileUrl": null' in page or '"tileUrl":null' in page
    app.config["TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in client.get("/").get_data(as_text=True)


def test_every_geojson_polygon_is_wound_as_rfc7946_asks(client, store):
    """Stored clockwise (exterior) with a counter-clockwise hole, every answer winds them the other way."""
    from shapely.geometry import LinearRing

    clockwise = Polygon([(109.0, 30.0), (109.0, 31.0), (110.0, 31.0), (110.0, 30.0)],
                        [[(109.2, 30.2), (109.4, 30.2), (109.4, 30.4), (109.2, 30.4)]])
    assert not clockwise.exterior.is_ccw and clockwise.interiors[0].is_ccw
    with store.write() as session:
        session.add(Area(code="422801", name_zh="恩施市", name_en="Enshi", level="county",
                         geom=MultiPolygon([clockwise])))
        session.add(Incident(kind="landslide", title="slope", status="verified", occurred_at=NOW, geom=clockwise))

    def rings(geometry):
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        return [(i == 0, LinearRing(ring).is_ccw) for polygon in polygons for i, ring in enumerate(polygon)]

    answers = {url: client.get(url) for url in ("/api/areas?level=county", "/api/map/areas?level=county",
                                                 "/api/incidents", "/api/map/incidents", "/api/incidents.geojson")}
    for url, response in answers.items():
        features = json.loads(response.get_data(as_text=True))["features"]
        found = [r for f in features for r in rings(f["geometry"])]
        assert found, url
        assert all(is_ccw == is_exterior for is_exterior, is_ccw in found), url
