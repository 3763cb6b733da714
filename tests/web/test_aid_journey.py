"""The aid chain's journey in Chromium on a phone-sized screen, against a real ``relief serve`` on the demo.

The demo carries a charity's aid list (恩施州慈善总会, ID numbers hashed with the prefecture's salt), a planted
duplicate and a planted miss, swept when it loads. A commander opens the aid-flags queue, sees the household
given food twice over the same days by its county depot and by the charity, confirms the duplicate; sees the
household that needed food and got nothing from anyone, past its window, and closes the entry with a recorded
reason (refused first without one). A warehouse keeper then tries a third time to hand that household food at
the same depot: the hand-out is refused with the reason — the charity's food, its aid id, the overlap — and
nothing is written; given with an override reason, it goes through and is recorded as a justified top-up.
"""
from __future__ import annotations

import pytest
import requests

from maps import styles
from relief.domain.demo.aid import AGENCY, DUPLICATE_ITEM
from tests.conftest import CHROMIUM_ARGS
from tests.web.servers import fresh_database_url, relief_env, run, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
ROLES = ("commander", "warehouse_keeper")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("journey-aid")
    env = relief_env(fresh_database_url(folder, "journey_aid"), folder / "instance")
    run(env, "demo", "--households", "400")
    tokens = {role: run(env, "users", "create", f"aid-{role}", "--role", role, "--password",
                        f"pw-aid-{role}").strip().splitlines()[-1] for role in ROLES}
    with serving(env) as base:
        yield {"base": base, "tokens": tokens}


@pytest.fixture(scope="module")
def chromium(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def api(server, path: str, role: str = "commander", method: str = "GET", **kwargs):
    answer = requests.request(method, server["base"] + path, timeout=30,
                              headers={"Authorization": f"Bearer {server['tokens'][role]}"}, **kwargs)
    assert answer.ok, answer.text
    return answer.json()


def signed_in(chromium, server, role: str, lang: str = "zh"):
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server['base']}/lang/{lang}")
    page.goto(server["base"] + "/login")
    page.fill("input[name=name]", f"aid-{role}")
    page.fill("input[name=password]", f"pw-aid-{role}")
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page, errors


def planted(server) -> tuple[dict, dict]:
    """The charity duplicate and the overdue food miss of a household no one aided, as the API lists them."""
    duplicates = api(server, "/api/aid-flags?flag=duplicate&status=open&limit=1000")["items"]
    charity = [f for f in duplicates if f"agency:{AGENCY}" in f["sources"]]
    assert len(charity) == 1
    missed = [f for f in api(server, "/api/aid-flags?flag=missed&status=open&limit=1000")["items"]
              if f["purpose"] == "food" and f["reason"] == "no_aid" and f["overdue"]]

    def relief_food(household_id: str) -> list[dict]:
        links = api(server, f"/api/households/{household_id}/aid")["links"]
        return [link for link in links if link["purpose"] in ("food", "water")]

    unaided = [f for f in missed if not relief_food(f["household_id"])]
    assert unaided
    return charity[0], unaided[0]


def test_the_map_shows_open_flags_by_village_to_staff_only(chromium, server):
    duplicate, _miss = planted(server)
    counts = {r["code"]: r for r in api(server, "/api/layers/aid-flags")["rows"]}
    village = duplicate["village_code"]
    assert counts[village]["duplicate"] >= 1
    context, page, errors = signed_in(chromium, server, "commander")
    try:
        page.goto(server["base"] + "/")
        page.wait_for_selector("body[data-map-ready='1']", timeout=20000)
        page.click("input[data-overlay='aid-flags']")
        page.wait_for_selector("body[data-aid-flags-layer=on]")
        shown = page.evaluate("""(code) => { const layer = relief.aidFlags.byCode.get(code);
            return layer && relief.map.hasLayer(relief.aidFlags.layer) ? layer.options.fillColor : null; }""", village)
        assert shown == styles.aid_flag_colour(counts[village]["total"])
        page.click("input[data-overlay='aid-flags']")
        page.wait_for_selector("body[data-aid-flags-layer=off]")
        assert errors == []
    finally:
        context.close()
    anonymous = chromium.new_context(viewport=PHONE)
    try:
        page = anonymous.new_page()
        page.goto(server["base"] + "/")
        page.wait_for_selector("body[data-map-ready='1']", timeout=20000)
        assert page.locator("input[data-overlay='aid-flags']").count() == 0
    finally:
        anonymous.close()
    assert requests.get(server["base"] + "/api/layers/aid-flags", timeout=30).status_code == 401


def test_a_commander_resolves_the_planted_flags_and_the_warehouse_refuses_a_third_giving(chromium, server):
    duplicate, miss = planted(server)
    household = duplicate["household_id"]
    depot = next(s for s in duplicate["sources"] if s.startswith("depot:"))

    context, page, errors = signed_in(chromium, server, "commander")
    try:
        # the queue: the duplicate by the county depot and the charity, worded, with its review steps
        page.goto(server["base"] + "/aid-flags?flag=duplicate")
        card = page.locator(f"#flag-{duplicate['id']}")
        card.wait_for()
        assert card.get_attribute("data-household") == household
        text = card.inner_text()
        assert AGENCY in text and duplicate["aid_id"] in text and "重复救助" in text
        assert page.evaluate(OVERFLOW) <= 1
        card.locator("button[data-status=confirmed]").click()
        page.wait_for_selector(f"#flag-{duplicate['id']}[data-reviewed=confirmed]")

        # the miss: refused without a reason, closed with one
        page.goto(server["base"] + "/aid-flags?flag=missed")
        card = page.locator(f"#flag-{miss['id']}")
        card.wait_for()
        assert "已逾期" in card.inner_text() and card.get_attribute("data-household") == miss["household_id"]
        card.locator("button[data-status=dismissed]").click()
        assert card.locator("[data-error-for=reason]").inner_text().strip()
        card.locator("textarea.aid-reason").fill("村委会核实：该户已投靠亲属，由亲属供餐")
        card.locator("button[data-status=dismissed]").click()
        page.wait_for_selector(f"#flag-{miss['id']}[data-reviewed=dismissed]")

        # the household's chain shows both sources of food
        page.goto(f"{server['base']}/households/{household}/aid")
        kinds = page.eval_on_selector_all("#chain tr[data-purpose=food]", "rows => rows.map(r => r.dataset.sourceKind)")
        assert sorted(set(kinds)) == ["distribution", "partner"]
        assert errors == []
    finally:
        context.close()
    assert api(server, f"/api/aid-flags/{duplicate['id']}")["status"] == "confirmed"
    resolved = api(server, f"/api/aid-flags/{miss['id']}")
    assert resolved["status"] == "dismissed" and "亲属" in resolved["resolution_reason"]

    # a third giving of the same food, at the same depot: refused with the reason, nothing written
    before = [link["aid_id"] for link in api(server, f"/api/households/{household}/aid")["links"]]
    context, page, errors = signed_in(chromium, server, "warehouse_keeper")
    try:
        page.goto(f"{server['base']}/stock?holder={depot}#distribution")
        page.wait_for_selector("body[data-stock-ready='1']")
        form = page.locator("#form-distribution")
        form.locator("input[name=household_id]").fill(household)
        form.locator("select[name=item_code]").select_option(DUPLICATE_ITEM)
        form.locator("input[name=quantity]").fill("1")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#override:not([hidden])")
        said = page.locator("#duplicate-aid").inner_text()
        assert household in said and AGENCY in said and "partner:" in said
        assert page.evaluate(OVERFLOW) <= 1
        assert [link["aid_id"] for link in api(server, f"/api/households/{household}/aid")["links"]] == before

        # with an override reason it goes through, recorded for review
        form.locator("textarea[name=override_reason]").fill("慈善总会的大米已霉变，县仓库补发")
        form.locator("button[type=submit]").click()
        page.wait_for_function("() => document.getElementById('override').hidden")
        assert errors == []
    finally:
        context.close()
    after = api(server, f"/api/households/{household}/aid")
    assert len(after["links"]) == len(before) + 1
    assert any(f["status"] == "justified_top_up" and f["override_of"] for f in after["flags"])
