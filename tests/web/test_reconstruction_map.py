"""The reconstruction layer of the live map in headless Chromium against a real ``relief serve`` on the demo.

Switched on in the legend: township progress zoomed out, houses by stage zoomed in (staff who see houses);
a stage change posted through the API recolours the house's point live, without a reload, within 2 s.
"""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from maps import styles
from tests.web.servers import fresh_database_url, relief_env, run, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
USER, PASSWORD = "map-officer", "pw-map-officer"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reconstruction-map")
    env = relief_env(fresh_database_url(folder, "reconstruction_map"), folder / "instance")
    run(env, "demo", "--households", "2000")
    token = run(env, "users", "create", USER, "--role", "reconstruction_officer", "--password", PASSWORD).strip()
    with serving(env) as base:
        yield {"base": base, "headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server["base"] + "/login")
    page.fill("input[name=name]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-map-ready='1']", timeout=20000)
    page.wait_for_function("() => window.relief.live.state === 'live'", timeout=10000)
    try:
        yield page
        assert errors == []
    finally:
        context.close()


def a_house(server, **filters) -> dict:
    answer = requests.get(f"{server['base']}/api/houses", params={"limit": 1, **filters}, headers=server["headers"],
                          timeout=10)
    assert answer.status_code == 200, answer.text
    (feature,) = answer.json()["features"]
    return feature


def switch_on_and_zoom_to(page, feature: dict, zoom: float = 15) -> str:
    page.click("input[data-overlay='reconstruction']")
    lon, lat = feature["geometry"]["coordinates"]
    page.evaluate("([lat, lon, zoom]) => { relief.map.setView([lat, lon], zoom, {animate: false}); }", [lat, lon, zoom])
    selector = f"path[data-house='{feature['id']}']"
    page.wait_for_selector(selector, timeout=10000)
    return selector


def test_zoomed_out_the_layer_fills_townships_by_their_completion_rate(page, server):
    assert page.locator("input[data-layer]").count() == 6  # the map's own rows are untouched
    page.click("input[data-overlay='reconstruction']")
    page.wait_for_function("() => (document.body.dataset.reconstruction || '').startsWith('townships')", timeout=10000)
    summary = requests.get(f"{server['base']}/api/reconstruction/summary", params={"by": "township"},
                           headers=server["headers"], timeout=10).json()
    rated = [r for r in summary["rows"] if r["code"] and r["completed_rate"] is not None]
    assert rated
    shown = page.evaluate("""(codes) => codes.map((c) => {
        const layer = relief.reconstruction.byCode.get(c);
        return layer && relief.map.hasLayer(layer) ? layer.options.fillColor : null; })""", [r["code"] for r in rated])
    assert shown == [styles.progress_colour(r["completed_rate"]) for r in rated]
    page.evaluate("() => { relief.map.setZoom(12, {animate: false}); }")
    page.wait_for_function("() => (document.body.dataset.reconstruction || '').startsWith('points')", timeout=10000)
    page.click("input[data-overlay='reconstruction']")  # off again: nothing of it stays on the map
    page.wait_for_function("() => document.body.dataset.reconstruction === 'off'", timeout=5000)
    assert page.evaluate("() => relief.map.hasLayer(relief.reconstruction.points)") is False


def test_a_stalled_house_shows_its_stage_colour_and_a_dark_outline(page, server):
    feature = a_house(server, stalled="true")
    path = page.locator(switch_on_and_zoom_to(page, feature))
    assert path.get_attribute("fill") == styles.HOUSE_STAGE_COLOURS[feature["properties"]["stage"]]
    assert path.get_attribute("stroke") == styles.HOUSE_STALLED_STROKE


def test_a_transition_posted_through_the_api_recolours_the_house_live(page, server):
    feature = a_house(server, stage="eligible")
    path = page.locator(switch_on_and_zoom_to(page, feature))
    assert path.get_attribute("fill") == styles.HOUSE_STAGE_COLOURS["eligible"]
    page.evaluate("() => { window.stillTheSamePage = true; }")
    mode = "repair" if feature["properties"]["damage"] == "general" else "in_place"
    posted = time.monotonic()
    answer = requests.post(f"{server['base']}/api/houses/{feature['id']}/transitions", headers=server["headers"],
                           json={"stage": "agreement_signed", "rebuild_mode": mode,
                                 "client_id": f"map-{uuid.uuid4().hex[:12]}"}, timeout=10)
    assert answer.status_code in (200, 201), answer.text
    signed = styles.HOUSE_STAGE_COLOURS["agreement_signed"]
    page.wait_for_function("([selector, colour]) => document.querySelector(selector).getAttribute('fill') === colour",
                           arg=[f"path[data-house='{feature['id']}']", signed], timeout=2000)
    assert time.monotonic() - posted < 2.5  # the request's own time plus the 2 s the page had
    assert page.evaluate("() => window.stillTheSamePage") is True
    assert page.locator(f"path[data-house='{feature['id']}']").get_attribute("data-stage") == "agreement_signed"
    assert page.locator("#feed li").first.text_content().endswith("house changed")
