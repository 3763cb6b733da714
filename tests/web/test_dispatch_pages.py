"""The dispatch pages: plans by status with names, one plan's lines and the steps the signed-in role may take;
and in Chromium, in zh and en, a convoy from proposal to the site: the commander accepts, the warehouse keeper
sends it, the site manager confirms what arrived and the site's balance rises."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from tests import world

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
CRITICAL = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter((v) => v.impact === 'critical').map((v) => v.id);
}"""


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    return store


@pytest.fixture
def people(make_user):
    return {role: make_user(role) for role in ("commander", "warehouse_keeper", "site_manager", "viewer")}


def stocked(client, keeper, quantities=(("RICE", 10), ("WATER5", 30))):
    for item, quantity in quantities:
        assert client.post("/api/stock/receipts", headers=keeper.headers, json={
            "holder_kind": "depot", "holder_id": "D1", "item_code": item, "quantity": quantity,
            "source": "allocation"}).status_code == 201


def log_in(client, user, lang="en"):
    client.get(f"/lang/{lang}")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"name": user.name, "password": f"pw-{user.name}",
                                       "csrf_token": token}).status_code == 302


def html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def buttons(page_html: str) -> list[str]:
    return re.findall(r'data-action="(\w+)"', page_html)


@pytest.fixture
def plan_id(client, place, people):
    stocked(client, people["warehouse_keeper"])
    return client.post("/api/dispatch/plans", headers=people["commander"].headers).get_json()["id"]


# --- rendered pages ---------------------------------------------------------------------------

def test_anonymous_callers_are_sent_to_log_in(client, plan_id):
    for url in ("/dispatch", f"/dispatch/{plan_id}"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
        assert client.get(url).get_json()["error"]["code"] == "not_authenticated"  # not a browser: the 401


def test_the_list_groups_plans_by_status_with_names(client, plan_id, people):
    log_in(client, people["viewer"])
    page = html(client, "/dispatch")
    for status in ("proposed", "accepted", "in_transit", "delivered", "cancelled"):
        assert f'id="status-{status}"' in page
    proposed = page.split('id="status-proposed"')[1].split('id="status-accepted"')[0]
    assert f'data-plan="{plan_id}"' in proposed
    assert '<span class="from">Depot west</span>' in proposed and '<span class="to">Site S1</span>' in proposed
    assert 'id="propose"' not in page  # a viewer proposes nothing
    only = html(client, "/dispatch?status=accepted")
    assert f'data-plan="{plan_id}"' not in only
    assert client.get("/dispatch?status=lost").status_code == 400


def test_the_plan_page_names_lines_and_offers_only_the_roles_steps(client, plan_id, people):
    log_in(client, people["commander"])
    page = html(client, f"/dispatch/{plan_id}")
    assert "<td>Depot west</td><td>Site S1</td><td>Rice</td>" in page
    assert re.search(r'<td class="num">6 kg</td>', page)
    assert buttons(page) == ["accept", "cancel"]
    client.post(f"/api/dispatch/plans/{plan_id}/accept", headers=people["commander"].headers)
    client.get("/logout")
    for role, expected in (("warehouse_keeper", ["dispatch"]), ("site_manager", ["dispatch"]), ("viewer", [])):
        other = client.application.test_client()
        log_in(other, people[role])
        assert buttons(html(other, f"/dispatch/{plan_id}")) == expected, role
    client.post(f"/api/dispatch/plans/{plan_id}/dispatch", headers=people["warehouse_keeper"].headers)
    manager = client.application.test_client()
    log_in(manager, people["site_manager"])
    page = html(manager, f"/dispatch/{plan_id}")
    assert buttons(page) == ["deliver"]
    assert 'id="received-0"' in page and 'id="received-1"' in page and 'data-field="received[1]"' in page
    keeper = client.application.test_client()
    log_in(keeper, people["warehouse_keeper"])
    page = html(keeper, f"/dispatch/{plan_id}")
    assert buttons(page) == [] and 'id="no-steps"' in page


def test_the_pages_speak_chinese_with_times_in_beijing_time(client, plan_id, people):
    log_in(client, people["commander"], "zh")
    page = html(client, f"/dispatch/{plan_id}")
    assert "已生成" in page and "采纳方案" in page and "6 千克" in page
    assert "Proposed" not in page and "Accept the plan" not in page
    created = client.get(f"/api/dispatch/plans/{plan_id}", headers=people["commander"].headers).get_json()
    assert re.search(r"<time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d\d:\d\d</time>", page)
    assert created["created_at"] in page  # the machine-readable moment stays UTC ISO 8601
    listing = html(client, "/dispatch")
    assert "运输中" in listing and "2 条明细" in listing


def test_the_dashboard_plan_shows_names_from_the_answer(client, plan_id, people):
    plan = client.get(f"/api/dispatch/plans/{plan_id}", headers=people["viewer"].headers).get_json()
    assert {(line["depot_name"], line["site_name"]) for line in plan["lines"]} == {("Depot west", "Site S1")}
    source = Path(__file__).resolve().parents[2].joinpath("static", "js", "dashboard.js").read_text()
    assert "l.depot_name" in source and "l.site_name" in source and "l.item_name" in source


# --- in Chromium ------------------------------------------------------------------------------------

class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live(app):
    server = LiveServer(app)
    yield server
    server.stop()


def site_balance(base, user, item) -> float:
    rows = requests.get(f"{base}/api/stock/balances?holder_kind=site&holder_id=S1", headers=user.headers,
                        timeout=10).json()
    rows = rows.get("balances") if isinstance(rows, dict) else rows
    return sum(b["quantity"] for b in rows if b["item_code"] == item)


def signed_in(browser, base, user, lang):
    context = browser.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-GB")
    context.add_init_script(path=str(AXE))  # beside the page, not through it: the page's CSP stays in force
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/lang/{lang}")
    page.goto(f"{base}/login?next=/dispatch")
    page.fill("input[name=name]", user.name)
    page.fill("input[name=password]", f"pw-{user.name}")
    with page.expect_navigation():
        page.click("form:not(.inline) button[type=submit]")
    return context, page, errors


def fits_and_passes_axe(page):
    assert page.evaluate(OVERFLOW) <= 1, f"{page.url} scrolls sideways at 390 px"
    assert page.evaluate(CRITICAL) == [], page.url


WORDS = {
    "en": {"accepted": "Accepted", "in_transit": "In transit", "delivered": "Delivered",
           "too_many": "Enter a quantity from 0 up to what was sent."},
    "zh": {"accepted": "已采纳", "in_transit": "运输中", "delivered": "已送达",
           "too_many": "请填写 0 到发运数量之间的数量。"},
}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_convoy_from_proposal_to_the_site_in_the_browser(browser, live, place, people, lang):
    base, words = live.url, WORDS[lang]
    keeper = people["warehouse_keeper"]
    for item, quantity in (("RICE", 10), ("WATER5", 30)):
        assert requests.post(f"{base}/api/stock/receipts", headers=keeper.headers, timeout=10, json={
            "holder_kind": "depot", "holder_id": "D1", "item_code": item, "quantity": quantity,
            "source": "allocation"}).status_code == 201

    # the commander proposes a plan and accepts it
    context, page, errors = signed_in(browser, base, people["commander"], lang)
    assert page.url.endswith("/dispatch")
    fits_and_passes_axe(page)
    with page.expect_navigation(url=re.compile(r"/dispatch/\d+$")):
        page.click("#propose")
    plan_url = page.url
    lines = page.locator("table.lines").first
    assert "Depot west" in lines.inner_text() and "Site S1" in lines.inner_text()
    assert "D1" not in lines.inner_text()
    fits_and_passes_axe(page)
    with page.expect_navigation():
        page.click("button[data-action=accept]")
    assert page.locator("#plan-status").inner_text() == words["accepted"]
    assert errors == []
    context.close()

    # the warehouse keeper sends it: the lines leave the depot
    context, page, errors = signed_in(browser, base, keeper, lang)
    page.goto(plan_url)
    assert page.locator("button[data-action]").evaluate_all("(bs) => bs.map((b) => b.dataset.action)") == ["dispatch"]
    page.fill("#step-reason", "truck 3")
    with page.expect_navigation():
        page.click("button[data-action=dispatch]")
    assert page.locator("#plan-status").inner_text() == words["in_transit"]
    assert page.locator("#no-steps").is_visible()
    assert site_balance(base, keeper, "WATER5") == 0
    assert errors == []
    context.close()

    # the site manager confirms at the site what arrived: 25 of the 27 bottles
    context, page, errors = signed_in(browser, base, people["site_manager"], lang)
    page.goto(plan_url)
    assert page.locator("button[data-action]").evaluate_all("(bs) => bs.map((b) => b.dataset.action)") == ["deliver"]
    fits_and_passes_axe(page)
    page.fill("#received-1", "28")  # more than was sent: refused next to the line
    page.click("button[data-action=deliver]")
    page.wait_for_function("() => document.getElementById('received-1-error').textContent.length > 0")
    assert page.locator("#received-1").get_attribute("aria-invalid") == "true"
    assert page.locator("#received-1-error").inner_text() == words["too_many"]  # the page's language, not the API's
    assert site_balance(base, keeper, "WATER5") == 0
    page.fill("#received-1", "25")
    with page.expect_navigation():
        page.click("button[data-action=deliver]")
    assert page.locator("#plan-status").inner_text() == words["delivered"]
    water = page.locator("tr[data-item=WATER5]")
    assert "25" in water.locator("td.received").inner_text() and water.locator("td.short").inner_text() == "2"
    fits_and_passes_axe(page)
    assert errors == []
    context.close()

    assert site_balance(base, keeper, "WATER5") == 25 and site_balance(base, keeper, "RICE") == 6
