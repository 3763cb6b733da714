"""The relocation-site pages: the list and a site's page, rendered for each role, and a manager's journey in Chromium.

The journey (in Chinese and in English) is a site manager's day: log in from the site page, find a family by name,
check it in and watch the occupancy rise, check it out again, close the site; and at a full site the refusal is
shown beside the form, worded in the page's language.
"""
from __future__ import annotations

import re
import threading
from datetime import timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from relief.store.tables import AuditEntry, Household, Site
from tests import world

SHANGHAI = ZoneInfo("Asia/Shanghai")
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}"""


def build(store) -> None:
    """S1 (10 places, 4 taken), FULL (4 places, all taken), S3 closed; the Zhang family (3) at home."""
    world.build(store, sites=[world.site("S1", 10, 109.45), world.site("FULL", 4, 109.47),
                              world.site("S3", 50, 109.52, status="closed")],
                households=[world.household("H1", 3, 109.45, head_name="张秀英", id_number="422801199001011234"),
                            world.household("H2", 4, 109.46, shelter="site", site_id="S1", evacuated=True),
                            world.household("H9", 4, 109.47, shelter="site", site_id="FULL", evacuated=True)])


@pytest.fixture
def sites_world(store):
    build(store)
    return store


def html(client, path: str, user=None, lang: str = "en") -> tuple[int, str]:
    headers = {"Accept-Language": lang, **(user.headers if user else {})}
    response = client.get(path, headers=headers)
    return response.status_code, response.get_data(as_text=True)


# ---- rendered on the server ----------------------------------------------------------------------------------

def test_a_site_manager_gets_the_forms(client, sites_world, make_user):
    status, page = html(client, "/sites/S1", make_user("site_manager"))
    assert status == 200
    for form in ('id="find-form"', 'id="checkout-form"', 'id="status-form"', 'id="checkin-reason"'):
        assert form in page
    assert re.search(r'<span id="occupants">4</span> / <span id="capacity">10</span>', page)
    assert '<dd id="free">6</dd>' in page and '<dd id="households">1</dd>' in page
    # the checkout destinations and the statuses are the vocabulary's, worded
    assert re.findall(r'<option value="(\w+)">', page)[:3] == ["home", "dispersed", "none"]
    assert 'value="open" selected' in page and ">closed</option>" in page
    assert "/static/js/site_pages.js" in page and "Enshi" in page


@pytest.mark.parametrize("role", ["viewer", "warehouse_keeper"])
def test_other_staff_see_the_site_read_only(client, sites_world, make_user, role):
    status, page = html(client, "/sites/S1", make_user(role))
    assert status == 200
    assert '<span id="occupants">4</span>' in page and 'id="occupant-table"' in page and 'id="stock-table"' in page
    for form in ('id="find-form"', 'id="checkout-form"', 'id="status-form"'):
        assert form not in page
    settings = re.search(r'<script id="site-settings" type="application/json">(.*?)</script>', page, re.S).group(1)
    assert '"mayManage": false' in settings and '"mayMove": false' in settings


def test_an_unknown_site_is_404(client, sites_world, make_user):
    user = make_user("site_manager")
    assert html(client, "/sites/NOWHERE", user)[0] == 404
    answer = client.get("/sites/NOWHERE/occupants.json", headers=user.headers)
    assert answer.status_code == 404 and answer.get_json()["error"]["field"] == "site_id"


def test_anonymous_browsers_are_sent_to_log_in(client, sites_world):
    for path in ("/sites", "/sites/S1"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 302
        assert response.headers["Location"] == f"/login?next={path.replace('/', '%2F')}" \
            or response.headers["Location"] == f"/login?next={path}"
    answer = client.get("/sites/S1/occupants.json")
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "not_authenticated"


def test_the_list_names_counties_and_flags_full_sites(client, sites_world, make_user):
    viewer = make_user("viewer")
    status, page = html(client, "/sites", viewer, "zh")
    assert status == 200
    rows = dict(re.findall(r'<tr data-site="(\w+)" data-status="\w+" data-full="(\d)">', page))
    assert rows == {"S1": "0", "FULL": "1", "S3": "0"}
    full_row = page[page.index('data-site="FULL"'):page.index('data-site="S3"')]
    assert "恩施市" in full_row and "已满员" in full_row and "4 / 4" in full_row
    assert "Enshi" not in page  # the county in the page's language
    english = html(client, "/sites", viewer, "en")[1]
    assert "Enshi" in english and ">full<" in english and ">closed<" in english
    assert 'href="/sites/S1"' in english


def test_occupants_are_listed_with_their_check_in_time(client, sites_world, make_user, store):
    manager = make_user("site_manager")
    sent = client.post("/api/households/H1/checkin", json={"client_id": "site-page-checkin-1", "site_id": "S1"},
                       headers=manager.headers)
    assert sent.status_code == 200
    answer = client.get("/sites/S1/occupants.json", headers=manager.headers).get_json()
    with store.read() as session:
        at = session.scalar(select(AuditEntry.at).where(AuditEntry.action == "household.checkin",
                                                        AuditEntry.entity_id == "H1"))
    by_id = {h["household_id"]: h for h in answer["households"]}
    assert list(by_id) == ["H1", "H2"]  # newest check-in first; H2 was placed without one
    assert by_id["H1"]["name"] == "张秀英" and by_id["H1"]["members"] == 3
    assert by_id["H1"]["village_name"] == {"zh": "某村", "en": "A village"}
    assert by_id["H1"]["checked_in_at"] == at.astimezone(timezone.utc).isoformat()
    assert by_id["H2"]["checked_in_at"] is None
    site = answer["site"]
    assert (site["occupants"], site["households"], site["free_capacity"], site["full"]) == (7, 2, 3, False)
    assert site["m2_per_person"] == pytest.approx(100 / 7, abs=0.01) and site["space"] == "site_space_ok"


# ---- in Chromium -------------------------------------------------------------------------------------------

class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live(app, sites_world):
    server = LiveServer(app)
    yield server
    server.stop()


#: What each language's page says when the full site refuses the Zhang family.
WORDS = {
    "zh": {"full": "容量不足：剩余 0 个床位，该户有 3 人。", "closed": "已关闭", "checked_in": "张秀英 已入住。"},
    "en": {"full": "Not enough room: 0 free places, the household has 3 members.", "closed": "closed",
           "checked_in": "张秀英 is checked in."},
}


def household_row(store, household_id: str) -> tuple[str, str | None]:
    with store.read() as session:
        household = session.get(Household, household_id)
        return household.shelter, household.site_id


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_site_manager_checks_a_family_in_and_out(browser, live, store, make_user, lang):
    manager = make_user("site_manager")
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Europe/London",
                                  locale="en-GB")
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live.url}/lang/{lang}")
        page.goto(f"{live.url}/sites/S1")
        assert "/login" in page.url  # staff only: log in, then back to the site
        page.fill("input[name=name]", manager.name)
        page.fill("input[name=password]", f"pw-{manager.name}")
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/sites/S1$"))
        page.wait_for_selector("body[data-site-ready='1']")
        assert page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh" else "en")
        assert page.inner_text("#occupants") == "4" and page.inner_text("#free") == "6"
        assert page.locator("#occupant-rows tr[data-household]").count() == 1

        # find the family by part of the head's name, check it in here
        page.fill("#find", "张秀")
        page.click("#found li[data-household='H1'] button[data-action='checkin']")
        page.wait_for_selector("#occupant-rows tr[data-household='H1']")
        assert page.inner_text("#checkin-message") == WORDS[lang]["checked_in"]
        assert page.inner_text("#occupants") == "7" and page.inner_text("#free") == "3"
        assert page.inner_text("#households") == "2"
        assert page.eval_on_selector("#fill", "m => m.value") == 7
        assert household_row(store, "H1") == ("site", "S1")
        with store.read() as session:
            at = session.scalar(select(AuditEntry.at).where(AuditEntry.action == "household.checkin",
                                                            AuditEntry.entity_id == "H1"))
        shown = page.inner_text("#occupant-rows tr[data-household='H1'] time")
        assert shown == at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")  # the configured zone, to the minute
        assert page.is_disabled("#found li[data-household='H1'] button")  # already here
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.evaluate(AXE.read_text())  # through DevTools, so the page's CSP stays as it is
        assert page.evaluate(SERIOUS) == []

        # check it out again: back home
        page.click("#occupant-rows tr[data-household='H1'] button[data-action='checkout']")
        page.select_option("#checkout-to", "home")
        page.click("#checkout-send")
        page.wait_for_selector("#occupant-rows tr[data-household='H1']", state="detached")
        assert page.inner_text("#occupants") == "4" and page.inner_text("#free") == "6"
        assert household_row(store, "H1") == ("home", None)

        # close the site, with a reason
        page.select_option("#status-choice", "closed")
        page.fill("#status-reason", "roof damaged")
        page.click("#status-send")
        page.wait_for_selector("#site-status[data-status='closed']")
        assert page.inner_text("#site-status") == WORDS[lang]["closed"]
        with store.read() as session:
            assert session.get(Site, "S1").status == "closed"

        # a full site refuses the family: the 409 in the page's language, beside the form
        page.goto(f"{live.url}/sites/FULL")
        page.wait_for_selector("body[data-site-ready='1']")
        assert page.is_visible("#full-flag")
        page.fill("#find", "张秀")
        page.click("#found li[data-household='H1'] button[data-action='checkin']")
        page.wait_for_selector("#checkin-message[data-state='error']")
        assert page.get_attribute("#checkin-message", "data-code") == "capacity_exceeded"
        assert page.inner_text("#checkin-message") == WORDS[lang]["full"]
        assert page.inner_text("#occupants") == "4"
        assert household_row(store, "H1") == ("home", None)
        assert errors == []
    finally:
        context.close()
