"""The live map in headless Chromium against a real ``relief serve`` with a small demo.

One server per module (the demo takes a few seconds to build); each test
opens its own browser context. What is checked: the page loads only from the
app's own host and logs no error, an incident posted through the API appears
without a reload within 2 s, user text in a popup stays text, a reconnect
catches up, households switch from choropleth to points for staff only, and
the downloaded situation map opens with the network off.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from maps import styles
from maps.situation import external_urls
from relief.domain.vocabulary import GUARANTEES
from tests.web.servers import fresh_database_url, incident_body, relief_env, run, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PROBE = '<img src=x onerror=alert(1)><script>alert("xss")</script>'


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    env = relief_env(fresh_database_url(folder, "browser"), folder / "instance")
    run(env, "demo", "--households", "2000")
    token = run(env, "users", "create", "browser-reporter", "--role", "field_reporter", "--password",
                "pw-browser").strip()
    with serving(env) as base:
        yield {"base": base, "token": token, "user": "browser-reporter", "password": "pw-browser"}


class Watched:
    """A page plus every request, console error, page error and dialog it produced."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text[:200]}"))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open_map(self, base: str) -> None:
        self.page.goto(base + "/")
        self.page.wait_for_selector("body[data-map-ready='1']", timeout=15000)
        self.page.wait_for_function("() => window.relief.live.state === 'live'", timeout=10000)

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def wait(self, expression: str, timeout: float = 15000) -> None:
        """Wait for a JS condition; on timeout say what the page logged and fetched last."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(f"() => ({expression})", timeout=timeout)
        except PlaywrightTimeout:
            state = self.js("() => ({zoom: relief.map.getZoom(), token: relief.households.token, "
                            "mode: relief.households.mode, "
                            "summaries: Object.keys(relief.households.summaries), live: relief.live.state})")
            raise AssertionError(f"timed out waiting for {expression}; errors: {self.errors}; state: {state}; "
                                 f"console: {self.console[-8:]}; last requests: {self.requests[-5:]}") from None


@pytest.fixture
def watched(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    try:
        yield Watched(context)
    finally:
        context.close()


def post_incident(server, **overrides) -> int:
    body = incident_body(f"browser-{uuid.uuid4().hex[:12]}", **overrides)
    response = requests.post(f"{server['base']}/api/incidents", json=body,
                             headers={"Authorization": f"Bearer {server['token']}"}, timeout=10)
    assert response.status_code == 201, response.text
    answer = response.json()
    return int(answer.get("id") or answer["incident"]["id"])


def log_in(watched: Watched, server) -> None:
    page = watched.page
    page.goto(server["base"] + "/login")
    page.fill("input[name=name]", server["user"])
    page.fill("input[name=password]", server["password"])
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-map-ready='1']", timeout=15000)


def test_the_map_loads_from_its_own_host_only_and_shows_the_demo(watched, demo_server):
    watched.open_map(demo_server["base"])
    counts = watched.js("""() => ({incidents: relief.byId.incidents.size, sites: relief.byId.sites.size,
        depots: relief.byId.depots.size, facilities: relief.byId.facilities.size,
        counties: relief.areaData.county.features.length, townships: relief.areaData.township.features.length,
        toggles: document.querySelectorAll('#legend input[data-layer]').length,
        kinds: document.querySelectorAll('#filters input[data-kind]').length,
        choropleth: Object.keys(relief.households.summaries.township.areas).length,
        indicator: document.querySelector('.conn').dataset.state})""")
    assert counts == {"incidents": 6, "sites": 121, "depots": 9, "facilities": 102, "counties": 8, "townships": 91,
                      "toggles": 6, "kinds": 9, "choropleth": 91, "indicator": "live"}
    assert watched.page.locator(".area-label.county").count() == 8
    assert watched.page.locator(".site-icon").count() > 50
    hosts = {urlsplit(u).netloc for u in watched.requests if not u.startswith("data:")}
    assert hosts == {urlsplit(demo_server["base"]).netloc}
    assert watched.errors == []


def test_an_incident_posted_through_the_api_appears_within_two_seconds(watched, demo_server):
    watched.open_map(demo_server["base"])
    before = watched.js("relief.byId.incidents.size")
    started = time.monotonic()
    incident_id = post_incident(demo_server, title="Road blocked at the bridge", lat=30.6, lon=110.2)
    watched.page.wait_for_function(f"() => relief.byId.incidents.has({incident_id})", timeout=2000)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert watched.js("relief.byId.incidents.size") == before + 1
    assert watched.js(f"relief.layers.incidents.hasLayer(relief.byId.incidents.get({incident_id}).marker)")
    watched.js(f"relief.openIncident({incident_id})")
    watched.page.wait_for_selector(f'[data-incident="{incident_id}"]', timeout=10000)
    assert "new incident" in watched.page.locator("#feed li").first.inner_text()
    assert watched.errors == []


def test_user_text_in_popups_and_the_panel_stays_text(watched, demo_server):
    watched.open_map(demo_server["base"])
    incident_id = post_incident(demo_server, title="<b>bold</b> title", description=PROBE, lat=30.0, lon=109.0)
    watched.wait(f"relief.byId.incidents.has({incident_id})")
    watched.js(f"relief.openIncident({incident_id})")
    popup = watched.page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10000)
    watched.page.wait_for_function("() => document.querySelector('.leaflet-popup-content').innerText"
                                   ".includes('onerror')")
    assert PROBE in popup.inner_text() and "<b>bold</b> title" in popup.inner_text()
    assert popup.locator("img, script, b").count() == 0
    watched.page.locator(f'[data-incident="{incident_id}"]').dispatch_event("click")  # a site icon may lie on top
    watched.wait("document.querySelector('#details').innerText.includes('onerror')")
    assert watched.page.locator("#details img, #details script, #details b").count() == 0
    assert watched.page.locator("#feed img, #feed b").count() == 0
    watched.page.wait_for_timeout(300)
    assert watched.dialogs == [] and watched.errors == []


def test_filters_and_layer_toggles_hide_and_show(watched, demo_server):
    watched.open_map(demo_server["base"])
    page = watched.page
    shown = "() => [...relief.byId.incidents.values()].filter(r => relief.layers.incidents.hasLayer(r.marker)).length"
    total = watched.js(shown)
    landslides = watched.js("[...relief.byId.incidents.values()].filter(r => "
                            "r.feature.properties.kind === 'landslide' && "
                            "!['rejected','duplicate'].includes(r.feature.properties.status)).length")
    page.uncheck('#filters input[data-kind="landslide"]')
    assert watched.js(shown) == total - landslides
    page.check('#filters input[data-kind="landslide"]')
    page.select_option("#time-window", "24")
    recent = watched.js("[...relief.byId.incidents.values()].filter(r => "
                        "Date.parse(r.feature.properties.occurred_at) > "
                        "Date.now() - 864e5 && !['rejected','duplicate'].includes(r.feature.properties.status)).length")
    assert watched.js(shown) == recent
    page.select_option("#time-window", "0")
    assert watched.js(shown) == total
    page.uncheck('#legend input[data-layer="sites"]')
    assert watched.js("relief.map.hasLayer(relief.layers.sites)") is False
    page.uncheck('#legend input[data-layer="households"]')
    assert watched.js("relief.map.hasLayer(relief.households.choropleths.township)") is False
    page.check('#legend input[data-layer="households"]')
    page.wait_for_function("() => relief.map.hasLayer(relief.households.choropleths.township)")
    assert watched.errors == []


def test_a_site_shows_occupancy_and_days_of_cover(watched, demo_server):
    watched.open_map(demo_server["base"])
    site = watched.js("[...relief.byId.sites.values()].find(r => r.feature.properties.status === 'open').id")
    watched.js(f"relief.map.setView(relief.byId.sites.get('{site}').marker.getLatLng(), 13, {{animate: false}}); 0")
    watched.page.wait_for_selector(f'[data-sites="{site}"]')
    # sites can share a spot (one school, two buildings), so open this one by its marker rather than by a mouse click
    watched.js(f"(() => {{ const m = relief.byId.sites.get('{site}').marker; m.fire('click'); m.openPopup(); }})()")
    watched.wait("document.querySelector('#details').innerText.includes('Days of cover')")
    text = watched.page.locator("#details").inner_text()
    assert "Occupants" in text and " / " in text and "food" in text and "water" in text
    assert watched.page.locator(".leaflet-popup-content .bar").count() == 1
    assert not any("/api/cover" in u for u in watched.requests)  # staff's list; the public pop-up reads the site
    assert watched.errors == []


def test_area_search_finds_by_name_and_zooms_there(watched, demo_server):
    watched.open_map(demo_server["base"])
    page = watched.page
    zoom = watched.js("relief.map.getZoom()")
    page.fill("#area-q", "Lichuan")
    page.wait_for_selector("#area-results button")
    assert "Lichuan" in page.locator("#area-results button").first.inner_text()
    page.locator("#area-results button").first.click()
    page.wait_for_function(f"() => relief.map.getZoom() > {zoom}")
    centre = watched.js("(() => { const c = relief.map.getCenter(); return [c.lng, c.lat]; })()")
    assert 108.3 < centre[0] < 109.4 and 29.6 < centre[1] < 30.8  # Lichuan, the west of the prefecture
    page.fill("#area-q", "no such place at all")
    page.wait_for_selector("#area-results li:not(:has(button))")
    assert watched.errors == []


def test_a_reconnecting_page_catches_up_on_what_it_missed(watched, demo_server):
    watched.open_map(demo_server["base"])
    watched.js("relief.live.socket.disconnect()")
    watched.page.wait_for_function("() => document.querySelector('.conn').dataset.state === 'offline'")
    incident_id = post_incident(demo_server, title="Reported while the screen was offline", lat=30.5, lon=109.3)
    watched.page.wait_for_timeout(300)
    assert not watched.js(f"relief.byId.incidents.has({incident_id})")
    watched.js("relief.live.socket.connect()")
    watched.wait(f"relief.byId.incidents.has({incident_id})")
    assert watched.js("document.querySelector('.conn').dataset.state") == "live"
    assert watched.errors == []


def test_households_are_areas_for_the_public_and_points_for_staff(watched, demo_server):
    watched.open_map(demo_server["base"])
    watched.js("relief.map.setView([30.29, 109.47], 13.5, {animate: false}); 0")
    watched.wait("relief.households.summaries.village && relief.households.choropleths.village")
    watched.page.wait_for_timeout(500)
    assert watched.js("relief.byId.households.size") == 0
    assert not any("/api/households/points" in u for u in watched.requests)
    log_in(watched, demo_server)
    watched.js("relief.map.setView([30.29, 109.47], 13.5, {animate: false}); 0")
    watched.wait("relief.byId.households.size > 0")
    assert watched.js("relief.live.staff") is True
    points = watched.js("relief.byId.households.size")
    assert 0 < points < 2000
    assert watched.errors == []


def test_guarantee_counts_recolour_the_choropleth_in_place(watched, demo_server):
    watched.open_map(demo_server["base"])
    village, township = watched.js("""() => { const s = relief.households.summaries.township;
        const v = Object.keys(s.parents).find((code) => s.areas[s.parents[code]]); return [v, s.parents[v]]; }""")
    area = "relief.households.summaries.township.areas"
    before = json.loads(watched.js(f"JSON.stringify({area}['{township}'])"))
    # staff's per-household form recolours points only: it moves no count (the public counts event does)
    change = {"household_id": "H-test", "village_code": village, "county_code": township[:6],
              "before": dict.fromkeys(GUARANTEES), "after": dict.fromkeys(GUARANTEES, "unmet")}
    watched.js("e => relief.households.apply(e)", {"seq": 10**9, "kind": "guarantee.changed", "topic": "guarantees",
                                                  "payload": {"changes": [change]}})
    assert watched.js(f"{area}['{township}'].worst") == before["worst"]

    def shift(counts):  # one household from a verdict it holds to another
        held = next(s for s, n in counts.items() if n > 0)
        return {held: -1, "met" if held == "unmet" else "unmet": 1}

    moved = {"worst": shift(before["worst"]), "guarantees": {"food": shift(before["guarantees"]["food"])}}
    watched.js("e => relief.households.apply(e)", {"seq": 10**9 + 1, "kind": "guarantee.counts", "topic": "guarantees",
                                                  "payload": {"villages": {village: moved}}})
    after = watched.js(f"{area}['{township}']")
    for got, start, delta in ((after["worst"], before["worst"], moved["worst"]),
                              (after["guarantees"]["food"], before["guarantees"]["food"], moved["guarantees"]["food"])):
        expected = {s: start.get(s, 0) + delta.get(s, 0) for s in set(start) | set(delta)}
        assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}
    colour = watched.js(f"relief.households.byCode.township.get('{township}').options.fillColor")
    assert colour == styles.AREA_CLASS_COLOURS[styles.area_class(after["worst"])]


def test_the_page_classifies_like_the_python_tables(watched, demo_server):
    watched.open_map(demo_server["base"])
    cases = [{}, {"unknown": 3}, {"not_applicable": 4}, {"met": 99, "unmet": 1}, {"met": 95, "unmet": 5},
             {"met": 90, "at_risk": 10}, {"met": 91, "at_risk": 9}]
    assert watched.js("cases => cases.map(relief.areaClass)", cases) == [styles.area_class(c) for c in cases]
    sites = [{"status": "open", "capacity_persons": 10, "occupants": n} for n in (0, 8, 10)] + [{"status": "closed"}]
    assert watched.js("cases => cases.map(relief.siteState)", sites) == [styles.site_state(s) for s in sites]
    depots = [{"items_in_stock": 0}, {"items_in_stock": 2}, {"items_in_stock": 12}, {"days_of_cover": 1}]
    assert watched.js("cases => cases.map(relief.depotState)", depots) == [styles.depot_state(d) for d in depots]


def test_the_downloaded_situation_map_opens_with_the_network_off(browser, demo_server, tmp_path):
    response = requests.get(f"{demo_server['base']}/export/map.html", timeout=60)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    html = response.text
    assert external_urls(html) == []
    assert set(re.findall(r"https?://[^\s\"'<>)\\]+", html)) <= {"http://www.w3.org/2000/svg"}
    path = tmp_path / "situation.html"
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        context.set_offline(True)
        offline = Watched(context)
        offline.page.goto(path.as_uri())
        offline.page.wait_for_function("() => document.querySelectorAll('.relief-icon').length > 100", timeout=10000)
        assert offline.page.locator(".relief-label").count() == 8
        assert [u for u in offline.requests if not u.startswith(("file://", "data:"))] == []
        assert offline.errors == [] and offline.dialogs == []
    finally:
        context.close()


def test_a_site_whose_own_water_meets_the_standard_shows_unlimited_water_cover(watched, demo_server):
    cover = requests.get(f"{demo_server['base']}/api/cover",
                         headers={"Authorization": f"Bearer {demo_server['token']}"}, timeout=30).json()["sites"]
    site = next(s["site_id"] for s in cover if s["status"] == "open" and s["occupants"] > 0
                and any(f["guarantee"] == "water" and f["supplied"] for f in s["forecast"]))
    watched.open_map(demo_server["base"])
    watched.js(f"relief.map.setView(relief.byId.sites.get('{site}').marker.getLatLng(), 13, {{animate: false}}); 0")
    watched.page.wait_for_selector(f'[data-sites="{site}"]')
    watched.js(f"(() => {{ const m = relief.byId.sites.get('{site}').marker; m.fire('click'); m.openPopup(); }})()")
    watched.wait("document.querySelector('#details').innerText.includes('water ∞')")
    assert watched.errors == []
