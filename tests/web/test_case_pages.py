"""The living-assistance pages: the case list, one case and the dashboard rendered per role (a clerk sees
the steps it may take, a verifier reads only, a viewer is refused, anonymous browsers log in first); and in
Chromium, in zh and en, against a real ``relief serve`` on the demo: a township clerk proposes transitional
assistance, takes a collapsed-house case through the village review onto public notice, an objection made
on the public notice page (masked names only) is dismissed, the case is checked after its notice, approved,
sent to the bank in a batch, and shows paid once the bank's confirmation is imported."""
from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta

import pytest
import requests

from relief.domain import assistance as domain
from relief.domain.standards import Standards
from relief.services import assistance as service
from relief.services.context import Actor, Context
from relief.services.standards import standards_loader
from relief.store.db import Store
from tests import assistance_world as aw
from tests.web.servers import fresh_database_url, relief_env, run, serving

PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def world(app):
    store = app.extensions["relief.store"]
    aw.build(store)
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


def _on_notice(store) -> str:
    case_id = aw.apply(store)
    aw.to_notice(store, case_id)
    return case_id


def _buttons(page: str) -> list[str]:
    return re.findall(r'<button type="button" class="button[^"]*" data-action="([a-z_]+)"', page)


# --- rendered on the server ---------------------------------------------------------------------

def test_anonymous_browsers_are_sent_to_log_in(client, world):
    for url in ("/cases", "/cases/AC-1", "/assistance"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"], url
    assert client.get("/cases", headers={"Accept": "application/json"}).status_code == 401


def test_a_clerk_sees_the_list_by_name_and_filters_it(client, world, make_user):
    case_id = _on_notice(world)
    other = aw.apply(world, "HH2")  # east township, still applied
    log_in(client, make_user("township_clerk"))
    page = html(client, "/cases")
    rows = re.findall(r'<tr data-case="([^"]+)" data-stage="([a-z_]+)">(.*?)</tr>', page, re.S)
    assert {r[0] for r in rows} == {case_id, other}
    row = next(r[2] for r in rows if r[0] == case_id)
    assert "张三明" in row and f"Area {aw.WEST_VILLAGE}" in row and "Transitional living assistance" in row
    assert "On public notice" in row and f">{aw.WEST_VILLAGE}<" not in row and "transitional<" not in row
    assert re.search(r"2026-06-\d\d \d\d:\d\d", row)  # the notice's end, local time to the minute
    assert 'id="propose"' in page  # clerks may run the eligibility sweep
    options = re.search(r'<select name="township" id="filter-township">(.*?)</select>', page, re.S).group(1)
    assert f"Area {aw.WEST}" in options and f"Area {aw.EAST}" in options
    west = html(client, f"/cases?township={aw.WEST}")
    assert case_id in west and other not in west
    applied = html(client, "/cases?stage=applied&programme=transitional")
    assert other in applied and case_id not in applied
    assert "2 cases" in page


def test_the_case_page_offers_each_role_its_own_steps(client, world, make_user):
    case_id = aw.apply(world)
    committee = make_user("village_committee")
    log_in(client, committee)
    page = html(client, f"/cases/{case_id}")
    assert _buttons(page) == ["review", "reject"]
    assert "张三明" in page and "Applied" in page and aw.id_number(1) not in page  # the ID number masked
    settings = settings_of(page, "case-settings")
    assert settings["urls"]["transitions"] == f"/api/cases/{case_id}/transitions"
    assert "reject" in settings["needsReason"]
    aw.to_notice(world, case_id)
    clerk = make_user("township_clerk")
    log_in(client, clerk)
    page = html(client, f"/cases/{case_id}")
    assert _buttons(page) == ["check", "reject"]
    assert "The township check is possible once the public notice has ended" in page
    log_in(client, make_user("commander"))
    assert _buttons(html(client, f"/cases/{case_id}")) == []  # nothing for the county until it is checked


def test_a_verifier_reads_only_and_a_viewer_is_refused(client, world, make_user):
    case_id = _on_notice(world)
    log_in(client, make_user("verifier"))
    page = html(client, f"/cases/{case_id}")
    assert _buttons(page) == [] and 'id="no-actions"' in page
    listed = html(client, "/cases")
    assert case_id in listed and 'id="propose"' not in listed
    assert "<svg" not in html(client, "/assistance")  # the bars are drawn by the script, from the settings
    log_in(client, make_user("viewer"))
    refused = html(client, "/cases", status=403)
    assert 'id="cases-refused"' in refused and "张三明" not in refused
    html(client, f"/cases/{case_id}", status=403)
    html(client, "/assistance", status=403)


def test_the_pages_speak_chinese(client, world, make_user):
    case_id = _on_notice(world)
    log_in(client, make_user("township_clerk"), lang="zh")
    page = html(client, f"/cases/{case_id}")
    assert "公示中" in page and "过渡期生活救助" in page and "乡镇审核" in page
    assert "On public notice" not in page
    strings = settings_of(page, "case-settings")["strings"]
    assert "{time}" in strings["notice_not_ended"] and "公示" in strings["notice_not_ended"]
    assert "救助" in html(client, "/cases") and "救助" in html(client, "/assistance")


def test_the_dashboard_counts_stages_per_township_and_money_per_programme(client, world, make_user):
    case_id = _on_notice(world)
    aw.apply(world, "HH2")
    service.transition(aw.as_role(world, "township_clerk", at=aw.after_notice(7)), case_id, {"action": "check"})
    service.transition(aw.as_role(world, "commander", at=aw.after_notice(8)), case_id, {"action": "approve"})
    log_in(client, make_user("commander"))
    page = html(client, "/assistance")
    table = re.search(r'id="ac-stage-table">(.*?)</table>', page, re.S).group(1)
    west = re.search(rf'<tr data-township="{aw.WEST}">(.*?)</tr>', table, re.S).group(1)
    assert f"Area {aw.WEST}" in west and re.search(r'data-stage="approved">1<', west)
    east = re.search(rf'<tr data-township="{aw.EAST}">(.*?)</tr>', table, re.S).group(1)
    assert re.search(r'data-stage="applied">1<', east)
    money = re.search(r'<tr data-programme="transitional">(.*?)</tr>', page, re.S).group(1)
    assert f'data-money="approved">{20 * 3 * 90:,.2f}<' in money and "Transitional living assistance" in money
    oldest = re.search(r'id="ac-oldest">(.*?)</table>', page, re.S).group(1)
    waiting = re.findall(r'<tr data-case="([^"]+)">', oldest)
    assert len(waiting) == 2 and waiting[1] == case_id  # the applied one waits longest; the approved one, for the bank
    assert "李小红" in oldest and "Approved by the county" in oldest
    settings = settings_of(page, "assistance-settings")
    assert {r["code"] for r in settings["townships"]} == {aw.WEST, aw.EAST}


def test_proposing_files_the_eligible_households_once(client, world, make_user):
    clerk = make_user("township_clerk")
    body = {"programme": "transitional", "township": aw.WEST, "as_of": "2026-06-01", "client_id": "sweep-1"}
    first = client.post("/cases/propose", json=body, headers=clerk.headers)
    assert first.status_code == 200 and first.json["cases"] == 1, first.json  # HH1 only: HH3's house stands
    again = client.post("/cases/propose", json=body, headers=clerk.headers)
    assert again.json == first.json  # a resend answers the same
    fresh = client.post("/cases/propose", json={**body, "client_id": "sweep-2"}, headers=clerk.headers)
    assert fresh.status_code == 200 and fresh.json["cases"] == 0  # HH1 is covered now
    case = client.get(f"/api/cases/{first.json['case_ids'][0]}", headers=clerk.headers).json
    assert case["household_id"] == "HH1" and case["stage"] == "applied"
    assert case["period_start"].startswith("2026-05-31T16:00")  # midnight in Beijing
    bad = client.post("/cases/propose", json={"programme": "transitional", "as_of": "June"}, headers=clerk.headers)
    assert bad.status_code == 400 and bad.json["error"]["field"] == "as_of"
    unknown = client.post("/cases/propose", json={"programme": "nope"}, headers=clerk.headers)
    assert unknown.status_code == 400 and unknown.json["error"]["field"] == "programme"
    assert client.post("/cases/propose", json=body, headers=make_user("verifier").headers).status_code == 403
    log_in(client, clerk)  # a cookie session must send its CSRF token, as every JSON write does
    missing = client.post("/cases/propose", json={**body, "client_id": "sweep-3"})
    assert missing.status_code == 403 and missing.json["error"]["field"] == "csrf_token"


# --- the demo journey in Chromium ------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo served once; each journey takes a collapsed house in a township no other journey used."""
    folder = tmp_path_factory.mktemp("cases")
    env = relief_env(fresh_database_url(folder, "cases"), folder / "instance")
    printed = run(env, "demo", "--households", "800")
    token = re.search(r"^\s*site_manager\s+\S+\s+(\S+)\s*$", printed, re.M).group(1)
    proposals = json.loads(run(env, "assistance", "propose", "--programme", "transitional", "--format", "json"))
    with serving(env) as base:
        yield {"env": env, "base": base, "eligible": proposals, "used": set(), "site_manager": token}


def _household(demo) -> dict:
    """A collapsed house in a township no other journey used; where the demo drew none, a severely damaged
    house found collapsed since, as the site manager records it on the register."""
    fresh = [p for p in demo["eligible"] if p["township_code"] not in demo["used"]]
    assert fresh, "the demo has an eligible household in a township of its own for each journey"
    chosen = next((p for p in fresh if "house_damage=collapsed" in p["reason"]), fresh[0])
    if "house_damage=collapsed" not in chosen["reason"]:
        hid = chosen["household_id"]
        answer = requests.patch(f"{demo['base']}/api/households/{hid}",
                                json={"house_damage": "collapsed", "reason": "aftershock",
                                      "client_id": f"collapse-{hid}"},
                                headers={"Authorization": f"Bearer {demo['site_manager']}"}, timeout=30)
        assert answer.status_code == 200, answer.text
    demo["used"].add(chosen["township_code"])
    return chosen


def _log_in(page, base, role, lang):
    page.goto(f"{base}/lang/{lang}")
    page.goto(f"{base}/login")
    page.fill("input[name=name]", role)
    page.fill("input[name=password]", f"{role}-demo")
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def _act(page, action, reason=None):
    if reason:
        page.fill("#step-reason", reason)
    with page.expect_navigation():
        page.click(f"button[data-action={action}]")
    page.wait_for_selector("body[data-case-ready='1']")


def _server_context(env) -> Context:
    """The demo's database as the township clerk sees it, for the one step that needs the clock moved on."""
    store = Store(env["RELIEF_DATABASE_URL"])
    return Context(store=store, actor=Actor(None, "township_clerk", "township_clerk"),
                   standards_loader=standards_loader(store, Standards.bundled()))


WORDS = {"en": {"notice": "can be checked only after", "paid": "Paid", "on_notice": "On public notice",
                "objection": "Objection to be heard", "sent": "objection was recorded"},
         "zh": {"notice": "公示", "paid": "已拨付", "on_notice": "公示中", "objection": "异议待处理",
                "sent": "异议"}}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_case_from_proposal_to_payout_in_chromium(browser, demo, lang, tmp_path):
    base, env, household = demo["base"], demo["env"], _household(demo)
    words = WORDS[lang]
    township = household["township_code"]
    folder = tmp_path
    account = aw.account_number(int(household["household_id"][2:]))
    (folder / "register").mkdir()
    with open(folder / "register" / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["household_id", "bank", "account_no", "holder_name"],
                                 [household["household_id"], aw.BANK, account, "户主"]])
    run(env, "import", str(folder / "register"))

    clerk = browser.new_context(viewport=PHONE)
    page = clerk.new_page()
    _log_in(page, base, "township_clerk", lang)
    # The sweep: transitional assistance for the township's collapsed and severely damaged houses.
    page.goto(f"{base}/cases")
    assert page.evaluate(OVERFLOW) <= 0
    page.click("#propose summary")
    page.select_option("#propose-programme", "transitional")
    page.select_option("#propose-township", township)
    with page.expect_navigation(url=re.compile(r"stage=applied")):
        page.click("#propose-run")
    answer = page.evaluate(f"() => relief.getJSON('/api/cases?programme=transitional&township={township}')")
    case = next(c for c in answer["cases"] if c["household_id"] == household["household_id"])
    case_id, full_name = case["case_id"], case["head_name"]
    assert page.locator(f"tr[data-case='{case_id}']").count() == 1
    assert full_name in page.locator(f"tr[data-case='{case_id}']").inner_text()
    assert page.evaluate(OVERFLOW) <= 0

    # Village review and public notice.
    page.goto(f"{base}/cases/{case_id}")
    page.wait_for_selector("body[data-case-ready='1']")
    _act(page, "review")
    _act(page, "publish")
    assert page.locator("#case-stage").inner_text() == words["on_notice"]
    assert page.evaluate(OVERFLOW) <= 0
    # Too early: the check is refused in the page's language, next to the buttons.
    page.click("button[data-action=check]")
    page.wait_for_selector("#action-error[data-refused='notice_ends_at']")
    assert words["notice"] in page.locator("#action-error").inner_text()

    # Anyone objects on the public notice page, which shows the name masked and never in full.
    public = browser.new_context(viewport=PHONE).new_page()
    public.goto(f"{base}/lang/{lang}")
    public.goto(f"{base}/public/notice/{township}")
    content = public.content()
    assert full_name not in content and household["household_id"] not in content
    assert domain.mask_name(full_name) in public.locator(f"tr[data-case='{case_id}']").inner_text()
    public.select_option("#objection-form select[name=case_id]", case_id)
    public.fill("#objection-form textarea[name=text]", "这户的房子没有倒塌")
    public.click("#objection-form button[type=submit]")
    public.wait_for_function("() => document.getElementById('objection-status').textContent.length > 0")
    assert words["sent"] in public.locator("#objection-status").inner_text()
    assert full_name not in public.content()
    public.context.close()

    # The clerk hears it and dismisses it.
    page.reload()
    page.wait_for_selector("body[data-case-ready='1']")
    assert page.locator("#case-stage").inner_text() == words["objection"]
    assert "这户的房子没有倒塌" in page.locator("#objections").inner_text()
    page.click("button[data-action=dismiss]")  # without a reason: refused next to the reason box
    page.wait_for_selector("#reason-error[data-refused='reason']")
    _act(page, "dismiss", "实地核查，房屋倒塌属实")
    assert page.locator("#case-stage").inner_text() == words["on_notice"]

    # Seven days later the notice has ended: the township checks the case.
    ends = datetime.fromisoformat(page.evaluate(
        f"() => relief.getJSON('/api/cases/{case_id}').then((c) => c.notice_ends_at)"))
    later = _server_context(env)
    later.clock = lambda: ends + timedelta(minutes=1)
    service.transition(later, case_id, {"action": "check"})
    later.store.dispose()
    clerk.close()

    # The county approves in the browser.
    county = browser.new_context(viewport=PHONE)
    page = county.new_page()
    _log_in(page, base, "commander", lang)
    page.goto(f"{base}/cases/{case_id}")
    page.wait_for_selector("body[data-case-ready='1']")
    _act(page, "approve")
    assert "approve" in [h for h in page.locator("#history tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.action)")]

    # The bank file, the bank's confirmation, and the case is paid.
    out = folder / "batch.csv"
    run(env, "assistance", "batch", "--out", str(out))
    with open(out, newline="", encoding="utf-8-sig") as f:
        lines = list(csv.DictReader(f))
    ours = [line for line in lines if line["case_id"] == case_id]
    assert len(ours) == 1 and ours[0]["account_no"].lstrip("'") == account
    for line in lines:
        line["result"] = "paid"
    with open(folder / "confirmation.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    assert f"paid {len(lines)}," in run(env, "assistance", "confirm", str(folder / "confirmation.csv"))
    assert "paid 0," in run(env, "assistance", "confirm", str(folder / "confirmation.csv"))  # once
    page.goto(f"{base}/cases/{case_id}")
    assert page.locator("#case-stage").inner_text() == words["paid"]
    assert page.locator("#case-paid").count() == 1
    page.goto(f"{base}/assistance")
    page.wait_for_selector("body[data-ac-ready='1']")
    assert page.locator("#ac-stage-chart svg rect.stage-paid").count() >= 1
    assert page.locator("#ac-money-chart svg rect.paid").count() >= 1
    assert page.evaluate(OVERFLOW) <= 0
    county.close()
