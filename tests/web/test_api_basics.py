"""Read API shape, health and error bodies."""
from __future__ import annotations

from datetime import datetime, timezone

from shapely.geometry import Point

from relief.store.migrate import shipped_head
from relief.store.tables import Incident, Site


def test_health_names_store_and_revision(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok"
    assert body["schema_revision"] == body["schema_head"] == shipped_head()
    assert body["store"] in {"sqlite", "postgresql+postgis"}


def test_layers_are_rfc7946_lon_lat(client, store):
    with store.write() as session:
        session.add(Site(id="S1", name="Enshi No.1 Middle School", kind="school", capacity_persons=300,
                         covered_area_m2=1200, water_l_per_day=6000, provides_meals=True, medical_post=True,
                         status="open", geom=Point(109.48, 30.28)))
        session.add(Incident(kind="hail", title="hail", status="verified", occurred_at=datetime.now(timezone.utc),
                             geom=Point(109.9, 30.6)))
    sites = client.get("/api/sites").get_json()
    assert sites["type"] == "FeatureCollection"
    feature = sites["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [109.48, 30.28]}
    assert feature["properties"]["occupants"] == 0 and feature["properties"]["free_capacity"] == 300
    incidents = client.get("/api/incidents?kind=hail&status=verified").get_json()
    assert len(incidents["features"]) == 1
    assert client.get("/api/incidents?kind=tornado").get_json()["error"]["field"] == "kind"


def test_bad_query_parameters_are_4xx_json_naming_the_field(client):
    for url, field in [("/api/areas?bbox=1,2,3", "bbox"), ("/api/sites?bbox=10,10,5,5", "bbox"),
                       ("/api/sites?limit=abc", "limit"), ("/api/depots?offset=-1", "offset"),
                       ("/api/incidents?since=yesterday", "since")]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.get_json()["error"]["field"] == field


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_map_page_loads_only_local_assets(client):
    html = client.get("/").get_data(as_text=True)
    assert "vendor/leaflet/leaflet.js" in html
    assert "http://" not in html and "https://" not in html
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200


def test_language_switch_and_browser_default(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    client.get("/lang/en")
    assert "Log in" in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
