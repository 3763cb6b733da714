"""The reconstruction pages: the dashboard per role (a viewer sees rates, never names), the house page and the
steps the signed-in role may take, the inspection form and its service worker; and in Chromium, in zh and en,
against a real ``relief serve``: an officer sees a stalled house, records its inspection while offline, the
inspection reaches the server once, the tranche it unlocked is paid, and a payment without a passing
inspection is refused in the page's language."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from PIL import Image

from relief import asset_folder
from tests import reconstruction_world as rw
from tests.web.servers import fresh_database_url, relief_env, run, serving

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
CRITICAL = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'critical').map((v) => v.id);
}"""
LONG_AGO = datetime.now(timezone.utc) - timedelta(days=400)


@pytest.fixture
def world(store):
    rw.build_areas(store)
    rw.add_house(store, "H1", stage="roofed", mode="in_place", since=LONG_AGO)  # stalled, west township
    rw.add_house(store, "H2", stage="assessed", lon=109.8, since=datetime.now(timezone.utc))  # east township
    rw.add_house(store, "H3", stage="moved_in", mode="in_place", lon=109.8, since=LONG_AGO)
    return store


def log_in(client, user, lang="en"):
    client.get(f"/lang/{lang}")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"name": user.name, "password": f"pw-{user.name}",
                                       "csrf_token": token}).status_code == 302


def html(client, url, status=200) -> str:
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def settings_of(page: str, script_id: str) -> dict:
    raw = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', page, re.S).group(1)
    return json.loads(raw)


# --- rendered on the server ---------------------------------------------------------------------

def test_anonymous_browsers_are_sent_to_log_in(client, world):
    for url in ("/reconstruction", "/houses/H1", "/inspections/new?house=H1"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], url


def test_an_officer_sees_rates_the_laggards_and_the_stalled_house_by_name(client, world, make_user):
    log_in(client, make_user("reconstruction_officer"))
    page = html(client, "/reconstruction")
    stalled = re.search(r'<div class="table-wrap scroll" id="rc-stalled">(.*?)</div>', page, re.S).group(1)
    assert 'href="/houses/H1"' in stalled and "户主HH-H1" in stalled and "Roofed" in stalled
    assert "H2" not in stalled and "H3" not in stalled  # not stalled: just assessed / moved in
    assert "Area 422801001" in stalled and ">422801001<" not in stalled  # the township by name
    townships = re.search(r'id="rc-township-table">(.*?)</table>', page, re.S).group(1)
    assert "Area 422801001" in townships and "Area 422801002" in townships
    # East: 2 enrolled, one moved in → 50 % completed; west: none of one completed; overall 1 of 3.
    lag = re.search(r'<ol class="rc-lag" id="rc-lag">(.*?)</ol>', page, re.S).group(1)
    assert "Area 422801001" in lag and "Area 422801002" not in lag
    assert "0.0%" in lag and "33.3%" in lag


def test_a_viewer_sees_rates_but_no_house_or_name(client, world, make_user):
    log_in(client, make_user("viewer"))
    page = html(client, "/reconstruction")
    assert "Area 422801001" in page and 'id="rc-township-table"' in page
    for name in ("户主", "HH-H1", "/houses/H1", 'id="rc-stalled"'):
        assert name not in page
    assert settings_of(page, "rc-settings")["seesHouses"] is False
    assert "Houses and households are shown to reconstruction staff" in page
    html(client, "/houses/H1", status=403)


def test_the_house_page_offers_the_officer_the_steps_and_the_payments(client, world, make_user):
    log_in(client, make_user("reconstruction_officer"))
    page = html(client, "/houses/H1")
    assert "户主HH-H1" in page and "Roofed" in page and 'id="flag-stalled"' in page
    assert re.findall(r'data-action="transition" data-stage="(\w+)"', page) == ["completed"]
    assert re.findall(r'data-action="pay" data-tranche="(\w+)"', page) == ["agreement", "main_structure", "completion"]
    assert 'href="/inspections/new?house=H1"' in page and "Record an inspection of: Completed" in page
    assert "collapsed" in page and "Area 422801001" in page and "rebuild on the same site" in page
    tranche = re.search(r'<tr data-tranche="completion" data-state="(\w+)">', page).group(1)
    assert tranche == "waiting" and "waits for a passing inspection of Completed" in page


def test_a_commander_may_step_but_not_pay_or_inspect(client, world, make_user):
    log_in(client, make_user("commander"))
    page = html(client, "/houses/H2")
    assert re.findall(r'data-action="transition" data-stage="(\w+)"', page) == ["eligible", "excluded"]
    assert 'data-action="pay"' not in page and "/inspections/new" not in page


def test_the_house_page_in_chinese_with_beijing_time(client, world, make_user):
    log_in(client, make_user("reconstruction_officer"), lang="zh")
    page = html(client, "/houses/H1")
    assert "区422801001" in page and "Roofed" not in page
    beijing = rw.T0.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert beijing in page  # assessed at 08:00 UTC = 16:00 in Beijing


def test_an_unknown_house_is_a_404_page(client, world, make_user):
    log_in(client, make_user("reconstruction_officer"))
    assert "No house has this id." in html(client, "/houses/NOPE", status=404)


def test_the_inspection_form_and_its_worker(client, world, make_user):
    log_in(client, make_user("field_reporter"))
    page = html(client, "/inspections/new?house=H1")
    assert re.search(r'<option value="completed" selected>Completed</option>', page)
    assert settings_of(page, "inspection-settings")["houseId"] == "H1"
    worker = client.get("/inspection-sw.js")
    assert worker.status_code == 200 and "javascript" in worker.mimetype
    assert worker.headers["Service-Worker-Allowed"] == "/inspections/"
    source = Path(asset_folder("static"), "js", "inspection-sw.js").read_text()
    for asset in ("/static/js/common.js", "/static/js/inspection.js", "/static/css/reconstruction.css"):
        assert f'"{asset}"' in source
    assert "No house has this id." in html(client, "/inspections/new?house=NOPE")


# --- in Chromium, against relief serve --------------------------------------------------------------

OFFICER, PASSWORD = "rc-officer", "pw-rc-officer-1"
STALLED = {"zh": "RC-STALL-ZH", "en": "RC-STALL-EN"}  # one house per language: each run pays its own
CALM = "RC-CALM-1"


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The demo region with houses imported: roofed 200 days ago (stalled, one per language), and one just assessed."""
    folder = tmp_path_factory.mktemp("reconstruction-pages")
    env = relief_env(fresh_database_url(folder, "rc_pages"), folder / "instance")
    run(env, "demo", "--households", "200")
    run(env, "users", "create", OFFICER, "--role", "reconstruction_officer", "--password", PASSWORD)
    now = datetime.now(timezone.utc)
    long_ago = (now - timedelta(days=200)).isoformat()
    data = folder / "ledger"
    data.mkdir()
    _write_csv(data / "households.csv",
               ["household_id", "head_name", "lat", "lon", "members", "infants", "children", "elderly", "disabled",
                "chronic", "pregnant", "injured", "house_damage", "needs_living_aid", "shelter", "site_id",
                "evacuated"],
               [*([f"HH-{house}", "王建国", 30.2955, 109.4870, 4, 0, 1, 1, 0, 0, 0, 0, "collapsed", 1, "dispersed",
                   "", 0] for house in STALLED.values()),
                ["RC-HH-2", "李秀英", 30.2960, 109.4880, 2, 0, 0, 1, 0, 0, 0, 0, "severe", 0, "home", "", 0]])
    _write_csv(data / "houses.csv",
               ["house_id", "household_id", "lat", "lon", "damage", "assessed_at", "stage", "stage_since",
                "rebuild_mode", "exclusion_reason"],
               [*([house, f"HH-{house}", 30.2955, 109.4870, "collapsed", long_ago, "roofed", long_ago, "in_place", ""]
                  for house in STALLED.values()),
                [CALM, "RC-HH-2", 30.2960, 109.4880, "severe", now.isoformat(), "assessed", now.isoformat(), "", ""]])
    _write_csv(data / "inspections.csv", ["house_id", "milestone", "inspected_at", "result", "inspector", "note"],
               [[house, milestone, long_ago, "pass", "张工", ""] for house in STALLED.values()
                for milestone in ("foundation", "main_structure")])
    _write_csv(data / "house_payments.csv", ["house_id", "tranche", "amount", "paid_at"],
               [[house, tranche, amount, long_ago] for house in STALLED.values()
                for tranche, amount in (("agreement", 12000), ("main_structure", 16000))])
    run(env, "import", str(data))
    with serving(env) as base:
        yield base


def api(base: str, session: requests.Session, path: str) -> dict:
    answer = session.get(base + path, timeout=10)
    assert answer.status_code == 200, (path, answer.text)
    return answer.json()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


WORDS = {
    "en": {"refused": "Not paid: this tranche is released only after a passing inspection of Completed.",
           "paid": "paid: 12,000.00", "queued": "waiting to be sent", "sent": "sent"},
    "zh": {"refused": "未拨付：此笔资金须在“竣工”验收合格后才可拨付。", "paid": "已拨付：12,000.00",
           "queued": "等待发送", "sent": "已发送"},
}


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_stalled_house_inspected_offline_sent_once_then_paid(browser, served, lang):
    base, words, house_id = served, WORDS[lang], STALLED[lang]
    checker = requests.Session()  # the officer through the API, to count rows and to reset between runs
    context = browser.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-GB",
                                  geolocation={"latitude": 30.2956, "longitude": 109.4871},
                                  permissions=["geolocation"], service_workers="allow")
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/lang/{lang}")
        page.goto(f"{base}/login?next=/reconstruction")
        page.fill("input[name=name]", OFFICER)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form:not(.inline) button[type=submit]")
        checker.cookies.update({c["name"]: c["value"] for c in context.cookies()})

        # The dashboard: the stalled house is listed, by its household's name, with a link.
        page.wait_for_selector("body[data-rc-ready='1']")
        assert page.url.endswith("/reconstruction")
        row = page.locator(f"#rc-stalled tr[data-house='{house_id}']")
        assert "王建国" in row.inner_text()
        assert page.locator(f"#rc-stalled tr[data-house='{CALM}']").count() == 0
        assert page.locator("#rc-rates-chart svg rect").count() > 0
        assert page.evaluate(OVERFLOW) <= 1 and page.evaluate(CRITICAL) == []

        with page.expect_navigation():
            row.locator("a").click()
        page.wait_for_selector("body[data-house-ready='1']")
        assert page.locator("#flag-stalled").is_visible()
        assert page.evaluate(OVERFLOW) <= 1 and page.evaluate(CRITICAL) == []

        # Paying the completion tranche before its inspection: refused, worded in the page's language.
        page.click("button[data-action=pay][data-tranche=completion]")
        page.wait_for_selector("#action-error[data-refused=payment]")
        assert page.locator("#action-error").inner_text() == words["refused"]
        assert api(base, checker, f"/api/houses/{house_id}")["subsidy"]["paid"] == 28000

        # The inspection page, opened online (its worker takes over), then filled in with no network.
        with page.expect_navigation():
            page.click("#record-inspection")
        page.wait_for_selector("body[data-inspection-ready='1']")
        page.wait_for_selector("body[data-kept-offline='1']", timeout=15000)
        page.wait_for_function("() => document.getElementById('lat').value !== ''")
        context.set_offline(True)
        page.reload()  # the page now comes from the worker
        page.wait_for_selector("body[data-inspection-ready='1']")
        assert page.evaluate("navigator.onLine") is False
        assert page.evaluate(OVERFLOW) <= 1 and page.evaluate(CRITICAL) == []
        page.check("#result-pass")
        page.fill("#note", "主体竣工，屋面完好" if lang == "zh" else "finished, roof sound")
        page.set_input_files("#photos", files=[{"name": "house.jpg", "mimeType": "image/jpeg",
                                                "buffer": photo_bytes()}])
        page.wait_for_function("() => document.getElementById('lat').value !== ''")
        page.click("#submit")
        item = page.wait_for_selector("#outbox li[data-status='queued']")
        client_id = item.get_attribute("data-client-id")
        assert words["queued"] in item.inner_text()
        page.wait_for_timeout(500)
        assert page.get_attribute(f"#outbox li[data-client-id='{client_id}']", "data-status") == "queued"
        assert all(i["client_id"] != client_id for i in api(base, checker, f"/api/houses/{house_id}")["inspections"])

        context.set_offline(False)
        sent = page.wait_for_selector(f"#outbox li[data-client-id='{client_id}'][data-status='sent']", timeout=20000)
        assert words["sent"] in sent.inner_text()
        page.evaluate("window.reliefInspection.flush()")  # a second flush sends nothing again
        page.wait_for_timeout(500)
        inspections = api(base, checker, f"/api/houses/{house_id}")["inspections"]
        mine = [i for i in inspections if i["client_id"] == client_id]
        assert len(mine) == 1 and len(inspections) == 3
        assert (mine[0]["milestone"], mine[0]["result"], len(mine[0]["photos"])) == ("completed", "pass", 1)
        assert mine[0]["lat"] == pytest.approx(30.2956, abs=1e-4)

        # Back on the house page: the tranche it unlocked is due; paying it shows it paid.
        page.goto(f"{base}/houses/{house_id}")
        page.wait_for_selector("body[data-house-ready='1']")
        assert page.get_attribute("tr[data-tranche=completion]", "data-state") == "due"
        assert page.locator("#inspections img").count() == 1
        board = context.new_page()  # the dashboard, open beside: it follows the payment live
        board.on("pageerror", lambda e: errors.append(str(e)))
        board.goto(f"{base}/reconstruction")
        board.wait_for_selector("body[data-rc-ready='1'][data-live='1']")
        paid_before = board.locator("#rc-totals [data-total=paid]").inner_text()
        with page.expect_navigation():
            page.click("button[data-action=pay][data-tranche=completion]")
        page.wait_for_selector("tr[data-tranche=completion][data-state=paid]")
        assert page.locator("tr[data-tranche=completion] .tranche-state").inner_text().strip() == words["paid"]
        detail = api(base, checker, f"/api/houses/{house_id}")
        assert detail["subsidy"]["paid"] == 40000
        assert [p["tranche"] for p in detail["payments"]].count("completion") == 1
        assert page.evaluate(OVERFLOW) <= 1
        board.wait_for_selector("body[data-rc-updates]", timeout=15000)
        board.wait_for_function("(before) => document.querySelector('#rc-totals [data-total=paid]').textContent "
                                "!== before", arg=paid_before, timeout=15000)
        assert board.locator(f"#rc-stalled tr[data-house='{house_id}']").count() == 1  # paid, still stalled

        # Its inspection passed, so the house may now be recorded completed: it leaves the stalled list live.
        assert page.locator("button[data-action=transition]").evaluate_all(
            "(bs) => bs.map((b) => b.dataset.stage)") == ["completed"]
        with page.expect_navigation():
            page.click("button[data-action=transition][data-stage=completed]")
        page.wait_for_selector("#house-stage[data-stage=completed]")
        assert page.locator("#flag-stalled").count() == 0
        board.wait_for_selector(f"#rc-stalled tr[data-house='{house_id}']", state="detached", timeout=15000)
        assert errors == []
    finally:
        context.close()
