"""A verifier's day in Chromium, in Chinese and in English, against a real ``relief serve`` on demo data.

The verifier signs in on a phone-sized screen, opens a late incident from the overdue list, verifies it
with a reason (the status changes on the page), files the 初报 and then a 续报 through the form — a bad
figure and a report kind that breaks the series are shown next to their fields first — and the figures
reach the server. A field reporter's phone form places its GPS position in our own township boundaries.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from shapely.geometry import Point, shape

from tests.conftest import CHROMIUM_ARGS
from tests.web.servers import fresh_database_url, relief_env, run, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
LAT, LON = 30.2955, 109.4870  # Enshi city
CJK = re.compile(r"[\u4e00-\u9fff]")
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
CRITICAL = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter((v) => v.impact === 'critical').map((v) => v.id + ': ' + v.nodes[0].target.join(' '))"""


def critical_axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(CRITICAL)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("journey-verifier")
    env = relief_env(fresh_database_url(folder, "journey_verifier"), folder / "instance")
    run(env, "demo", "--households", "200")
    tokens = {role: run(env, "users", "create", f"journey-{role}", "--role", role, "--password",
                        f"pw-journey-{role}").strip().splitlines()[-1] for role in ("verifier", "field_reporter")}
    with serving(env) as base:
        yield {"base": base, "tokens": tokens}


@pytest.fixture(scope="module")
def chromium(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def api(server, method: str, path: str, role: str, **kwargs):
    headers = {"Authorization": f"Bearer {server['tokens'][role]}"}
    answer = requests.request(method, server["base"] + path, headers=headers, timeout=30, **kwargs)
    assert answer.ok, answer.text
    return answer.json()


def township_at(server, lat: float, lon: float) -> dict:
    """The township whose outline (as the map API draws it) holds the point."""
    shapes = requests.get(server["base"] + "/api/map/areas?level=township", timeout=30).json()["features"]
    found = [f for f in shapes if shape(f["geometry"]).covers(Point(lon, lat))]
    assert len(found) == 1
    return found[0]


def signed_in(chromium, server, role: str, lang: str, **options):
    context = chromium.new_context(viewport=PHONE, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server['base']}/lang/{lang}")
    page.goto(server["base"] + "/login")
    page.fill("input[name=name]", f"journey-{role}")
    page.fill("input[name=password]", f"pw-journey-{role}")
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page, errors


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_verifier_verifies_and_files_a_continued_report(chromium, server, lang):
    occurred = (datetime.now(timezone.utc) - timedelta(hours=3)).replace(microsecond=0)
    title = f"Slope moving {uuid.uuid4().hex[:6]}"
    created = api(server, "POST", "/api/incidents", "field_reporter", json={
        "client_id": str(uuid.uuid4()), "kind": "landslide", "title": title, "lat": LAT, "lon": LON,
        "occurred_at": occurred.isoformat(), "description": "cracks widening"})
    iid = created["id"]
    township = created["incident"]["properties"]["township_code"]
    name = township_at(server, LAT, LON)["properties"]["name_zh" if lang == "zh" else "name_en"]

    context, page, errors = signed_in(chromium, server, "verifier", lang, bypass_csp=True)
    try:
        # the initial report is 3 h late, so the overdue list names the incident and links to its page
        page.goto(server["base"] + "/reports/overdue")
        assert critical_axe_violations(page) == [] and page.evaluate(OVERFLOW) <= 0
        row = page.locator(f"tr[data-incident='{iid}'][data-kind='initial']")
        assert name in row.inner_text()
        row.locator("a").click()
        page.wait_for_selector("body[data-incident-ready='1']")
        assert page.url.endswith(f"/incidents/{iid}")
        assert page.evaluate(OVERFLOW) <= 0
        assert critical_axe_violations(page) == []
        before = page.inner_text("#status")
        assert page.get_attribute("#status", "data-status") == "reported"

        # verify: a reason is required, then the status changes on the page
        verify = page.locator("form.action-form[data-action='verify']")
        verify.locator("button[type=submit]").click()
        assert page.inner_text("#error-verify-reason").strip()
        page.fill("#reason-verify", "checked on site: slope moving, road cut")
        verify.locator("button[type=submit]").click()
        page.wait_for_selector("#status[data-status='verified']", timeout=15000)
        assert page.inner_text("#status") != before
        assert "checked on site" in page.inner_text(".tl-transition[data-action='verify']")
        assert not page.locator("form.action-form[data-action='verify']").count()  # no longer offered

        # the 初报 for the incident's township (chosen by name), then the form moves on to 续报
        assert page.input_value("#st-township") == township and page.input_value("#st-kind") == "initial"
        assert page.locator("#st-township option:checked").inner_text().strip() == name
        page.fill("#ind-affected", "120")
        page.fill("#ind-dead", "2")
        page.click("#st-submit")
        page.wait_for_selector(".tl-statutory[data-kind='initial']", timeout=15000)
        assert page.input_value("#st-kind") == "continued"

        # a bad figure: more dead than affected, named next to the field, in the page's language
        page.fill("#ind-affected", "120")
        page.fill("#ind-dead", "150")
        page.click("#st-submit")
        said = page.inner_text("#error-ind-dead").strip()
        assert said and bool(CJK.search(said)) == (lang == "zh")
        assert page.get_attribute("#ind-dead", "aria-invalid") == "true"
        # a second initial report breaks the series: the server's refusal lands next to the kind
        page.fill("#ind-dead", "3")
        page.select_option("#st-kind", "initial")
        page.click("#st-submit")
        page.wait_for_function("() => document.getElementById('error-kind').textContent.trim() !== ''")
        assert page.inner_text("#error-ind-dead").strip() == ""
        if lang == "zh":
            assert CJK.search(page.inner_text("#error-kind"))

        page.select_option("#st-kind", "continued")
        page.fill("#ind-affected", "120")
        page.fill("#ind-dead", "3")
        page.click("#st-submit")
        page.wait_for_selector(".tl-statutory[data-kind='continued']", timeout=15000)
        assert page.inner_text("#error-kind").strip() == ""
        assert page.inner_text(f"#figures-table tr[data-township='{township}'] th").strip() == name
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        context.close()

    detail = api(server, "GET", f"/api/incidents/{iid}", "verifier")
    assert detail["incident"]["properties"]["status"] == "verified"
    assert [(r["kind"], r["township_code"], r["indicators"]["dead"]) for r in detail["statutory_reports"]] == \
        [("initial", township, 2), ("continued", township, 3)]
    assert errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_form_takes_the_township_from_the_position(chromium, server, lang):
    expected = township_at(server, LAT, LON)
    context = chromium.new_context(viewport=PHONE, geolocation={"latitude": LAT, "longitude": LON},
                                   permissions=["geolocation"], bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server['base']}/lang/{lang}")
        page.goto(f"{server['base']}/report#token={server['tokens']['field_reporter']}")
        page.wait_for_selector("body[data-report-ready='1']")
        page.wait_for_selector(f"body[data-township='{expected['id']}']", timeout=15000)
        page.click("details.figures summary")
        assert page.input_value("#county") == expected["properties"]["parent_code"]
        assert page.input_value("#township_code") == expected["id"]
        assert critical_axe_violations(page) == []
        shown = page.locator("#township_code option:checked").inner_text().strip()
        assert shown == expected["properties"]["name_zh" if lang == "zh" else "name_en"]
        assert shown in page.inner_text("#township-hint")
        # every township of the county is listed by name, none by code
        options = page.eval_on_selector_all("#township_code option", "os => os.map(o => [o.value, o.textContent])")
        assert len(options) > 2 and all(not re.fullmatch(r"\d+", text) for _, text in options[1:])

        page.fill("#description", "road cut by a slide")
        page.fill("input[data-indicator='affected']", "12")
        page.click("#submit")
        item = page.wait_for_selector("#outbox li[data-status='sent']", timeout=20000)
        client_id = item.get_attribute("data-client-id")
        sent = page.evaluate("async (id) => (await window.reliefReport.allReports()).find((r) => r.client_id === id)",
                             client_id)
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        context.close()
    detail = api(server, "GET", f"/api/incidents/{sent['server_id']}", "field_reporter")
    assert [(r["kind"], r["township_code"], r["indicators"]["affected"]) for r in detail["statutory_reports"]] == \
        [("initial", expected["id"], 12)]
    assert errors == []
