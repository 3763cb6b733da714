"""The static situation map: self-contained, offline, escaped, styled from the shared tables."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Point, box

from maps import situation, styles
from relief.domain.vocabulary import VERDICTS_WORST_FIRST
from relief.services.situation import LEAFLET
from tests.conftest import CHROMIUM_ARGS

CRS = "EPSG:4326"
PROBE = '<img src=x onerror=alert(1)><script>alert("xss")</script>'


def frame(rows: list[dict], geometries: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geometries, crs=CRS)


@pytest.fixture
def bundle() -> situation.SituationBundle:
    areas = frame([
        {"code": "4228", "name_zh": "恩施州", "name_en": "Enshi", "level": "prefecture", "parent_code": None},
        {"code": "422801", "name_zh": "恩施市", "name_en": "Enshi City", "level": "county", "parent_code": "4228"},
        {"code": "422801001", "name_zh": "舞阳坝", "name_en": "Wuyangba", "level": "township", "parent_code": "422801"},
    ], [MultiPolygon([box(109, 30, 110, 31)]), MultiPolygon([box(109, 30, 110, 31)]),
        MultiPolygon([box(109, 30, 109.5, 31)])])
    villages = frame([{"code": "422801001001", "name_zh": "东村", "name_en": "Dongcun", "level": "village",
                       "parent_code": "422801001", "households": 10, "worst_unmet": 2, "worst_at_risk": 1,
                       "worst_met": 7, "worst_not_applicable": 0, "worst_unknown": 0}],
                     [MultiPolygon([box(109, 30, 109.5, 30.5)])])
    incidents = frame([
        {"id": 1, "kind": "landslide", "status": "responding", "title": "Slope <b>failure</b>", "description": PROBE,
         "response_level": "III", "occurred_at": "2026-11-20T09:00:00+08:00"},
        {"id": 2, "kind": "flood", "status": "reported", "title": "River", "description": None, "response_level": None,
         "occurred_at": "2026-11-20T10:00:00+08:00"},
    ], [box(109.2, 30.2, 109.3, 30.3), Point(109.6, 30.6)])
    sites = frame([{"id": "S1", "name": "School <site>", "kind": "school", "status": "open", "capacity_persons": 100,
                    "occupants": 90, "free_capacity": 10, "m2_per_person": 3.2}], [Point(109.4, 30.4)])
    depots = frame([{"id": "D1", "name": "Depot", "kind": "county", "items_in_stock": 0}], [Point(109.7, 30.7)])
    facilities = frame([{"id": "F1", "name": "Clinic", "kind": "clinic", "operating": True}], [Point(109.8, 30.8)])
    return situation.SituationBundle(areas, villages, incidents, sites, depots, facilities, "Situation <test>",
                                     datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc))


def test_the_html_is_self_contained_and_names_no_other_host(bundle):
    html = situation.situation_html(bundle, LEAFLET)
    assert situation.external_urls(html) == []
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    assert "Leaflet 1.9.4" in html and "L.geoJson" in html
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace name createElementNS needs; never fetched


def test_user_text_is_escaped_everywhere(bundle):
    html = situation.situation_html(bundle, LEAFLET)
    assert "<img src=x" not in html and '<script>alert("xss")' not in html
    assert "Slope <b>failure</b>" not in html and "School <site>" not in html
    assert "<title>Situation &lt;test&gt;</title>" in html


def test_layers_use_the_shared_colours(bundle):
    html = situation.situation_html(bundle, LEAFLET)
    assert styles.KIND_SHAPES["landslide"] in html and styles.STATUS_COLOURS["responding"] in html
    assert styles.AREA_CLASS_COLOURS["unmet"] in html  # 2 of 10 unmet ≥ 5 %
    assert styles.SITE_STATE_COLOURS["filling"] in html and styles.DEPOT_STATE_COLOURS["empty"] in html
    assert styles.RESPONSE_LEVEL_COLOURS["III"] in html


def test_external_urls_finds_cdn_links():
    assert situation.external_urls('<script src="https://cdn.example.org/x.js"></script>') == ["https://cdn.example.org/x.js"]
    assert situation.external_urls('createElementNS("http://www.w3.org/2000/svg", t)') == []


EVIL = "http://evil.example/x.js"
URL_TEXT = f'see {EVIL} and //evil.example/y <script src="{EVIL}"></script> <img src="{EVIL}">'


def _with_url_text(bundle):
    import dataclasses

    incidents = bundle.incidents.copy()
    incidents.loc[0, "description"] = URL_TEXT
    incidents.loc[1, "title"] = f"Flood </script><script src={EVIL}></script> {EVIL}"
    sites = bundle.sites.assign(name=f"School {EVIL}")
    return dataclasses.replace(bundle, incidents=incidents, sites=sites, title=f"Drill {EVIL}")


def test_addresses_typed_in_text_do_not_stop_the_export_and_stay_text(bundle):
    """A URL in a description is data: the page is still written, and nothing it names is loaded."""
    html = situation.situation_html(_with_url_text(bundle), LEAFLET)
    assert situation.external_urls(html) == []
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<img[^>]+src=", html)
    assert f'<script src="{EVIL}">' not in html and f"<script src={EVIL}>" not in html
    assert f"<title>Drill {EVIL}</title>" in html  # escaped text, shown as typed
    assert "see http://evil.example/x.js and //evil.example/y \\u0026lt;script src=" in html


@pytest.mark.parametrize("page, found", [
    (f'<script src="{EVIL}"></script>', [EVIL]),
    ('<link rel="stylesheet" href="//cdn.example.org/a.css">', ["//cdn.example.org/a.css"]),
    ('<img srcset="local.png 1x, https://cdn.example.org/b.png 2x">', ["https://cdn.example.org/b.png"]),
    ('<div style="background: url(\'https://cdn.example.org/c.png\')"></div>', ["https://cdn.example.org/c.png"]),
    ('<style>@import "https://cdn.example.org/d.css"; .x { background: url(//cdn.example.org/e.png) }</style>',
     ["https://cdn.example.org/d.css", "//cdn.example.org/e.png"]),
    ('<iframe src="https://cdn.example.org/f"></iframe>', ["https://cdn.example.org/f"]),
    (f"<p>{EVIL}</p><script>var note = 'see {EVIL}';</script>", []),
    ('<img src="data:image/png;base64,AAAA"><a href="#top">top</a><svg xmlns="http://www.w3.org/2000/svg"></svg>', []),
])
def test_external_urls_looks_at_what_the_page_loads_not_at_text(page, found):
    assert situation.external_urls(page) == found


def test_empty_frames_render(bundle):
    empty = {name: getattr(bundle, name).iloc[0:0] for name in ("areas", "guarantee_areas", "incidents", "sites",
                                                                "depots", "facilities")}
    html = situation.situation_html(situation.SituationBundle(**empty, title="Empty", generated_at=bundle.generated_at),
                                   LEAFLET)
    assert situation.external_urls(html) == []


@pytest.mark.parametrize("counts, expected", [
    ({}, "empty"), ({"unknown": 3}, "unknown"), ({"not_applicable": 4}, "not_applicable"),
    ({"not_applicable": 4, "unknown": 1}, "unknown"), ({"met": 100}, "met"), ({"met": 99, "unmet": 1}, "at_risk"),
    ({"met": 95, "unmet": 5}, "unmet"), ({"met": 91, "at_risk": 9}, "met"), ({"met": 90, "at_risk": 10}, "at_risk"),
])
def test_area_class(counts, expected):
    assert styles.area_class(counts) == expected


def test_worst_status_site_and_depot_states():
    assert styles.worst_status(["met", "at_risk", "not_applicable"], VERDICTS_WORST_FIRST) == "at_risk"
    assert styles.worst_status([None, None], VERDICTS_WORST_FIRST) == "unknown"
    assert styles.worst_status(["not_applicable", "met"], VERDICTS_WORST_FIRST) == "met"
    assert styles.site_state({"status": "open", "capacity_persons": 10, "occupants": 8}) == "filling"
    assert styles.site_state({"status": "open", "capacity_persons": 10, "occupants": 10}) == "full"
    assert styles.site_state({"status": "closed", "capacity_persons": 10, "occupants": 0}) == "closed"
    assert styles.depot_state({"items_in_stock": 0}) == "empty"
    assert styles.depot_state({"items_in_stock": 12, "days_of_cover": 1.5}) == "low"
    assert styles.depot_state({"items_in_stock": 12}) == "stocked"


def test_relief_export_map_writes_the_file(cli_runner, tmp_path):
    out = tmp_path / "out" / "map.html"
    result = cli_runner("export", "map", "--out", str(out), "--title", "Drill")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<title>Drill</title>" in html and situation.external_urls(html) == []


def test_relief_export_map_with_an_address_in_a_description(cli_runner, ctx, tmp_path):
    from tests.world import hazard

    incident = hazard(109.44, 30.27, 109.46, 30.29)
    incident.description = URL_TEXT
    with ctx.store.write() as session:
        session.add(incident)
    out = tmp_path / "map.html"
    result = cli_runner("export", "map", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert situation.external_urls(html) == [] and "evil.example/x.js" in html
    assert not re.search(r"<script[^>]+src=", html)


@pytest.mark.browser
def test_the_exported_map_opens_offline_in_chromium(bundle, tmp_path, chromium_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    path = tmp_path / "situation.html"
    path.write_text(situation.situation_html(bundle, LEAFLET), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 800})
            context.set_offline(True)
            page = context.new_page()
            requests, problems, dialogs = [], [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(path.as_uri())
            page.wait_for_function("typeof L !== 'undefined' && document.querySelectorAll('.relief-icon').length >= 4")
            assert page.locator(".leaflet-control-layers-overlays label").count() == 6
            popup = page.locator(".leaflet-popup-content")
            icon = page.locator('.relief-icon[title="Slope <b>failure</b>"]')
            for _ in range(5):  # a click during the initial fit-to-bounds animation can land before the icon settles
                icon.click()
                try:
                    popup.wait_for(timeout=3000)
                    break
                except PlaywrightTimeout:
                    page.wait_for_timeout(500)
            popup.wait_for(timeout=5000)
            assert PROBE in popup.inner_text() and "Slope <b>failure</b>" in popup.inner_text()
            assert popup.locator("img, script, b").count() == 0
            page.wait_for_timeout(300)
            assert problems == [] and dialogs == []
            assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
        finally:
            browser.close()


def test_polygons_in_the_exported_map_are_wound_as_rfc7946_asks(bundle):
    import dataclasses

    import folium
    from shapely.geometry import LinearRing, Polygon

    clockwise = Polygon([(109, 30), (109, 31), (110, 31), (110, 30)], [[(109.2, 30.2), (109.4, 30.2), (109.4, 30.4)]])
    areas = bundle.areas.set_geometry([MultiPolygon([clockwise])] * len(bundle.areas), crs=CRS)
    incidents = bundle.incidents.set_geometry([clockwise, Point(109.6, 30.6)], crs=CRS)
    fmap = situation.build(dataclasses.replace(bundle, areas=areas, incidents=incidents))

    def geojson_layers(element):
        for child in element._children.values():
            if isinstance(child, folium.GeoJson):
                yield child
            yield from geojson_layers(child)

    found = []
    for layer in geojson_layers(fmap):
        for feature in layer.data["features"]:
            geometry = feature["geometry"]
            polygons = {"Polygon": [geometry["coordinates"]], "MultiPolygon": geometry["coordinates"]}.get(
                geometry["type"], [])
            found += [(i == 0, LinearRing(ring).is_ccw) for polygon in polygons for i, ring in enumerate(polygon)]
    assert len(found) > 4 and all(is_ccw == is_exterior for is_exterior, is_ccw in found)
